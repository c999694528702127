/**
 * Whole-file and tree operations the kernel performs on its own behalf (populating /dev,
 * installing programs, machine setup): mkdir -p, replace-or-create nodes and symlinks,
 * and reading or writing a file in one go. They never wait, so they only suit
 * filesystems that answer at once, such as tmpfs.
 */
import { Errno } from '../errno.js';
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_ISDIR } from '../constants.js';
import { filePut } from './file.js';
import type { Vfs, VfsContext } from './vfs.js';

/** The parent directory path of an absolute path. */
export function parentPath(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** True if `path` resolves to a directory. */
export function isDirectory(vfs: Vfs, ctx: VfsContext, path: string): boolean {
  try {
    return S_ISDIR(vfs.stat(ctx, path, true).mode);
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
}

/** Creates a directory and any missing parents (ENOTDIR if a component is a file). */
export function mkdirp(vfs: Vfs, ctx: VfsContext, path: string, mode = 0o755): void {
  let cur = '';
  for (const part of path.split('/').filter((s) => s !== '')) {
    cur += '/' + part;
    try {
      vfs.mkdir(ctx, cur, mode);
    } catch (e) {
      if (!Errno.is(e, 'EEXIST')) throw e;
      if (!isDirectory(vfs, ctx, cur)) throw new Errno('ENOTDIR');
    }
  }
}

/** Removes a non-directory if it exists. */
export function removeIfPresent(vfs: Vfs, ctx: VfsContext, path: string): void {
  try {
    vfs.unlink(ctx, path);
  } catch (e) {
    if (!Errno.is(e, 'ENOENT')) throw e;
  }
}

/** Creates or truncates a file, writes `data`, and sets its mode. */
export function writeWholeFile(vfs: Vfs, ctx: VfsContext, path: string, data: string | Uint8Array, mode: number): void {
  const f = vfs.open(ctx, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const write = f.ops.write;
    if (write === undefined) throw new Errno('EINVAL');
    let off = 0;
    while (off < bytes.length) {
      const n = write(f, bytes.subarray(off), off);
      if (n <= 0) throw new Errno('EIO');
      off += n;
    }
    if ((f.inode.mode & 0o7777) !== mode) f.inode.setattr?.({ mode });
  } finally {
    filePut(f);
  }
}

/** Reads a whole file. */
export function readWholeFile(vfs: Vfs, ctx: VfsContext, path: string): Uint8Array {
  const f = vfs.open(ctx, path, O_RDONLY);
  try {
    const read = f.ops.read;
    if (read === undefined) throw new Errno('EINVAL');
    const parts: Uint8Array[] = [];
    let pos = 0;
    for (;;) {
      const d = read(f, 65536, pos);
      if (d.length === 0) break;
      parts.push(d);
      pos += d.length;
    }
    const out = new Uint8Array(pos);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  } finally {
    filePut(f);
  }
}
