/** sleep(1): waits NUMBER[smhd] of virtual time (the sum of all arguments). */
import { NS_PER_SEC } from '../../core/scheduler.js';
import { Errno, type Program, type Syscalls } from '../kernel/index.js';
import { usageError } from './lib/getopt.js';
import { writeAll } from './stdio.js';

const UNIT: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses one sleep(1) operand into nanoseconds (Infinity for "inf"), or undefined if invalid. */
export function parseDuration(arg: string): number | undefined {
  if (/^(inf|infinity)[smhd]?$/i.test(arg)) return Infinity;
  const m = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?([smhd]?)$/.exec(arg);
  if (m === null) return undefined;
  const num = Number(arg.slice(0, arg.length - (m[2] ?? '').length));
  return Math.round(num * (UNIT[m[2] ?? ''] ?? 1) * NS_PER_SEC);
}

/** sleep NUMBER[smhd]... */
export function* sleepMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'sleep';
  const args = argv.slice(1);
  if (args[0] === '--') args.shift();
  if (args.length === 0) {
    yield* usageError(sys, prog, `${prog}: missing operand`);
    return 1;
  }
  let total = 0;
  let bad = false;
  for (const a of args) {
    const ns = parseDuration(a);
    if (ns === undefined) {
      yield* writeAll(sys, 2, `${prog}: invalid time interval '${a}'\n`);
      bad = true;
      continue;
    }
    total += ns;
  }
  if (bad) {
    yield* writeAll(sys, 2, `Try '${prog} --help' for more information.\n`);
    return 1;
  }
  while (total === Infinity) {
    try {
      yield* sys.pause();
    } catch (e) {
      if (!Errno.is(e, 'EINTR')) throw e;
    }
  }
  yield* sys.sleep(total);
  return 0;
}
