/**
 * The buffer cache between the disk filesystem and its block device: 4 KiB blocks read
 * on demand (a missing block starts a read and throws WouldBlock so the syscall is retried
 * once the completion interrupt wakes it), written back lazily (dirty buffers go out on
 * writeback, sync, fsync, freeze and umount), with adjacent blocks merged into one bio.
 */
import { Errno, WouldBlock, type ErrnoCode } from '../../kernel/errno.js';
import { WaitQueue } from '../../kernel/waitqueue.js';
import type { Bio, BioOp } from '../../kernel/block/types.js';
import { SFS_BLOCK_SIZE, SFS_SECTORS_PER_BLOCK } from '../../../abi/simplefs.js';
import type { BlockDeviceLike } from './block-device.js';

/** Clean, unpinned blocks kept before the oldest are dropped (32 MiB). */
export const BUFFER_CACHE_CLEAN_LIMIT = 8192;
/** Blocks merged into one read or write bio at most (1 MiB), whatever the device allows beyond. */
export const MAX_BIO_BLOCKS = 256;

interface Buf {
  readonly block: number;
  data: Uint8Array;
  state: 'reading' | 'valid' | 'failed';
  error: ErrnoCode | undefined;
  dirty: boolean;
  pinned: boolean;
}

/** What the cache reports to its owner. */
export interface BufferCacheHooks {
  /** A buffer became dirty (the filesystem arms its writeback timer). */
  onDirty?(): void;
  /** A discard finished (the filesystem may hand those blocks out again). */
  onDiscardDone?(block: number, count: number): void;
}

/** Counters for tests and /proc-style reporting. */
export interface BufferCacheStats {
  /** Read bios submitted. */
  readBios: number;
  /** Write bios submitted. */
  writeBios: number;
  /** Flush bios submitted. */
  flushBios: number;
  /** Discard bios submitted. */
  discardBios: number;
  /** Blocks currently cached. */
  cached: number;
  /** Blocks currently dirty. */
  dirty: number;
}

/** A write-back cache of one block device's 4 KiB blocks. */
export class BufferCache {
  /** Woken on every completion; operations that threw WouldBlock sleep here. */
  readonly wait: WaitQueue;
  private readonly bufs = new Map<number, Buf>();
  private readonly dirtySet = new Set<number>();
  // Blocks with a write bio in flight: never rewritten (two writes of one block could land
  // out of order) nor dropped (a re-read could overtake the write) until it completes.
  private readonly writing = new Map<number, number>();
  private writesInFlight = 0;
  private discardsInFlight = 0;
  private flushInFlight = false;
  private needFlush = false;
  private writeError: ErrnoCode | undefined;
  private readonly maxBioBlocks: number;
  private readonly counters = { readBios: 0, writeBios: 0, flushBios: 0, discardBios: 0 };

  constructor(
    /** The device. */
    readonly dev: BlockDeviceLike,
    /** Blocks the filesystem spans (accesses beyond are corruption: EIO). */
    public blockCount: number,
    /** Owner callbacks (the filesystem fills them in once it exists). */
    public hooks: BufferCacheHooks = {},
    private readonly cleanLimit = BUFFER_CACHE_CLEAN_LIMIT,
  ) {
    this.wait = new WaitQueue(`bcache:${dev.name}`);
    this.maxBioBlocks = Math.max(1, Math.min(MAX_BIO_BLOCKS, Math.floor(dev.limits.maxSectors / SFS_SECTORS_PER_BLOCK)));
  }

  /** Counters. */
  stats(): BufferCacheStats {
    return { ...this.counters, cached: this.bufs.size, dirty: this.dirtySet.size };
  }

  /** True when nothing is dirty and no write or flush is in flight. */
  get idle(): boolean {
    return this.dirtySet.size === 0 && this.writesInFlight === 0 && !this.flushInFlight;
  }

  /** True when a write of `block` is in flight. */
  isWriting(block: number): boolean {
    return this.writing.has(block);
  }

  /** Number of dirty blocks. */
  get dirtyCount(): number {
    return this.dirtySet.size;
  }

