/**
 * An in-memory filesystem in the manner of tmpfs: regular files, directories, symlinks,
 * hard links and device nodes, all held in JS objects. It is the root filesystem until a
 * disk-backed one exists, and the backing of /dev (as "devtmpfs") and /run.
 */
import { Errno } from '../errno.js';
import { S_IALLUGO, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, modeToDtype } from '../constants.js';
import type { Timespec } from '../time.js';
import type { DirEntry, FileOps, FileSystem, FsCaller, Inode, SetAttr, StatFs } from './types.js';
import type { OpenFile } from './file.js';

/** statfs f_type of tmpfs. */
export const TMPFS_MAGIC = 0x01021994;
const PAGE = 4096;
// Linux tmpfs reports directory sizes as a made-up 20 bytes per entry.
const BOGO_DIRENT_SIZE = 20;

/** How to create a tmpfs instance. */
export interface TmpfsOptions {
  /** Device number for st_dev (from the kernel's anonymous allocator). */
  dev: number;
  /** Wall clock for timestamps. */
  now: () => Timespec;
  /** Type name to report ("tmpfs", "devtmpfs", "rootfs"). */
  type?: string;
  /** Mount source to report. */
  source?: string;
  /** Permission bits of the root directory (tmpfs's default is 01777). */
  rootMode?: number;
  /** Byte limit for file data (ENOSPC beyond it); unlimited if absent. */
  maxBytes?: number;
}

class TmpInode implements Inode {
  nlink = 1;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  children: Map<string, TmpInode> | undefined;
  parent: TmpInode | undefined;
  data: Uint8Array = new Uint8Array(0);
  length = 0;
  target = '';

  constructor(
    readonly fs: Tmpfs,
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
  ) {
    const t = fs.now();
    this.atime = t;
    this.mtime = t;
    this.ctime = t;
    if ((mode & S_IFMT) === S_IFDIR) {
      this.children = new Map();
      this.nlink = 2;
    }
  }

  get size(): number {
    if (this.children !== undefined) return 2 * BOGO_DIRENT_SIZE + this.children.size * BOGO_DIRENT_SIZE;
    if ((this.mode & S_IFMT) === S_IFLNK) return Buffer.byteLength(this.target);
    return this.length;
  }

  set size(n: number) {
    this.resize(n);
  }

  private dir(): Map<string, TmpInode> {
    if (this.children === undefined) throw new Errno('ENOTDIR');
    return this.children;
  }

  private touch(): void {
    const t = this.fs.now();
    this.mtime = t;
    this.ctime = t;
  }

  private add(name: string, mode: number, caller: FsCaller): TmpInode {
    const dir = this.dir();
    if (dir.has(name)) throw new Errno('EEXIST');
    // A setgid directory hands its group (and, to subdirectories, the bit) down.
    const sgid = (this.mode & S_ISGID) !== 0;
    let m = mode;
    if (sgid && (mode & S_IFMT) === S_IFDIR) m |= S_ISGID;
    const child = this.fs.newInode(m, caller.cred.euid, sgid ? this.gid : caller.cred.egid);
    dir.set(name, child);
    if (child.children !== undefined) {
      child.parent = this;
      this.nlink++;
    }
    this.touch();
    return child;
  }

  lookup(name: string): Inode | undefined {
    return this.dir().get(name);
  }

  readdir(): DirEntry[] {
    return [...this.dir()].map(([name, n]) => ({ name, ino: n.ino, type: modeToDtype(n.mode) }));
  }

  create(name: string, mode: number, caller: FsCaller): Inode {
    return this.add(name, S_IFREG | (mode & S_IALLUGO), caller);
  }

  mkdir(name: string, mode: number, caller: FsCaller): Inode {
    return this.add(name, S_IFDIR | (mode & S_IALLUGO), caller);
  }

  mknod(name: string, mode: number, rdev: number, caller: FsCaller): Inode {
    const n = this.add(name, mode, caller);
    n.rdev = rdev;
    return n;
  }

  symlink(name: string, target: string, caller: FsCaller): Inode {
    const n = this.add(name, S_IFLNK | 0o777, caller);
    n.target = target;
    return n;
  }

  link(name: string, target: Inode): void {
    const dir = this.dir();
    if (dir.has(name)) throw new Errno('EEXIST');
    if (!(target instanceof TmpInode) || target.fs !== this.fs) throw new Errno('EXDEV');
    dir.set(name, target);
    target.nlink++;
    target.ctime = this.fs.now();
    this.touch();
  }

  unlink(name: string): void {
    const dir = this.dir();
    const n = dir.get(name);
    if (n === undefined) throw new Errno('ENOENT');
    if (n.children !== undefined) throw new Errno('EISDIR');
    dir.delete(name);
    n.nlink--;
    n.ctime = this.fs.now();
    if (n.nlink === 0) this.fs.release(n);
    this.touch();
  }

  rmdir(name: string): void {
    const dir = this.dir();
    const n = dir.get(name);
    if (n === undefined) throw new Errno('ENOENT');
    if (n.children === undefined) throw new Errno('ENOTDIR');
    if (n.children.size > 0) throw new Errno('ENOTEMPTY');
    dir.delete(name);
    n.nlink = 0;
    n.parent = undefined;
    this.nlink--;
    this.touch();
  }

