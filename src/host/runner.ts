/**
 * Drives a machine from the host event loop. This is the realtime pacing edge: the only
 * place besides chardevs that reads host time. In `realtime` mode virtual time follows
 * host time (a guest `sleep 5` takes five seconds); in `virtual` mode the machine runs as
 * fast as it can and waits only for host input.
 */
import type { Nanos, Scheduler } from '../core/scheduler.js';

/** Events one slice may run before yielding to Node's event loop, so sockets stay serviced. */
export const RUNNER_SLICE_EVENTS = 20_000;
/** Virtual time one slice may cover in virtual mode, for the same reason (guest timers can be sparse). */
export const RUNNER_VIRTUAL_SLICE_NS = 50_000_000;

/** The part of a machine the runner needs. */
export interface Runnable {
  /** The machine's scheduler. */
  readonly sched: Scheduler;
  /** False while paused (stop, prelaunch, suspended, shut down). */
  isRunning(): boolean;
  /** Whether virtual time advances (when absent: isRunning); a machine suspended to RAM keeps its clock going. */
  clockRunning?(): boolean;
}

/** Pacing mode. */
export type PacingMode = 'realtime' | 'virtual';

/** Runs a machine until stopped, sleeping on host timers between events. */
export class MachineRunner {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private anchorHost = 0n;
  private anchorVirtual: Nanos = 0;
  private wasRunning = false;
  private stopped = false;

  /** Wraps the machine; call start(). */
  constructor(
    private readonly m: Runnable,
    private readonly mode: PacingMode,
  ) {}

  /** Starts pacing. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Host input arrived or run state changed: look again now. */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** Runs what is due up to the current host-derived time, so host input is stamped at "now". */
  catchUp(): void {
    if (this.mode !== 'realtime' || !this.wasRunning || !this.clockOn()) return;
    const target = this.anchorVirtual + Number(process.hrtime.bigint() - this.anchorHost);
    if (target > this.m.sched.now()) this.m.sched.run(target, RUNNER_SLICE_EVENTS);
  }

  /** Stops pacing (the machine keeps its state). */
  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clockOn(): boolean {
    return this.m.clockRunning ? this.m.clockRunning() : this.m.isRunning();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private schedule(delayMs: number): void {
    this.clear();
    if (delayMs <= 0) this.immediate = setImmediate(() => this.tick());
    else this.timer = setTimeout(() => this.tick(), Math.min(delayMs, 2 ** 31 - 1));
  }

  private tick(): void {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.stopped) return;
    const s = this.m.sched;
    if (!this.clockOn()) {
      this.wasRunning = false;
      return; // wake() resumes us
    }
    if (!this.wasRunning) {
      this.anchorHost = process.hrtime.bigint();
      this.anchorVirtual = s.now();
      this.wasRunning = true;
    }
    if (this.mode === 'virtual') {
      const next = s.nextDeadline();
      if (next === undefined) return; // idle until wake()
      const r = s.run(Math.max(next, s.now() + RUNNER_VIRTUAL_SLICE_NS), RUNNER_SLICE_EVENTS);
      if (r !== 'idle' || s.nextDeadline() !== undefined) this.schedule(0);
      return;
    }
    const target = this.anchorVirtual + Number(process.hrtime.bigint() - this.anchorHost);
    const r = s.run(target, RUNNER_SLICE_EVENTS);
    if (r === 'budget' || r === 'stopped') return this.schedule(0);
    const next = s.nextDeadline();
    if (next !== undefined) this.schedule(Math.max(1, (next - s.now()) / 1e6));
    // Otherwise idle until wake(): the clock catches up from the anchor when it resumes.
  }
}
