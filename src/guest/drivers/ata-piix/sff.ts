/**
 * One PATA channel driven the way libata-sff does it: taskfile registers in the legacy
 * command block, device control for nIEN and SRST, the PIO host state machine one DRQ block
 * per interrupt, and bus-master DMA through the channel's BMDMA registers with a PRD table
 * and a page-split bounce buffer in guest RAM. Commands run one at a time in issue order; a
 * command that never interrupts is timed out, the channel soft-reset and the command failed.
 */
import {
  ATA_BUSY,
  ATA_DEV1,
  ATA_DEVICE_OBS,
  ATA_DRQ,
  ATA_ERR,
  ATA_LBA,
  ATA_NIEN,
  ATA_REG_CMD,
  ATA_REG_DATA,
  ATA_REG_DEVICE,
  ATA_REG_ERROR,
  ATA_REG_FEATURE,
  ATA_REG_LBAH,
  ATA_REG_LBAL,
  ATA_REG_LBAM,
  ATA_REG_NSECT,
  ATA_REG_STATUS,
  ATA_SECTOR_SIZE,
  ATA_SRST,
  BMDMA_CMD,
  BMDMA_CMD_START,
  BMDMA_CMD_WRITE_MEM,
  BMDMA_PRD_ADDR,
  BMDMA_STATUS,
  BMDMA_STATUS_ERROR,
  BMDMA_STATUS_INTR,
  PRD_ENTRY_SIZE,
  PRD_EOT,
  XFER_MW_DMA_0,
  XFER_PIO_0,
} from '../../../abi/ata.js';
import type { TimerHandle } from '../../../core/scheduler.js';
import type { GuestInterrupts } from '../../platform/resources.js';
import { GUEST_PAGE_SIZE } from '../dma-slots.js';
import type { AtaHostEnv, AtaPortOps, AtaQc, AtaQcResult } from '../ata/types.js';

/** libata's default command timeout. */
export const SFF_CMD_TIMEOUT_NS = 30_000_000_000;
/** How often a busy or DRQ-pending status is polled. */
export const SFF_POLL_NS = 10_000;
/** Polls before giving up on BSY/DRQ (with SFF_POLL_NS: about the time libata waits after reset). */
export const SFF_POLL_LIMIT = 1000;
/** Time SRST is held (ATA: at least 5 µs). */
export const SFF_SRST_HOLD_NS = 10_000;
/** Bounce buffer per channel: the largest transfer one command carries by DMA. */
export const SFF_BOUNCE_BYTES = 128 * 1024;
/** Commands queued per channel beyond the active one. */
export const SFF_QUEUE_LIMIT = 1024;

/** Where a channel lives and what it may use. */
export interface SffChannelOptions extends AtaHostEnv {
  /** Interrupt vectors. */
  interrupts: GuestInterrupts;
  /** Command block base port. */
  cmdBase: number;
  /** Control block port (alternate status / device control). */
  ctlPort: number;
  /** GSI of the channel. */
  gsi: number;
  /** BMDMA register base, or undefined for PIO only. */
  bmBase: number | undefined;
}

interface Active {
  devno: number;
  qc: AtaQc;
  /** Bytes of the data phase done (PIO). */
  pos: number;
  timer: TimerHandle | undefined;
}

/** One channel. */
export class SffChannel implements AtaPortOps {
  /** Whether commands use DMA. */
  readonly dma: boolean;
  /** Largest transfer per command, in sectors. */
  readonly maxSectors = SFF_BOUNCE_BYTES / ATA_SECTOR_SIZE;
  /** Transfer mode: PIIX3 does multiword DMA 2 (ata_piix's piix_pata_mwdma), PIO 4 without DMA. */
  readonly xferMode: number;
  /** Interrupts taken, and those that found nothing to do. */
  readonly stats = { interrupts: 0, spurious: 0, timeouts: 0 };
  private readonly queue: { devno: number; qc: AtaQc }[] = [];
  private active: Active | undefined;
  private prd = 0;
  private bounce = 0;
  private resetting = false;

  constructor(private readonly o: SffChannelOptions) {
    this.o = { ...o };
    this.dma = o.bmBase !== undefined;
    this.xferMode = this.dma ? XFER_MW_DMA_0 + 2 : XFER_PIO_0 + 4;
    o.interrupts.requestGsi(o.gsi, () => this.interrupt());
  }

  /** Names the channel after its libata port once that is numbered. */
  rename(name: string): void {
    this.o.name = name;
  }

