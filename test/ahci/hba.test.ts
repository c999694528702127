/**
 * ich9-ahci driven through its registers and in-memory structures, named after the
 * sections of Serial ATA AHCI 1.3 they check: HBA capabilities and GHC (§3.1), port
 * registers (§3.3), command list and table processing (§4.2, §5.5), received FIS (§4.2.1),
 * error handling (§6.1.2), software reset (§10.4.1) and interrupts (§10.7), plus the PCI
 * face QEMU gives the device.
 */
import { describe, expect, it } from 'vitest';
import {
  AHCI_CMD_CLR_BUSY,
  AHCI_CMD_RESET,
  FIS_D2H,
  HOST_CAP,
  HOST_CTL,
  HOST_CTL_AHCI_EN,
  HOST_CTL_IRQ_EN,
  HOST_CTL_RESET,
  HOST_IRQ_STAT,
  HOST_PORTS_IMPL,
  HOST_VERSION,
  PCI_CAP_ID_SATA,
  PORT_CMD,
  PORT_CMD_FIS_ON,
  PORT_CMD_ISSUE,
  PORT_CMD_LIST_ON,
  PORT_CMD_START,
  PORT_IRQ_D2H_REG_FIS,
  PORT_IRQ_HBUS_ERR,
  PORT_IRQ_OVERFLOW,
  PORT_IRQ_SG_DONE,
  PORT_IRQ_STAT,
  PORT_IRQ_TF_ERR,
  PORT_LST_ADDR,
  PORT_SCR_CTL,
  PORT_SCR_STAT,
  PORT_SIG,
  PORT_TFDATA,
  RX_FIS_D2H_REG,
} from '../../src/abi/ahci.js';
import { ATA_ABORTED, ATA_SRST, encodeTrimEntry } from '../../src/abi/ata.js';
import { PCI_CAP_ID_MSI, PCI_STATUS, PCI_STATUS_INTERRUPT } from '../../src/abi/pci.js';
import { PCI_MSI_ADDRESS_LO, PCI_MSI_DATA_64, PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_ENABLE } from '../../src/abi/pci-msi.js';
import { bootAtaMachine, driveImage, pattern } from '../ide/machine.js';
import { AhciQtest } from './qtest.js';

function hba(size = '64M') {
  const m = bootAtaMachine({ drives: [`if=none,id=d0,size=${size}`], devices: ['ich9-ahci,id=ahci,addr=4', 'ide-hd,drive=d0,bus=ahci.0'] });
  return { m, q: new AhciQtest(m), img: driveImage(m, 'd0') };
}

describe('ich9-ahci PCI function', () => {
  it('is 8086:2922 revision 2, class 0x010601, INTA, MSI at 0x80, SATA capability at 0xa8, ABAR in BAR5 (4 KiB) and the index/data pair in BAR4', () => {
    const { q } = hba();
    expect([q.fn.vendor, q.fn.device, q.fn.revision, q.fn.classCode, q.fn.irqPin]).toEqual([0x8086, 0x2922, 2, 0x010601, 1]);
    expect(q.cfg.capabilities()).toEqual([
      { id: PCI_CAP_ID_MSI, offset: 0x80 },
      { id: PCI_CAP_ID_SATA, offset: 0xa8 },
    ]);
    expect(q.fn.bars.map((b) => [b.index, b.kind, b.size])).toEqual([
      [4, 'io', 0x20],
      [5, 'mem32', 0x1000],
    ]);
    const idp = q.fn.bars[0]!.base;
    q.m.cpuBus.out(idp, 4, HOST_PORTS_IMPL);
    expect(q.m.cpuBus.in(idp + 4, 4)).toBe(0x3f);
  });

  it('takes one disk per port: a second one finds the bus full, and unit=1 does not exist', () => {
    const two = (second: string) => () =>
      bootAtaMachine({ drives: ['if=none,id=a,size=1M', 'if=none,id=b,size=1M'], devices: ['ich9-ahci,id=ahci', 'ide-hd,drive=a,bus=ahci.1', second] });
    expect(two('ide-hd,drive=b,bus=ahci.1')).toThrow("Bus 'ahci.1' is full");
    expect(two('ide-hd,drive=b,bus=ahci.2,unit=1')).toThrow("Can't create IDE unit 1, bus supports only 1 units");
  });

  it("an id-less controller names its buses ide.2 to ide.7, after the board's ide.0 and ide.1", () => {
    const m = bootAtaMachine({ drives: ['if=none,id=a,size=1M'], devices: ['ich9-ahci', 'ide-hd,drive=a,bus=ide.3'] });
    expect(new AhciQtest(m).port(1, PORT_SCR_STAT)).toBe(0x113);
  });
});

