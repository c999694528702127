/** uname(1): system information from the uname syscall. */
import type { Program, Syscalls } from '../kernel/index.js';
import { getopt, usageError } from './lib/getopt.js';
import { writeAll } from './stdio.js';

/** uname [-asnrvmpio] */
export function* unameMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'uname';
  const p = getopt(prog, argv.slice(1), {
    short: 'asnrvmpio',
    long: [
      { name: 'all', key: 'a', arg: 'none' },
      { name: 'kernel-name', key: 's', arg: 'none' },
      { name: 'nodename', key: 'n', arg: 'none' },
      { name: 'kernel-release', key: 'r', arg: 'none' },
      { name: 'kernel-version', key: 'v', arg: 'none' },
      { name: 'machine', key: 'm', arg: 'none' },
      { name: 'processor', key: 'p', arg: 'none' },
      { name: 'hardware-platform', key: 'i', arg: 'none' },
      { name: 'operating-system', key: 'o', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  if (p.operands.length > 0) {
    yield* usageError(sys, prog, `${prog}: extra operand '${p.operands[0] ?? ''}'`);
    return 1;
  }
  const keys = new Set(p.opts.map((o) => o.key));
  const all = keys.has('a');
  if (keys.size === 0) keys.add('s');
  const u = sys.uname();
  // Fixed output order whatever the option order; -a leaves out the unknown -p and -i.
  const fields: [string, string][] = [
    ['s', u.sysname],
    ['n', u.nodename],
    ['r', u.release],
    ['v', u.version],
    ['m', u.machine],
    ['p', 'unknown'],
    ['i', 'unknown'],
    ['o', 'GNU/Linux'],
  ];
  const out = fields.filter(([k]) => keys.has(k) || (all && k !== 'p' && k !== 'i')).map(([, v]) => v);
  yield* writeAll(sys, 1, out.join(' ') + '\n');
  return 0;
}