  /**
   * Resets the channel (SRST) and classifies what answers at device 0 and 1 by the
   * signature left in the registers; calls back with the positions holding ATA disks.
   */
  resetAndClassify(done: (present: boolean[]) => void): void {
    const maybe = [this.devchk(0), this.devchk(1)];
    this.resetting = true;
    this.outCtl(ATA_NIEN | ATA_SRST);
    this.o.sched.after(SFF_SRST_HOLD_NS, `${this.o.name} srst`, () => {
      this.outCtl(ATA_NIEN);
      this.waitNotBusy(() => {
        const present = [0, 1].map((d) => maybe[d]! && this.classify(d));
        this.resetting = false;
        this.selectDevice(0);
        this.outCtl(0);
        this.o.log(`${this.o.name}: ${this.dma ? 'PATA max MWDMA2' : 'PATA PIO4 (no DMA)'} cmd 0x${this.o.cmdBase.toString(16)} ctl 0x${this.o.ctlPort.toString(16)}${this.o.bmBase !== undefined ? ` bmdma 0x${this.o.bmBase.toString(16)}` : ''} irq ${this.o.gsi}`);
        done(present);
      });
    });
  }

  /**
   * Firmware reset the controller (resume from S3): the device forgot the command it was
   * running, so it goes back to the head of the queue; the channel is reset and classified
   * again before anything is issued.
   */
  restore(done: () => void): void {
    const a = this.active;
    if (a) {
      a.timer?.cancel();
      this.active = undefined;
      this.queue.unshift({ devno: a.devno, qc: a.qc });
    }
    this.resetAndClassify(() => {
      done();
      this.kick();
    });
  }

  /** Queues a command for device `devno`. */
  issue(devno: number, qc: AtaQc): void {
    if (this.queue.length >= SFF_QUEUE_LIMIT) {
      this.o.sched.after(0, `${this.o.name} full`, () => qc.done({ status: ATA_ERR, error: 0, failed: 'host-bus' }));
      return;
    }
    this.queue.push({ devno, qc });
    if (!this.active) this.o.sched.after(0, `${this.o.name} issue`, () => this.kick());
  }

  private reg(r: number): number {
    return this.o.bus.in(this.o.cmdBase + r, 1);
  }

  private setReg(r: number, v: number): void {
    this.o.bus.out(this.o.cmdBase + r, 1, v & 0xff);
  }

  private altStatus(): number {
    return this.o.bus.in(this.o.ctlPort, 1);
  }

  private outCtl(v: number): void {
    this.o.bus.out(this.o.ctlPort, 1, v);
  }

  private selectDevice(devno: number, extra = 0): void {
    this.setReg(ATA_REG_DEVICE, ATA_DEVICE_OBS | (devno ? ATA_DEV1 : 0) | extra);
  }

  /** ata_devchk: does something hold the shadow registers at this position? */
  private devchk(devno: number): boolean {
    this.selectDevice(devno);
    this.setReg(ATA_REG_NSECT, 0x55);
    this.setReg(ATA_REG_LBAL, 0xaa);
    this.setReg(ATA_REG_NSECT, 0xaa);
    this.setReg(ATA_REG_LBAL, 0x55);
    this.setReg(ATA_REG_NSECT, 0x55);
    this.setReg(ATA_REG_LBAL, 0xaa);
    return this.reg(ATA_REG_NSECT) === 0x55 && this.reg(ATA_REG_LBAL) === 0xaa;
  }

  /** ata_dev_classify: an ATA disk leaves count 1, LBA 1, LBA mid/high 0 after reset. */
  private classify(devno: number): boolean {
    this.selectDevice(devno);
    const st = this.altStatus();
    if (st === 0 || st === 0xff || st & ATA_BUSY) return false;
    const sig = [ATA_REG_NSECT, ATA_REG_LBAL, ATA_REG_LBAM, ATA_REG_LBAH].map((r) => this.reg(r));
    if (sig[2] === 0x14 && sig[3] === 0xeb) {
      this.o.log(`${this.o.name}.${String(devno).padStart(2, '0')}: ATAPI device ignored (no ide-cd support)`);
      return false;
    }
    return sig[0] === 1 && sig[1] === 1 && sig[2] === 0 && sig[3] === 0;
  }

  private waitNotBusy(then: () => void, tries = 0): void {
    if (!(this.altStatus() & ATA_BUSY) || tries >= SFF_POLL_LIMIT) return then();
    this.o.sched.after(SFF_POLL_NS, `${this.o.name} bsy`, () => this.waitNotBusy(then, tries + 1));
  }

