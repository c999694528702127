/**
 * One AHCI port as Linux's ahci driver runs it: command list, received-FIS area and one
 * command table with its PRDT in guest RAM; bring-up (engine stopped, FIS receive on,
 * COMRESET through SControl, link and signature checked, interrupts enabled, engine
 * started); commands issued one at a time in slot 0 with the data staged in a page-split
 * bounce buffer; completion from PxIS and PxCI, with the ending registers read back from
 * the D2H register FIS; and error recovery as libata EH does it: stop the engine, clear
 * the errors, start again (COMRESET when the device stays busy) and fail the command.
 */
import {
  AHCI_CMD_HDR_CTBA,
  AHCI_CMD_HDR_PRDBC,
  AHCI_CMD_LIST_ALIGN,
  AHCI_CMD_LIST_SIZE,
  AHCI_CMD_TBL_ALIGN,
  AHCI_CMD_TBL_CFIS,
  AHCI_CMD_TBL_PRDT,
  AHCI_CMD_WRITE,
  AHCI_CMD_PRDTL_SHIFT,
  AHCI_PRD_SIZE,
  AHCI_RX_FIS_ALIGN,
  AHCI_RX_FIS_SIZE,
  FIS_D2H,
  FIS_H2D,
  FIS_H2D_CMD,
  FIS_REG_SIZE,
  FIS_TYPE_REG_H2D,
  PORT_CMD,
  PORT_CMD_FIS_ON,
  PORT_CMD_FIS_RX,
  PORT_CMD_ISSUE,
  PORT_CMD_LIST_ON,
  PORT_CMD_POWER_ON,
  PORT_CMD_SPIN_UP,
  PORT_CMD_START,
  PORT_FIS_ADDR,
  PORT_FIS_ADDR_HI,
  PORT_IRQ_D2H_REG_FIS,
  PORT_IRQ_DMAS_FIS,
  PORT_IRQ_FATAL,
  PORT_IRQ_HBUS_DATA_ERR,
  PORT_IRQ_HBUS_ERR,
  PORT_IRQ_IF_ERR,
  PORT_IRQ_IF_NONFATAL,
  PORT_IRQ_MASK,
  PORT_IRQ_OVERFLOW,
  PORT_IRQ_PIOS_FIS,
  PORT_IRQ_SDB_FIS,
  PORT_IRQ_SG_DONE,
  PORT_IRQ_STAT,
  PORT_IRQ_TF_ERR,
  PORT_LST_ADDR,
  PORT_LST_ADDR_HI,
  PORT_SCR_CTL,
  PORT_SCR_ERR,
  PORT_SCR_STAT,
  PORT_SIG,
  PORT_TFDATA,
  RX_FIS_D2H_REG,
  SATA_SIGNATURE_DISK,
  SCTL_DET_COMRESET,
  SSTS_DET_MASK,
  SSTS_DET_PRESENT,
  ahciPortOffset,
} from '../../../abi/ahci.js';
import { ATA_BUSY, ATA_DRQ, ATA_ERR, ATA_SECTOR_SIZE, XFER_UDMA_0 } from '../../../abi/ata.js';
import type { TimerHandle } from '../../../core/scheduler.js';
import { GUEST_PAGE_SIZE } from '../dma-slots.js';
import type { AtaHostEnv, AtaPortOps, AtaQc, AtaQcResult } from '../ata/types.js';

