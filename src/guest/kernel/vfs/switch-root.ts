/**
 * switch_root, as an initramfs does it: the real root filesystem is mounted over "/",
 * the mounts on the old root's directories (/dev, /proc, /sys, /run) move to the same
 * directories of the new one, processes working in the old root move to the new root,
 * and the old root, still underneath as rootfs is, drops out of the mount listings.
 */
import { S_ISDIR } from '../constants.js';
import { MOUNT_FLAG_MASK, type Mount, type MountTable } from './mounts.js';
import { last, rootChain, type PathChain } from './namei.js';
import type { FileSystem, FsCaller, Inode } from './types.js';

/** What a switch did. */
export interface SwitchRootResult {
  /** The new root mount. */
  root: Mount;
  /** Mounts moved onto the new root. */
  moved: Mount[];
  /** Mounts left behind on the old root (their directory is missing on the new one). */
  left: Mount[];
}

/** Something with a working directory (a process). */
export interface HasCwd {
  /** Working directory. */
  cwd: PathChain;
}

// Follows `path` from `root` within one filesystem; undefined unless it is a directory.
function dirOn(root: Inode, path: string, caller: FsCaller): Inode | undefined {
  let cur = root;
  for (const c of path.split('/').filter((s) => s !== '')) {
    const next = cur.lookup?.(c, caller);
    if (next === undefined || !S_ISDIR(next.mode)) return undefined;
    cur = next;
  }
  return cur;
}

/**
 * Makes `fs` the root. Looking the target directories up may have to wait for a disk
 * (WouldBlock); that happens before anything changes, so the call can simply be retried.
 */
export function switchRoot(table: MountTable, fs: FileSystem, flags: number, caller: FsCaller, tasks: Iterable<HasCwd>): SwitchRootResult {
  const old = last(rootChain(table));
  const children = table.list().filter((m) => m.parent === old.mnt);
  const targets = children.map((m) => ({ m, dir: dirOn(fs.root, m.path, caller) }));

  const root = table.mount(fs, old.mnt, old.inode, '/', flags & MOUNT_FLAG_MASK);
  const moved: Mount[] = [];
  const left: Mount[] = [];
  for (const t of targets) {
    if (t.dir === undefined) {
      left.push(t.m);
      continue;
    }
    table.move(t.m, root, t.dir, t.m.path);
    moved.push(t.m);
  }
  table.setVisibleRoot(root);
  const newRoot = rootChain(table);
  for (const p of tasks) {
    const s = last(p.cwd);
    if (s.mnt !== old.mnt || s.inode !== old.inode) continue;
    s.mnt.refs--;
    p.cwd = newRoot;
    last(newRoot).mnt.refs++;
  }
  return { root, moved, left };
}
