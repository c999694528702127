/** sleep(1): waits NUMBER[smhd] of virtual time (the sum of all arguments). */
import { NS_PER_SEC } from '../../core/scheduler.js';
import type { Program, Syscalls } from '../kernel/index.js';
import { writeAll } from './stdio.js';

const UNIT: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses one sleep(1) operand into nanoseconds, or undefined if invalid. */
export function parseDuration(arg: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * (UNIT[m[2] ?? ''] ?? 1) * NS_PER_SEC);
}

/** sleep NUMBER[smhd]... */
export function* sleepMain(sys: Syscalls, argv: string[]): Program {
  const args = argv.slice(1);
  if (args.length === 0) {
    yield* writeAll(sys, 2, 'sleep: missing operand\n');
    return 1;
  }
  let total = 0;
  for (const a of args) {
    const ns = parseDuration(a);
    if (ns === undefined) {
      yield* writeAll(sys, 2, `sleep: invalid time interval '${a}'\n`);
      return 1;
    }
    total += ns;
  }
  yield* sys.sleep(total);
  return 0;
}
