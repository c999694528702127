/**
 * File block → disk block mapping through an inode's pointers: 12 direct, one
 * single-indirect and one double-indirect block. Lookups load the indirect blocks they
 * pass through (WouldBlock meanwhile); changes assume the caller looked the range up
 * first, so nothing here waits once an operation has started changing things.
 */
import { SFS_DIRECT_BLOCKS, SFS_PTRS_PER_BLOCK } from '../../../abi/simplefs.js';
import { Errno } from '../../kernel/errno.js';
import type { BufferCache } from './buffer-cache.js';

const SINGLE = SFS_DIRECT_BLOCKS;
const DOUBLE = SFS_DIRECT_BLOCKS + 1;
const DOUBLE_START = SFS_DIRECT_BLOCKS + SFS_PTRS_PER_BLOCK;

function getPtr(block: Uint8Array, i: number): number {
  return new DataView(block.buffer, block.byteOffset, block.length).getUint32(i * 4, true);
}

function setPtr(block: Uint8Array, i: number, v: number): void {
  new DataView(block.buffer, block.byteOffset, block.length).setUint32(i * 4, v >>> 0, true);
}

/** Where a file block's pointer lives. */
type Slot = { level: 0; index: number } | { level: 1; index: number } | { level: 2; hi: number; lo: number };

function slotOf(fb: number): Slot {
  if (fb < SFS_DIRECT_BLOCKS) return { level: 0, index: fb };
  if (fb < DOUBLE_START) return { level: 1, index: fb - SFS_DIRECT_BLOCKS };
  const k = fb - DOUBLE_START;
  return { level: 2, hi: Math.floor(k / SFS_PTRS_PER_BLOCK), lo: k % SFS_PTRS_PER_BLOCK };
}

/** Mapping operations over one filesystem's buffer cache. */
export class BlockMap {
  constructor(
    private readonly cache: BufferCache,
    /** First block a pointer may name (below it: superblock, bitmaps, inode table). */
    private readonly firstData: number,
  ) {}

  // A pointer into the fixed metadata or past the end is corruption: EIO, never a wild access.
  private valid(b: number): number {
    if (b !== 0 && (b < this.firstData || b >= this.cache.blockCount)) throw new Errno('EIO', `block pointer ${b} out of range`);
    return b;
  }

  private data(block: number): Uint8Array {
    const d = this.cache.peek(this.valid(block));
    if (d === undefined) throw new Error(`simplefs: indirect block ${block} used before it was looked up`);
    return d;
  }

  /** Loads every indirect block needed to map file blocks [from, from + count). */
  prepare(ptrs: readonly number[], from: number, count: number): void {
    if (count <= 0) return;
    const to = from + count;
    const top: number[] = [];
    const single = this.valid(ptrs[SINGLE] ?? 0);
    const double = this.valid(ptrs[DOUBLE] ?? 0);
    if (single !== 0 && to > SFS_DIRECT_BLOCKS && from < DOUBLE_START) top.push(single);
    if (double !== 0 && to > DOUBLE_START) top.push(double);
    this.cache.need(top);
    if (double === 0 || to <= DOUBLE_START) return;
    const d = this.data(double);
    const hiFrom = Math.floor((Math.max(from, DOUBLE_START) - DOUBLE_START) / SFS_PTRS_PER_BLOCK);
    const hiTo = Math.min(SFS_PTRS_PER_BLOCK - 1, Math.floor((to - 1 - DOUBLE_START) / SFS_PTRS_PER_BLOCK));
    const children: number[] = [];
    for (let hi = hiFrom; hi <= hiTo; hi++) {
      const c = this.valid(getPtr(d, hi));
      if (c !== 0) children.push(c);
    }
    this.cache.need(children);
  }

  /** Disk blocks of file blocks [from, from + count), 0 for holes (loads indirect blocks first). */
  lookup(ptrs: readonly number[], from: number, count: number): number[] {
    this.prepare(ptrs, from, count);
    const out: number[] = [];
    for (let fb = from; fb < from + count; fb++) out.push(this.mapped(ptrs, fb));
    return out;
  }

  /** The disk block of one file block (indirect blocks must already be cached). */
  mapped(ptrs: readonly number[], fb: number): number {
    const s = slotOf(fb);
    if (s.level === 0) return this.valid(ptrs[s.index] ?? 0);
    if (s.level === 1) {
      const single = ptrs[SINGLE] ?? 0;
      return single === 0 ? 0 : this.valid(getPtr(this.data(single), s.index));
    }
    const double = ptrs[DOUBLE] ?? 0;
    if (double === 0) return 0;
    const child = getPtr(this.data(double), s.hi);
    return child === 0 ? 0 : this.valid(getPtr(this.data(child), s.lo));
  }

