/**
 * The machine's one event scheduler and virtual clock.
 *
 * Virtual time is a number of nanoseconds since machine creation. A JS number holds
 * integers exactly up to 2^53 ns (about 104 days of guest time), which is far past any
 * run this simulator is meant for; we refuse to go beyond it rather than lose precision.
 */

/** Nanoseconds of virtual time. */
export type Nanos = number;

/** Convenience multipliers for virtual time. */
export const NS_PER_US = 1_000;
/** Nanoseconds per millisecond. */
export const NS_PER_MS = 1_000_000;
/** Nanoseconds per second. */
export const NS_PER_SEC = 1_000_000_000;
/** Largest virtual time we keep exact. */
export const MAX_VIRTUAL_TIME: Nanos = Number.MAX_SAFE_INTEGER;

/** A scheduled callback; cancel() makes it a no-op if it has not run yet. */
export interface TimerHandle {
  /** Removes the event if it is still pending. */
  cancel(): void;
  /** True while the event is still waiting to run. */
  readonly pending: boolean;
}

interface Entry {
  when: Nanos;
  seq: number;
  label: string;
  fn: () => void;
  cancelled: boolean;
  done: boolean;
}

/** Why a run loop returned. */
export type RunResult = 'idle' | 'deadline' | 'stopped' | 'budget';

/**
 * Orders events by time, then by insertion, so equal-time events run in the order they
 * were scheduled: this is what makes two runs with the same inputs byte-identical.
 */
export class Scheduler {
  private heap: Entry[] = [];
  private seq = 0;
  private time: Nanos = 0;
  private stopRequested = false;
  private liveCount = 0;
  /** Events executed since creation (a cheap progress measure for benches and traces). */
  executed = 0;

  /** Current virtual time in nanoseconds. */
  now(): Nanos {
    return this.time;
  }

  /** Number of events still waiting. */
  get pendingCount(): number {
    return this.liveCount;
  }

  /** Time of the earliest pending event, or undefined when the machine is quiescent. */
  nextDeadline(): Nanos | undefined {
    this.dropCancelledTop();
    return this.heap.length > 0 ? this.heap[0]!.when : undefined;
  }

  /** Runs fn after delay nanoseconds of virtual time (0 = after everything already due now). */
  after(delay: Nanos, label: string, fn: () => void): TimerHandle {
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new RangeError(`bad delay ${delay} for ${label}`);
    return this.at(this.time + Math.round(delay), label, fn);
  }

  /** Runs fn at absolute virtual time `when` (clamped to now). */
  at(when: Nanos, label: string, fn: () => void): TimerHandle {
    if (when > MAX_VIRTUAL_TIME) throw new RangeError(`virtual time ${when} is past the exact range`);
    const e: Entry = { when: Math.max(when, this.time), seq: this.seq++, label, fn, cancelled: false, done: false };
    this.push(e);
    this.liveCount++;
    return {
      cancel: () => {
        if (!e.cancelled && !e.done) {
          e.cancelled = true;
          this.liveCount--;
        }
      },
      get pending() {
        return !e.cancelled && !e.done;
      },
    };
  }

  /** Asks a running loop to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs events in order until none remain (quiescence), the virtual deadline is reached
   * (time advances to exactly the deadline), stop() is called, or maxEvents have run.
   */
  run(deadline: Nanos = MAX_VIRTUAL_TIME, maxEvents = Number.POSITIVE_INFINITY): RunResult {
    this.stopRequested = false;
    let n = 0;
    for (;;) {
      if (this.stopRequested) return 'stopped';
      if (n >= maxEvents) return 'budget';
      this.dropCancelledTop();
      const top = this.heap[0];
      if (top === undefined) {
        if (deadline !== MAX_VIRTUAL_TIME && deadline > this.time) this.time = deadline;
        return 'idle';
      }
      if (top.when > deadline) {
        this.time = Math.max(this.time, deadline);
        return 'deadline';
      }
      this.pop();
      this.time = top.when;
      top.done = true;
      this.liveCount--;
      this.executed++;
      n++;
      top.fn();
    }
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.when < b.when || (a.when === b.when && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** What a component that only schedules work needs from the scheduler. */
export type SchedulerView = Pick<Scheduler, 'now' | 'after' | 'at'>;

/**
 * A view of the scheduler whose events can all be switched off at once: a guest kernel
 * runs on one, so a machine reset silences every timer and wake-up of the old guest.
 */
export class GatedScheduler implements SchedulerView {
  private open = true;

  /** Wraps `sched`. */
  constructor(private readonly sched: Scheduler) {}

  /** Current virtual time. */
  now(): Nanos {
    return this.sched.now();
  }

  /** As Scheduler.after, but the callback does nothing once the gate is closed. */
  after(delay: Nanos, label: string, fn: () => void): TimerHandle {
    return this.sched.after(delay, label, () => this.open && fn());
  }

  /** As Scheduler.at, gated. */
  at(when: Nanos, label: string, fn: () => void): TimerHandle {
    return this.sched.at(when, label, () => this.open && fn());
  }

  /** Stops every pending and future callback scheduled through this view. */
  close(): void {
    this.open = false;
  }

  /** False after close(). */
  get isOpen(): boolean {
    return this.open;
  }
}
