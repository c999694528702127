/** head(1): the first lines (-n) or bytes (-c) of files or stdin; a negative count drops that much from the end. */
import { Errno, O_RDONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { getopt, usageError } from './lib/getopt.js';
import { InputError, errText, readAll, readInput, writeAll } from './stdio.js';

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1, b: 512, kB: 1000, K: 1024, KiB: 1024, MB: 1000 ** 2, M: 1024 ** 2, MiB: 1024 ** 2, GB: 1000 ** 3, G: 1024 ** 3, GiB: 1024 ** 3,
};

/** Parses head's COUNT: [-]digits[suffix]; undefined if invalid. */
export function parseCount(s: string): { n: number; allBut: boolean } | undefined {
  const m = /^([-+]?)(\d+)([A-Za-z]*)$/.exec(s);
  const mult = m === null ? undefined : SUFFIX[m[3] ?? ''];
  if (m === null || mult === undefined) return undefined;
  return { n: Number(m[2]) * mult, allBut: m[1] === '-' };
}

function* headFd(sys: Syscalls, fd: number, lines: boolean, n: number, allBut: boolean, delim: number): SysCall<void> {
  if (allBut) {
    let data: Uint8Array;
    try {
      data = yield* readAll(sys, fd);
    } catch (e) {
      if (e instanceof Errno) throw new InputError(e);
      throw e;
    }
    let end = Math.max(0, data.length - n);
    if (lines) {
      // Line ends; a final line without a newline counts as a line too.
      const ends: number[] = [];
      data.forEach((b, i) => {
        if (b === delim) ends.push(i + 1);
      });
      if (data.length > 0 && data[data.length - 1] !== delim) ends.push(data.length);
      const keep = ends.length - n;
      end = keep <= 0 ? 0 : (ends[keep - 1] ?? 0);
    }
    yield* writeAll(sys, 1, data.subarray(0, end));
    return;
  }
  let left = n;
  while (left > 0) {
    const d = yield* readInput(sys, fd, lines ? 65536 : Math.min(65536, left));
    if (d.length === 0) return;
    if (!lines) {
      yield* writeAll(sys, 1, d);
      left -= d.length;
      continue;
    }
    let cut = d.length;
    for (let i = 0; i < d.length; i++) {
      if (d[i] === delim && --left === 0) {
        cut = i + 1;
        break;
      }
    }
    yield* writeAll(sys, 1, d.subarray(0, cut));
  }
}

/** head [-n [-]N | -c [-]N] [-qv] [FILE]... */
export function* headMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'head';
  let args = argv.slice(1);
  // The obsolete "head -5" form.
  if (/^-\d+$/.test(args[0] ?? '')) args = ['-n', (args[0] ?? '').slice(1), ...args.slice(1)];
  const p = getopt(prog, args, {
    short: 'n:c:qvz',
    long: [
      { name: 'lines', key: 'n', arg: 'required' },
      { name: 'bytes', key: 'c', arg: 'required' },
      { name: 'quiet', key: 'q', arg: 'none' },
      { name: 'silent', key: 'q', arg: 'none' },
      { name: 'verbose', key: 'v', arg: 'none' },
      { name: 'zero-terminated', key: 'z', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  let lines = true;
  let count = { n: 10, allBut: false };
  let headers: boolean | undefined;
  let delim = 10;
  for (const o of p.opts) {
    if (o.key === 'z') {
      delim = 0;
      continue;
    }
    if (o.key === 'n' || o.key === 'c') {
      const c = parseCount(o.value ?? '');
      if (c === undefined) {
        yield* writeAll(sys, 2, `${prog}: invalid number of ${o.key === 'n' ? 'lines' : 'bytes'}: '${o.value ?? ''}'\n`);
        return 1;
      }
      lines = o.key === 'n';
      count = c;
    } else headers = o.key === 'v';
  }
  const files = p.operands.length > 0 ? p.operands : ['-'];
  const showHeaders = headers ?? files.length > 1;
  let status = 0;
  let first = true;
  for (const f of files) {
    let fd = 0;
    if (f !== '-') {
      try {
        fd = yield* sys.open(f, O_RDONLY);
      } catch (e) {
        yield* writeAll(sys, 2, `${prog}: cannot open '${f}' for reading: ${errText(e)}\n`);
        status = 1;
        continue;
      }
    }
    const name = f === '-' ? 'standard input' : f;
    if (showHeaders) yield* writeAll(sys, 1, `${first ? '' : '\n'}==> ${name} <==\n`);
    first = false;
    try {
      yield* headFd(sys, fd, lines, count.n, count.allBut, delim);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      yield* writeAll(sys, 2, `${prog}: error reading '${name}': ${e.message}\n`);
      status = 1;
    } finally {
      if (fd !== 0) sys.close(fd);
    }
  }
  return status;
}
