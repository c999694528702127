/**
 * The guest's ata_piix driver against piix3-ide and ide-hd in a booted machine: libata's
 * probe (SRST, signature classification, IDENTIFY DEVICE, SET FEATURES transfer mode),
 * disks presented as SCSI hosts with Linux's sysfs hierarchy, SCSI commands translated to
 * ATA (SAT-3 as libata implements it) by DMA and by PIO, and the effects in the image.
 */
import { describe, expect, it } from 'vitest';
import { ataPiixControllers, createAtaPiixDriver } from '../../src/guest/drivers/ata-piix/index.js';
import { scsiAddHost, scsiHosts } from '../../src/guest/drivers/scsi/index.js';
import type { ScsiResult } from '../../src/guest/drivers/scsi/types.js';
import type { AtaRig } from './machine.js';
import { bootAtaRig, pattern, sameBytes } from './machine.js';

const ATA1 = '/devices/pci0000:00/0000:00:01.1/ata1';
const ATA2 = '/devices/pci0000:00/0000:00:01.1/ata2';

/** Sends a SCSI command from inside the guest (as SG_IO would) and runs until it ends. */
function sgio(rig: AtaRig, host: number, cdb: number[], direction: 'none' | 'from-device' | 'to-device', data?: Uint8Array): ScsiResult {
  let r: ScsiResult | undefined;
  scsiHosts(rig.os.kernel)[host]!.execute({ channel: 0, id: 0, lun: 0 }, Uint8Array.from(cdb), direction, data, (x) => (r = x), 0);
  for (let i = 0; i < 100 && !r; i++) rig.step();
  if (!r) throw new Error('command never completed');
  return r;
}

describe('ata_piix: probe and sysfs', () => {
  const rig = bootAtaRig({
    drives: ['if=none,id=m,size=64M', 'if=none,id=s,size=16M', 'if=ide,index=2,id=sec,size=8M'],
    devices: ['ide-hd,drive=m,bus=ide.0,unit=0', 'ide-hd,drive=s,bus=ide.0,unit=1'],
  });

  it('binds 00:01.1 and numbers the channels ata1 and ata2, each a SCSI host of proc_name ata_piix', () => {
    expect(rig.os.bound.get('0000:00:01.1')).toBe('ata_piix');
    expect(rig.exists('/bus/pci/drivers/ata_piix/0000:00:01.1')).toBe(true);
    expect(rig.sys(`${ATA1}/host0/scsi_host/host0/proc_name`)).toBe('ata_piix\n');
    expect(rig.sys(`${ATA2}/host1/scsi_host/host1/proc_name`)).toBe('ata_piix\n');
    expect(rig.sys('/class/ata_port/ata2/port_no')).toBe('2\n');
  });

  it('puts the master at target0:0:0, the slave at target0:0:1 and the secondary master under ata2/host1', () => {
    expect(rig.exists(`${ATA1}/host0/target0:0:0/0:0:0:0/block/sda`)).toBe(true);
    expect(rig.exists(`${ATA1}/host0/target0:0:1/0:0:1:0/block/sdb`)).toBe(true);
    expect(rig.exists(`${ATA2}/host1/target1:0:0/1:0:0:0/block/sdc`)).toBe(true);
    expect([rig.sys('/block/sda/size'), rig.sys('/block/sdb/size'), rig.sys('/block/sdc/size')]).toEqual(['131072\n', '32768\n', '16384\n']);
  });

  it('answers INQUIRY from IDENTIFY DEVICE data: vendor ATA, model QEMU HARDDISK, revision 2.5+', () => {
    expect(rig.sys('/block/sda/device/vendor').trim()).toBe('ATA');
    expect(rig.sys('/block/sda/device/model').trim()).toBe('QEMU HARDDISK');
    expect(rig.sys('/block/sda/device/rev').trim()).toBe('2.5+');
    expect(rig.lines).toContain('kernel: ata1.00: ATA: QEMU HARDDISK, 2.5+, max MWDMA2');
    expect(rig.lines).toContain('kernel: ata1.01: ATA: QEMU HARDDISK, 2.5+, max MWDMA2');
  });

  it('VPD page 80h carries the drive serial (QM00001 for the if=ide drive, created first)', () => {
    const buf = new Uint8Array(64);
    const r = sgio(rig, 1, [0x12, 1, 0x80, 0, 64, 0], 'from-device', buf);
    expect(r.status).toBe(0);
    expect(new TextDecoder().decode(buf.subarray(4, 24)).trim()).toBe('QM00001');
  });
});

