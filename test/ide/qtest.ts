/**
 * A qtest-style driver for the PIIX IDE function: register accesses through the CPU bus
 * (legacy ports, BMDMA in BAR4, config space through 0xCF8/0xCFC), guest RAM for PRD tables
 * and buffers, and the GSI levels the channels drive. No guest kernel involved.
 */
import {
  ATA_BUSY,
  ATA_DRQ,
  ATA_PRIMARY_CMD,
  ATA_PRIMARY_CTL,
  ATA_PRIMARY_IRQ,
  ATA_REG_CMD,
  ATA_REG_DATA,
  ATA_REG_DEVICE,
  ATA_REG_FEATURE,
  ATA_REG_LBAH,
  ATA_REG_LBAL,
  ATA_REG_LBAM,
  ATA_REG_NSECT,
  ATA_REG_STATUS,
  ATA_SECTOR_SIZE,
  BMDMA_CMD,
  BMDMA_PRD_ADDR,
  BMDMA_STATUS,
  PRD_EOT,
} from '../../src/abi/ata.js';
import { PCI_COMMAND_IO, PCI_COMMAND_MASTER } from '../../src/abi/pci.js';
import { GuestPciConfig } from '../../src/guest/drivers/pci/config.js';
import type { Machine } from '../../src/machine/machine.js';

/** Where test buffers live in guest RAM (above firmware's hand-off, below the kernel area). */
export const TEST_RAM = 0x20_0000;

/** The primary channel of the board's IDE function, as a test drives it. */
export class IdeQtest {
  /** BMDMA base of the primary channel. */
  readonly bm: number;
  /** Config space of 00:01.1. */
  readonly cfg: GuestPciConfig;

  constructor(
    readonly m: Machine,
    readonly cmd = ATA_PRIMARY_CMD,
    readonly ctl = ATA_PRIMARY_CTL,
    readonly gsi = ATA_PRIMARY_IRQ,
  ) {
    const fn = m.firmware!.handoff.pci.find((f) => f.device === 0x7010)!;
    this.cfg = new GuestPciConfig(m.cpuBus, m.firmware!.handoff.pciRoots, fn);
    this.cfg.setCommand(PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    this.bm = fn.bars.find((b) => b.index === 4)!.base + (cmd === ATA_PRIMARY_CMD ? 0 : 8);
  }

  /** Writes a command block register. */
  out(reg: number, v: number): void {
    this.m.cpuBus.out(this.cmd + reg, 1, v);
  }

  /** Reads a command block register. */
  in(reg: number): number {
    return this.m.cpuBus.in(this.cmd + reg, 1);
  }

  /** Alternate Status. */
  alt(): number {
    return this.m.cpuBus.in(this.ctl, 1);
  }

  /** Device Control. */
  devctl(v: number): void {
    this.m.cpuBus.out(this.ctl, 1, v);
  }

  /** Whether the channel's GSI is asserted. */
  get irq(): boolean {
    return this.m.irq.level(this.gsi);
  }

  /** Writes an LBA28 taskfile (device 0 unless `dev`) and the command. */
  lba28(command: number, lba: number, count: number, features = 0, dev = 0): void {
    this.out(ATA_REG_DEVICE, 0xe0 | (dev << 4) | ((lba >>> 24) & 0xf));
    this.out(ATA_REG_FEATURE, features);
    this.out(ATA_REG_NSECT, count);
    this.out(ATA_REG_LBAL, lba & 0xff);
    this.out(ATA_REG_LBAM, (lba >>> 8) & 0xff);
    this.out(ATA_REG_LBAH, (lba >>> 16) & 0xff);
    this.out(ATA_REG_CMD, command);
  }

  /** Writes an LBA48 taskfile (previous bytes first) and the command. */
  lba48(command: number, lba: number, count: number, features = 0): void {
    this.out(ATA_REG_DEVICE, 0x40);
    this.out(ATA_REG_FEATURE, features >> 8);
    this.out(ATA_REG_NSECT, count >> 8);
    this.out(ATA_REG_LBAL, Math.floor(lba / 2 ** 24) & 0xff);
    this.out(ATA_REG_LBAM, Math.floor(lba / 2 ** 32) & 0xff);
    this.out(ATA_REG_LBAH, Math.floor(lba / 2 ** 40) & 0xff);
    this.out(ATA_REG_FEATURE, features & 0xff);
    this.out(ATA_REG_NSECT, count & 0xff);
    this.out(ATA_REG_LBAL, lba & 0xff);
    this.out(ATA_REG_LBAM, (lba >>> 8) & 0xff);
    this.out(ATA_REG_LBAH, (lba >>> 16) & 0xff);
    this.out(ATA_REG_CMD, command);
  }

  /** Runs the machine until the status is neither BSY nor (unless `drqOk`) stuck mid-command. */
  waitNotBusy(): number {
    for (let i = 0; i < 100 && this.alt() & ATA_BUSY; i++) this.m.runUntilIdle(this.m.sched.now() + 1e6);
    return this.alt();
  }

  /** Reads one DRQ block of `sectors` through the data register (16-bit accesses). */
  readPio(sectors = 1): Uint8Array {
    const out = new Uint8Array(sectors * ATA_SECTOR_SIZE);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < out.length; i += 2) dv.setUint16(i, this.m.cpuBus.in(this.cmd + ATA_REG_DATA, 2), true);
    return out;
  }

  /** Writes one block through the data register (32-bit accesses). */
  writePio(data: Uint8Array): void {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < data.length; i += 4) this.m.cpuBus.out(this.cmd + ATA_REG_DATA, 4, dv.getUint32(i, true));
  }

  /** IDENTIFY DEVICE by PIO, as 256 words. */
  identify(dev = 0): Uint16Array {
    this.out(ATA_REG_DEVICE, 0xa0 | (dev << 4));
    this.out(ATA_REG_CMD, 0xec);
    this.waitNotBusy();
    const b = this.readPio();
    this.in(ATA_REG_STATUS);
    const w = new Uint16Array(256);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < 256; i++) w[i] = dv.getUint16(2 * i, true);
    return w;
  }

  /** Lays out a PRD table at TEST_RAM with one entry per `sizes` (buffers follow, 64 KiB apart); returns the buffer addresses. */
  prdTable(sizes: number[]): number[] {
    const mem = this.m.mem;
    const bufs: number[] = [];
    sizes.forEach((len, i) => {
      const buf = TEST_RAM + 0x1_0000 * (i + 1);
      bufs.push(buf);
      mem.write(TEST_RAM + i * 8, 4, buf);
      mem.write(TEST_RAM + i * 8 + 4, 4, ((len & 0xffff) | (i === sizes.length - 1 ? PRD_EOT : 0)) >>> 0);
    });
    this.m.cpuBus.out(this.bm + BMDMA_PRD_ADDR, 4, TEST_RAM);
    return bufs;
  }

  /** BMDMA command register. */
  bmCmd(v: number): void {
    this.m.cpuBus.out(this.bm + BMDMA_CMD, 1, v);
  }

  /** BMDMA status register. */
  bmStatus(): number {
    return this.m.cpuBus.in(this.bm + BMDMA_STATUS, 1);
  }

  /** Clears BMDMA error and interrupt. */
  bmClear(): void {
    this.m.cpuBus.out(this.bm + BMDMA_STATUS, 1, 0x06);
  }

  /** Runs the machine `ns` of virtual time. */
  run(ns = 1e6): void {
    this.m.runUntilIdle(this.m.sched.now() + ns);
  }

  /** Whether DRQ is set. */
  drq(): boolean {
    return (this.alt() & ATA_DRQ) !== 0;
  }
}
