/**
 * Regular-file and symlink data: reads and writes through the buffer cache, truncation,
 * and the open-file operations. Every operation first looks up (and, if need be, reads)
 * all the blocks it will touch and checks for space, and only then changes anything.
 */
import { SFS_BLOCK_SIZE, SFS_MAX_FILE_SIZE } from '../../../abi/simplefs.js';
import { Errno } from '../../kernel/errno.js';
import type { Cred } from '../../kernel/cred.js';
import type { OpenFile } from '../../kernel/vfs/file.js';
import type { FileOps } from '../../kernel/vfs/types.js';
import type { SfInode } from './inode.js';

/** Most bytes one read() or write() moves; larger requests come back short and are continued. */
export const MAX_FILE_IO_BYTES = 1024 * 1024;

const BS = SFS_BLOCK_SIZE;
const decoder = new TextDecoder();

/** Blocks a size spans. */
export function spanOf(size: number): number {
  return Math.ceil(size / BS);
}

/** Up to `count` bytes at `pos` (WouldBlock while blocks are read). */
export function readData(n: SfInode, count: number, pos: number): Uint8Array {
  if (pos >= n.size || count <= 0) return new Uint8Array(0);
  const len = Math.min(count, n.size - pos, MAX_FILE_IO_BYTES);
  const fb0 = Math.floor(pos / BS);
  const fb1 = Math.floor((pos + len - 1) / BS);
  const fs = n.fs;
  const mapped = fs.map.lookup(n.ptrs, fb0, fb1 - fb0 + 1);
  fs.cache.need(mapped.filter((b) => b !== 0));
  const out = new Uint8Array(len);
  mapped.forEach((db, i) => {
    if (db === 0) return;
    const fb = fb0 + i;
    const from = Math.max(pos, fb * BS);
    const to = Math.min(pos + len, (fb + 1) * BS);
    const data = fs.cache.peek(db) as Uint8Array;
    out.set(data.subarray(from - fb * BS, to - fb * BS), from - pos);
  });
  return out;
}

/** Writes `data` at `pos`; returns the bytes taken (at most MAX_FILE_IO_BYTES). */
export function writeData(n: SfInode, data: Uint8Array, pos: number, cred: Cred | undefined): number {
  const fs = n.fs;
  fs.writeBegin();
  if (data.length === 0) return 0;
  if (pos >= SFS_MAX_FILE_SIZE) throw new Errno('EFBIG');
  const len = Math.min(data.length, MAX_FILE_IO_BYTES, SFS_MAX_FILE_SIZE - pos);
  const end = pos + len;
  const fb0 = Math.floor(pos / BS);
  const fb1 = Math.floor((end - 1) / BS);
  const mapped = fs.map.lookup(n.ptrs, fb0, fb1 - fb0 + 1);
  // Blocks only partly overwritten keep the rest of their old contents: read them first.
  const partial = (fb: number): boolean => Math.max(pos, fb * BS) > fb * BS || Math.min(end, (fb + 1) * BS) < (fb + 1) * BS;
  const toRead: number[] = [];
  mapped.forEach((db, i) => {
    if (db !== 0 && partial(fb0 + i)) toRead.push(db);
  });
  fs.cache.need(toRead);
  const holes: number[] = [];
  mapped.forEach((db, i) => {
    if (db === 0) holes.push(fb0 + i);
  });
  fs.checkSpace(holes.length + fs.map.metaNeeded(n.ptrs, holes), cred);

  let goal = mapped.find((b) => b !== 0) ?? 0;
  mapped.forEach((existing, i) => {
    const fb = fb0 + i;
    let db = existing;
    let buf: Uint8Array;
    if (db === 0) {
      db = fs.allocBlock(goal > 0 ? goal : undefined);
      n.blockCount += 1 + fs.map.assign(n.ptrs, fb, db, () => fs.allocBlock(db));
      buf = fs.cache.fresh(db);
    } else if (partial(fb)) {
      buf = fs.cache.peek(db) as Uint8Array;
      fs.cache.markDirty(db);
    } else {
      buf = fs.cache.fresh(db);
    }
    goal = db + 1;
    const from = Math.max(pos, fb * BS);
    const to = Math.min(end, (fb + 1) * BS);
    buf.set(data.subarray(from - pos, to - pos), from - fb * BS);
  });
  if (end > n.size) n.size = end;
  n.touch();
  n.save();
  return len;
}

/** Fills a brand-new inode with `bytes` (space already checked). */
export function writeNewData(n: SfInode, bytes: Uint8Array): void {
  const fs = n.fs;
  let goal: number | undefined;
  for (let fb = 0; fb * BS < bytes.length; fb++) {
    const db = fs.allocBlock(goal);
    n.blockCount += 1 + fs.map.assign(n.ptrs, fb, db, () => fs.allocBlock(db));
    fs.cache.fresh(db).set(bytes.subarray(fb * BS, (fb + 1) * BS));
    goal = db + 1;
  }
  n.size = bytes.length;
}

/** Shrinks or extends a regular file (extending leaves a hole). */
export function truncateTo(n: SfInode, size: number): void {
  const fs = n.fs;
  if (!Number.isSafeInteger(size) || size < 0) throw new Errno('EINVAL');
  if (size > SFS_MAX_FILE_SIZE) throw new Errno('EFBIG');
  if (size < n.size) {
    const keep = spanOf(size);
    const oldSpan = spanOf(n.size);
    const tailFb = size % BS !== 0 ? Math.floor(size / BS) : -1;
    const from = tailFb >= 0 ? tailFb : keep;
    fs.map.prepare(n.ptrs, from, oldSpan - from);
    const tailDb = tailFb >= 0 ? fs.map.mapped(n.ptrs, tailFb) : 0;
    if (tailDb !== 0) fs.cache.need([tailDb]);
    n.blockCount -= fs.map.truncate(n.ptrs, keep, oldSpan, (b) => fs.freeBlock(b));
    // Bytes past the end of the last block must read back as zeros if the file grows again.
    if (tailDb !== 0) {
      (fs.cache.peek(tailDb) as Uint8Array).fill(0, size % BS);
      fs.cache.markDirty(tailDb);
    }
  }
  n.size = size;
  n.touch();
}

/** A symlink's target (read from its data block the first time). */
export function readSymlink(n: SfInode): string {
  if (n.linkTarget === undefined) n.linkTarget = decoder.decode(readData(n, n.size, 0));
  return n.linkTarget;
}

/** What an open regular file does. */
export const FILE_OPS: FileOps = {
  read(file: OpenFile, count: number, pos: number): Uint8Array {
    return readData(file.inode as SfInode, count, pos);
  },
  write(file: OpenFile, data: Uint8Array, pos: number): number {
    return writeData(file.inode as SfInode, data, pos, file.opener.cred);
  },
  fsync(file: OpenFile): void {
    (file.inode as SfInode).fs.sync();
  },
  release(file: OpenFile): void {
    const n = file.inode as SfInode;
    n.openCount = Math.max(0, n.openCount - 1);
    if (n.nlink === 0) n.fs.reap(n);
  },
};
