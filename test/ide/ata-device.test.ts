/**
 * The PIIX3 IDE function and ide-hd driven through their registers, as qtest's ide-test
 * does: ATA8-ACS commands (IDENTIFY DEVICE, READ/WRITE SECTORS (EXT), READ/WRITE MULTIPLE,
 * READ/WRITE DMA (EXT), FLUSH CACHE (EXT), DATA SET MANAGEMENT, SET FEATURES, READ NATIVE
 * MAX ADDRESS), the ATA/ATAPI-6 register protocol (device select, HOB, nIEN, SRST) and
 * SFF-8038i bus-master DMA. Effects are checked in the drive's image.
 */
import { describe, expect, it } from 'vitest';
import {
  ATA_ABORTED,
  ATA_DRDY,
  ATA_DRQ,
  ATA_ERR,
  ATA_HOB,
  ATA_IDNF,
  ATA_NIEN,
  ATA_REG_DEVICE,
  ATA_REG_ERROR,
  ATA_REG_LBAH,
  ATA_REG_LBAL,
  ATA_REG_LBAM,
  ATA_REG_NSECT,
  ATA_REG_STATUS,
  ATA_SRST,
  BMDMA_CMD_START,
  BMDMA_CMD_WRITE_MEM,
  BMDMA_STATUS_ACTIVE,
  BMDMA_STATUS_ERROR,
  BMDMA_STATUS_INTR,
  ataIdString,
  encodeTrimEntry,
} from '../../src/abi/ata.js';
import { PCI_COMMAND_MASTER } from '../../src/abi/pci.js';
import { bootAtaMachine, driveImage, pattern } from './machine.js';
import { IdeQtest } from './qtest.js';

const OK = 0x50;

function disk(extraDevice = '', size = '64M') {
  const m = bootAtaMachine({ drives: [`if=none,id=d0,size=${size}`], devices: [`ide-hd,drive=d0,bus=ide.0,unit=0${extraDevice}`] });
  return { m, q: new IdeQtest(m), img: driveImage(m, 'd0') };
}

describe('piix3-ide on the pc board', () => {
  it('is always at 00:01.1 as 8086:7010, class 0x010180, with BAR4 bus-master I/O and no INTx pin', () => {
    const m = bootAtaMachine({});
    const fn = m.firmware!.handoff.pci.find((f) => f.slot === 1 && f.fn === 1)!;
    expect([fn.vendor, fn.device, fn.classCode, fn.irqPin]).toEqual([0x8086, 0x7010, 0x010180, 0]);
    expect(fn.bars).toEqual([expect.objectContaining({ index: 4, kind: 'io', size: 16 })]);
    // Without drives both channels read as empty: every register is 0, so probes find nothing.
    expect([m.cpuBus.in(0x1f7, 1), m.cpuBus.in(0x1f2, 1), m.cpuBus.in(0x177, 1), m.cpuBus.in(0x3f6, 1)]).toEqual([0, 0, 0, 0]);
  });

  it('-drive if=ide attaches by index (bus = index / 2, unit = index % 2) before any -device', () => {
    const m = bootAtaMachine({ drives: ['if=ide,index=2,size=8M', 'if=none,id=x,size=4M'], devices: ['ide-hd,drive=x'] });
    expect(m.ide.channels[1].drive(0)?.serial).toBe('QM00001');
    expect(m.ide.channels[0].drive(0)?.serial).toBe('QM00002');
  });

  it('refuses what QEMU refuses: a taken unit, a missing drive, an unknown bus, a read-only drive', () => {
    const build = (drives: string[], devices: string[]) => () => bootAtaMachine({ drives, devices });
    expect(build(['if=none,id=a,size=1M', 'if=none,id=b,size=1M'], ['ide-hd,drive=a,bus=ide.0,unit=0', 'ide-hd,drive=b,bus=ide.0,unit=0'])).toThrow('IDE unit 0 is in use');
    expect(build([], ['ide-hd,bus=ide.0'])).toThrow('No drive specified');
    expect(build(['if=none,id=a,size=1M'], ['ide-hd,drive=a,bus=ide.7'])).toThrow("Bus 'ide.7' not found");
    expect(build(['if=none,id=a,size=1M,readonly=on'], ['ide-hd,drive=a'])).toThrow("Can't use a read-only drive");
    expect(build(['if=none,id=a,size=1M'], ['ide-hd,drive=a,bus=ide.0,unit=2'])).toThrow("Can't create IDE unit 2, bus supports only 2 units");
  });
});

