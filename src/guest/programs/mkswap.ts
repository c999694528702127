/**
 * mkswap(8) from util-linux: writes a version-1 swap header on a block device (or a
 * regular file), with a random UUID from /dev/urandom unless -U gives one, and reports
 * the size the way util-linux does.
 */
import { O_EXCL, O_RDONLY, O_RDWR, S_ISBLK, S_ISREG, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { BLKGETSIZE64 } from '../kernel/block/ioctl.js';
import { SWAP_LABEL_SIZE, SWAP_MIN_PAGES, SWAP_PAGE_SIZE, encodeSwapHeader } from '../../abi/swap.js';
import { isGuid } from '../../abi/partition.js';
import { getopt, usageError } from './lib/getopt.js';
import { humanSize } from './lib/human-size.js';
import { errText, writeAll } from './stdio.js';

function* randomUuid(sys: Syscalls): SysCall<string> {
  const fd = yield* sys.open('/dev/urandom', O_RDONLY);
  let b: Uint8Array;
  try {
    b = yield* sys.read(fd, 16);
  } finally {
    sys.close(fd);
  }
  const u = Uint8Array.from(b);
  u[6] = ((u[6] ?? 0) & 0x0f) | 0x40;
  u[8] = ((u[8] ?? 0) & 0x3f) | 0x80;
  const h = [...u].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** mkswap [-L label] [-U uuid] DEVICE */
export function* mkswapMain(sys: Syscalls, argv: string[]): Program {
  const prog = 'mkswap';
  const p = getopt(prog, argv.slice(1), { short: 'L:U:', long: [{ name: 'label', key: 'L', arg: 'required' }, { name: 'uuid', key: 'U', arg: 'required' }] });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  let label = '';
  let uuid: string | undefined;
  for (const o of p.opts) {
    if (o.key === 'L') label = o.value ?? '';
    else uuid = o.value;
  }
  const dev = p.operands[0];
  if (dev === undefined || p.operands.length > 1) {
    yield* usageError(sys, prog, `${prog}: ${dev === undefined ? 'no device specified' : 'too many arguments'}`);
    return 1;
  }
  if (uuid !== undefined && !isGuid(uuid)) {
    yield* writeAll(sys, 2, `${prog}: error: parsing UUID failed\n`);
    return 1;
  }
  let fd: number;
  try {
    const st = yield* sys.stat(dev);
    fd = yield* sys.open(dev, O_RDWR | (S_ISBLK(st.mode) ? O_EXCL : 0));
  } catch (e) {
    yield* writeAll(sys, 2, `${prog}: cannot open ${dev}: ${errText(e)}\n`);
    return 1;
  }
  try {
    const st = sys.fstat(fd);
    let size = st.size;
    if (S_ISBLK(st.mode)) {
      const buf = new Uint8Array(8);
      yield* sys.ioctl(fd, BLKGETSIZE64, buf);
      size = Number(new DataView(buf.buffer).getBigUint64(0, true));
    } else if (!S_ISREG(st.mode)) {
      yield* writeAll(sys, 2, `${prog}: error: ${dev} is not a block device or a regular file\n`);
      return 1;
    }
    const pages = Math.floor(size / SWAP_PAGE_SIZE);
    if (pages < SWAP_MIN_PAGES) {
      yield* writeAll(sys, 2, `${prog}: error: swap area needs to be at least ${(SWAP_MIN_PAGES * SWAP_PAGE_SIZE) / 1024} KiB\n`);
      return 1;
    }
    if (label.length >= SWAP_LABEL_SIZE) {
      yield* writeAll(sys, 2, `${prog}: warning: label is too long. Truncating it to '${label.slice(0, SWAP_LABEL_SIZE - 1)}'.\n`);
    }
    const id = uuid ?? (yield* randomUuid(sys));
    const header = encodeSwapHeader(pages, id, label);
    let off = 0;
    while (off < header.length) off += yield* sys.pwrite(fd, header.subarray(off), off);
    yield* sys.fsync(fd);
    const bytes = (pages - 1) * SWAP_PAGE_SIZE;
    const shownLabel = label.slice(0, SWAP_LABEL_SIZE - 1);
    yield* writeAll(sys, 1, `Setting up swapspace version 1, size = ${humanSize(bytes)} (${bytes} bytes)\n${shownLabel === '' ? 'no label' : `LABEL=${shownLabel}`}, UUID=${id}\n`);
    return 0;
  } catch (e) {
    yield* writeAll(sys, 2, `${prog}: ${dev}: ${errText(e)}\n`);
    return 1;
  } finally {
    sys.close(fd);
  }
}
