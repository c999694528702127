/** QEMU's run states (the subset this machine can be in) and what query-status reports. */

/** Run state names exactly as QMP reports them. */
export type RunState = 'prelaunch' | 'running' | 'paused' | 'suspended' | 'shutdown' | 'internal-error';

/** True for states in which virtual time advances and the guest executes. */
export function isRunningState(s: RunState): boolean {
  return s === 'running';
}

/** True for states in which virtual time advances: running, and suspended to RAM (the clock keeps going). */
export function clockRunsIn(s: RunState): boolean {
  return s === 'running' || s === 'suspended';
}

/** States left only through system_reset (QEMU's runstate_needs_reset). */
export function needsReset(s: RunState): boolean {
  return s === 'shutdown' || s === 'internal-error';
}

/** A QMP event as the machine emits it (the monitor serialises it). */
export interface MachineEvent {
  /** Event name, e.g. `STOP`. */
  event: string;
  /** Event data (omitted when the event has none). */
  data?: Record<string, unknown>;
  /** Wall-clock time derived from virtual time: seconds and microseconds. */
  timestamp: { seconds: number; microseconds: number };
}

/** Reasons QEMU reports in SHUTDOWN and RESET events. */
export type ShutdownCause = 'host-qmp-quit' | 'host-qmp-system-reset' | 'host-signal' | 'host-error' | 'guest-shutdown' | 'guest-reset' | 'guest-panic' | 'subsystem-reset';
