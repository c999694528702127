/**
 * swapon(8) and swapoff(8) from util-linux: enable or disable swap areas through the
 * syscalls, list active ones (--show, -s/--summary) from /proc/swaps.
 */
import { O_RDONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { SWAP_FLAG_PREFER, SWAP_FLAG_PRIO_MASK } from '../kernel/block/swap.js';
import { getopt, usageError } from './lib/getopt.js';
import { humanSize } from './lib/human-size.js';
import { errText, readText, writeAll } from './stdio.js';

/** Exit status of swapon when a swapon(2) call failed (its status of -1). */
const SWAPON_EX_FAILURE = 255;
/** Exit status of swapoff when swapoff(2) failed. */
const SWAPOFF_EX_FAILURE = 4;

interface SwapLine {
  name: string;
  type: string;
  kib: number;
  usedKib: number;
  prio: number;
}

function* readSwaps(sys: Syscalls): SysCall<{ raw: string; lines: SwapLine[] }> {
  const fd = yield* sys.open('/proc/swaps', O_RDONLY);
  let raw: string;
  try {
    raw = yield* readText(sys, fd);
  } finally {
    sys.close(fd);
  }
  const lines = raw.split('\n').slice(1).filter((l) => l.trim() !== '').map((l): SwapLine => {
    const [name = '', type = '', size = '0', used = '0', prio = '0'] = l.trim().split(/\s+/);
    return { name: name.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))), type, kib: Number(size), usedKib: Number(used), prio: Number(prio) };
  });
  return { raw, lines };
}

function showTable(lines: SwapLine[]): string {
  const rows = [['NAME', 'TYPE', 'SIZE', 'USED', 'PRIO'], ...lines.map((l) => [l.name, l.type, humanSize(l.kib * 1024, 'letter'), humanSize(l.usedKib * 1024, 'letter'), String(l.prio)])];
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' ').trimEnd() + '\n').join('');
}

/** swapon [-p PRIO] DEVICE... | swapon [--show | -s] */
export function* swaponMain(sys: Syscalls, argv: string[]): Program {
  const prog = 'swapon';
  const p = getopt(prog, argv.slice(1), {
    short: 'p:s',
    long: [{ name: 'priority', key: 'p', arg: 'required' }, { name: 'summary', key: 's', arg: 'none' }, { name: 'show', key: 'S', arg: 'none' }],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  let flags = 0;
  let mode: 'on' | 'summary' | 'show' = 'on';
  for (const o of p.opts) {
    if (o.key === 'p') {
      const v = Number(o.value);
      if (!Number.isInteger(v) || v < 0 || v > SWAP_FLAG_PRIO_MASK) {
        yield* writeAll(sys, 2, `${prog}: failed to parse priority: '${o.value ?? ''}'\n`);
        return 1;
      }
      flags = SWAP_FLAG_PREFER | v;
    } else if (o.key === 's') mode = 'summary';
    else mode = 'show';
  }
  if (mode !== 'on' || p.operands.length === 0) {
    const { raw, lines } = yield* readSwaps(sys);
    if (mode === 'summary') yield* writeAll(sys, 1, raw);
    else if (lines.length > 0) yield* writeAll(sys, 1, showTable(lines));
    return 0;
  }
  let status = 0;
  for (const dev of p.operands) {
    try {
      yield* sys.swapon(dev, flags);
    } catch (e) {
      yield* writeAll(sys, 2, `${prog}: ${dev}: swapon failed: ${errText(e)}\n`);
      status = SWAPON_EX_FAILURE;
    }
  }
  return status;
}

/** swapoff DEVICE... */
export function* swapoffMain(sys: Syscalls, argv: string[]): Program {
  const prog = 'swapoff';
  const p = getopt(prog, argv.slice(1), {});
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  let status = 0;
  for (const dev of p.operands) {
    try {
      yield* sys.swapoff(dev);
    } catch (e) {
      yield* writeAll(sys, 2, `${prog}: ${dev}: swapoff failed: ${errText(e)}\n`);
      status = SWAPOFF_EX_FAILURE;
    }
  }
  return status;
}