/** libata's command timeout. */
export const AHCI_CMD_TIMEOUT_NS = 30_000_000_000;
/** Poll interval while waiting for the engine, the link or the device. */
export const AHCI_POLL_NS = 10_000;
/** Polls before giving up (about 10 ms with AHCI_POLL_NS). */
export const AHCI_POLL_LIMIT = 1000;
/** How long COMRESET is held (SATA: at least 1 ms). */
export const AHCI_COMRESET_HOLD_NS = 1_000_000;
/** Bounce buffer per port: the largest transfer one command carries. */
export const AHCI_BOUNCE_BYTES = 128 * 1024;
/** PRD entries of the command table: one per page of the bounce buffer. */
export const AHCI_PRD_ENTRIES = AHCI_BOUNCE_BYTES / GUEST_PAGE_SIZE;
/** Commands queued per port beyond the active one. */
export const AHCI_QUEUE_LIMIT = 1024;
/** Interrupts Linux enables on a port (DEF_PORT_IRQ). */
export const AHCI_DEF_PORT_IRQ =
  PORT_IRQ_FATAL | PORT_IRQ_IF_NONFATAL | PORT_IRQ_SG_DONE | PORT_IRQ_SDB_FIS | PORT_IRQ_DMAS_FIS | PORT_IRQ_PIOS_FIS | PORT_IRQ_D2H_REG_FIS;

/** What a port driver needs. */
export interface AhciPortOptions extends AtaHostEnv {
  /** Port number on the HBA. */
  index: number;
  /** ABAR address. */
  abar: number;
}

interface Active {
  qc: AtaQc;
  timer: TimerHandle | undefined;
}

/** One port. */
export class AhciPortDriver implements AtaPortOps {
  /** AHCI always transfers by DMA. */
  readonly dma = true;
  /** Largest transfer per command, in sectors. */
  readonly maxSectors = AHCI_BOUNCE_BYTES / ATA_SECTOR_SIZE;
  /** SATA links run UDMA/133 as far as SET FEATURES is concerned. */
  readonly xferMode = XFER_UDMA_0 + 6;
  /** Counters. */
  readonly stats = { interrupts: 0, errors: 0, timeouts: 0 };
  private readonly base: number;
  private readonly clb: number;
  private readonly fb: number;
  private table = 0;
  private bounce = 0;
  private readonly queue: AtaQc[] = [];
  private active: Active | undefined;
  private recovering = false;
  /** Whether an ATA disk answered at the last reset. */
  present = false;

  constructor(private readonly o: AhciPortOptions) {
    this.base = o.abar + ahciPortOffset(o.index);
    this.clb = o.alloc.alloc(AHCI_CMD_LIST_SIZE, AHCI_CMD_LIST_ALIGN);
    this.fb = o.alloc.alloc(AHCI_RX_FIS_SIZE, AHCI_RX_FIS_ALIGN);
  }

  /** Names the port after its libata number. */
  rename(name: string): void {
    this.o.name = name;
  }

  private rd(reg: number): number {
    return this.o.bus.load(this.base + reg, 4) >>> 0;
  }

  private wr(reg: number, v: number): void {
    this.o.bus.store(this.base + reg, 4, v >>> 0);
  }

  /** Stops the engine and FIS receive, programs the areas, COMRESETs the link, and reports whether a disk answered. */
  start(done: (present: boolean) => void): void {
    this.stopEngine();
    this.wr(PORT_CMD, this.rd(PORT_CMD) & ~PORT_CMD_FIS_RX);
    this.o.mem.fillBytes(this.clb, AHCI_CMD_LIST_SIZE, 0);
    this.o.mem.fillBytes(this.fb, AHCI_RX_FIS_SIZE, 0);
    this.wr(PORT_LST_ADDR, this.clb);
    this.wr(PORT_LST_ADDR_HI, 0);
    this.wr(PORT_FIS_ADDR, this.fb);
    this.wr(PORT_FIS_ADDR_HI, 0);
    this.wr(PORT_SCR_ERR, 0xffff_ffff);
    this.wr(PORT_IRQ_STAT, 0xffff_ffff);
    this.wr(PORT_CMD, this.rd(PORT_CMD) | PORT_CMD_SPIN_UP | PORT_CMD_POWER_ON | PORT_CMD_FIS_RX);
    this.hardReset(done);
  }