  rename(name: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof TmpInode) || newDir.fs !== this.fs) throw new Errno('EXDEV');
    const src = this.dir();
    const dst = newDir.dir();
    const n = src.get(name);
    if (n === undefined) throw new Errno('ENOENT');
    const old = dst.get(newName);
    if (old === n) return;
    if (old !== undefined) {
      if (old.children !== undefined) newDir.rmdir(newName);
      else newDir.unlink(newName);
    }
    src.delete(name);
    dst.set(newName, n);
    if (n.children !== undefined) {
      this.nlink--;
      newDir.nlink++;
      n.parent = newDir;
    }
    n.ctime = this.fs.now();
    this.touch();
    newDir.touch();
  }

  readlink(): string {
    return this.target;
  }

  setattr(attr: SetAttr): void {
    if (attr.size !== undefined) {
      if ((this.mode & S_IFMT) !== S_IFREG) throw new Errno('EINVAL');
      this.resize(attr.size);
      this.touch();
    }
    if (attr.mode !== undefined) this.mode = (this.mode & S_IFMT) | (attr.mode & S_IALLUGO);
    if (attr.uid !== undefined) this.uid = attr.uid;
    if (attr.gid !== undefined) this.gid = attr.gid;
    if (attr.atime !== undefined) this.atime = attr.atime;
    if (attr.mtime !== undefined) this.mtime = attr.mtime;
    this.ctime = this.fs.now();
  }

  open(): FileOps {
    return REGULAR_OPS;
  }

  resize(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new Errno('EINVAL');
    this.fs.charge(n - this.length);
    if (n > this.data.length) {
      const grown = new Uint8Array(Math.max(n, this.data.length * 2, 64));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    } else if (n < this.length) {
      this.data.fill(0, n, this.length);
    }
    this.length = n;
  }

  readAt(count: number, pos: number): Uint8Array {
    if (pos >= this.length) return new Uint8Array(0);
    return this.data.slice(pos, Math.min(this.length, pos + count));
  }

  writeAt(data: Uint8Array, pos: number): number {
    const end = pos + data.length;
    if (end > this.length) this.resize(end);
    this.data.set(data, pos);
    this.touch();
    return data.length;
  }
}

const REGULAR_OPS: FileOps = {
  read(file: OpenFile, count: number, pos: number): Uint8Array {
    return (file.inode as TmpInode).readAt(count, pos);
  },
  write(file: OpenFile, data: Uint8Array, pos: number): number {
    return (file.inode as TmpInode).writeAt(data, pos);
  },
};

/** An in-memory filesystem instance. */
export class Tmpfs implements FileSystem {
  /** Type name. */
  readonly type: string;
  /** Mount source. */
  readonly source: string;
  /** st_dev of its inodes. */
  readonly dev: number;
  /** Root directory. */
  readonly root: Inode;
  /** Wall clock used for timestamps. */
  readonly now: () => Timespec;
  private nextIno = 1;
  private used = 0;
  private inodes = 0;
  private readonly maxBytes: number | undefined;
  private readonly rootMode: number;

  constructor(opts: TmpfsOptions) {
    this.type = opts.type ?? 'tmpfs';
    this.source = opts.source ?? this.type;
    this.dev = opts.dev;
    this.now = opts.now;
    this.maxBytes = opts.maxBytes;
    this.rootMode = opts.rootMode ?? 0o1777;
    this.root = this.newInode(S_IFDIR | this.rootMode, 0, 0);
  }

  /** @internal Allocates an inode (used by directory operations). */
  newInode(mode: number, uid: number, gid: number): TmpInode {
    this.inodes++;
    return new TmpInode(this, this.nextIno++, mode, uid, gid);
  }

  /** @internal Accounts for file data growing or shrinking by `delta` bytes. */
  charge(delta: number): void {
    if (delta > 0 && this.maxBytes !== undefined && this.used + delta > this.maxBytes) throw new Errno('ENOSPC');
    this.used += delta;
  }

  /** @internal Forgets an inode whose last link went away. */
  release(n: TmpInode): void {
    this.inodes--;
    this.used -= n.length;
  }

  /** mountinfo super options. */
  superOptions(): string {
    const parts = ['rw'];
    if (this.maxBytes !== undefined) parts.push(`size=${Math.ceil(this.maxBytes / 1024)}k`);
    if (this.rootMode !== 0o1777) parts.push(`mode=${this.rootMode.toString(8)}`);
    return parts.join(',');
  }

  /** statfs(2) numbers. */
  statfs(): StatFs {
    const total = this.maxBytes === undefined ? 0 : Math.floor(this.maxBytes / PAGE);
    const usedBlocks = Math.ceil(this.used / PAGE);
    const free = Math.max(0, total - usedBlocks);
    return { type: TMPFS_MAGIC, bsize: PAGE, blocks: total, bfree: free, bavail: free, files: 0, ffree: 0, namelen: 255, frsize: PAGE, flags: 0 };
  }
}
