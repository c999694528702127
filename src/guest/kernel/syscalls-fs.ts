/**
 * Path-level syscalls. Each runs its VFS operation inside the retry loop, so a filesystem
 * that has to wait for a disk can throw WouldBlock and be called again once woken.
 */
import type { SysCall } from './block.js';
import { Errno } from './errno.js';
import { MS_REMOUNT, O_CLOEXEC, O_CREAT, O_TRUNC, O_WRONLY, S_ISDIR, X_OK } from './constants.js';
import { checkAccess, isRoot } from './cred.js';
import { chainPath, last, walk } from './vfs/namei.js';
import type { DirEntry, Stat, StatFs } from './vfs/types.js';
import { IoSyscalls } from './syscalls-io.js';

/** Path-level syscalls. */
export abstract class FsSyscalls extends IoSyscalls {
  /** open(2): returns the new descriptor. `mode` applies (minus umask) when O_CREAT creates. */
  *open(path: string, flags: number, mode = 0o666): SysCall<number> {
    this.enter();
    // Like Linux, find room for the descriptor before anything is created.
    if (!this.proc.fds.hasRoom()) throw new Errno('EMFILE');
    const f = yield* this.retry(() => this.kernel.vfs.open(this.ctx(), path, flags, mode));
    return this.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
  }

  /** creat(2). */
  *creat(path: string, mode = 0o666): SysCall<number> {
    return yield* this.open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
  }

  /** stat(2) (follows symlinks). */
  *stat(path: string): SysCall<Stat> {
    this.enter();
    return yield* this.retry(() => this.kernel.vfs.stat(this.ctx(), path, true));
  }

  /** lstat(2) (a final symlink is described itself). */
  *lstat(path: string): SysCall<Stat> {
    this.enter();
    return yield* this.retry(() => this.kernel.vfs.stat(this.ctx(), path, false));
  }

  /** chmod(2). */
  *chmod(path: string, mode: number): SysCall<void> {
    this.enter();
    yield* this.retry(() => {
      const s = last(this.kernel.vfs.resolve(this.ctx(), path, true));
      this.kernel.vfs.chmod(s, mode, this.proc.cred);
    });
  }

  /** chown(2) (-1 keeps an id). */
  *chown(path: string, uid: number, gid: number): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.chown(last(this.kernel.vfs.resolve(this.ctx(), path, true)), uid, gid, this.proc.cred));
  }

  /** lchown(2). */
  *lchown(path: string, uid: number, gid: number): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.chown(last(this.kernel.vfs.resolve(this.ctx(), path, false)), uid, gid, this.proc.cred));
  }

  /** truncate(2). */
  *truncate(path: string, length: number): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.truncate(last(this.kernel.vfs.resolve(this.ctx(), path, true)), length, this.proc.cred, false));
  }

  /** unlink(2). */
  *unlink(path: string): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.unlink(this.ctx(), path));
  }

  /** rename(2). */
  *rename(oldPath: string, newPath: string): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.rename(this.ctx(), oldPath, newPath));
  }

  /** mkdir(2). */
  *mkdir(path: string, mode = 0o777): SysCall<void> {
    this.enter();
    yield* this.retry(() => void this.kernel.vfs.mkdir(this.ctx(), path, mode));
  }

  /** rmdir(2). */
  *rmdir(path: string): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.rmdir(this.ctx(), path));
  }

  /** mknod(2): `mode` carries the file type; `dev` is an encoded device number (makedev). */
  *mknod(path: string, mode: number, dev = 0): SysCall<void> {
    this.enter();
    yield* this.retry(() => void this.kernel.vfs.mknod(this.ctx(), path, mode, dev));
  }

  /** A directory's entries, without "." and ".." (opendir/readdir in one call). */
  *readdir(path: string): SysCall<DirEntry[]> {
    this.enter();
    return yield* this.retry(() => this.kernel.vfs.readdir(this.ctx(), path));
  }

  /** readlink(2). */
  *readlink(path: string): SysCall<string> {
    this.enter();
    return yield* this.retry(() => this.kernel.vfs.readlink(this.ctx(), path));
  }

  /** symlink(2): creates `path` pointing at `target`. */
  *symlink(target: string, path: string): SysCall<void> {
    this.enter();
    yield* this.retry(() => void this.kernel.vfs.symlink(this.ctx(), target, path));
  }

  /** link(2). */
  *link(oldPath: string, newPath: string): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.link(this.ctx(), oldPath, newPath));
  }

  /** realpath(3): the canonical absolute path, all symlinks resolved. */
  *realpath(path: string): SysCall<string> {
    this.enter();
    return yield* this.retry(() => chainPath(this.kernel.vfs.resolve(this.ctx(), path, true)));
  }

  /** access(2), checked with the real uid and gid. */
  *access(path: string, mode: number): SysCall<void> {
    this.enter();
    yield* this.retry(() => this.kernel.vfs.access(this.ctx(), path, mode));
  }

  /** chdir(2). */
  *chdir(path: string): SysCall<void> {
    this.enter();
    const chain = yield* this.retry(() => walk(this.ctx(), path, { follow: true }).chain);
    const dir = last(chain);
    if (!S_ISDIR(dir.inode.mode)) throw new Errno('ENOTDIR');
    checkAccess(dir.inode, X_OK, this.proc.cred);
    dir.mnt.refs++;
    last(this.proc.cwd).mnt.refs--;
    this.proc.cwd = chain;
  }

  /** getcwd(3). */
  getcwd(): string {
    return chainPath(this.proc.cwd);
  }

  /** umask(2): sets the creation mask, returns the previous one. */
  umask(mask: number): number {
    const old = this.proc.umask;
    this.proc.umask = mask & 0o777;
    return old;
  }

  /** statfs(2). */
  *statfs(path: string): SysCall<StatFs> {
    this.enter();
    return yield* this.retry(() => this.kernel.vfs.statfs(last(this.kernel.vfs.resolve(this.ctx(), path, true)).mnt));
  }

  /** mount(2): root only; MS_REMOUNT changes the flags of the mount at `target`. */
  *mount(source: string, target: string, fstype: string, flags = 0, data = ''): SysCall<void> {
    this.enter();
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    if ((flags & MS_REMOUNT) !== 0) {
      yield* this.retry(() => void this.kernel.vfs.remount(this.ctx(), target, flags));
      return;
    }
    const factory = this.kernel.filesystemType(fstype);
    if (factory === undefined) throw new Errno('ENODEV');
    yield* this.retry(() => {
      const fs = factory(source, data, this.kernel.fsFactoryContext);
      this.kernel.attachMount(this.ctx(), fs, target, flags);
    });
  }

  /** umount2(2): root only; EBUSY while files are open or directories in use inside. */
  *umount(target: string, _flags = 0): SysCall<void> {
    this.enter();
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    yield* this.retry(() => this.kernel.detachMount(this.ctx(), target));
  }
}
