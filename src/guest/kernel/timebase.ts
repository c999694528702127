/**
 * The guest kernel's clock: its own view of virtual time, driven by the machine's scheduler.
 * It can stop (the CPU is off: suspend to RAM, halt, power-off, a hibernation image) and
 * start again, on the same machine or a new one, with every pending timer kept. While it
 * is stopped its time stands still and none of its events run, which is exactly what
 * freezing every process means; on restart each timer is re-armed for the time it had
 * left, so CLOCK_MONOTONIC does not count the sleep, as in Linux.
 */
import type { Nanos, SchedulerView, TimerHandle } from '../../core/scheduler.js';

interface Entry {
  when: Nanos;
  seq: number;
  label: string;
  fn: () => void;
  handle: TimerHandle | undefined;
  live: boolean;
}

/** A stoppable, re-attachable scheduler view (kernel time = machine time + offset while running). */
export class GuestTimebase implements SchedulerView {
  private base: SchedulerView;
  private offset = 0;
  private frozenAt: Nanos | undefined;
  private seq = 0;
  private readonly entries = new Set<Entry>();

  /** Runs on `base`, with kernel time starting equal to the base's time. */
  constructor(base: SchedulerView) {
    this.base = base;
  }

  /** Kernel time (CLOCK_MONOTONIC): frozen while stopped. */
  now(): Nanos {
    return this.frozenAt ?? this.base.now() + this.offset;
  }

  /** True while stopped. */
  get stopped(): boolean {
    return this.frozenAt !== undefined;
  }

  /** Timers and pending work, for diagnostics. */
  get pendingCount(): number {
    return this.entries.size;
  }

  /** As Scheduler.after, in kernel time. */
  after(delay: Nanos, label: string, fn: () => void): TimerHandle {
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new RangeError(`bad delay ${delay} for ${label}`);
    return this.at(this.now() + Math.round(delay), label, fn);
  }

  /** As Scheduler.at, in kernel time (clamped to now). */
  at(when: Nanos, label: string, fn: () => void): TimerHandle {
    const e: Entry = { when: Math.max(when, this.now()), seq: this.seq++, label, fn, handle: undefined, live: true };
    this.entries.add(e);
    if (this.frozenAt === undefined) this.arm(e);
    const entries = this.entries;
    return {
      cancel: () => {
        if (!e.live) return;
        e.live = false;
        e.handle?.cancel();
        entries.delete(e);
      },
      get pending() {
        return e.live;
      },
    };
  }

  /** Stops the clock: every pending event is withdrawn from the machine and kept. */
  stop(): void {
    if (this.frozenAt !== undefined) return;
    this.frozenAt = this.now();
    for (const e of this.entries) {
      e.handle?.cancel();
      e.handle = undefined;
    }
  }

  /**
   * Starts the clock again, optionally on another machine's scheduler: kernel time goes on
   * from where it stopped and pending events run in their original order.
   */
  start(base?: SchedulerView): void {
    if (base !== undefined) {
      if (this.frozenAt === undefined) this.stop();
      this.base = base;
    }
    const at = this.frozenAt;
    if (at === undefined) return;
    this.offset = at - this.base.now();
    this.frozenAt = undefined;
    const order = [...this.entries].sort((a, b) => a.when - b.when || a.seq - b.seq);
    for (const e of order) this.arm(e);
  }

  private arm(e: Entry): void {
    e.handle = this.base.at(e.when - this.offset, e.label, () => {
      if (!e.live) return;
      e.live = false;
      this.entries.delete(e);
      e.fn();
    });
  }
}
