/**
 * FITRIM: discard free space. Metadata is written back first, so that no block freed in
 * memory but still in use on disk is discarded; free runs of at least `minlen` are then
 * sent to the device as discard bios, and held back from allocation until each completes.
 * Like ext4, a block group trimmed since its last free is skipped next time.
 */
import { SFS_BITS_PER_BLOCK, SFS_BLOCK_SIZE } from '../../../abi/simplefs.js';
import { Errno, WouldBlock } from '../../kernel/errno.js';
import { FSTRIM_RANGE_SIZE } from '../../kernel/constants.js';
import { isRoot } from '../../kernel/cred.js';
import type { FsCaller, IoctlArg } from '../../kernel/vfs/types.js';
import type { SimpleFs } from './fs.js';

/** struct fstrim_range. */
export interface TrimRange {
  /** First byte to consider. */
  start: bigint;
  /** Bytes to consider (out: bytes trimmed). */
  len: bigint;
  /** Shortest free run worth discarding, in bytes. */
  minlen: bigint;
}

const BS = BigInt(SFS_BLOCK_SIZE);

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.floor(v));
  throw new Errno('EFAULT');
}

/** Reads the range from a 24-byte struct or an object {start, len, minlen}. */
export function readTrimRange(arg: IoctlArg): TrimRange {
  if (arg instanceof Uint8Array) {
    if (arg.length < FSTRIM_RANGE_SIZE) throw new Errno('EFAULT');
    const v = new DataView(arg.buffer, arg.byteOffset, FSTRIM_RANGE_SIZE);
    return { start: v.getBigUint64(0, true), len: v.getBigUint64(8, true), minlen: v.getBigUint64(16, true) };
  }
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as Record<string, unknown>;
    return { start: toBig(o['start'] ?? 0), len: toBig(o['len']), minlen: toBig(o['minlen'] ?? 0) };
  }
  throw new Errno('EFAULT');
}

function writeTrimmed(arg: IoctlArg, bytes: bigint): void {
  if (arg instanceof Uint8Array) new DataView(arg.buffer, arg.byteOffset, FSTRIM_RANGE_SIZE).setBigUint64(8, bytes, true);
  else if (typeof arg === 'object' && arg !== null) {
    const o = arg as Record<string, unknown>;
    o['len'] = typeof o['len'] === 'bigint' ? bytes : Number(bytes);
  }
}

/** The FITRIM ioctl on `fs`. */
export function fitrim(fs: SimpleFs, arg: IoctlArg, caller: FsCaller): number {
  if (!isRoot(caller.cred)) throw new Errno('EPERM');
  const lim = fs.device.limits.discard;
  if (lim === undefined) throw new Errno('EOPNOTSUPP');
  const range = readTrimRange(arg);
  const sb = fs.sb;
  const total = BigInt(sb.blockCount) * BS;
  if (range.start >= total || range.len < BS) throw new Errno('EINVAL');
  const minBytes = range.minlen > BigInt(lim.granularity) ? range.minlen : BigInt(lim.granularity);
  // As ext4: a minimum longer than a block group can never be met.
  const minBlocksBig = (minBytes + BS - 1n) / BS;
  if (minBlocksBig > BigInt(SFS_BITS_PER_BLOCK)) throw new Errno('EINVAL');
  const minBlocks = Math.max(1, Number(minBlocksBig));
  // One trim at a time: blocks of an earlier one still being discarded would be skipped.
  if (fs.cache.pendingDiscards > 0) throw new WouldBlock(fs.cache.wait);
  fs.syncForTrim();

  const first = Number(range.start / BS);
  const endBig = range.start / BS + range.len / BS;
  const end = endBig > BigInt(sb.blockCount) ? sb.blockCount : Number(endBig);
  let trimmed = 0;
  for (let g = Math.floor(first / SFS_BITS_PER_BLOCK); g * SFS_BITS_PER_BLOCK < end; g++) {
    const gStart = g * SFS_BITS_PER_BLOCK;
    const gEnd = Math.min(sb.blockCount, gStart + SFS_BITS_PER_BLOCK);
    const last = fs.trimmedGroups.get(g);
    if (fs.type === 'ext4' && last !== undefined && minBlocks >= last) continue;
    const from = Math.max(first, gStart, sb.firstDataBlock);
    const to = Math.min(end, gEnd);
    fs.blockBitmap.forEachClearRun(from, to, (s, n) => {
      // Blocks whose previous discard is still in flight are left out.
      let runStart = -1;
      for (let b = s; b <= s + n; b++) {
        const usable = b < s + n && !fs.busy.has(b);
        if (usable && runStart < 0) runStart = b;
        if (!usable && runStart >= 0) {
          const len = b - runStart;
          if (len >= minBlocks) {
            for (let k = runStart; k < b; k++) fs.busy.add(k);
            fs.cache.discard(runStart, len);
            trimmed += len;
          }
          runStart = -1;
        }
      }
    });
    if (fs.type === 'ext4' && from <= Math.max(gStart, sb.firstDataBlock) && to >= gEnd) fs.trimmedGroups.set(g, minBlocks);
  }
  writeTrimmed(arg, BigInt(trimmed) * BS);
  if (trimmed > 0) fs.log(`${fs.type} ${fs.source}: trimmed ${trimmed} blocks`);
  return 0;
}