  private check(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.blockCount) throw new Errno('EIO', `block ${block} outside the filesystem`);
  }

  /** The data of a cached block, or undefined (never starts I/O). */
  peek(block: number): Uint8Array | undefined {
    const b = this.bufs.get(block);
    return b?.state === 'valid' ? b.data : undefined;
  }

  /**
   * Makes sure every listed block is cached: starts reads for missing ones (merged into as
   * few bios as possible) and throws WouldBlock while any is still being read.
   */
  need(blocks: Iterable<number>): void {
    const missing: number[] = [];
    let waiting = false;
    for (const block of blocks) {
      this.check(block);
      const b = this.bufs.get(block);
      if (b === undefined) {
        missing.push(block);
      } else if (b.state === 'reading') {
        waiting = true;
      } else if (b.state === 'failed') {
        // Report the failure once; the next attempt reads again.
        this.bufs.delete(block);
        throw new Errno(b.error ?? 'EIO');
      } else {
        this.touch(b);
      }
    }
    if (missing.length > 0) {
      this.startReads(missing);
      waiting = true;
    }
    if (waiting) throw new WouldBlock(this.wait);
  }

  /** A block's data, reading it first if needed (WouldBlock meanwhile). */
  get(block: number): Uint8Array {
    this.need([block]);
    return (this.bufs.get(block) as Buf).data;
  }

  /** Starts reading blocks that are not cached, without waiting (readahead). */
  prefetch(blocks: Iterable<number>): void {
    const missing = [...blocks].filter((b) => b >= 0 && b < this.blockCount && !this.bufs.has(b));
    if (missing.length > 0) this.startReads(missing);
  }

  /**
   * A block whose old contents do not matter (just allocated, or about to be wholly
   * rewritten): a zeroed buffer, no read. Returns it for the caller to fill; it is dirty.
   */
  fresh(block: number): Uint8Array {
    this.check(block);
    const old = this.bufs.get(block);
    const b: Buf = { block, data: new Uint8Array(SFS_BLOCK_SIZE), state: 'valid', error: undefined, dirty: false, pinned: old?.pinned ?? false };
    if (old !== undefined) this.bufs.delete(block);
    this.bufs.set(block, b);
    this.markDirty(block);
    return b.data;
  }

  /** Replaces a block's whole contents; marks it dirty only if they changed. */
  overwrite(block: number, data: Uint8Array): void {
    const cur = this.peek(block);
    if (cur !== undefined && equalBytes(cur, data)) return;
    this.fresh(block).set(data.subarray(0, SFS_BLOCK_SIZE));
  }

  /** Marks a cached block as modified. */
  markDirty(block: number): void {
    const b = this.bufs.get(block);
    if (b === undefined || b.state !== 'valid') throw new Error(`bcache: dirtying block ${block} that is not cached`);
    if (!b.dirty) {
      b.dirty = true;
      this.dirtySet.add(block);
      this.hooks.onDirty?.();
    }
  }

  /** Keeps a cached block from ever being dropped (bitmaps, the superblock, inode tables). */
  pin(block: number): void {
    const b = this.bufs.get(block);
    if (b !== undefined) b.pinned = true;
  }

  /** Forgets a block that was freed: its contents no longer matter, dirty or not. */
  forget(block: number): void {
    const b = this.bufs.get(block);
    if (b === undefined || b.pinned) return;
    this.bufs.delete(block);
    this.dirtySet.delete(block);
  }

  /** Submits writes for every dirty buffer; returns the number of blocks sent. */
  writeback(): number {
    if (this.dirtySet.size === 0) return 0;
    const blocks = [...this.dirtySet].filter((b) => !this.writing.has(b)).sort((a, b) => a - b);
    for (const b of blocks) this.dirtySet.delete(b);
    let i = 0;
    while (i < blocks.length) {
      let j = i + 1;
      while (j < blocks.length && j - i < this.maxBioBlocks && blocks[j] === (blocks[j - 1] as number) + 1) j++;
      this.submitWrite(blocks.slice(i, j));
      i = j;
    }
    return blocks.length;
  }

  /**
   * Makes everything written so far durable: writes back dirty buffers, waits for them,
   * then flushes the device's volatile cache. Throws WouldBlock until done; reports a
   * write error (EIO) once, as fsync does.
   */
  sync(): void {
    this.writeback();
    if (this.writesInFlight > 0 || this.flushInFlight || this.dirtySet.size > 0) throw new WouldBlock(this.wait);
    if (this.needFlush && this.dev.limits.writeCache) {
      this.needFlush = false;
      this.flushInFlight = true;
      this.counters.flushBios++;
      this.submit('flush', 0, 0, undefined, (err) => {
        this.flushInFlight = false;
        if (err !== undefined && err !== 'EOPNOTSUPP') this.writeError = err;
      });
      throw new WouldBlock(this.wait);
    }
    this.needFlush = false;
    if (this.writeError !== undefined) {
      const e = this.writeError;
      this.writeError = undefined;
      throw new Errno(e);
    }
  }

  /** Sends discards for `count` blocks from `block`, split to the device's limit. */
  discard(block: number, count: number): void {
    const lim = this.dev.limits.discard;
    if (lim === undefined) throw new Errno('EOPNOTSUPP');
    const maxBlocks = Math.max(1, Math.floor(lim.maxSectors / SFS_SECTORS_PER_BLOCK));
    for (let off = 0; off < count; off += maxBlocks) {
      const n = Math.min(maxBlocks, count - off);
      const start = block + off;
      for (let k = 0; k < n; k++) this.forget(start + k);
      this.discardsInFlight++;
      this.counters.discardBios++;
      this.submit('discard', start * SFS_SECTORS_PER_BLOCK, n * SFS_SECTORS_PER_BLOCK, undefined, () => {
        this.discardsInFlight--;
        this.hooks.onDiscardDone?.(start, n);
      });
    }
  }

  /** Discards still in flight. */
  get pendingDiscards(): number {
    return this.discardsInFlight;
  }

  private touch(b: Buf): void {
    this.bufs.delete(b.block);
    this.bufs.set(b.block, b);
  }

  private startReads(blocks: number[]): void {
    const sorted = [...new Set(blocks)].sort((a, b) => a - b);
    let i = 0;
    while (i < sorted.length) {
      let j = i + 1;
      while (j < sorted.length && j - i < this.maxBioBlocks && sorted[j] === (sorted[j - 1] as number) + 1) j++;
      const run = sorted.slice(i, j);
      const bufs = run.map((block) => {
        const b: Buf = { block, data: new Uint8Array(0), state: 'reading', error: undefined, dirty: false, pinned: false };
        this.bufs.set(block, b);
        return b;
      });
      const data = new Uint8Array(run.length * SFS_BLOCK_SIZE);
      this.counters.readBios++;
      this.submit('read', (run[0] as number) * SFS_SECTORS_PER_BLOCK, run.length * SFS_SECTORS_PER_BLOCK, data, (err) => {
        bufs.forEach((b, k) => {
          // A block rewritten or freed while the read was in flight keeps its new state.
          if (this.bufs.get(b.block) !== b) return;
          if (err !== undefined) {
            b.state = 'failed';
            b.error = err;
          } else {
            b.data = data.slice(k * SFS_BLOCK_SIZE, (k + 1) * SFS_BLOCK_SIZE);
            b.state = 'valid';
          }
        });
      });
      i = j;
    }
  }

  private submitWrite(run: number[]): void {
    const data = new Uint8Array(run.length * SFS_BLOCK_SIZE);
    run.forEach((block, k) => {
      const b = this.bufs.get(block);
      if (b !== undefined) {
        data.set(b.data, k * SFS_BLOCK_SIZE);
        b.dirty = false;
      }
      this.writing.set(block, (this.writing.get(block) ?? 0) + 1);
    });
    this.writesInFlight++;
    this.counters.writeBios++;
    this.submit('write', (run[0] as number) * SFS_SECTORS_PER_BLOCK, run.length * SFS_SECTORS_PER_BLOCK, data, (err) => {
      this.writesInFlight--;
      this.needFlush = true;
      if (err !== undefined) this.writeError = err;
      for (const block of run) {
        const n = (this.writing.get(block) ?? 1) - 1;
        if (n > 0) this.writing.set(block, n);
        else this.writing.delete(block);
      }
      // Blocks dirtied again while their write was in flight still need to go out.
      if (this.dirtySet.size > 0) this.hooks.onDirty?.();
    });
  }

  private submit(op: BioOp, sector: number, count: number, data: Uint8Array | undefined, done: (err: ErrnoCode | undefined) => void): void {
    let ended = false;
    const bio: Bio = {
      op,
      sector,
      count,
      data,
      end: (error?: ErrnoCode) => {
        if (ended) return;
        ended = true;
        done(error);
        this.shrink();
        this.wait.wakeAll();
      },
    };
    this.dev.submit(bio);
  }

  // Drops the least recently used clean buffers beyond the limit; only ever called from a
  // completion, never in the middle of an operation that relies on what it checked.
  private shrink(): void {
    let excess = this.bufs.size - this.cleanLimit;
    if (excess <= 0) return;
    for (const b of this.bufs.values()) {
      if (excess <= 0) break;
      if (b.pinned || b.dirty || b.state !== 'valid' || this.writing.has(b.block)) continue;
      this.bufs.delete(b.block);
      excess--;
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
