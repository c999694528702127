/**
 * Signal names without the SIG prefix (as kill -l prints them) and glibc's strsignal()
 * descriptions (what a shell prints when a foreground job dies of a signal).
 */
import { NSIG, signalName } from '../../kernel/index.js';

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  1: 'Hangup', 2: 'Interrupt', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1', 11: 'Segmentation fault',
  12: 'User defined signal 2', 13: 'Broken pipe', 14: 'Alarm clock', 15: 'Terminated', 16: 'Stack fault',
  17: 'Child exited', 18: 'Continued', 19: 'Stopped (signal)', 20: 'Stopped', 21: 'Stopped (tty input)',
  22: 'Stopped (tty output)', 23: 'Urgent I/O condition', 24: 'CPU time limit exceeded', 25: 'File size limit exceeded',
  26: 'Virtual timer expired', 27: 'Profiling timer expired', 28: 'Window changed', 29: 'I/O possible',
  30: 'Power failure', 31: 'Bad system call',
};

/** strsignal(): "Terminated" for 15, "Real-time signal N" above 31. */
export function strsignal(sig: number): string {
  return DESCRIPTIONS[sig] ?? (sig >= 34 && sig <= NSIG ? `Real-time signal ${sig - 34}` : `Unknown signal ${sig}`);
}

/** "TERM" for 15 (kill -l style); real-time signals are "RTMIN+n". */
export function shortSignalName(sig: number): string {
  if (sig >= 34 && sig <= NSIG) return sig === 34 ? 'RTMIN' : sig === NSIG ? 'RTMAX' : sig < 50 ? `RTMIN+${sig - 34}` : `RTMAX-${NSIG - sig}`;
  return signalName(sig).replace(/^SIG/, '');
}

/** A signal number from "TERM", "SIGTERM", "term" or "15"; undefined if unknown. */
export function parseSignal(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n <= NSIG ? n : undefined;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  for (let n = 1; n <= NSIG; n++) if (n !== 32 && n !== 33 && shortSignalName(n) === name) return n;
  return undefined;
}