describe('ATA8-ACS 7.16 IDENTIFY DEVICE', () => {
  it('reports QEMU HARDDISK, serial QM00001, firmware 2.5+, LBA28 and LBA48 capacities, DMA, LBA48, FLUSH CACHE EXT and TRIM', () => {
    const { q } = disk('', '200G');
    const id = q.identify();
    expect(ataIdString(id, 27, 40)).toBe('QEMU HARDDISK');
    expect(ataIdString(id, 10, 20)).toBe('QM00001');
    expect(ataIdString(id, 23, 8)).toBe('2.5+');
    const sectors = (200 * 2 ** 30) / 512;
    expect(id[60]! | (id[61]! << 16)).toBe(0x0fff_ffff);
    expect(id[100]! + id[101]! * 2 ** 16 + id[102]! * 2 ** 32).toBe(sectors);
    expect(id[49]! & 0x300).toBe(0x300);
    expect(id[83]! & 0x3400).toBe(0x3400);
    expect(id[169]! & 1).toBe(1);
    expect(id[85]! & 0x20).toBe(0x20);
    expect(id[88]).toBe(0x3f | (1 << 13));
  });

  it('clears word 169 bit 0 when TRIM is off (discard_granularity=0) and honours serial/model/ver', () => {
    const { q } = disk(',discard_granularity=0,serial=ABC,model=Disk X,ver=9.9');
    const id = q.identify();
    expect(id[169]! & 1).toBe(0);
    expect([ataIdString(id, 10, 20), ataIdString(id, 27, 40), ataIdString(id, 23, 8)]).toEqual(['ABC', 'Disk X', '9.9']);
  });

  it('IDENTIFY PACKET DEVICE and unknown opcodes end with ERR and ABRT and interrupt', () => {
    const { q } = disk();
    for (const op of [0xa1, 0xff, 0x08, 0x60]) {
      q.out(ATA_REG_DEVICE, 0xa0);
      q.out(7, op);
      expect(q.irq).toBe(true);
      expect(q.in(ATA_REG_STATUS)).toBe(ATA_DRDY | ATA_ERR);
      expect(q.in(ATA_REG_ERROR)).toBe(ATA_ABORTED);
      expect(q.irq).toBe(false);
    }
  });
});

describe('PIO data transfers (ATA8-ACS 7.36 READ SECTORS, 7.67 WRITE SECTORS, 7.30 READ MULTIPLE)', () => {
  it('READ SECTORS (LBA28) delivers one sector per DRQ block, each with an interrupt', () => {
    const { q, img } = disk();
    img.write(1000, pattern(3, 4));
    q.lba28(0x20, 1000, 3);
    expect(q.waitNotBusy() & ATA_DRQ).toBe(ATA_DRQ);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      expect(q.irq).toBe(true);
      q.in(ATA_REG_STATUS);
      got.push(q.readPio());
    }
    expect(q.drq()).toBe(false);
    expect(q.alt()).toBe(OK);
    expect(Buffer.concat(got)).toEqual(Buffer.from(pattern(3, 4)));
  });

  it('WRITE SECTORS EXT (LBA48) lands in the image; the last block ends with an interrupt', () => {
    const { q, img } = disk('', '200G');
    const lba = 2 ** 28 + 5;
    q.lba48(0x34, lba, 2);
    expect(q.drq()).toBe(true);
    expect(q.irq).toBe(false);
    q.writePio(pattern(1, 7));
    expect(q.irq).toBe(true);
    q.in(ATA_REG_STATUS);
    q.writePio(pattern(2, 7).subarray(512));
    q.waitNotBusy();
    expect(q.irq).toBe(true);
    expect(q.in(ATA_REG_STATUS)).toBe(OK);
    expect(img.read(lba, 2)).toEqual(pattern(2, 7));
  });

  it('SET MULTIPLE MODE then READ MULTIPLE moves four sectors per DRQ block; READ MULTIPLE without it aborts', () => {
    const { q, img } = disk();
    img.write(8, pattern(8, 2));
    q.lba28(0xc4, 8, 8);
    q.waitNotBusy();
    expect(q.in(ATA_REG_STATUS) & ATA_ERR).toBe(ATA_ERR);
    q.lba28(0xc6, 0, 4);
    expect(q.in(ATA_REG_STATUS)).toBe(OK);
    expect(q.identify()[59]).toBe(0x104);
    q.lba28(0xc4, 8, 8);
    q.waitNotBusy();
    q.in(ATA_REG_STATUS);
    const a = q.readPio(4);
    q.in(ATA_REG_STATUS);
    const b = q.readPio(4);
    expect(Buffer.concat([a, b])).toEqual(Buffer.from(pattern(8, 2)));
  });

  it('a range past the end of the medium is IDNF', () => {
    const { q } = disk('', '1M');
    q.lba28(0x20, 2047, 2);
    q.waitNotBusy();
    expect(q.in(ATA_REG_STATUS)).toBe(ATA_DRDY | ATA_ERR);
    expect(q.in(ATA_REG_ERROR)).toBe(ATA_IDNF);
  });
});