  /** How many indirect blocks mapping the (currently unmapped) file blocks `fbs` would add. */
  metaNeeded(ptrs: readonly number[], fbs: readonly number[]): number {
    let single = (ptrs[SINGLE] ?? 0) !== 0;
    let double = (ptrs[DOUBLE] ?? 0) !== 0;
    const children = new Set<number>();
    let n = 0;
    for (const fb of fbs) {
      const s = slotOf(fb);
      if (s.level === 1 && !single) {
        single = true;
        n++;
      } else if (s.level === 2) {
        if (!double) {
          double = true;
          n++;
        }
        if (children.has(s.hi)) continue;
        children.add(s.hi);
        const top = ptrs[DOUBLE] ?? 0;
        if (top === 0 || getPtr(this.data(top), s.hi) === 0) n++;
      }
    }
    return n;
  }

  /** Maps file block `fb` to disk block `db`, allocating indirect blocks with `alloc`; returns how many it allocated. */
  assign(ptrs: number[], fb: number, db: number, alloc: () => number): number {
    const s = slotOf(fb);
    if (s.level === 0) {
      ptrs[s.index] = db;
      return 0;
    }
    let added = 0;
    const ensure = (slot: number): number => {
      let b = ptrs[slot] ?? 0;
      if (b === 0) {
        b = alloc();
        this.cache.fresh(b);
        ptrs[slot] = b;
        added++;
      }
      return b;
    };
    if (s.level === 1) {
      const single = ensure(SINGLE);
      setPtr(this.data(single), s.index, db);
      this.cache.markDirty(single);
      return added;
    }
    const double = ensure(DOUBLE);
    const top = this.data(double);
    let child = getPtr(top, s.hi);
    if (child === 0) {
      child = alloc();
      this.cache.fresh(child);
      setPtr(top, s.hi, child);
      this.cache.markDirty(double);
      added++;
    }
    setPtr(this.data(child), s.lo, db);
    this.cache.markDirty(child);
    return added;
  }

  /**
   * Unmaps file blocks from `keep` up to `end`, handing each data block and each indirect
   * block that becomes unused to `release`; returns how many were released. The range
   * must have been prepared.
   */
  truncate(ptrs: number[], keep: number, end: number, release: (db: number) => void): number {
    let released = 0;
    const drop = (db: number): void => {
      release(db);
      released++;
    };
    for (let fb = keep; fb < Math.min(end, SFS_DIRECT_BLOCKS); fb++) {
      const db = ptrs[fb] ?? 0;
      if (db !== 0) drop(db);
      ptrs[fb] = 0;
    }
    const single = ptrs[SINGLE] ?? 0;
    if (single !== 0) {
      const d = this.data(single);
      const from = Math.max(0, keep - SFS_DIRECT_BLOCKS);
      const to = Math.min(SFS_PTRS_PER_BLOCK, end - SFS_DIRECT_BLOCKS);
      for (let i = from; i < to; i++) {
        const db = getPtr(d, i);
        if (db !== 0) {
          drop(db);
          setPtr(d, i, 0);
          this.cache.markDirty(single);
        }
      }
      if (keep <= SFS_DIRECT_BLOCKS) {
        drop(single);
        ptrs[SINGLE] = 0;
      }
    }
    const double = ptrs[DOUBLE] ?? 0;
    if (double !== 0 && end > DOUBLE_START) {
      const top = this.data(double);
      const kFrom = Math.max(0, keep - DOUBLE_START);
      const kTo = end - DOUBLE_START;
      for (let hi = Math.floor(kFrom / SFS_PTRS_PER_BLOCK); hi <= Math.min(SFS_PTRS_PER_BLOCK - 1, Math.floor((kTo - 1) / SFS_PTRS_PER_BLOCK)); hi++) {
        const child = getPtr(top, hi);
        if (child === 0) continue;
        const c = this.data(child);
        const loFrom = Math.max(0, kFrom - hi * SFS_PTRS_PER_BLOCK);
        const loTo = Math.min(SFS_PTRS_PER_BLOCK, kTo - hi * SFS_PTRS_PER_BLOCK);
        for (let lo = loFrom; lo < loTo; lo++) {
          const db = getPtr(c, lo);
          if (db !== 0) {
            drop(db);
            setPtr(c, lo, 0);
            this.cache.markDirty(child);
          }
        }
        if (loFrom === 0) {
          drop(child);
          setPtr(top, hi, 0);
          this.cache.markDirty(double);
        }
      }
      if (keep <= DOUBLE_START) {
        drop(double);
        ptrs[DOUBLE] = 0;
      }
    }
    return released;
  }
}
