/** echo(1): its arguments separated by spaces; -n leaves out the newline. */
import type { Program, Syscalls } from '../kernel/index.js';
import { complain, writeAll } from './stdio.js';

/** echo [-n] [args...] */
export function* echoMain(sys: Syscalls, argv: string[]): Program {
  let args = argv.slice(1);
  let newline = true;
  if (args[0] === '-n') {
    newline = false;
    args = args.slice(1);
  }
  try {
    yield* writeAll(sys, 1, args.join(' ') + (newline ? '\n' : ''));
  } catch (e) {
    yield* complain(sys, 'echo', 'write error', e);
    return 1;
  }
  return 0;
}