describe('SFF-8038i bus-master DMA (READ DMA, WRITE DMA EXT, DATA SET MANAGEMENT)', () => {
  it('READ DMA scatters the sectors over the PRD table; Active clears and Interrupt sets when the table is used up', () => {
    const { q, img, m } = disk();
    img.write(64, pattern(4, 9));
    const bufs = q.prdTable([1024, 512, 512]);
    q.bmClear();
    q.bmCmd(BMDMA_CMD_WRITE_MEM);
    q.lba28(0xc8, 64, 4);
    expect(q.alt() & ATA_DRQ).toBe(ATA_DRQ);
    q.bmCmd(BMDMA_CMD_WRITE_MEM | BMDMA_CMD_START);
    expect(q.bmStatus() & BMDMA_STATUS_ACTIVE).toBe(BMDMA_STATUS_ACTIVE);
    q.run();
    expect(q.bmStatus() & (BMDMA_STATUS_ACTIVE | BMDMA_STATUS_INTR)).toBe(BMDMA_STATUS_INTR);
    expect(q.irq).toBe(true);
    q.bmCmd(0);
    expect(q.in(ATA_REG_STATUS)).toBe(OK);
    const got = Buffer.concat([m.mem.readBytes(bufs[0]!, 1024), m.mem.readBytes(bufs[1]!, 512), m.mem.readBytes(bufs[2]!, 512)]);
    expect(got).toEqual(Buffer.from(pattern(4, 9)));
  });

  it('WRITE DMA EXT gathers from the PRDs into the image; a longer table leaves Active set beside Interrupt', () => {
    const { q, img, m } = disk();
    const bufs = q.prdTable([2048, 4096]);
    m.mem.writeBytes(bufs[0]!, pattern(4, 3));
    q.bmClear();
    q.lba48(0x35, 300, 4);
    q.bmCmd(BMDMA_CMD_START);
    q.run();
    expect(q.bmStatus() & (BMDMA_STATUS_ACTIVE | BMDMA_STATUS_INTR)).toBe(BMDMA_STATUS_ACTIVE | BMDMA_STATUS_INTR);
    expect(img.read(300, 4)).toEqual(pattern(4, 3));
  });

  it('a PRD table shorter than the transfer stops it with Active and Interrupt clear and no INTRQ', () => {
    const { q } = disk();
    q.prdTable([512]);
    q.bmClear();
    q.bmCmd(BMDMA_CMD_WRITE_MEM);
    q.lba28(0xc8, 0, 4);
    q.bmCmd(BMDMA_CMD_WRITE_MEM | BMDMA_CMD_START);
    q.run();
    expect(q.bmStatus() & (BMDMA_STATUS_ACTIVE | BMDMA_STATUS_INTR)).toBe(0);
    expect(q.irq).toBe(false);
    expect(q.alt()).toBe(OK);
  });

  it('without bus mastering the engine reports an error and the command aborts', () => {
    const { q } = disk();
    q.cfg.clearCommand(PCI_COMMAND_MASTER);
    q.prdTable([512]);
    q.bmClear();
    q.bmCmd(BMDMA_CMD_WRITE_MEM);
    q.lba28(0xc8, 0, 1);
    q.bmCmd(BMDMA_CMD_WRITE_MEM | BMDMA_CMD_START);
    q.run();
    expect(q.bmStatus() & BMDMA_STATUS_ERROR).toBe(BMDMA_STATUS_ERROR);
    expect(q.in(ATA_REG_ERROR)).toBe(ATA_ABORTED);
  });

  it('DATA SET MANAGEMENT with TRIM discards every range in the image; without the TRIM bit it aborts', () => {
    const { q, img } = disk();
    img.write(0, pattern(600, 1));
    const bufs = q.prdTable([512]);
    const block = new Uint8Array(512);
    encodeTrimEntry(block, 0, 10, 20);
    encodeTrimEntry(block, 8, 200, 300);
    q.m.mem.writeBytes(bufs[0]!, block);
    q.bmClear();
    q.lba48(0x06, 0, 1, 1);
    q.bmCmd(BMDMA_CMD_START);
    q.run();
    expect(q.in(ATA_REG_STATUS)).toBe(OK);
    expect(img.stats()).toMatchObject({ discards: 2, discardedSectors: 320 });
    expect(img.read(10, 20).every((b) => b === 0)).toBe(true);
    expect(img.read(9, 1)).toEqual(pattern(600, 1).subarray(9 * 512, 10 * 512));
    q.lba48(0x06, 0, 1, 0);
    expect(q.in(ATA_REG_ERROR)).toBe(ATA_ABORTED);
  });
});

