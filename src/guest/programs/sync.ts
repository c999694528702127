/** sync(1): flushes every filesystem, or with operands fsyncs just those files. */
import { O_NONBLOCK, O_RDONLY, type Program, type Syscalls } from '../kernel/index.js';
import { getopt, usageError } from './lib/getopt.js';
import { errText, writeAll } from './stdio.js';

/** sync [FILE]... */
export function* syncMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'sync';
  const p = getopt(prog, argv.slice(1), { short: 'df', long: [{ name: 'data', key: 'd', arg: 'none' }, { name: 'file-system', key: 'f', arg: 'none' }] });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  if (p.operands.length === 0) {
    yield* sys.sync();
    return 0;
  }
  let status = 0;
  for (const f of p.operands) {
    let fd: number;
    try {
      fd = yield* sys.open(f, O_RDONLY | O_NONBLOCK);
    } catch (e) {
      yield* writeAll(sys, 2, `${prog}: error opening '${f}': ${errText(e)}\n`);
      status = 1;
      continue;
    }
    try {
      yield* sys.fsync(fd);
    } catch (e) {
      yield* writeAll(sys, 2, `${prog}: error syncing '${f}': ${errText(e)}\n`);
      status = 1;
    } finally {
      sys.close(fd);
    }
  }
  return status;
}