  /** COMRESET, wait for the link and the device's signature, then start the engine. */
  private hardReset(done: (present: boolean) => void): void {
    // As ahci_hardreset: mark the received D2H FIS busy so a stale one is not taken for the answer.
    this.o.mem.write(this.fb + RX_FIS_D2H_REG + FIS_D2H.status, 1, ATA_BUSY);
    this.wr(PORT_SCR_CTL, 0x300 | SCTL_DET_COMRESET);
    this.o.sched.after(AHCI_COMRESET_HOLD_NS, `${this.o.name} comreset`, () => {
      this.wr(PORT_SCR_CTL, 0x300);
      // DET 0 means no device at all: the link is offline at once; DET 1 is a device still negotiating.
      this.poll(() => (this.rd(PORT_SCR_STAT) & SSTS_DET_MASK) !== 1, () => {
        const linkUp = (this.rd(PORT_SCR_STAT) & SSTS_DET_MASK) === SSTS_DET_PRESENT;
        const ssts = this.rd(PORT_SCR_STAT);
        if (!linkUp) {
          this.o.log(`${this.o.name}: SATA link down (SStatus ${ssts.toString(16)} SControl 300)`);
          this.present = false;
          return done(false);
        }
        this.o.log(`${this.o.name}: SATA link up 1.5 Gbps (SStatus ${ssts.toString(16)} SControl 300)`);
        this.poll(() => !(this.rd(PORT_TFDATA) & (ATA_BUSY | ATA_DRQ)), () => {
          const sig = this.rd(PORT_SIG);
          this.present = sig === SATA_SIGNATURE_DISK;
          if (!this.present) this.o.log(`${this.o.name}: signature 0x${sig.toString(16)} is not an ATA disk`);
          if (this.present && this.table === 0) {
            this.table = this.o.alloc.alloc(AHCI_CMD_TBL_PRDT + AHCI_PRD_ENTRIES * AHCI_PRD_SIZE, AHCI_CMD_TBL_ALIGN);
            this.bounce = this.o.alloc.alloc(AHCI_BOUNCE_BYTES, GUEST_PAGE_SIZE);
          }
          this.wr(PORT_SCR_ERR, 0xffff_ffff);
          this.wr(PORT_IRQ_STAT, 0xffff_ffff);
          this.wr(PORT_IRQ_MASK, AHCI_DEF_PORT_IRQ);
          this.startEngine();
          done(this.present);
        });
      });
    });
  }

  private poll(ok: () => boolean, then: (ok: boolean) => void, tries = 0): void {
    if (ok()) return then(true);
    if (tries >= AHCI_POLL_LIMIT) return then(false);
    this.o.sched.after(AHCI_POLL_NS, `${this.o.name} poll`, () => this.poll(ok, then, tries + 1));
  }

  private stopEngine(): void {
    this.wr(PORT_CMD, this.rd(PORT_CMD) & ~PORT_CMD_START);
    // The HBA clears CR at once here; a real one gets up to 500 ms.
    if (this.rd(PORT_CMD) & PORT_CMD_LIST_ON) this.o.log(`${this.o.name}: engine did not stop`);
  }

  private startEngine(): void {
    if (!(this.rd(PORT_CMD) & PORT_CMD_FIS_ON)) this.o.log(`${this.o.name}: FIS receive not running`);
    this.wr(PORT_CMD, this.rd(PORT_CMD) | PORT_CMD_START);
  }

  /**
   * Firmware reset the HBA (resume from S3): the command the device was running is queued
   * again at the head, the port is brought up from scratch, and `done` runs before anything
   * is issued (the disk's transfer mode is set again there).
   */
  restore(done: () => void): void {
    const a = this.active;
    if (a) {
      a.timer?.cancel();
      this.active = undefined;
      this.queue.unshift(a.qc);
    }
    this.recovering = true;
    this.start((present) => {
      this.recovering = false;
      if (!present) {
        for (const qc of this.queue.splice(0)) qc.done({ status: ATA_ERR, error: 0, failed: 'host-bus' });
        return;
      }
      done();
      this.kick();
    });
  }

