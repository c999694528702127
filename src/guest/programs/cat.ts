/** cat(1): copies files (or stdin, for none or "-") to stdout. */
import { O_RDONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { complain, writeAll } from './stdio.js';

function* copy(sys: Syscalls, fd: number): SysCall<void> {
  for (;;) {
    const d = yield* sys.read(fd, 65536);
    if (d.length === 0) return;
    yield* writeAll(sys, 1, d);
  }
}

/** cat [file...] */
export function* catMain(sys: Syscalls, argv: string[]): Program {
  const files = argv.length > 1 ? argv.slice(1) : ['-'];
  let status = 0;
  for (const f of files) {
    let fd = 0;
    try {
      if (f !== '-') fd = yield* sys.open(f, O_RDONLY);
      try {
        yield* copy(sys, fd);
      } finally {
        if (fd !== 0) sys.close(fd);
      }
    } catch (e) {
      yield* complain(sys, 'cat', f, e);
      status = 1;
    }
  }
  return status;
}