  private kick(): void {
    if (this.active || this.resetting) return;
    const next = this.queue.shift();
    if (!next) return;
    const a: Active = { devno: next.devno, qc: next.qc, pos: 0, timer: undefined };
    this.active = a;
    a.timer = this.o.sched.after(SFF_CMD_TIMEOUT_NS, `${this.o.name} timeout`, () => this.timeout(a));
    this.waitNotBusy(() => this.start(a));
  }

  /** Writes the taskfile (HOB bytes first for LBA48), programs DMA, and writes the command. */
  private start(a: Active): void {
    if (this.active !== a) return;
    const { tf, lba48, protocol } = a.qc;
    // LBA28 commands carry LBA bits 27:24 in the device register's low nibble.
    this.selectDevice(a.devno, tf.device & (ATA_LBA | 0x0f));
    if (lba48) {
      this.setReg(ATA_REG_FEATURE, tf.features >> 8);
      this.setReg(ATA_REG_NSECT, tf.count >> 8);
      this.setReg(ATA_REG_LBAL, Math.floor(tf.lba / 2 ** 24));
      this.setReg(ATA_REG_LBAM, Math.floor(tf.lba / 2 ** 32));
      this.setReg(ATA_REG_LBAH, Math.floor(tf.lba / 2 ** 40));
    }
    this.setReg(ATA_REG_FEATURE, tf.features);
    this.setReg(ATA_REG_NSECT, tf.count);
    this.setReg(ATA_REG_LBAL, tf.lba);
    this.setReg(ATA_REG_LBAM, Math.floor(tf.lba / 0x100));
    this.setReg(ATA_REG_LBAH, Math.floor(tf.lba / 0x10000));
    const isDma = protocol === 'dma-in' || protocol === 'dma-out';
    if (isDma) this.setupDma(a.qc);
    this.setReg(ATA_REG_CMD, tf.command);
    if (isDma) this.bm(BMDMA_CMD, (protocol === 'dma-in' ? BMDMA_CMD_WRITE_MEM : 0) | BMDMA_CMD_START);
    if (protocol === 'pio-out') this.waitDrqThenWrite(a, 0);
  }

  private bm(reg: number, v: number): void {
    this.o.bus.out(this.o.bmBase! + reg, reg === BMDMA_PRD_ADDR ? 4 : 1, v);
  }

  private bmRead(reg: number): number {
    return this.o.bus.in(this.o.bmBase! + reg, 1);
  }

  /** Fills the PRD table for the transfer (one entry per page of the bounce buffer) and stages outgoing data. */
  private setupDma(qc: AtaQc): void {
    if (this.bounce === 0) {
      // Allocated on first use: an empty channel costs no DMA memory. One PRD per bounce page;
      // the table is aligned to its own size so it never crosses a 64 KiB boundary.
      const entries = SFF_BOUNCE_BYTES / GUEST_PAGE_SIZE;
      this.prd = this.o.alloc.alloc(entries * PRD_ENTRY_SIZE, entries * PRD_ENTRY_SIZE);
      this.bounce = this.o.alloc.alloc(SFF_BOUNCE_BYTES, GUEST_PAGE_SIZE);
    }
    const len = qc.data?.length ?? 0;
    const mem = this.o.mem;
    if (qc.protocol === 'dma-out' && qc.data) mem.writeBytes(this.bounce, qc.data);
    const n = Math.max(1, Math.ceil(len / GUEST_PAGE_SIZE));
    for (let i = 0; i < n; i++) {
      const bytes = Math.min(GUEST_PAGE_SIZE, len - i * GUEST_PAGE_SIZE);
      mem.write(this.prd + i * PRD_ENTRY_SIZE, 4, this.bounce + i * GUEST_PAGE_SIZE);
      mem.write(this.prd + i * PRD_ENTRY_SIZE + 4, 4, ((bytes & 0xffff) | (i === n - 1 ? PRD_EOT : 0)) >>> 0);
    }
    this.bm(BMDMA_CMD, qc.protocol === 'dma-in' ? BMDMA_CMD_WRITE_MEM : 0);
    this.bm(BMDMA_STATUS, BMDMA_STATUS_ERROR | BMDMA_STATUS_INTR);
    this.bm(BMDMA_PRD_ADDR, this.prd);
  }

  private waitDrqThenWrite(a: Active, tries: number): void {
    if (this.active !== a) return;
    const st = this.altStatus();
    if (st & ATA_ERR) return this.finish(a, this.readResult(this.reg(ATA_REG_STATUS)));
    if (!(st & ATA_BUSY) && st & ATA_DRQ) return this.writeBlock(a);
    if (tries >= SFF_POLL_LIMIT) return;
    this.o.sched.after(SFF_POLL_NS, `${this.o.name} drq`, () => this.waitDrqThenWrite(a, tries + 1));
  }