describe('AHCI 1.3 §3.1 generic host control', () => {
  it('§3.1.1 CAP: 64-bit, NCQ, AHCI only, Gen1, 32 slots, 6 ports; PI 0x3f; VS 1.0; GHC.AE reads 1', () => {
    const { q } = hba();
    expect(q.hba(HOST_CAP)).toBe(0xc0141f05);
    expect(q.hba(HOST_PORTS_IMPL)).toBe(0x3f);
    expect(q.hba(HOST_VERSION)).toBe(0x10000);
    q.setHba(HOST_CTL, 0);
    expect(q.hba(HOST_CTL)).toBe(HOST_CTL_AHCI_EN >>> 0);
  });

  it('§3.1.2 GHC.HR resets the ports and clears itself; PxSSTS and PxSIG report the disk again once FIS receive is on', () => {
    const { q } = hba();
    q.startPort(0);
    q.setHba(HOST_CTL, HOST_CTL_IRQ_EN);
    q.setHba(HOST_CTL, HOST_CTL_RESET);
    expect(q.hba(HOST_CTL)).toBe(HOST_CTL_AHCI_EN >>> 0);
    expect(q.port(0, PORT_CMD) & (PORT_CMD_START | PORT_CMD_FIS_ON)).toBe(0);
    expect(q.port(0, PORT_SIG)).toBe(0xffff_ffff);
    expect(q.port(0, PORT_SCR_STAT)).toBe(0x113);
    expect(q.port(1, PORT_SCR_STAT)).toBe(0);
    q.startPort(0);
    expect(q.port(0, PORT_SIG)).toBe(0x101);
    expect(q.port(0, PORT_TFDATA)).toBe(0x150);
  });
});

