/**
 * Signal numbers, their default actions, and the wait-status encoding waitpid() reports,
 * all as on x86_64 Linux.
 */

/** Hangup. */
export const SIGHUP = 1;
/** Interrupt from keyboard. */
export const SIGINT = 2;
/** Quit. */
export const SIGQUIT = 3;
/** Illegal instruction. */
export const SIGILL = 4;
/** Abort. */
export const SIGABRT = 6;
/** Bus error. */
export const SIGBUS = 7;
/** Floating point exception. */
export const SIGFPE = 8;
/** Kill (cannot be caught or ignored). */
export const SIGKILL = 9;
/** User signal 1. */
export const SIGUSR1 = 10;
/** Segmentation fault; also how a program dies of an uncaught Errno or exception. */
export const SIGSEGV = 11;
/** User signal 2. */
export const SIGUSR2 = 12;
/** Write to a pipe with no readers. */
export const SIGPIPE = 13;
/** Timer. */
export const SIGALRM = 14;
/** Termination request. */
export const SIGTERM = 15;
/** Child stopped or terminated. */
export const SIGCHLD = 17;
/** Continue (no job control: ignored). */
export const SIGCONT = 18;
/** Stop (no job control: treated as ignored). */
export const SIGSTOP = 19;
/** Terminal stop (no job control: treated as ignored). */
export const SIGTSTP = 20;
/** Window size change. */
export const SIGWINCH = 28;
/** I/O possible on an O_ASYNC file (SIGPOLL); terminates by default. */
export const SIGIO = 29;
/** Power failure. */
export const SIGPWR = 30;
/** Highest signal number accepted. */
export const NSIG = 64;

const NAMES: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS',
  8: 'SIGFPE', 9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE',
  14: 'SIGALRM', 15: 'SIGTERM', 16: 'SIGSTKFLT', 17: 'SIGCHLD', 18: 'SIGCONT', 19: 'SIGSTOP',
  20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU', 23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ',
  26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO', 30: 'SIGPWR', 31: 'SIGSYS',
};

/** "SIGTERM" for 15; "SIG<n>" for numbers without a name (real-time signals). */
export function signalName(sig: number): string {
  return NAMES[sig] ?? `SIG${sig}`;
}

// Stop signals have no job control to act on, so they fall in with the ignored ones.
const IGNORED_BY_DEFAULT = new Set([SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, 21, 22, 23, SIGWINCH]);

/** True when a signal's default action is to terminate the process. */
export function isFatalByDefault(sig: number): boolean {
  return !IGNORED_BY_DEFAULT.has(sig);
}

/** A signal disposition: the default action, ignore, or a handler run at delivery. */
export type SignalAction = 'default' | 'ignore' | ((sig: number) => void);

/** sigprocmask(): add to the blocked set. */
export const SIG_BLOCK = 0;
/** sigprocmask(): remove from the blocked set. */
export const SIG_UNBLOCK = 1;
/** sigprocmask(): replace the blocked set. */
export const SIG_SETMASK = 2;

/** waitpid(): return at once if no child has changed state. */
export const WNOHANG = 1;

/** Status word of a process that exited with `code` (as waitpid reports it). */
export function exitedStatus(code: number): number {
  return (code & 0xff) << 8;
}

/** Status word of a process killed by `sig`. */
export function signaledStatus(sig: number): number {
  return sig & 0x7f;
}

/** True if the child exited normally. */
export function WIFEXITED(status: number): boolean {
  return (status & 0x7f) === 0;
}

/** The exit code of a normally exited child. */
export function WEXITSTATUS(status: number): number {
  return (status >> 8) & 0xff;
}

/** True if the child was killed by a signal. */
export function WIFSIGNALED(status: number): boolean {
  const s = status & 0x7f;
  return s !== 0 && s !== 0x7f;
}

/** The signal that killed a signalled child. */
export function WTERMSIG(status: number): number {
  return status & 0x7f;
}

/** "exited 0" / "killed by SIGTERM": how traces and tests print a status. */
export function describeStatus(status: number): string {
  return WIFEXITED(status) ? `exited ${WEXITSTATUS(status)}` : `killed by ${signalName(WTERMSIG(status))}`;
}
