/**
 * The process freezer: a scheduler view for process scheduling only. While frozen, every
 * process event that comes due (a wake-up, a timeout) is held instead of run, and all of
 * them run, in order, when the freezer thaws; kernel work on the underlying clock goes on.
 * Time is not shifted: a timeout that expired while frozen simply fires at the thaw, as a
 * frozen task's timer does in Linux.
 */
import type { Nanos, SchedulerView, TimerHandle } from '../../core/scheduler.js';

interface Held {
  label: string;
  fn: () => void;
  cancelled: boolean;
}

/** A freezable view of a scheduler. */
export class TaskFreezer implements SchedulerView {
  private frozen = false;
  private held: Held[] = [];

  /** Schedules on `base`. */
  constructor(private readonly base: SchedulerView) {}

  /** The base clock's time. */
  now(): Nanos {
    return this.base.now();
  }

  /** True while frozen. */
  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Events held so far. */
  get heldCount(): number {
    return this.held.filter((h) => !h.cancelled).length;
  }

  /** As Scheduler.after. */
  after(delay: Nanos, label: string, fn: () => void): TimerHandle {
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new RangeError(`bad delay ${delay} for ${label}`);
    return this.at(this.base.now() + Math.round(delay), label, fn);
  }

  /** As Scheduler.at; the callback is held if it comes due while frozen. */
  at(when: Nanos, label: string, fn: () => void): TimerHandle {
    const entry: Held = { label, fn, cancelled: false };
    let fired = false;
    const h = this.base.at(when, label, () => {
      fired = true;
      if (entry.cancelled) return;
      if (this.frozen) this.held.push(entry);
      else fn();
    });
    return {
      cancel: () => {
        entry.cancelled = true;
        h.cancel();
      },
      get pending() {
        return !entry.cancelled && (!fired || h.pending);
      },
    };
  }

  /** Stops running process events. */
  freeze(): void {
    this.frozen = true;
  }

  /** Runs everything held, in the order it came due, and lets events through again. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    for (const e of this.held.splice(0)) {
      this.base.after(0, e.label, () => {
        if (!e.cancelled) e.fn();
      });
    }
  }
}