describe('AHCI 1.3 §3.3 port registers and §5.5 command processing', () => {
  it('§4.2.1: enabling FIS receive posts the signature D2H FIS in the received-FIS area and sets PxIS.DHRS', () => {
    const { q } = hba();
    q.startPort(0);
    const d2h = q.m.mem.readBytes(q.fb(0) + RX_FIS_D2H_REG, 20);
    expect([d2h[0], d2h[FIS_D2H.status], d2h[FIS_D2H.lba0], d2h[FIS_D2H.count]]).toEqual([0x34, 0x50, 1, 1]);
    expect(q.port(0, PORT_IRQ_STAT) & PORT_IRQ_D2H_REG_FIS).toBe(PORT_IRQ_D2H_REG_FIS);
    expect(q.port(0, PORT_CMD) & (PORT_CMD_FIS_ON | PORT_CMD_LIST_ON)).toBe(PORT_CMD_FIS_ON | PORT_CMD_LIST_ON);
  });

  it('§5.5: IDENTIFY DEVICE through slot 3 writes 512 bytes to the PRD, PRDBC 512, a D2H FIS, clears PxCI bit 3', () => {
    const { q } = hba();
    q.startPort(0);
    q.setPort(0, PORT_IRQ_STAT, 0xffff_ffff);
    q.issue(0, 3, { command: 0xec, device: 0, prds: [512] });
    q.run();
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(0);
    expect(q.prdbc(0, 3)).toBe(512);
    const id = q.m.mem.readBytes(q.buffer(0), 512);
    expect(new TextDecoder().decode(id.subarray(54, 94)).replace(/(.)(.)/g, '$2$1').trim()).toBe('QEMU HARDDISK');
    expect(q.port(0, PORT_TFDATA)).toBe(0x50);
    expect(q.port(0, PORT_IRQ_STAT) & PORT_IRQ_D2H_REG_FIS).toBe(PORT_IRQ_D2H_REG_FIS);
  });

  it('WRITE DMA EXT and READ DMA EXT move data between the image and PRDs of uneven sizes; a flagged PRD sets PxIS.DPS', () => {
    const { q, img, m } = hba();
    q.startPort(0);
    m.mem.writeBytes(q.buffer(0), pattern(3, 5).subarray(0, 1000));
    m.mem.writeBytes(q.buffer(1), pattern(3, 5).subarray(1000));
    q.issue(0, 0, { command: 0x35, lba: 5000, count: 3, write: true, prds: [1000, 536] });
    q.run();
    expect(img.read(5000, 3)).toEqual(pattern(3, 5));
    img.write(7000, pattern(2, 6));
    q.setPort(0, PORT_IRQ_STAT, 0xffff_ffff);
    q.issue(0, 0, { command: 0x25, lba: 7000, count: 2, prds: [1024], prdIntr: true });
    q.run();
    expect(m.mem.readBytes(q.buffer(0), 1024)).toEqual(pattern(2, 6));
    expect(q.port(0, PORT_IRQ_STAT) & PORT_IRQ_SG_DONE).toBe(PORT_IRQ_SG_DONE);
    expect(q.prdbc(0, 0)).toBe(1024);
  });

  it('slots issued together run lowest first, each clearing its PxCI bit', () => {
    const { q, img } = hba();
    q.startPort(0);
    img.write(0, pattern(1, 1));
    q.issue(0, 1, { command: 0xea });
    q.issue(0, 0, { command: 0x25, lba: 0, count: 1, prds: [512] });
    q.run();
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(0);
    expect(img.stats().flushes).toBe(1);
  });

  it('DATA SET MANAGEMENT/TRIM through a PRD discards the ranges in the image', () => {
    const { q, img, m } = hba();
    q.startPort(0);
    const block = new Uint8Array(512);
    encodeTrimEntry(block, 0, 100, 8);
    m.mem.writeBytes(q.buffer(0), block);
    q.issue(0, 0, { command: 0x06, features: 1, count: 1, write: true, prds: [512] });
    q.run();
    expect(q.port(0, PORT_TFDATA)).toBe(0x50);
    expect(img.stats()).toMatchObject({ discards: 1, discardedSectors: 8 });
  });
});

describe('AHCI 1.3 §6.1.2 error handling', () => {
  it('a task file error (unknown command) sets PxIS.TFES, PxTFD ERR|ABRT, leaves PxCI set and stops the engine until ST is cleared', () => {
    const { q } = hba();
    q.startPort(0);
    q.issue(0, 0, { command: 0xff });
    q.run();
    expect(q.port(0, PORT_IRQ_STAT) & PORT_IRQ_TF_ERR).toBe(PORT_IRQ_TF_ERR);
    expect(q.port(0, PORT_TFDATA)).toBe((ATA_ABORTED << 8) | 0x41);
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(1);
    q.issue(0, 1, { command: 0xea });
    q.run();
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(3);
    // Recovery as software does it: ST off (clears PxCI), errors cleared, ST on.
    q.setPort(0, PORT_CMD, q.port(0, PORT_CMD) & ~PORT_CMD_START);
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(0);
    q.setPort(0, PORT_IRQ_STAT, 0xffff_ffff);
    q.setPort(0, PORT_CMD, q.port(0, PORT_CMD) | PORT_CMD_START);
    q.issue(0, 0, { command: 0xea });
    q.run();
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(0);
    expect(q.port(0, PORT_TFDATA) & 0xff).toBe(0x50);
  });

  it('a command table outside RAM is a host bus fatal error (PxIS.HBFS), not a crash', () => {
    const { q } = hba();
    q.startPort(0);
    q.issue(0, 0, { command: 0xec, table: 0xfebf_0000 });
    q.run();
    expect(q.port(0, PORT_IRQ_STAT) & PORT_IRQ_HBUS_ERR).toBe(PORT_IRQ_HBUS_ERR);
  });

  it('PRDs too small for the data are an overflow (PxIS.OFS)', () => {
    const { q } = hba();
    q.startPort(0);
    q.issue(0, 0, { command: 0x25, lba: 0, count: 4, prds: [512] });
    q.run();
    expect(q.port(0, PORT_IRQ_STAT) & PORT_IRQ_OVERFLOW).toBe(PORT_IRQ_OVERFLOW);
    expect(q.prdbc(0, 0)).toBe(512);
  });
});

