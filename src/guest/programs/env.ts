/** env(1): prints the environment, or runs a command in a modified one (-i, -u NAME, NAME=VALUE). */
import { Errno, type Program, type Syscalls } from '../kernel/index.js';
import { execLike } from './lib/exec.js';
import { getopt, usageError } from './lib/getopt.js';
import { errText, writeAll } from './stdio.js';

/** env [-i0] [-u NAME]... [-] [NAME=VALUE]... [COMMAND [ARG]...] */
export function* envMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'env';
  const p = getopt(prog, argv.slice(1), {
    short: 'i0u:',
    long: [
      { name: 'ignore-environment', key: 'i', arg: 'none' },
      { name: 'null', key: '0', arg: 'none' },
      { name: 'unset', key: 'u', arg: 'required' },
    ],
    stopAtOperand: true,
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 125;
  }
  let env: Record<string, string> = { ...sys.env };
  let nul = false;
  for (const o of p.opts) {
    if (o.key === 'i') env = {};
    else if (o.key === '0') nul = true;
    else if (o.key === 'u') {
      const name = o.value ?? '';
      if (name === '' || name.includes('=')) {
        yield* writeAll(sys, 2, `${prog}: cannot unset '${name}': Invalid argument\n`);
        return 125;
      }
      delete env[name];
    }
  }
  let rest = p.operands;
  if (rest[0] === '-') {
    env = {};
    rest = rest.slice(1);
  }
  while (rest.length > 0 && (rest[0] ?? '').indexOf('=') > 0) {
    const a = rest[0] ?? '';
    const eq = a.indexOf('=');
    env[a.slice(0, eq)] = a.slice(eq + 1);
    rest = rest.slice(1);
  }
  if (rest.length === 0) {
    const text = Object.entries(env).map(([k, v]) => `${k}=${v}${nul ? '\0' : '\n'}`).join('');
    yield* writeAll(sys, 1, text);
    return 0;
  }
  if (nul) {
    yield* usageError(sys, prog, `${prog}: cannot specify --null (-0) with command`);
    return 125;
  }
  const cmd = rest[0] ?? '';
  try {
    return yield* execLike(sys, cmd, rest, { env });
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    yield* writeAll(sys, 2, `${prog}: '${cmd}': ${errText(e)}\n`);
    return e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 127 : 126;
  }
}
