/**
 * A qtest-style driver for ich9-ahci (libqos' ahci.c in spirit): ABAR accesses through the
 * CPU bus, command lists, received-FIS areas, command tables and PRDs laid out by hand in
 * guest RAM, and the interrupt the HBA raises.
 */
import {
  AHCI_CMD_HDR_CTBA,
  AHCI_CMD_HDR_PRDBC,
  AHCI_CMD_TBL_PRDT,
  AHCI_CMD_WRITE,
  AHCI_PRD_INTR,
  FIS_H2D,
  FIS_H2D_CMD,
  FIS_TYPE_REG_H2D,
  PORT_CMD,
  PORT_CMD_FIS_RX,
  PORT_CMD_ISSUE,
  PORT_CMD_START,
  PORT_FIS_ADDR,
  PORT_IRQ_MASK,
  PORT_LST_ADDR,
  ahciPortOffset,
} from '../../src/abi/ahci.js';
import { PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from '../../src/abi/pci.js';
import type { HandoffPciFunction } from '../../src/abi/handoff.js';
import { GuestPciConfig } from '../../src/guest/drivers/pci/config.js';
import type { Machine } from '../../src/machine/machine.js';

/** Guest RAM the test uses: per port 64 KiB (list, FIS area, table), data buffers above. */
export const AHCI_TEST_RAM = 0x40_0000;
/** Data buffers. */
export const AHCI_TEST_DATA = 0x80_0000;

/** A command as the test issues it. */
export interface TestCommand {
  /** ATA opcode. */
  command: number;
  /** LBA (48-bit). */
  lba?: number;
  /** Count (16-bit). */
  count?: number;
  /** Features. */
  features?: number;
  /** Device register (default 0x40, LBA). */
  device?: number;
  /** Data-out. */
  write?: boolean;
  /** PRD byte counts (buffers laid out from AHCI_TEST_DATA). */
  prds?: number[];
  /** Set the I bit on the last PRD. */
  prdIntr?: boolean;
  /** Clear the C bit: a device control FIS with this control byte. */
  control?: number;
  /** Header flags beyond W (reset, clear busy). */
  flags?: number;
  /** Command table address override (to point it somewhere bad). */
  table?: number;
}

/** The HBA as a test drives it. */
export class AhciQtest {
  /** ABAR. */
  readonly abar: number;
  /** Config space. */
  readonly cfg: GuestPciConfig;
  /** The function. */
  readonly fn: HandoffPciFunction;

  constructor(readonly m: Machine) {
    this.fn = m.firmware!.handoff.pci.find((f) => f.device === 0x2922)!;
    this.cfg = new GuestPciConfig(m.cpuBus, m.firmware!.handoff.pciRoots, this.fn);
    this.cfg.setCommand(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    this.abar = this.fn.bars.find((b) => b.index === 5)!.base;
  }

  /** Generic host register read. */
  hba(reg: number): number {
    return this.m.cpuBus.load(this.abar + reg, 4) >>> 0;
  }

  /** Generic host register write. */
  setHba(reg: number, v: number): void {
    this.m.cpuBus.store(this.abar + reg, 4, v >>> 0);
  }

  /** Port register read. */
  port(p: number, reg: number): number {
    return this.m.cpuBus.load(this.abar + ahciPortOffset(p) + reg, 4) >>> 0;
  }

  /** Port register write. */
  setPort(p: number, reg: number, v: number): void {
    this.m.cpuBus.store(this.abar + ahciPortOffset(p) + reg, 4, v >>> 0);
  }

  /** Command list of port p. */
  clb(p: number): number {
    return AHCI_TEST_RAM + p * 0x1_0000;
  }

  /** Received-FIS area of port p. */
  fb(p: number): number {
    return this.clb(p) + 0x400;
  }

  /** Command table of port p, slot s. */
  table(p: number, s: number): number {
    return this.clb(p) + 0x1000 + s * 0x400;
  }

  /** Programs CLB/FB, FIS receive, interrupts and ST (as a driver's port start). */
  startPort(p: number, ie = 0xffff_ffff): void {
    this.setPort(p, PORT_LST_ADDR, this.clb(p));
    this.setPort(p, PORT_FIS_ADDR, this.fb(p));
    this.setPort(p, PORT_IRQ_MASK, ie);
    this.setPort(p, PORT_CMD, this.port(p, PORT_CMD) | PORT_CMD_FIS_RX);
    this.setPort(p, PORT_CMD, this.port(p, PORT_CMD) | PORT_CMD_START);
  }

  /** Writes header, table and PRDs for slot `s` and sets its CI bit. */
  issue(p: number, s: number, c: TestCommand): void {
    const mem = this.m.mem;
    const tbl = c.table ?? this.table(p, s);
    const fis = new Uint8Array(64);
    fis[0] = FIS_TYPE_REG_H2D;
    fis[1] = c.control === undefined ? FIS_H2D_CMD : 0;
    fis[FIS_H2D.command] = c.command;
    const lba = c.lba ?? 0;
    fis[FIS_H2D.features] = (c.features ?? 0) & 0xff;
    fis[FIS_H2D.featuresExp] = ((c.features ?? 0) >> 8) & 0xff;
    for (let i = 0; i < 3; i++) fis[FIS_H2D.lba0 + i] = Math.floor(lba / 2 ** (8 * i)) & 0xff;
    for (let i = 0; i < 3; i++) fis[FIS_H2D.lba3 + i] = Math.floor(lba / 2 ** (24 + 8 * i)) & 0xff;
    fis[FIS_H2D.device] = c.device ?? 0x40;
    fis[FIS_H2D.count] = (c.count ?? 0) & 0xff;
    fis[FIS_H2D.countExp] = ((c.count ?? 0) >> 8) & 0xff;
    fis[FIS_H2D.control] = c.control ?? 0;
    const prds = c.prds ?? [];
    if (c.table === undefined) {
      mem.writeBytes(tbl, fis);
      prds.forEach((len, i) => {
        const at = tbl + AHCI_CMD_TBL_PRDT + i * 16;
        mem.write(at, 4, this.buffer(i));
        mem.write(at + 4, 4, 0);
        mem.write(at + 8, 4, 0);
        mem.write(at + 12, 4, ((len - 1) | (c.prdIntr && i === prds.length - 1 ? AHCI_PRD_INTR : 0)) >>> 0);
      });
    }
    const hdr = this.clb(p) + s * 32;
    mem.write(hdr, 4, (5 | (c.write ? AHCI_CMD_WRITE : 0) | (c.flags ?? 0) | (prds.length << 16)) >>> 0);
    mem.write(hdr + AHCI_CMD_HDR_PRDBC, 4, 0xdead);
    mem.write(hdr + AHCI_CMD_HDR_CTBA, 4, tbl % 2 ** 32);
    mem.write(hdr + AHCI_CMD_HDR_CTBA + 4, 4, Math.floor(tbl / 2 ** 32));
    this.setPort(p, PORT_CMD_ISSUE, 1 << s);
  }

  /** Address of data buffer i. */
  buffer(i: number): number {
    return AHCI_TEST_DATA + i * 0x1_0000;
  }

  /** PRDBC of a slot's header. */
  prdbc(p: number, s: number): number {
    return this.m.mem.read(this.clb(p) + s * 32 + AHCI_CMD_HDR_PRDBC, 4);
  }

  /** Runs the machine `ns`. */
  run(ns = 1e6): void {
    this.m.runUntilIdle(this.m.sched.now() + ns);
  }
}