describe('ata_piix: I/O through the SCSI translation (SAT-3) by bus-master DMA', () => {
  const rig = bootAtaRig({ io: true, drives: ['if=none,id=d0,size=200G'], devices: ['ide-hd,drive=d0,bus=ide.0'] });
  const img = rig.image('d0');

  it('writes land in the image and reads return it (READ/WRITE DMA for LBA28 ranges)', () => {
    expect(rig.io('sda', 'write', 2048, 16, pattern(16, 1))).toBeUndefined();
    expect(sameBytes(img.read(2048, 16), pattern(16, 1))).toBe(true);
    img.write(4096, pattern(8, 2));
    const buf = new Uint8Array(8 * 512);
    expect(rig.io('sda', 'read', 4096, 8, buf)).toBeUndefined();
    expect(sameBytes(buf, pattern(8, 2))).toBe(true);
    expect(rig.lines.some((l) => l.includes('WRITE DMA (0xca) lba 2048 count 16'))).toBe(true);
  });

  it('uses the EXT commands past LBA 2^28 and splits requests bigger than the 128 KiB bounce buffer', () => {
    const lba = 2 ** 28 + 8;
    expect(rig.io('sda', 'write', lba, 512, pattern(512, 3))).toBeUndefined();
    expect(sameBytes(img.read(lba, 512), pattern(512, 3))).toBe(true);
    const ext = rig.lines.filter((l) => l.includes('WRITE DMA EXT (0x35)'));
    expect(ext.length).toBeGreaterThanOrEqual(2);
  });

  it('a discard becomes DATA SET MANAGEMENT/TRIM and reaches the image as discards', () => {
    expect(rig.sys('/block/sda/queue/discard_max_bytes').trim()).not.toBe('0');
    const before = img.stats().discards;
    expect(rig.io('sda', 'discard', 2048, 16)).toBeUndefined();
    expect(img.stats().discards).toBe(before + 1);
    expect(img.read(2048, 16).every((b) => b === 0)).toBe(true);
  });

  it('a flush becomes FLUSH CACHE EXT and reaches the image', () => {
    const before = img.stats().flushes;
    expect(rig.io('sda', 'flush', 0, 0)).toBeUndefined();
    expect(img.stats().flushes).toBe(before + 1);
  });

  it('ATA PASS-THROUGH(16): a command the disk does not know ends in CHECK CONDITION whose sense carries the ATA status (ERR) and error (ABRT) registers', () => {
    const r = sgio(rig, 0, [0x85, 3 << 1, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xfe, 0], 'none');
    expect(r.status).toBe(2);
    expect([r.sense![2]! & 0xf, r.sense![12], r.sense![13]]).toEqual([0x0b, 0x00, 0x1d]);
    expect([r.sense![3], r.sense![4]! & 0x01]).toEqual([0x04, 0x01]);
    // The channel keeps working after the abort.
    expect(rig.io('sda', 'read', 0, 1, new Uint8Array(512))).toBeUndefined();
  });

  it('ATA PASS-THROUGH(16) PIO data-in runs IDENTIFY DEVICE and returns its 512 bytes', () => {
    const buf = new Uint8Array(512);
    const r = sgio(rig, 0, [0x85, 4 << 1, 0x0e, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xec, 0], 'from-device', buf);
    expect(r.status).toBe(0);
    expect(new TextDecoder().decode(buf.subarray(20, 40)).replace(/(.)(.)/g, '$2$1').trim()).toBe('QM00001');
  });
});

describe('ata_piix with libata.dma=0: PIO data transfers', () => {
  const rig = bootAtaRig({ io: true, drives: ['if=none,id=d0,size=64M'], devices: ['ide-hd,drive=d0'], drivers: [createAtaPiixDriver({ addHost: scsiAddHost, dma: false })] });
  const img = rig.image('d0');

  it('configures PIO4, moves data through the data register, and offers no discard (TRIM needs DMA)', () => {
    expect(rig.lines).toContain('kernel: ata1.00: configured for PIO4');
    expect(rig.io('sda', 'write', 100, 24, pattern(24, 5))).toBeUndefined();
    expect(sameBytes(img.read(100, 24), pattern(24, 5))).toBe(true);
    const buf = new Uint8Array(24 * 512);
    img.write(300, pattern(24, 6));
    expect(rig.io('sda', 'read', 300, 24, buf)).toBeUndefined();
    expect(sameBytes(buf, pattern(24, 6))).toBe(true);
    expect(rig.lines.some((l) => l.includes('WRITE SECTORS (0x30) lba 100 count 24'))).toBe(true);
    expect(rig.lines.some((l) => l.includes('READ SECTORS (0x20) lba 300 count 24'))).toBe(true);
    expect(rig.sys('/block/sda/queue/discard_max_bytes').trim()).toBe('0');
    const ctl = ataPiixControllers(rig.os.kernel)[0]!;
    expect(ctl.channels[0]!.dma).toBe(false);
    expect(ctl.channels[0]!.stats.interrupts).toBeGreaterThan(48);
  });
});

describe('determinism', () => {
  it('the same machine and the same I/O give the same trace, byte for byte', () => {
    const run = () => {
      const rig = bootAtaRig({ drives: ['if=none,id=d0,size=16M'], devices: ['ide-hd,drive=d0', 'ich9-ahci,id=ahci'] });
      rig.io('sda', 'write', 8, 16, pattern(16, 9));
      rig.io('sda', 'discard', 8, 8);
      return rig.m.trace.digest();
    };
    expect(run()).toBe(run());
  });
});
