/** true(1) and false(1). */
import type { Program, Syscalls } from '../kernel/index.js';

/** Exits 0. */
export function* trueMain(_sys: Syscalls, _argv: string[]): Program {
  return 0;
}

/** Exits 1. */
export function* falseMain(_sys: Syscalls, _argv: string[]): Program {
  return 1;
}
