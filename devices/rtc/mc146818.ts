/**
 * MC146818 real-time clock with CMOS RAM (the PC's `mc146818rtc`, ports 0x70-0x71, IRQ 8).
 *
 * The clock is a count of seconds anchored to virtual time: seconds tick at `anchorNs` +
 * k·1 s, so time advances with the machine's clock (QEMU's `-rtc clock=vm`) and every run
 * repeats. The time registers are produced from that count when read, in BCD or binary and
 * 12- or 24-hour form as status B says; while SET is on (or the divider is held in reset)
 * they are plain bytes software may write, and leaving that state loads them back into the
 * count. Interrupt flags are worked out lazily from the time that passed; a timer exists
 * only while an enabled interrupt is still to be raised, so an idle RTC costs no events.
 */
import type { SchedulerView, TimerHandle } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import type { IrqLine } from '../../src/machine/interrupts.js';
import type { IoPortSpace } from '../../src/memory/io-ports.js';
import type { AccessSize, MappedRegion } from '../../src/memory/region.js';
import {
  CMOS_SHUTDOWN_S3_RESUME,
  CMOS_SHUTDOWN_STATUS,
  CMOS_SIZE,
  RTC_A_DEFAULT,
  RTC_A_DV_MASK,
  RTC_A_DV_RESET1,
  RTC_A_DV_RESET2,
  RTC_A_UIP,
  RTC_B_AIE,
  RTC_B_DEFAULT,
  RTC_B_PIE,
  RTC_B_SET,
  RTC_B_SQWE,
  RTC_B_UIE,
  RTC_C_AF,
  RTC_C_IRQF,
  RTC_C_PF,
  RTC_C_UF,
  RTC_D_VRT,
  RTC_INDEX_MASK,
  RTC_INDEX_PORT,
  RTC_PORT_COUNT,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
  RTC_UIP_HOLD_NS,
  rtcPeriodicNs,
} from '../../src/abi/rtc.js';
import { alarmMatchedIn, decodeTimeRegisters, encodeTimeRegisters, nextAlarmMatch, TIME_REGISTERS } from './registers.js';

const SEC = 1_000_000_000;
/** After the divider leaves reset the first update comes half a second later (datasheet). */
export const RTC_FIRST_UPDATE_AFTER_DIVIDER_RESET_NS = SEC / 2;

/** How to build the RTC. */
export interface Mc146818Options {
  /** Port space (the device claims 0x70-0x71). */
  io: IoPortSpace;
  /** The machine clock. */
  sched: SchedulerView;
  /** IRQ 8. */
  irq: IrqLine;
  /** Machine trace. */
  trace: Trace;
  /** What the clock reads (seconds since the epoch, as its registers show them) at virtual time 0. */
  startSec: number;
  /** CMOS RAM bytes the board fills in at power-on (memory sizes, CPU count). */
  initialCmos?: readonly (readonly [number, number])[];
  /** The guest set the time: `offsetSec` is the new time minus what the clock would have read. */
  onTimeSet?: (offsetSec: number) => void;
}

/** The RTC device. */
export class Mc146818Rtc {
  /** CMOS bytes (clock registers are kept current only while held or when read). */
  private readonly cmos = new Uint8Array(CMOS_SIZE);
  private index = 0;
  // The count: `anchorSec` at virtual time `anchorNs`, one more each second after it.
  private anchorSec: number;
  private anchorNs = 0;
  // Virtual time up to which interrupt flags have been accounted for.
  private flagsAt = 0;
  private timer: TimerHandle | undefined;
  private readonly region: MappedRegion;
  private readonly startSec: number;

  /** Maps the ports and sets power-on register values. */
  constructor(private readonly opts: Mc146818Options) {
    this.startSec = opts.startSec;
    this.anchorSec = opts.startSec;
    this.cmos[RTC_REG_A] = RTC_A_DEFAULT;
    this.cmos[RTC_REG_B] = RTC_B_DEFAULT;
    this.cmos[RTC_REG_D] = RTC_D_VRT;
    for (const [i, v] of opts.initialCmos ?? []) if (i >= 0x0e && i < CMOS_SIZE) this.cmos[i] = v & 0xff;
    this.region = opts.io.map('mc146818rtc', RTC_INDEX_PORT, RTC_PORT_COUNT, {
      read: (off, size) => this.portRead(off, size, true),
      peek: (off, size) => this.portRead(off, size, false),
      write: (off, _size, value) => this.portWrite(off, value & 0xff),
    });
  }

