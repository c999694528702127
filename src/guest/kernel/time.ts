/**
 * Guest clocks. Wall-clock time since the epoch does not fit a JS number in nanoseconds,
 * so the kernel keeps it as a bigint offset from virtual time and hands out timespecs.
 */
import type { Nanos } from '../../core/scheduler.js';

/** A point in time or a duration, split like struct timespec. */
export interface Timespec {
  /** Whole seconds. */
  sec: number;
  /** Nanoseconds, 0..999999999. */
  nsec: number;
}

const BILLION = 1_000_000_000n;

/** Converts a nanosecond count to a timespec (floor division, so nsec is never negative). */
export function timespecFromNs(ns: bigint): Timespec {
  let sec = ns / BILLION;
  let nsec = ns % BILLION;
  if (nsec < 0n) {
    nsec += BILLION;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

/** Converts a timespec to a nanosecond count. */
export function timespecToNs(ts: Timespec): bigint {
  return BigInt(ts.sec) * BILLION + BigInt(ts.nsec);
}

/** True when a timespec has a valid nsec field and integer seconds. */
export function isValidTimespec(ts: Timespec): boolean {
  return Number.isInteger(ts.sec) && Number.isInteger(ts.nsec) && ts.nsec >= 0 && ts.nsec < 1e9;
}

/** The kernel's clocks, all derived from the scheduler's virtual time. */
export class KernelClock {
  private offsetNs: bigint;

  constructor(
    private readonly nowFn: () => Nanos,
    /** Wall-clock time at virtual time zero (the machine later sets it from the RTC). */
    realtimeAtBoot: Timespec = { sec: 0, nsec: 0 },
  ) {
    this.offsetNs = timespecToNs(realtimeAtBoot);
  }

  /** CLOCK_MONOTONIC: virtual nanoseconds since boot. */
  monotonicNs(): Nanos {
    return this.nowFn();
  }

  /** CLOCK_REALTIME in nanoseconds since the epoch. */
  realtimeNs(): bigint {
    return this.offsetNs + BigInt(this.nowFn());
  }

  /** CLOCK_REALTIME as a timespec (what file timestamps use). */
  realtime(): Timespec {
    return timespecFromNs(this.realtimeNs());
  }

  /** Steps the wall clock so that it reads `ts` now; monotonic time is unaffected. */
  setRealtime(ts: Timespec): void {
    this.offsetNs = timespecToNs(ts) - BigInt(this.nowFn());
  }
}
