/**
 * The VFS proper: path-based operations with Linux's permission, type and read-only
 * checks, on top of whatever filesystems are mounted. Syscalls and the kernel's own
 * helpers both come through here, each with a context saying who asks and from where.
 */
import { Errno } from '../errno.js';
import {
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  NAME_MAX,
  O_ACCMODE,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  R_OK,
  S_IALLUGO,
  S_IFMT,
  S_ISBLK,
  S_ISCHR,
  S_ISDIR,
  S_ISGID,
  S_ISLNK,
  S_ISREG,
  S_ISUID,
  S_ISVTX,
  W_OK,
  X_OK,
} from '../constants.js';
import { checkAccess, inGroup, isRoot, mayAccess, ownerOrRoot, type Cred } from '../cred.js';
import type { DeviceRegistry } from '../devices.js';
import { OpenFile } from './file.js';
import { MOUNT_FLAG_MASK, type Mount, type MountTable } from './mounts.js';
import { chainPath, last, walk, type LookupContext, type PathChain, type PathStep } from './namei.js';
import type { DirEntry, FileOps, FileSystem, Inode, Stat, StatFs } from './types.js';

/** Who asks and from where, for one VFS operation. */
export interface VfsContext extends LookupContext {
  /** File-creation mask. */
  umask: number;
}

/** statfs f_flags bits. */
const ST_RDONLY = 1;
const ST_NOSUID = 2;
const ST_NODEV = 4;
const ST_NOEXEC = 8;
const ST_RELATIME = 4096;

// What a directory's open file does: readdir goes through the inode, read() is refused.
const DIR_OPS: FileOps = {
  read(): Uint8Array {
    throw new Errno('EISDIR');
  },
};

/** stat() of an inode. */
export function statOf(inode: Inode): Stat {
  const size = inode.size;
  return {
    dev: inode.fs.dev,
    ino: inode.ino,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: inode.uid,
    gid: inode.gid,
    rdev: inode.rdev,
    size,
    blksize: 4096,
    blocks: S_ISREG(inode.mode) ? Math.ceil(size / 4096) * 8 : 0,
    atime: inode.atime,
    mtime: inode.mtime,
    ctime: inode.ctime,
  };
}

function writeCheck(mnt: Mount): void {
  if (mnt.readOnly) throw new Errno('EROFS');
}

/** Path-level filesystem operations. */
export class Vfs {
  constructor(
    /** The mount table. */
    readonly mounts: MountTable,
    private readonly devices: DeviceRegistry,
  ) {}

  /** Resolves an existing path to its chain. */
  resolve(ctx: VfsContext, path: string, follow = true): PathChain {
    return walk(ctx, path, { follow }).chain;
  }

  /** Resolves the parent of a path to be created or removed: its chain and the final name. */
  private parent(ctx: VfsContext, path: string): { dir: PathStep; chain: PathChain; name: string; trailingSlash: boolean } {
    const r = walk(ctx, path, { follow: false, parentOnly: true });
    const dir = last(r.chain);
    if (r.name.length > NAME_MAX) throw new Errno('ENAMETOOLONG');
    return { dir, chain: r.chain, name: r.name, trailingSlash: r.trailingSlash };
  }

  private mayModifyDir(dir: PathStep, cred: Cred): void {
    checkAccess(dir.inode, W_OK | X_OK, cred);
    writeCheck(dir.mnt);
  }

  // Sticky directories let only the owner of an entry (or of the directory) remove it.
  private stickyCheck(dir: Inode, victim: Inode, cred: Cred): void {
    if ((dir.mode & S_ISVTX) !== 0 && !isRoot(cred) && cred.euid !== victim.uid && cred.euid !== dir.uid) throw new Errno('EPERM');
  }

  private child(dir: PathStep, name: string, ctx: VfsContext): Inode | undefined {
    return dir.inode.lookup?.(name, ctx.caller);
  }