  /** Seconds since the epoch the clock shows now (whatever the guest set). */
  now(): number {
    return this.running() ? this.countAt(this.opts.sched.now()) : decodeTimeRegisters(this.cmos);
  }

  /** What the clock would show had the guest never set it (the -rtc base plus elapsed time). */
  referenceNow(): number {
    return this.startSec + Math.floor(this.opts.sched.now() / SEC);
  }

  /** A CMOS byte as the chip holds it now, without side effects. */
  peekRegister(index: number): number {
    return this.readRegister(index & RTC_INDEX_MASK, false);
  }

  /** The suspend notifier: leave "resume from S3" in the shutdown status byte for firmware. */
  notifySuspend(): void {
    this.cmos[CMOS_SHUTDOWN_STATUS] = CMOS_SHUTDOWN_S3_RESUME;
  }

  /** Machine reset: interrupts off and flags clear; the time and RAM are kept (battery-backed). */
  reset(): void {
    if (this.cmos[CMOS_SHUTDOWN_STATUS] !== CMOS_SHUTDOWN_S3_RESUME) this.cmos[CMOS_SHUTDOWN_STATUS] = 0;
    this.account();
    this.cmos[RTC_REG_B] = this.cmos[RTC_REG_B]! & ~(RTC_B_PIE | RTC_B_AIE | RTC_B_SQWE);
    this.cmos[RTC_REG_C] = 0;
    this.updateIrq();
  }

  /** Releases the ports and the timer. */
  unplug(): void {
    this.timer?.cancel();
    this.opts.io.unmap(this.region);
  }

  // --- ports ------------------------------------------------------------------------------

  private portRead(off: number, size: AccessSize, sideEffects: boolean): number {
    // The index port reads as the floating bus; data accesses are byte-wide on real boards.
    const byte = off === 0 ? 0xff : this.readRegister(this.index, sideEffects);
    return size === 1 ? byte : byte | (0xff << 8) | (size === 4 ? 0xffff << 16 : 0);
  }

  private portWrite(off: number, value: number): void {
    if (off === 0) this.index = value & RTC_INDEX_MASK;
    else this.writeRegister(this.index, value);
  }

  private readRegister(i: number, sideEffects: boolean): number {
    if (i === RTC_REG_A) return (this.cmos[RTC_REG_A]! & ~RTC_A_UIP) | (this.updateInProgress() ? RTC_A_UIP : 0);
    if (i === RTC_REG_C) {
      this.account();
      const c = this.cmos[RTC_REG_C]!;
      if (sideEffects) {
        this.cmos[RTC_REG_C] = 0;
        this.updateIrq();
      }
      return c;
    }
    if (i === RTC_REG_D) return RTC_D_VRT;
    if (TIME_REGISTERS.has(i) && this.running()) this.latch();
    return this.cmos[i]!;
  }

  private writeRegister(i: number, v: number): void {
    if (i === RTC_REG_A) return this.writeA(v);
    if (i === RTC_REG_B) return this.writeB(v);
    if (i === RTC_REG_C || i === RTC_REG_D) return; // read-only
    if (!TIME_REGISTERS.has(i)) {
      this.cmos[i] = v;
      if (i >= 1 && i <= 5) this.rearm(); // an alarm register
      return;
    }
    if (!this.running()) {
      this.cmos[i] = v;
      return;
    }
    // Written while the clock runs: the new value takes effect at once, keeping the phase.
    this.account();
    this.latch();
    this.cmos[i] = v;
    this.load(this.anchorNs + this.phaseStart());
  }

  private writeA(v: number): void {
    const wasRunning = this.running();
    const wasReset = this.dividerInReset();
    this.account();
    if (wasRunning) this.latch();
    this.cmos[RTC_REG_A] = v & ~RTC_A_UIP;
    if (wasRunning && !this.running()) this.traceLine('divider held in reset');
    else if (!wasRunning && this.running()) {
      // Out of divider reset, the first update comes half a second later; out of SET, the chain kept its phase.
      const now = this.opts.sched.now();
      this.load(wasReset ? now - (SEC - RTC_FIRST_UPDATE_AFTER_DIVIDER_RESET_NS) : this.anchorNs + this.phaseStart());
    }
    this.rearm();
  }

  private writeB(v: number): void {
    const wasRunning = this.running();
    this.account();
    if (wasRunning) this.latch();
    // SET stops updates; the chip clears UIE along with it.
    this.cmos[RTC_REG_B] = v & RTC_B_SET ? v & ~RTC_B_UIE : v;
    if (!wasRunning && this.running()) this.load(this.anchorNs + this.phaseStart());
    this.updateIrq();
  }

