/**
 * An allocation bitmap held in pinned buffer-cache blocks (read once at mount, written
 * back with everything else): the block bitmap and the inode bitmap both use it.
 */
import { SFS_BITS_PER_BLOCK } from '../../../abi/simplefs.js';
import type { BufferCache } from './buffer-cache.js';

/** A bitmap of `bits` bits stored in the blocks from `start`. */
export class DiskBitmap {
  constructor(
    private readonly cache: BufferCache,
    /** First block of the bitmap. */
    readonly start: number,
    /** Bits that stand for real objects. */
    readonly bits: number,
  ) {}

  /** Blocks the bitmap occupies (all must be cached before use). */
  blocks(): number[] {
    const n = Math.ceil(this.bits / SFS_BITS_PER_BLOCK);
    return Array.from({ length: n }, (_, i) => this.start + i);
  }

  private at(i: number): { data: Uint8Array; block: number; byte: number; mask: number } {
    const block = this.start + Math.floor(i / SFS_BITS_PER_BLOCK);
    const data = this.cache.peek(block);
    if (data === undefined) throw new Error(`simplefs: bitmap block ${block} not cached`);
    const bit = i % SFS_BITS_PER_BLOCK;
    return { data, block, byte: bit >> 3, mask: 1 << (bit & 7) };
  }

  /** True when bit `i` is set (in use). */
  test(i: number): boolean {
    const a = this.at(i);
    return ((a.data[a.byte] as number) & a.mask) !== 0;
  }

  /** Sets or clears bit `i`. */
  assign(i: number, used: boolean): void {
    const a = this.at(i);
    const old = a.data[a.byte] as number;
    const next = used ? old | a.mask : old & ~a.mask;
    if (next === old) return;
    a.data[a.byte] = next;
    this.cache.markDirty(a.block);
  }

  /** The first clear bit at or after `goal` (wrapping around) that `usable` accepts, or -1. */
  findClear(goal: number, usable: (i: number) => boolean = () => true): number {
    const g = goal >= 0 && goal < this.bits ? goal : 0;
    const found = this.scan(g, this.bits, usable);
    return found >= 0 ? found : this.scan(0, g, usable);
  }

  private scan(from: number, to: number, usable: (i: number) => boolean): number {
    let i = from;
    while (i < to) {
      const a = this.at(i);
      // Whole bytes in use are skipped at once.
      if ((i & 7) === 0 && a.data[a.byte] === 0xff) {
        i += 8;
        continue;
      }
      if (((a.data[a.byte] as number) & a.mask) === 0 && usable(i)) return i;
      i++;
    }
    return -1;
  }

  /** Number of set bits among the first `bits`. */
  countSet(): number {
    let n = 0;
    for (let i = 0; i < this.bits; i++) if (this.test(i)) n++;
    return n;
  }

  /** Calls `fn(start, length)` for each run of clear bits in [from, to). */
  forEachClearRun(from: number, to: number, fn: (start: number, length: number) => void): void {
    let runStart = -1;
    for (let i = from; i < to; i++) {
      if (!this.test(i)) {
        if (runStart < 0) runStart = i;
      } else if (runStart >= 0) {
        fn(runStart, i - runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) fn(runStart, to - runStart);
  }
}