describe('non-data commands (FLUSH CACHE EXT, SET FEATURES, READ NATIVE MAX ADDRESS EXT)', () => {
  it('FLUSH CACHE EXT reaches the image as a flush and completes with an interrupt', () => {
    const { q, img } = disk();
    q.lba28(0xea, 0, 0);
    q.waitNotBusy();
    expect(q.irq).toBe(true);
    expect(q.in(ATA_REG_STATUS)).toBe(OK);
    expect(img.stats().flushes).toBe(1);
  });

  it('SET FEATURES 82h turns the write cache off (IDENTIFY word 85 bit 5 clears) and writes through; 02h turns it back on', () => {
    const { q, img } = disk();
    q.lba28(0xef, 0, 0, 0x82);
    expect(q.identify()[85]! & 0x20).toBe(0);
    const flushes = img.stats().flushes;
    q.lba28(0x30, 0, 1);
    q.writePio(pattern(1));
    q.waitNotBusy();
    expect(img.stats().flushes).toBeGreaterThan(flushes);
    q.lba28(0xef, 0, 0, 0x02);
    expect(q.identify()[85]! & 0x20).toBe(0x20);
    q.lba28(0xef, 0, 0, 0x99);
    expect(q.in(ATA_REG_ERROR)).toBe(ATA_ABORTED);
  });

  it('READ NATIVE MAX ADDRESS EXT returns the last LBA, readable in both halves through HOB', () => {
    const { q } = disk('', '200G');
    const last = (200 * 2 ** 30) / 512 - 1;
    q.lba48(0x27, 0, 0);
    q.in(ATA_REG_STATUS);
    const low = q.in(ATA_REG_LBAL) | (q.in(ATA_REG_LBAM) << 8) | (q.in(ATA_REG_LBAH) << 16);
    q.devctl(ATA_HOB);
    const high = q.in(ATA_REG_LBAL) | (q.in(ATA_REG_LBAM) << 8) | (q.in(ATA_REG_LBAH) << 16);
    q.devctl(0);
    expect(high * 2 ** 24 + low).toBe(last);
  });
});

describe('ATA/ATAPI-6 register protocol: device selection, nIEN, software reset', () => {
  it('an absent device 1 reads status 0 and ignores commands, while its shadow registers hold what was written', () => {
    const { q } = disk();
    q.out(ATA_REG_DEVICE, 0xb0);
    q.out(ATA_REG_NSECT, 0x55);
    expect(q.in(ATA_REG_NSECT)).toBe(0x55);
    expect(q.alt()).toBe(0);
    q.out(7, 0xec);
    expect(q.irq).toBe(false);
    expect(q.alt()).toBe(0);
  });

  it('nIEN keeps INTRQ low; Status clears a pending interrupt and Alternate Status does not', () => {
    const { q } = disk();
    q.devctl(ATA_NIEN);
    q.lba28(0xea, 0, 0);
    q.waitNotBusy();
    expect(q.irq).toBe(false);
    q.devctl(0);
    expect(q.irq).toBe(true);
    q.alt();
    expect(q.irq).toBe(true);
    q.in(ATA_REG_STATUS);
    expect(q.irq).toBe(false);
  });

  it('SRST holds BSY, then leaves the ATA signature (count 1, LBA 1, 00h/00h) and diagnostic code 01h', () => {
    const { q } = disk();
    q.lba28(0x20, 0, 2);
    q.waitNotBusy();
    q.devctl(ATA_SRST);
    expect(q.alt() & 0x80).toBe(0x80);
    q.devctl(0);
    expect(q.alt()).toBe(OK);
    expect([q.in(ATA_REG_NSECT), q.in(ATA_REG_LBAL), q.in(ATA_REG_LBAM), q.in(ATA_REG_LBAH), q.in(ATA_REG_ERROR)]).toEqual([1, 1, 0, 0, 1]);
    expect(q.drq()).toBe(false);
  });
});