  /** Queues a command (devno is always 0 on a port without a multiplier). */
  issue(_devno: number, qc: AtaQc): void {
    if (this.queue.length >= AHCI_QUEUE_LIMIT || !this.present) {
      this.o.sched.after(0, `${this.o.name} reject`, () => qc.done({ status: ATA_ERR, error: 0, failed: 'host-bus' }));
      return;
    }
    this.queue.push(qc);
    if (!this.active) this.o.sched.after(0, `${this.o.name} issue`, () => this.kick());
  }

  private kick(): void {
    if (this.active || this.recovering) return;
    const qc = this.queue.shift();
    if (!qc) return;
    const a: Active = { qc, timer: undefined };
    this.active = a;
    a.timer = this.o.sched.after(AHCI_CMD_TIMEOUT_NS, `${this.o.name} timeout`, () => this.timeout(a));
    this.fillSlot(qc);
    this.wr(PORT_CMD_ISSUE, 1);
  }

  /** Command header 0, its H2D register FIS and PRDT, and outgoing data in the bounce buffer. */
  private fillSlot(qc: AtaQc): void {
    const mem = this.o.mem;
    const { tf } = qc;
    const fis = new Uint8Array(FIS_REG_SIZE);
    fis[0] = FIS_TYPE_REG_H2D;
    fis[1] = FIS_H2D_CMD;
    fis[FIS_H2D.command] = tf.command;
    fis[FIS_H2D.features] = tf.features & 0xff;
    fis[FIS_H2D.lba0] = tf.lba & 0xff;
    fis[FIS_H2D.lba1] = Math.floor(tf.lba / 0x100) & 0xff;
    fis[FIS_H2D.lba2] = Math.floor(tf.lba / 0x10000) & 0xff;
    fis[FIS_H2D.device] = tf.device;
    if (qc.lba48) {
      fis[FIS_H2D.lba3] = Math.floor(tf.lba / 2 ** 24) & 0xff;
      fis[FIS_H2D.lba4] = Math.floor(tf.lba / 2 ** 32) & 0xff;
      fis[FIS_H2D.lba5] = Math.floor(tf.lba / 2 ** 40) & 0xff;
      fis[FIS_H2D.featuresExp] = (tf.features >> 8) & 0xff;
      fis[FIS_H2D.countExp] = (tf.count >> 8) & 0xff;
    }
    fis[FIS_H2D.count] = tf.count & 0xff;
    mem.writeBytes(this.table + AHCI_CMD_TBL_CFIS, fis);
    const len = qc.protocol === 'non-data' ? 0 : (qc.data?.length ?? 0);
    const out = qc.protocol === 'pio-out' || qc.protocol === 'dma-out';
    if (out && qc.data) mem.writeBytes(this.bounce, qc.data);
    const n = Math.ceil(len / GUEST_PAGE_SIZE);
    for (let i = 0; i < n; i++) {
      const at = this.table + AHCI_CMD_TBL_PRDT + i * AHCI_PRD_SIZE;
      const bytes = Math.min(GUEST_PAGE_SIZE, len - i * GUEST_PAGE_SIZE);
      mem.write(at, 4, this.bounce + i * GUEST_PAGE_SIZE);
      mem.write(at + 4, 4, 0);
      mem.write(at + 8, 4, 0);
      mem.write(at + 12, 4, bytes - 1);
    }
    const dw0 = FIS_REG_SIZE / 4 | (out ? AHCI_CMD_WRITE : 0) | (n << AHCI_CMD_PRDTL_SHIFT);
    mem.write(this.clb, 4, dw0 >>> 0);
    mem.write(this.clb + AHCI_CMD_HDR_PRDBC, 4, 0);
    mem.write(this.clb + AHCI_CMD_HDR_CTBA, 4, this.table);
    mem.write(this.clb + AHCI_CMD_HDR_CTBA + 4, 4, 0);
  }

