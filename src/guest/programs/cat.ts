/** cat(1): copies files (or stdin, for none or "-") to stdout; -n numbers lines, -E marks line ends. */
import { Errno, O_RDONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { ByteBuilder } from './lib/bytes.js';
import { getopt, usageError } from './lib/getopt.js';
import { InputError, complain, readInput, writeAll } from './stdio.js';

interface CatState {
  number: boolean;
  ends: boolean;
  line: number;
  atLineStart: boolean;
}

function decorate(d: Uint8Array, st: CatState): Uint8Array {
  const out = new ByteBuilder();
  for (const b of d) {
    if (st.atLineStart && st.number) out.text(`${String(st.line++).padStart(6)}\t`);
    st.atLineStart = b === 10;
    if (b === 10 && st.ends) out.byte(0x24);
    out.byte(b);
  }
  return out.bytes();
}

function* copy(sys: Syscalls, fd: number, st: CatState): SysCall<void> {
  for (;;) {
    const d = yield* readInput(sys, fd, 65536);
    if (d.length === 0) return;
    yield* writeAll(sys, 1, st.number || st.ends ? decorate(d, st) : d);
  }
}

/** cat [-nEu] [file...] */
export function* catMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'cat';
  const p = getopt(prog, argv.slice(1), { short: 'nEu', long: [{ name: 'number', key: 'n', arg: 'none' }, { name: 'show-ends', key: 'E', arg: 'none' }] });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  const st: CatState = { number: false, ends: false, line: 1, atLineStart: true };
  for (const o of p.opts) {
    if (o.key === 'n') st.number = true;
    if (o.key === 'E') st.ends = true;
  }
  const files = p.operands.length > 0 ? p.operands : ['-'];
  let status = 0;
  for (const f of files) {
    let fd = 0;
    try {
      if (f !== '-') fd = yield* sys.open(f, O_RDONLY);
    } catch (e) {
      yield* complain(sys, prog, f, e);
      status = 1;
      continue;
    }
    try {
      yield* copy(sys, fd, st);
    } catch (e) {
      // Read failures name the file and go on; a write failure ends cat.
      if (e instanceof InputError) {
        yield* complain(sys, prog, f, e.errno);
        status = 1;
        continue;
      }
      if (!(e instanceof Errno)) throw e;
      yield* complain(sys, prog, 'standard output', e);
      return 1;
    } finally {
      if (fd !== 0) sys.close(fd);
    }
  }
  return status;
}