  private writeBlock(a: Active): void {
    const data = a.qc.data!;
    const end = Math.min(a.pos + ATA_SECTOR_SIZE, data.length);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (; a.pos + 4 <= end; a.pos += 4) this.o.bus.out(this.o.cmdBase + ATA_REG_DATA, 4, dv.getUint32(a.pos, true));
    for (; a.pos < end; a.pos += 2) this.o.bus.out(this.o.cmdBase + ATA_REG_DATA, 2, dv.getUint16(a.pos, true));
  }

  private readBlock(a: Active): void {
    const data = a.qc.data!;
    const end = Math.min(a.pos + ATA_SECTOR_SIZE, data.length);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (; a.pos + 4 <= end; a.pos += 4) dv.setUint32(a.pos, this.o.bus.in(this.o.cmdBase + ATA_REG_DATA, 4), true);
    for (; a.pos < end; a.pos += 2) dv.setUint16(a.pos, this.o.bus.in(this.o.cmdBase + ATA_REG_DATA, 2), true);
  }

  /** The channel's interrupt: one step of the host state machine (ata_sff_hsm_move). */
  private interrupt(): void {
    this.stats.interrupts++;
    const a = this.active;
    if (!a || this.resetting) {
      // Not ours, or a stale one: reading status acknowledges INTRQ.
      this.stats.spurious++;
      this.reg(ATA_REG_STATUS);
      return;
    }
    const p = a.qc.protocol;
    if (p === 'dma-in' || p === 'dma-out') {
      const bms = this.bmRead(BMDMA_STATUS);
      if (!(bms & BMDMA_STATUS_INTR)) {
        this.stats.spurious++;
        return;
      }
      this.bm(BMDMA_CMD, 0);
      const st = this.reg(ATA_REG_STATUS);
      this.bm(BMDMA_STATUS, BMDMA_STATUS_ERROR | BMDMA_STATUS_INTR);
      if (st & ATA_BUSY) return;
      if (p === 'dma-in' && !(st & ATA_ERR) && a.qc.data) a.qc.data.set(this.o.mem.readBytes(this.bounce, a.qc.data.length));
      const r = this.readResult(st);
      if (bms & BMDMA_STATUS_ERROR && !(st & ATA_ERR)) r.failed = 'host-bus';
      return this.finish(a, r);
    }
    const st = this.reg(ATA_REG_STATUS);
    if (st & ATA_BUSY) return;
    if (st & ATA_ERR) return this.finish(a, this.readResult(st));
    const len = a.qc.data?.length ?? 0;
    if (p === 'pio-in' && st & ATA_DRQ) {
      this.readBlock(a);
      // After the last block the device drops DRQ without another interrupt.
      if (a.pos >= len) this.finish(a, this.readResult(this.altStatus()));
      return;
    }
    if (p === 'pio-out' && st & ATA_DRQ && a.pos < len) return this.writeBlock(a);
    if (!(st & ATA_DRQ)) this.finish(a, this.readResult(st));
  }

  /** Status, error and the output registers (READ NATIVE MAX ADDRESS and friends). */
  private readResult(status: number): AtaQcResult {
    const lba = this.reg(ATA_REG_LBAL) | (this.reg(ATA_REG_LBAM) << 8) | (this.reg(ATA_REG_LBAH) << 16);
    return { status, error: status & ATA_ERR ? this.reg(ATA_REG_ERROR) : 0, lba, count: this.reg(ATA_REG_NSECT) };
  }

  private finish(a: Active, r: AtaQcResult): void {
    if (this.active !== a) return;
    a.timer?.cancel();
    this.active = undefined;
    a.qc.done(r);
    this.kick();
  }

  /** A command that never finished: reset the channel (libata EH) and fail it. */
  private timeout(a: Active): void {
    if (this.active !== a) return;
    this.stats.timeouts++;
    this.o.log(`${this.o.name}.${String(a.devno).padStart(2, '0')}: command 0x${a.qc.tf.command.toString(16)} timeout, resetting the channel`);
    if (this.dma) this.bm(BMDMA_CMD, 0);
    this.active = undefined;
    this.resetting = true;
    this.outCtl(ATA_NIEN | ATA_SRST);
    this.o.sched.after(SFF_SRST_HOLD_NS, `${this.o.name} srst`, () => {
      this.outCtl(ATA_NIEN);
      this.waitNotBusy(() => {
        this.resetting = false;
        this.outCtl(0);
        a.qc.done({ status: this.altStatus(), error: 0, failed: 'timeout' });
        this.kick();
      });
    });
  }
}
