/** printf(1) from coreutils: formats its arguments under control of a format string. */
import type { Program, Syscalls } from '../kernel/index.js';
import { usageError } from './lib/getopt.js';
import { coreutilsPrintfMessage, runPrintf } from './lib/printf-format.js';
import { complain, writeAll } from './stdio.js';

/** printf FORMAT [ARGUMENT]... */
export function* printfMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'printf';
  let args = argv.slice(1);
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) {
    yield* usageError(sys, prog, `${prog}: missing operand`);
    return 1;
  }
  const r = runPrintf(args[0] ?? '', args.slice(1), 'echo');
  let status = r.errors.length > 0 || r.fatal ? 1 : 0;
  try {
    yield* writeAll(sys, 1, r.out);
  } catch (e) {
    yield* complain(sys, prog, 'write error', e);
    status = 1;
  }
  for (const e of r.errors) yield* writeAll(sys, 2, `${prog}: ${coreutilsPrintfMessage(e)}\n`);
  if (r.excess !== undefined) yield* writeAll(sys, 2, `${prog}: warning: ignoring excess arguments, starting with '${r.excess}'\n`);
  return status;
}
