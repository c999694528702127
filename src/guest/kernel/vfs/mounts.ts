/**
 * The mount table: which filesystem instance is attached where, in mount order, with the
 * ids and parent links /proc/self/mountinfo will list.
 */
import { Errno } from '../errno.js';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from '../constants.js';
import type { FileSystem, Inode } from './types.js';

/** Per-mount flags that may be set at mount or remount time. */
export const MOUNT_FLAG_MASK = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/** One attachment of a filesystem at a point of the tree (Linux's struct mount). */
export class Mount {
  /** Open files and working directories inside it; umount refuses while non-zero. */
  refs = 0;

  constructor(
    /** Mount id (reused after umount, like Linux's). */
    readonly id: number,
    /** The mount it sits on; undefined only for the initial root mount (changes on a move). */
    public parent: Mount | undefined,
    /** The mounted filesystem. */
    readonly fs: FileSystem,
    /** The directory of `parent` it covers (undefined for the initial root). */
    public mountpoint: Inode | undefined,
    /** Absolute path of the mount point when it was mounted (or moved). */
    public path: string,
    /** MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC. */
    public flags: number,
  ) {}

  /** Root directory of this mount. */
  get root(): Inode {
    return this.fs.root;
  }

  /** True if writes through this mount fail with EROFS. */
  get readOnly(): boolean {
    return (this.flags & MS_RDONLY) !== 0 || this.fs.readOnly === true;
  }

  /** Per-mount options as mountinfo prints them ("rw,nosuid,nodev,relatime"). */
  options(): string {
    const o = [this.readOnly ? 'ro' : 'rw'];
    if (this.flags & MS_NOSUID) o.push('nosuid');
    if (this.flags & MS_NODEV) o.push('nodev');
    if (this.flags & MS_NOEXEC) o.push('noexec');
    o.push('relatime');
    return o.join(',');
  }
}

/** All mounts, in the order they were made. */
export class MountTable {
  private readonly mounts: Mount[] = [];
  private readonly covers = new Map<Mount, Map<Inode, Mount[]>>();
  private rootMount: Mount | undefined;
  // After a switch-root, the mount processes see as "/"; mounts outside it are not listed.
  private visibleRoot: Mount | undefined;

  /** The initial root mount. */
  get root(): Mount {
    if (this.rootMount === undefined) throw new Error('kernel: no root filesystem mounted');
    return this.rootMount;
  }

  /** Mounts in mount order; after a switch-root, only those at or under the new root (as mountinfo shows them). */
  list(): readonly Mount[] {
    const top = this.visibleRoot;
    return top === undefined ? this.mounts : this.mounts.filter((m) => isUnder(m, top));
  }

  /** True if `fs` is attached anywhere, hidden mounts included. */
  isMounted(fs: FileSystem): boolean {
    return this.mounts.some((m) => m.fs === fs);
  }

  /** Makes `m` the root the listing starts from (switch-root); the old root stays underneath. */
  setVisibleRoot(m: Mount): void {
    this.visibleRoot = m;
  }

  /** mount --move: re-attaches `m`, with everything mounted on it, over directory `at` of `parent`. */
  move(m: Mount, parent: Mount, at: Inode, path: string): void {
    if (m.parent === undefined || m.mountpoint === undefined || isUnder(parent, m)) throw new Errno('EINVAL');
    const stack = this.covers.get(m.parent)?.get(m.mountpoint);
    if (stack === undefined || !stack.includes(m)) throw new Errno('EINVAL');
    stack.splice(stack.indexOf(m), 1);
    if (stack.length === 0) this.covers.get(m.parent)?.delete(m.mountpoint);
    const subtree = this.mounts.filter((x) => isUnder(x, m));
    const oldPath = m.path;
    for (const x of subtree) {
      const rest = x.path.slice(oldPath.length);
      x.path = path === '/' ? rest || '/' : path + rest;
    }
    m.parent = parent;
    m.mountpoint = at;
    let byInode = this.covers.get(parent);
    if (byInode === undefined) this.covers.set(parent, (byInode = new Map()));
    const dst = byInode.get(at);
    if (dst === undefined) byInode.set(at, [m]);
    else dst.push(m);
    // Like Linux's namespace list, a moved tree is listed after what was already there.
    for (const x of subtree) this.mounts.splice(this.mounts.indexOf(x), 1);
    this.mounts.push(...subtree);
  }

  /** Attaches the first filesystem as "/". */
  mountRoot(fs: FileSystem, flags = 0): Mount {
    if (this.rootMount !== undefined) throw new Errno('EBUSY');
    const m = new Mount(this.allocId(), undefined, fs, undefined, '/', flags & MOUNT_FLAG_MASK);
    this.rootMount = m;
    this.mounts.push(m);
    return m;
  }

  /** Attaches `fs` over directory `at` of mount `parent` (stacking on earlier mounts there). */
  mount(fs: FileSystem, parent: Mount, at: Inode, path: string, flags = 0): Mount {
    const m = new Mount(this.allocId(), parent, fs, at, path, flags & MOUNT_FLAG_MASK);
    let byInode = this.covers.get(parent);
    if (byInode === undefined) this.covers.set(parent, (byInode = new Map()));
    const stack = byInode.get(at);
    if (stack === undefined) byInode.set(at, [m]);
    else stack.push(m);
    this.mounts.push(m);
    return m;
  }

  /** The mount covering directory `inode` of `mnt`, if any (the most recent one). */
  coveredBy(mnt: Mount, inode: Inode): Mount | undefined {
    const stack = this.covers.get(mnt)?.get(inode);
    return stack === undefined ? undefined : stack[stack.length - 1];
  }

  /** True if something is mounted on top of `mnt`. */
  hasChildren(mnt: Mount): boolean {
    const byInode = this.covers.get(mnt);
    if (byInode === undefined) return false;
    for (const s of byInode.values()) if (s.length > 0) return true;
    return false;
  }

  /** Detaches a mount: EBUSY while in use or while other mounts sit on it, EINVAL for the root. */
  umount(m: Mount): void {
    if (m.parent === undefined || m.mountpoint === undefined) throw new Errno('EINVAL');
    if (m.refs > 0 || this.hasChildren(m)) throw new Errno('EBUSY');
    const byInode = this.covers.get(m.parent);
    const stack = byInode?.get(m.mountpoint);
    if (stack === undefined || !stack.includes(m)) throw new Errno('EINVAL');
    stack.splice(stack.indexOf(m), 1);
    if (stack.length === 0) byInode?.delete(m.mountpoint);
    this.mounts.splice(this.mounts.indexOf(m), 1);
    this.covers.delete(m);
  }

  private allocId(): number {
    const used = new Set(this.mounts.map((m) => m.id));
    let id = 1;
    while (used.has(id)) id++;
    return id;
  }
}

function isUnder(m: Mount, top: Mount): boolean {
  for (let x: Mount | undefined = m; x !== undefined; x = x.parent) if (x === top) return true;
  return false;
}