  /** open(2): resolves, creates if asked, checks access and returns a new open file. */
  open(ctx: VfsContext, path: string, flags: number, mode = 0o666): OpenFile {
    const cred = ctx.caller.cred;
    const creat = (flags & O_CREAT) !== 0;
    const follow = !((creat && (flags & O_EXCL) !== 0) || (flags & O_NOFOLLOW) !== 0);
    const r = walk(ctx, path, { follow, allowMissing: creat });
    let step: PathStep;
    let created = false;
    if (!r.found) {
      if (r.trailingSlash) throw new Errno('EISDIR');
      const dir = last(r.chain);
      if (r.name.length > NAME_MAX) throw new Errno('ENAMETOOLONG');
      this.mayModifyDir(dir, cred);
      if (dir.inode.create === undefined) throw new Errno('EACCES');
      const inode = dir.inode.create(r.name, mode & ~ctx.umask & S_IALLUGO, ctx.caller);
      step = { name: r.name, mnt: dir.mnt, inode };
      created = true;
    } else {
      step = last(r.chain);
      if (creat && (flags & O_EXCL) !== 0) throw new Errno('EEXIST');
    }
    const inode = step.inode;
    const acc = flags & O_ACCMODE;
    const wantWrite = acc !== O_RDONLY || (flags & O_TRUNC) !== 0;
    if (S_ISLNK(inode.mode)) throw new Errno('ELOOP');
    if ((flags & O_DIRECTORY) !== 0 && !S_ISDIR(inode.mode)) throw new Errno('ENOTDIR');
    if (S_ISDIR(inode.mode) && (wantWrite || creat)) throw new Errno('EISDIR');
    if (!created) {
      let mask = 0;
      if (acc === O_RDONLY || acc === O_RDWR) mask |= R_OK;
      if (wantWrite) mask |= W_OK;
      checkAccess(inode, mask, cred);
    }
    if (wantWrite && (S_ISREG(inode.mode) || S_ISDIR(inode.mode))) writeCheck(step.mnt);
    const fullChain = r.found ? r.chain : [...r.chain, step];
    const file = new OpenFile(inode, step.mnt, chainPath(fullChain), flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW), DIR_OPS, ctx.caller);
    const type = inode.mode & S_IFMT;
    if (S_ISDIR(type)) {
      file.ops = DIR_OPS;
    } else if (S_ISREG(type)) {
      if (inode.open === undefined) throw new Errno('EINVAL');
      // Truncate first: it may have to wait (a disk read, a frozen filesystem) and be retried,
      // and a retried open must not leave an earlier half-open file behind.
      if ((flags & O_TRUNC) !== 0 && !created && inode.size !== 0) {
        if (inode.setattr === undefined) throw new Errno('EPERM');
        inode.setattr({ size: 0 });
      }
      file.ops = inode.open(file, ctx.caller);
    } else if (S_ISCHR(type) || S_ISBLK(type)) {
      if ((step.mnt.flags & MS_NODEV) !== 0) throw new Errno('EACCES');
      const dev = this.devices.lookup(S_ISCHR(type) ? 'char' : 'block', inode.rdev);
      if (dev === undefined) throw new Errno('ENXIO');
      file.ops = dev.ops;
      dev.ops.open?.(file, flags);
    } else {
      // FIFOs and sockets have no open() yet (Linux gives ENXIO for sockets too).
      throw new Errno('ENXIO');
    }
    step.mnt.refs++;
    return file;
  }

  /** stat/lstat. */
  stat(ctx: VfsContext, path: string, follow: boolean): Stat {
    return statOf(last(walk(ctx, path, { follow }).chain).inode);
  }

  /** mkdir(2). */
  mkdir(ctx: VfsContext, path: string, mode: number): Inode {
    const p = this.parent(ctx, path);
    if (p.name === '' || p.name === '.' || p.name === '..' || this.child(p.dir, p.name, ctx) !== undefined) {
      checkAccess(p.dir.inode, X_OK, ctx.caller.cred);
      throw new Errno('EEXIST');
    }
    this.mayModifyDir(p.dir, ctx.caller.cred);
    if (p.dir.inode.mkdir === undefined) throw new Errno('EPERM');
    return p.dir.inode.mkdir(p.name, mode & ~ctx.umask & S_IALLUGO, ctx.caller);
  }

  /** mknod(2): device nodes need root. */
  mknod(ctx: VfsContext, path: string, mode: number, rdev: number): Inode {
    const p = this.parent(ctx, path);
    if ((S_ISCHR(mode) || S_ISBLK(mode)) && !isRoot(ctx.caller.cred)) throw new Errno('EPERM');
    const type = mode & S_IFMT;
    if (type === 0 || S_ISDIR(mode) || S_ISLNK(mode)) throw new Errno('EINVAL');
    if (p.name === '' || p.name === '.' || p.name === '..' || this.child(p.dir, p.name, ctx) !== undefined) throw new Errno('EEXIST');
    this.mayModifyDir(p.dir, ctx.caller.cred);
    if (S_ISREG(mode)) {
      if (p.dir.inode.create === undefined) throw new Errno('EPERM');
      return p.dir.inode.create(p.name, mode & ~ctx.umask & S_IALLUGO, ctx.caller);
    }
    if (p.dir.inode.mknod === undefined) throw new Errno('EPERM');
    return p.dir.inode.mknod(p.name, type | (mode & ~ctx.umask & S_IALLUGO), rdev, ctx.caller);
  }

  /** symlink(2): creates `path` pointing at `target`. */
  symlink(ctx: VfsContext, target: string, path: string): Inode {
    if (target === '') throw new Errno('ENOENT');
    const p = this.parent(ctx, path);
    if (p.name === '' || p.name === '.' || p.name === '..' || this.child(p.dir, p.name, ctx) !== undefined) throw new Errno('EEXIST');
    this.mayModifyDir(p.dir, ctx.caller.cred);
    if (p.dir.inode.symlink === undefined) throw new Errno('EPERM');
    return p.dir.inode.symlink(p.name, target, ctx.caller);
  }

  /** link(2): a new name for an existing non-directory. */
  link(ctx: VfsContext, oldPath: string, newPath: string): void {
    const src = last(walk(ctx, oldPath, { follow: false }).chain);
    const p = this.parent(ctx, newPath);
    if (S_ISDIR(src.inode.mode)) throw new Errno('EPERM');
    if (p.name === '' || p.name === '.' || p.name === '..' || this.child(p.dir, p.name, ctx) !== undefined) throw new Errno('EEXIST');
    if (src.mnt !== p.dir.mnt) throw new Errno('EXDEV');
    this.mayModifyDir(p.dir, ctx.caller.cred);
    if (p.dir.inode.link === undefined) throw new Errno('EPERM');
    p.dir.inode.link(p.name, src.inode);
  }

  /** unlink(2). */
  unlink(ctx: VfsContext, path: string): void {
    const p = this.parent(ctx, path);
    if (p.name === '' || p.name === '.' || p.name === '..') throw new Errno('EISDIR');
    checkAccess(p.dir.inode, X_OK, ctx.caller.cred);
    const victim = this.child(p.dir, p.name, ctx);
    if (victim === undefined) throw new Errno('ENOENT');
    if (S_ISDIR(victim.mode)) throw new Errno('EISDIR');
    if (p.trailingSlash) throw new Errno('ENOTDIR');
    this.mayModifyDir(p.dir, ctx.caller.cred);
    this.stickyCheck(p.dir.inode, victim, ctx.caller.cred);
    if (this.mounts.coveredBy(p.dir.mnt, victim) !== undefined) throw new Errno('EBUSY');
    if (p.dir.inode.unlink === undefined) throw new Errno('EPERM');
    p.dir.inode.unlink(p.name);
  }

  /** rmdir(2). */
  rmdir(ctx: VfsContext, path: string): void {
    const p = this.parent(ctx, path);
    if (p.name === '.') throw new Errno('EINVAL');
    if (p.name === '..') throw new Errno('ENOTEMPTY');
    if (p.name === '') throw new Errno('EBUSY');
    checkAccess(p.dir.inode, X_OK, ctx.caller.cred);
    const victim = this.child(p.dir, p.name, ctx);
    if (victim === undefined) throw new Errno('ENOENT');
    if (!S_ISDIR(victim.mode)) throw new Errno('ENOTDIR');
    this.mayModifyDir(p.dir, ctx.caller.cred);
    this.stickyCheck(p.dir.inode, victim, ctx.caller.cred);
    if (this.mounts.coveredBy(p.dir.mnt, victim) !== undefined) throw new Errno('EBUSY');
    if (p.dir.inode.rmdir === undefined) throw new Errno('EPERM');
    p.dir.inode.rmdir(p.name);
  }

  /** rename(2), with Linux's type-compatibility and subtree checks. */
  rename(ctx: VfsContext, oldPath: string, newPath: string): void {
    const cred = ctx.caller.cred;
    const a = this.parent(ctx, oldPath);
    const b = this.parent(ctx, newPath);
    for (const n of [a.name, b.name]) if (n === '' || n === '.' || n === '..') throw new Errno('EBUSY');
    checkAccess(a.dir.inode, X_OK, cred);
    checkAccess(b.dir.inode, X_OK, cred);
    const src = this.child(a.dir, a.name, ctx);
    if (src === undefined) throw new Errno('ENOENT');
    if (a.dir.mnt !== b.dir.mnt) throw new Errno('EXDEV');
    const dst = this.child(b.dir, b.name, ctx);
    if (dst === src) return;
    if ((a.trailingSlash || b.trailingSlash) && !S_ISDIR(src.mode)) throw new Errno('ENOTDIR');
    if (dst !== undefined) {
      if (S_ISDIR(src.mode) && !S_ISDIR(dst.mode)) throw new Errno('ENOTDIR');
      if (!S_ISDIR(src.mode) && S_ISDIR(dst.mode)) throw new Errno('EISDIR');
    }
    if (S_ISDIR(src.mode) && b.chain.some((s) => s.inode === src)) throw new Errno('EINVAL');
    this.mayModifyDir(a.dir, cred);
    this.mayModifyDir(b.dir, cred);
    this.stickyCheck(a.dir.inode, src, cred);
    if (dst !== undefined) this.stickyCheck(b.dir.inode, dst, cred);
    const busy = (n: Inode | undefined, dir: PathStep): boolean => n !== undefined && this.mounts.coveredBy(dir.mnt, n) !== undefined;
    if (busy(src, a.dir) || busy(dst, b.dir)) throw new Errno('EBUSY');
    if (a.dir.inode.rename === undefined) throw new Errno('EPERM');
    a.dir.inode.rename(a.name, b.dir.inode, b.name);
  }

  /** readlink(2). */
  readlink(ctx: VfsContext, path: string): string {
    const s = last(walk(ctx, path, { follow: false }).chain);
    if (!S_ISLNK(s.inode.mode) || s.inode.readlink === undefined) throw new Errno('EINVAL');
    return s.inode.readlink(ctx.caller);
  }

  /** Directory listing (without "." and ".."); needs read permission. */
  readdir(ctx: VfsContext, path: string): DirEntry[] {
    return this.readdirOf(ctx, last(walk(ctx, path, { follow: true }).chain).inode);
  }

  /** Listing of an already-resolved directory inode. */
  readdirOf(ctx: VfsContext, inode: Inode): DirEntry[] {
    if (!S_ISDIR(inode.mode) || inode.readdir === undefined) throw new Errno('ENOTDIR');
    checkAccess(inode, R_OK, ctx.caller.cred);
    return inode.readdir(ctx.caller);
  }

  /** access(2): checks with the real ids, as the syscall does. */
  access(ctx: VfsContext, path: string, mode: number): void {
    if ((mode & ~7) !== 0) throw new Errno('EINVAL');
    const c = ctx.caller.cred;
    const real: Cred = { ...c, euid: c.uid, egid: c.gid };
    const s = last(walk({ ...ctx, caller: { ...ctx.caller, cred: real } }, path, { follow: true }).chain);
    if (mode === 0) return;
    if (!mayAccess(s.inode, mode, c, true)) throw new Errno('EACCES');
    if ((mode & W_OK) !== 0 && (S_ISREG(s.inode.mode) || S_ISDIR(s.inode.mode))) writeCheck(s.mnt);
  }

  /** chmod on a resolved inode: owner or root; non-members lose setgid as in Linux. */
  chmod(step: { mnt: Mount | undefined; inode: Inode }, mode: number, cred: Cred): void {
    const n = step.inode;
    if (!ownerOrRoot(n, cred)) throw new Errno('EPERM');
    if (step.mnt !== undefined) writeCheck(step.mnt);
    let m = mode & S_IALLUGO;
    if (!isRoot(cred) && !inGroup(cred, n.gid)) m &= ~S_ISGID;
    if (n.setattr === undefined) throw new Errno('EPERM');
    n.setattr({ mode: m });
  }

  /** chown on a resolved inode (-1 leaves an id unchanged); non-root may only change the group to one of its own. */
  chown(step: { mnt: Mount | undefined; inode: Inode }, uid: number, gid: number, cred: Cred): void {
    const n = step.inode;
    const newUid = uid === -1 ? n.uid : uid;
    const newGid = gid === -1 ? n.gid : gid;
    if (!isRoot(cred)) {
      if (newUid !== n.uid || cred.euid !== n.uid) throw new Errno('EPERM');
      if (newGid !== n.gid && !inGroup(cred, newGid)) throw new Errno('EPERM');
    }
    if (step.mnt !== undefined) writeCheck(step.mnt);
    if (n.setattr === undefined) throw new Errno('EPERM');
    const attr: { uid: number; gid: number; mode?: number } = { uid: newUid, gid: newGid };
    if (!S_ISDIR(n.mode) && (n.mode & (S_ISUID | S_ISGID)) !== 0) attr.mode = n.mode & S_IALLUGO & ~(S_ISUID | S_ISGID);
    n.setattr(attr);
  }

  /** truncate on a resolved inode (write permission checked unless `viaFd`). */
  truncate(step: { mnt: Mount | undefined; inode: Inode }, size: number, cred: Cred, viaFd: boolean): void {
    const n = step.inode;
    if (!Number.isSafeInteger(size) || size < 0) throw new Errno('EINVAL');
    if (S_ISDIR(n.mode)) throw new Errno('EISDIR');
    if (!S_ISREG(n.mode)) throw new Errno('EINVAL');
    if (!viaFd) checkAccess(n, W_OK, cred);
    if (step.mnt !== undefined) writeCheck(step.mnt);
    if (n.setattr === undefined) throw new Errno('EPERM');
    n.setattr({ size });
  }

  /** statfs of the filesystem behind a mount. */
  statfs(mnt: Mount): StatFs {
    const base: StatFs = mnt.fs.statfs?.() ?? { type: 0, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255, frsize: 4096, flags: 0 };
    let flags = ST_RELATIME;
    if (mnt.readOnly) flags |= ST_RDONLY;
    if (mnt.flags & MS_NOSUID) flags |= ST_NOSUID;
    if (mnt.flags & MS_NODEV) flags |= ST_NODEV;
    if (mnt.flags & MS_NOEXEC) flags |= ST_NOEXEC;
    return { ...base, flags };
  }

  /** Mounts `fs` on directory `path`. */
  mount(ctx: VfsContext, fs: FileSystem, path: string, flags: number): Mount {
    const chain = walk(ctx, path, { follow: true }).chain;
    const at = last(chain);
    if (!S_ISDIR(at.inode.mode)) throw new Errno('ENOTDIR');
    return this.mounts.mount(fs, at.mnt, at.inode, chainPath(chain), flags & MOUNT_FLAG_MASK);
  }

  /** The mount whose root `path` names; EINVAL when it is not a mount point. */
  mountAt(ctx: VfsContext, path: string): Mount {
    const at = last(walk(ctx, path, { follow: true }).chain);
    if (at.inode !== at.mnt.root) throw new Errno('EINVAL');
    return at.mnt;
  }

  /** umount(2). */
  umount(ctx: VfsContext, path: string): Mount {
    const m = this.mountAt(ctx, path);
    m.fs.sync?.();
    this.mounts.umount(m);
    if (!this.mounts.isMounted(m.fs)) m.fs.unmounted?.();
    return m;
  }

  /** Changes the per-mount flags of the mount at `path` (MS_REMOUNT). */
  remount(ctx: VfsContext, path: string, flags: number): Mount {
    const m = this.mountAt(ctx, path);
    if ((flags & MS_RDONLY) === 0 && m.fs.readOnly === true) throw new Errno('EROFS');
    m.flags = flags & MOUNT_FLAG_MASK;
    return m;
  }
}
