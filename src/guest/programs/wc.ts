/** wc(1): newline, word, character and byte counts, with coreutils' column widths and a total line. */
import { O_RDONLY, S_ISREG, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { getopt, usageError } from './lib/getopt.js';
import { InputError, errText, readInput, writeAll } from './stdio.js';

interface Counts {
  lines: number;
  words: number;
  chars: number;
  bytes: number;
  maxLine: number;
}

const zero = (): Counts => ({ lines: 0, words: 0, chars: 0, bytes: 0, maxLine: 0 });

// C-locale isspace().
const isSpace = (b: number): boolean => b === 32 || (b >= 9 && b <= 13);

function* countFd(sys: Syscalls, fd: number, c: Counts): SysCall<void> {
  let inWord = false;
  let lineLen = 0;
  for (;;) {
    const d = yield* readInput(sys, fd, 65536);
    if (d.length === 0) break;
    c.bytes += d.length;
    for (const b of d) {
      if ((b & 0xc0) !== 0x80) c.chars++;
      if (b === 10) {
        c.lines++;
        c.maxLine = Math.max(c.maxLine, lineLen);
        lineLen = 0;
      } else if (b === 9) lineLen += 8 - (lineLen % 8);
      else if ((b & 0xc0) !== 0x80) lineLen++;
      if (isSpace(b)) inWord = false;
      else if (!inWord) {
        inWord = true;
        c.words++;
      }
    }
  }
  c.maxLine = Math.max(c.maxLine, lineLen);
}

/** wc [-clmwL] [FILE]... */
export function* wcMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'wc';
  const p = getopt(prog, argv.slice(1), {
    short: 'clmwL',
    long: [
      { name: 'bytes', key: 'c', arg: 'none' },
      { name: 'chars', key: 'm', arg: 'none' },
      { name: 'lines', key: 'l', arg: 'none' },
      { name: 'words', key: 'w', arg: 'none' },
      { name: 'max-line-length', key: 'L', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  const keys = new Set(p.opts.map((o) => o.key));
  if (keys.size === 0) for (const k of 'lwc') keys.add(k);
  const files = p.operands.length > 0 ? p.operands : ['-'];
  const results: { name: string | undefined; counts: Counts; error: string | undefined; show: boolean }[] = [];
  let status = 0;
  let regularTotal = 0;
  let minWidth = 1;
  for (const f of files) {
    let fd = 0;
    if (f !== '-') {
      try {
        fd = yield* sys.open(f, O_RDONLY);
      } catch (e) {
        results.push({ name: f, counts: zero(), error: `${prog}: ${f}: ${errText(e)}\n`, show: false });
        status = 1;
        continue;
      }
    }
    const st = sys.fstat(fd);
    if (S_ISREG(st.mode)) regularTotal += st.size;
    else minWidth = 7;
    const counts = zero();
    let error: string | undefined;
    try {
      yield* countFd(sys, fd, counts);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      error = `${prog}: ${f}: ${e.message}\n`;
      status = 1;
    } finally {
      if (fd !== 0) sys.close(fd);
    }
    results.push({ name: p.operands.length > 0 ? f : undefined, counts, error, show: true });
  }
  // One count of one input is not padded; otherwise the width fits the total size.
  let width = Math.max(String(regularTotal).length, minWidth);
  if (keys.size === 1 && files.length === 1) width = 1;
  const order: [string, keyof Counts][] = [['l', 'lines'], ['w', 'words'], ['m', 'chars'], ['c', 'bytes'], ['L', 'maxLine']];
  const line = (c: Counts, name: string | undefined): string =>
    order.filter(([k]) => keys.has(k)).map(([, f]) => String(c[f]).padStart(width)).join(' ') + (name === undefined ? '' : ` ${name}`) + '\n';
  const total = zero();
  for (const r of results) {
    if (r.error !== undefined) yield* writeAll(sys, 2, r.error);
    if (!r.show) continue;
    for (const [, f] of order) total[f] = f === 'maxLine' ? Math.max(total[f], r.counts[f]) : total[f] + r.counts[f];
    yield* writeAll(sys, 1, line(r.counts, r.name));
  }
  if (files.length > 1) yield* writeAll(sys, 1, line(total, 'total'));
  return status;
}