  // --- the count ------------------------------------------------------------------------------

  private running(): boolean {
    return (this.cmos[RTC_REG_B]! & RTC_B_SET) === 0 && !this.dividerInReset();
  }

  private dividerInReset(): boolean {
    const dv = this.cmos[RTC_REG_A]! & RTC_A_DV_MASK;
    return dv === RTC_A_DV_RESET1 || dv === RTC_A_DV_RESET2;
  }

  private countAt(ns: number): number {
    return this.anchorSec + Math.floor((ns - this.anchorNs) / SEC);
  }

  // Virtual time of the start of the current second, relative to the anchor.
  private phaseStart(): number {
    const since = this.opts.sched.now() - this.anchorNs;
    return since - (((since % SEC) + SEC) % SEC);
  }

  private updateInProgress(): boolean {
    if (!this.running()) return false;
    const phase = (((this.opts.sched.now() - this.anchorNs) % SEC) + SEC) % SEC;
    return phase >= SEC - RTC_UIP_HOLD_NS;
  }

  /** Copies the running count into the time registers. */
  private latch(): void {
    encodeTimeRegisters(this.countAt(this.opts.sched.now()), this.cmos);
  }

  /** Loads the time registers into the count, anchored at `anchorNs`, and reports the change. */
  private load(anchorNs: number): void {
    const sec = decodeTimeRegisters(this.cmos);
    const now = this.opts.sched.now();
    // The anchor may lie before now: count from there so the current second is `sec`.
    this.anchorSec = sec - Math.floor((now - anchorNs) / SEC);
    this.anchorNs = anchorNs;
    this.flagsAt = now;
    const offset = sec - this.referenceNow();
    this.traceLine(`time set to ${sec} (offset ${offset} s from the base)`);
    this.opts.onTimeSet?.(offset);
    this.rearm();
  }

  // --- interrupts ----------------------------------------------------------------------------

  /** Folds the updates, alarms and periodic ticks since the last accounting into status C. */
  private account(): void {
    const now = this.opts.sched.now();
    const from = this.flagsAt;
    this.flagsAt = now;
    if (!this.running() || now <= from) return;
    let c = this.cmos[RTC_REG_C]!;
    const first = this.countAt(from) + 1;
    const last = this.countAt(now);
    if (last >= first) {
      c |= RTC_C_UF;
      if (alarmMatchedIn(this.cmos, first, last)) c |= RTC_C_AF;
    }
    const period = rtcPeriodicNs(this.cmos[RTC_REG_A]!);
    if (period > 0 && Math.floor((now - this.anchorNs) / period) > Math.floor((from - this.anchorNs) / period)) c |= RTC_C_PF;
    this.cmos[RTC_REG_C] = c;
    this.updateIrq();
  }

  private updateIrq(): void {
    const c = this.cmos[RTC_REG_C]! & ~RTC_C_IRQF;
    const pending = (c & this.cmos[RTC_REG_B]! & (RTC_C_PF | RTC_C_AF | RTC_C_UF)) !== 0;
    this.cmos[RTC_REG_C] = c | (pending ? RTC_C_IRQF : 0);
    this.opts.irq.set(pending);
    this.rearm();
  }

  /** Arms a timer for the next enabled event, unless the IRQ is already up or nothing is enabled. */
  private rearm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const b = this.cmos[RTC_REG_B]!;
    if (!this.running() || (this.cmos[RTC_REG_C]! & RTC_C_IRQF) !== 0 || (b & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)) === 0) return;
    const now = this.opts.sched.now();
    const nextSecondNs = this.anchorNs + (Math.floor((now - this.anchorNs) / SEC) + 1) * SEC;
    let at = Number.POSITIVE_INFINITY;
    if (b & RTC_B_UIE) at = nextSecondNs;
    if (b & RTC_B_AIE) {
      const m = nextAlarmMatch(this.cmos, this.countAt(now));
      if (m !== undefined) at = Math.min(at, this.anchorNs + (m - this.anchorSec) * SEC);
    }
    const period = rtcPeriodicNs(this.cmos[RTC_REG_A]!);
    if (b & RTC_B_PIE && period > 0) at = Math.min(at, this.anchorNs + (Math.floor((now - this.anchorNs) / period) + 1) * period);
    if (!Number.isFinite(at)) return;
    this.timer = this.opts.sched.at(at, 'rtc-irq', () => {
      this.timer = undefined;
      this.account();
    });
  }

  private traceLine(msg: string): void {
    this.opts.trace.emit(this.opts.sched.now(), 'machine', 'rtc', msg);
  }
}