describe('AHCI 1.3 §10.4 resets', () => {
  it('§10.4.1 software reset: an SRST FIS (reset + clear busy) then a cleared one brings the signature back', () => {
    const { q } = hba();
    q.startPort(0);
    q.m.mem.fillBytes(q.fb(0), 256, 0);
    q.issue(0, 0, { command: 0, control: ATA_SRST, flags: AHCI_CMD_RESET | AHCI_CMD_CLR_BUSY });
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(0);
    expect(q.port(0, PORT_TFDATA) & 0x80).toBe(0x80);
    q.issue(0, 1, { command: 0, control: 0 });
    expect(q.port(0, PORT_CMD_ISSUE)).toBe(0);
    expect(q.port(0, PORT_TFDATA)).toBe(0x150);
    expect(q.m.mem.read(q.fb(0) + RX_FIS_D2H_REG + FIS_D2H.lba0, 1)).toBe(1);
  });

  it('§10.4.2 COMRESET through PxSCTL.DET: link down while held, signature FIS when released', () => {
    const { q } = hba();
    q.startPort(0);
    q.setPort(0, PORT_SCR_CTL, 1);
    expect(q.port(0, PORT_SCR_STAT) & 0xf).toBe(1);
    q.setPort(0, PORT_SCR_CTL, 0);
    expect(q.port(0, PORT_SCR_STAT)).toBe(0x113);
    expect(q.port(0, PORT_SIG)).toBe(0x101);
    expect(q.port(0, PORT_LST_ADDR)).toBe(q.clb(0));
  });
});

describe('AHCI 1.3 §10.7 interrupts', () => {
  it('INTx follows IS with GHC.IE; writing IS while the port is still pending keeps it set', () => {
    const { q } = hba();
    q.startPort(0);
    expect(q.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
    q.setHba(HOST_CTL, HOST_CTL_IRQ_EN);
    expect(q.hba(HOST_IRQ_STAT)).toBe(1);
    expect(q.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(PCI_STATUS_INTERRUPT);
    q.setHba(HOST_IRQ_STAT, 1);
    expect(q.hba(HOST_IRQ_STAT)).toBe(1);
    q.setPort(0, PORT_IRQ_STAT, 0xffff_ffff);
    q.setHba(HOST_IRQ_STAT, 1);
    expect(q.hba(HOST_IRQ_STAT)).toBe(0);
    expect(q.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
  });

  it('with MSI enabled a completion is a message to the programmed vector and INTx stays low', () => {
    const { q, m } = hba();
    const cap = 0x80;
    expect(q.cfg.read(cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_64BIT).toBe(PCI_MSI_FLAGS_64BIT);
    q.cfg.write(cap + PCI_MSI_ADDRESS_LO, 4, 0xfee0_0000);
    q.cfg.write(cap + PCI_MSI_DATA_64, 2, 0x61);
    q.cfg.write(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
    q.startPort(0);
    q.setPort(0, PORT_IRQ_STAT, 0xffff_ffff);
    q.setHba(HOST_IRQ_STAT, 0xffff_ffff);
    q.setHba(HOST_CTL, HOST_CTL_IRQ_EN);
    const before = m.irq.delivered.get(0x61) ?? 0;
    q.issue(0, 0, { command: 0xea });
    q.run();
    expect(m.irq.delivered.get(0x61)).toBe(before + 1);
    expect(q.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
  });
});