  /** The port's share of the HBA interrupt (ahci_port_intr): acknowledge, then complete or recover. */
  interrupt(): void {
    this.stats.interrupts++;
    const is = this.rd(PORT_IRQ_STAT);
    this.wr(PORT_IRQ_STAT, is);
    const a = this.active;
    if (!a || this.recovering) return;
    if (is & (PORT_IRQ_FATAL | PORT_IRQ_IF_NONFATAL)) return this.recover(a, is);
    if (this.rd(PORT_CMD_ISSUE) & 1) return;
    const mem = this.o.mem;
    const d2h = mem.readBytes(this.fb + RX_FIS_D2H_REG, FIS_REG_SIZE);
    const tfd = this.rd(PORT_TFDATA);
    if (a.qc.protocol === 'pio-in' || a.qc.protocol === 'dma-in') {
      if (a.qc.data) a.qc.data.set(mem.readBytes(this.bounce, a.qc.data.length));
    }
    const lba = d2h[FIS_D2H.lba0]! + d2h[FIS_D2H.lba1]! * 0x100 + d2h[FIS_D2H.lba2]! * 0x10000 + (d2h[FIS_D2H.lba3]! + d2h[FIS_D2H.lba4]! * 0x100 + d2h[FIS_D2H.lba5]! * 0x10000) * 2 ** 24;
    this.finish(a, { status: tfd & 0xff, error: (tfd >> 8) & 0xff, lba, count: d2h[FIS_D2H.count]! | (d2h[FIS_D2H.countExp]! << 8) });
  }

  private finish(a: Active, r: AtaQcResult): void {
    if (this.active !== a) return;
    a.timer?.cancel();
    this.active = undefined;
    a.qc.done(r);
    this.kick();
  }

  /** libata EH for a port error: stop the engine, clear errors, restart (COMRESET if the device stays busy), fail the command. */
  private recover(a: Active, is: number): void {
    this.stats.errors++;
    const tfd = this.rd(PORT_TFDATA);
    const hostBus = (is & (PORT_IRQ_HBUS_ERR | PORT_IRQ_HBUS_DATA_ERR | PORT_IRQ_OVERFLOW | PORT_IRQ_IF_ERR)) !== 0;
    const r: AtaQcResult = { status: tfd & 0xff, error: (tfd >> 8) & 0xff };
    if (hostBus || !(is & PORT_IRQ_TF_ERR)) r.failed = 'host-bus';
    this.o.log(`${this.o.name}: exception: irq_stat 0x${is.toString(16)}, status 0x${(tfd & 0xff).toString(16)} error 0x${((tfd >> 8) & 0xff).toString(16)}`);
    this.recovering = true;
    this.stopEngine();
    this.wr(PORT_SCR_ERR, 0xffff_ffff);
    this.wr(PORT_IRQ_STAT, 0xffff_ffff);
    const restart = () => {
      this.recovering = false;
      this.active = undefined;
      a.timer?.cancel();
      a.qc.done(r);
      this.kick();
    };
    if (this.rd(PORT_TFDATA) & (ATA_BUSY | ATA_DRQ) || hostBus) {
      this.hardReset(() => restart());
      return;
    }
    this.startEngine();
    restart();
  }

  private timeout(a: Active): void {
    if (this.active !== a) return;
    this.stats.timeouts++;
    this.o.log(`${this.o.name}: command 0x${a.qc.tf.command.toString(16)} timeout, resetting the link`);
    this.recovering = true;
    this.stopEngine();
    this.hardReset(() => {
      this.recovering = false;
      this.active = undefined;
      a.qc.done({ status: ATA_ERR, error: 0, failed: 'timeout' });
      this.kick();
    });
  }
}
