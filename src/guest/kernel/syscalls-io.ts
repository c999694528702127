/**
 * Descriptor-level syscalls: reading, writing, seeking, control operations, pipes and
 * poll. These go through the open file's operations, so they work the same on regular
 * files, pipes and device nodes.
 */
import type { SysCall } from './block.js';
import { Errno, WouldBlock } from './errno.js';
import {
  FD_CLOEXEC,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  FIFREEZE,
  FITHAW,
  F_GETFD,
  F_GETFL,
  F_GETOWN,
  F_SETFD,
  F_SETFL,
  F_SETOWN,
  O_APPEND,
  O_ASYNC,
  O_CLOEXEC,
  O_NONBLOCK,
  O_SETFL_MASK,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  S_ISDIR,
  S_ISREG,
} from './constants.js';
import { isRoot } from './cred.js';
import { createPipe } from './pipe.js';
import { SIGPIPE } from './signals.js';
import { SyscallBase } from './syscall-base.js';
import { PollTable, type WaitQueue } from './waitqueue.js';
import { fileGet, filePut, type FileOwner, type OpenFile } from './vfs/file.js';
import type { IoctlArg, Stat, StatFs } from './vfs/types.js';
import { statOf } from './vfs/vfs.js';

/** One entry of poll()'s array; `revents` is filled in. */
export interface PollFd {
  /** Descriptor (negative: ignored). */
  fd: number;
  /** POLL* events of interest. */
  events: number;
  /** POLL* events that occurred (POLLERR, POLLHUP and POLLNVAL always reported). */
  revents: number;
}

/** ioctl: set or clear O_NONBLOCK from an int. */
export const FIONBIO = 0x5421;
/** ioctl: set close-on-exec. */
export const FIOCLEX = 0x5451;
/** ioctl: clear close-on-exec. */
export const FIONCLEX = 0x5450;

const encoder = new TextEncoder();
const DEFAULT_POLL_MASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/** Descriptor-level syscalls. */
export abstract class IoSyscalls extends SyscallBase {
  /** close(2). */
  close(fd: number): void {
    this.enter();
    filePut(this.proc.fds.remove(fd).file);
  }

  /** read(2): up to `count` bytes; an empty result is end of file. */
  *read(fd: number, count: number): SysCall<Uint8Array> {
    this.enter();
    const f = this.fileOf(fd);
    return yield* this.readAt(f, count, undefined);
  }

  /** pread(2): reads at `offset` without moving the position. */
  *pread(fd: number, count: number, offset: number): SysCall<Uint8Array> {
    this.enter();
    const f = this.fileOf(fd);
    if (f.ops.stream === true) throw new Errno('ESPIPE');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Errno('EINVAL');
    return yield* this.readAt(f, count, offset);
  }

  private *readAt(f: OpenFile, count: number, offset: number | undefined): SysCall<Uint8Array> {
    if (!f.readable) throw new Errno('EBADF');
    if (!Number.isSafeInteger(count) || count < 0) throw new Errno('EINVAL');
    const read = f.ops.read;
    if (read === undefined) throw new Errno('EINVAL');
    if (count === 0) return new Uint8Array(0);
    return yield* this.retry(() => {
      const d = read(f, count, offset ?? f.pos);
      if (offset === undefined && f.ops.stream !== true) f.pos += d.length;
      return d;
    }, f);
  }

  /** write(2): returns bytes written; strings are written as UTF-8. */
  *write(fd: number, data: Uint8Array | string): SysCall<number> {
    this.enter();
    return yield* this.writeAt(this.fileOf(fd), data, undefined);
  }

  /** pwrite(2): writes at `offset` without moving the position. */
  *pwrite(fd: number, data: Uint8Array | string, offset: number): SysCall<number> {
    this.enter();
    const f = this.fileOf(fd);
    if (f.ops.stream === true) throw new Errno('ESPIPE');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Errno('EINVAL');
    return yield* this.writeAt(f, data, offset);
  }

  private *writeAt(f: OpenFile, data: Uint8Array | string, offset: number | undefined): SysCall<number> {
    if (!f.writable) throw new Errno('EBADF');
    const write = f.ops.write;
    if (write === undefined) throw new Errno('EINVAL');
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    let done = 0;
    for (;;) {
      try {
        let pos = offset === undefined ? f.pos : offset + done;
        if (offset === undefined && (f.flags & O_APPEND) !== 0 && f.ops.stream !== true) pos = f.inode.size;
        const n = write(f, bytes.subarray(done), pos);
        if (offset === undefined && f.ops.stream !== true) f.pos = pos + n;
        done += n;
        if (done >= bytes.length || n === 0 || f.ops.writeAll !== true) return done;
      } catch (e) {
        if (Errno.is(e, 'EPIPE')) {
          // Like Linux's pipe_write: SIGPIPE, which kills the writer unless handled or ignored.
          this.kernel.procs.send(this.proc, SIGPIPE, this.proc.pid);
          this.kernel.procs.deliver(this.proc);
          if (done > 0) return done;
          throw e;
        }
        if (!(e instanceof WouldBlock)) {
          if (done > 0) return done;
          throw e;
        }
        if (f.nonblocking) {
          if (done > 0) return done;
          throw new Errno('EAGAIN');
        }
        try {
          yield* this.sleepOn(this.queuesFor(e, f));
        } catch (err) {
          if (done > 0 && Errno.is(err, 'EINTR')) return done;
          throw err;
        }
      }
    }
  }

  /** lseek(2). */
  lseek(fd: number, offset: number, whence: number): number {
    this.enter();
    const f = this.fileOf(fd);
    if (!Number.isSafeInteger(offset)) throw new Errno('EINVAL');
    let pos: number;
    if (f.ops.llseek !== undefined) pos = f.ops.llseek(f, offset, whence);
    else if (f.ops.stream === true) throw new Errno('ESPIPE');
    else if (whence === SEEK_SET) pos = offset;
    else if (whence === SEEK_CUR) pos = f.pos + offset;
    else if (whence === SEEK_END) pos = f.inode.size + offset;
    else throw new Errno('EINVAL');
    if (pos < 0) throw new Errno('EINVAL');
    f.pos = pos;
    return pos;
  }

  /** fsync(2). */
  *fsync(fd: number): SysCall<void> {
    this.enter();
    const f = this.fileOf(fd);
    const fsync = f.ops.fsync;
    if (fsync !== undefined) yield* this.retry(() => fsync(f));
  }

  /** fdatasync(2) (same as fsync here). */
  *fdatasync(fd: number): SysCall<void> {
    return yield* this.fsync(fd);
  }

  /** ioctl(2): generic requests first, then the file's driver; the driver may fill in `arg`. */
  *ioctl(fd: number, request: number, arg?: IoctlArg): SysCall<number> {
    this.enter();
    const f = this.fileOf(fd);
    if (request === FIONBIO) {
      if (typeof arg !== 'number') throw new Errno('EFAULT');
      f.flags = arg !== 0 ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    }
    if (request === FIOCLEX || request === FIONCLEX) {
      const e = this.proc.fds.get(fd);
      if (e !== undefined) e.cloexec = request === FIOCLEX;
      return 0;
    }
    if (request === FIFREEZE || request === FITHAW) return yield* this.freezeIoctl(f, request);
    const ioctl = f.ops.ioctl;
    if (ioctl === undefined) {
      // A filesystem's own files and directories get the filesystem's ioctls (FITRIM).
      const fs = f.inode.fs;
      const fsIoctl = fs.ioctl;
      if (fsIoctl === undefined || !(S_ISREG(f.inode.mode) || S_ISDIR(f.inode.mode))) throw new Errno('ENOTTY');
      const caller = this.caller();
      return yield* this.retry(() => fsIoctl.call(fs, f, request, arg, caller));
    }
    return yield* this.retry(() => ioctl(f, request, arg), f);
  }

  // FIFREEZE and FITHAW act on the filesystem of any open file, as Linux's generic ioctl code does.
  private *freezeIoctl(f: OpenFile, request: number): SysCall<number> {
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    const fs = f.inode.fs;
    const op = request === FIFREEZE ? fs.freeze : fs.thaw;
    if (op === undefined) throw new Errno('EOPNOTSUPP');
    yield* this.retry(() => op.call(fs));
    return 0;
  }

  /** dup(2). */
  dup(fd: number): number {
    this.enter();
    return this.proc.fds.install(fileGet(this.fileOf(fd)));
  }

  /** dup2(2). */
  dup2(oldFd: number, newFd: number): number {
    this.enter();
    const f = this.fileOf(oldFd);
    if (oldFd === newFd) return newFd;
    return this.replaceFd(newFd, f, false);
  }

  /** dup3(2): like dup2 but EINVAL for equal fds, and O_CLOEXEC allowed. */
  dup3(oldFd: number, newFd: number, flags: number): number {
    this.enter();
    if ((flags & ~O_CLOEXEC) !== 0 || oldFd === newFd) throw new Errno('EINVAL');
    return this.replaceFd(newFd, this.fileOf(oldFd), (flags & O_CLOEXEC) !== 0);
  }

  private replaceFd(newFd: number, f: OpenFile, cloexec: boolean): number {
    const old = this.proc.fds.installAt(newFd, fileGet(f), cloexec);
    if (old !== undefined) filePut(old.file);
    return newFd;
  }

  /** fcntl(2): F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_GETOWN/F_SETOWN. */
  fcntl(fd: number, cmd: number, arg = 0): number {
    this.enter();
    const e = this.proc.fds.get(fd);
    if (e === undefined) throw new Errno('EBADF');
    switch (cmd) {
      case F_DUPFD:
      case F_DUPFD_CLOEXEC:
        return this.proc.fds.install(fileGet(e.file), cmd === F_DUPFD_CLOEXEC, arg);
      case F_GETFD:
        return e.cloexec ? FD_CLOEXEC : 0;
      case F_SETFD:
        e.cloexec = (arg & FD_CLOEXEC) !== 0;
        return 0;
      case F_GETFL:
        return e.file.flags;
      case F_SETFL: {
        const f = e.file;
        // As Linux's setfl: only a change of O_ASYNC reaches the driver (so an O_ASYNC
        // given to open(), which never did, makes a later F_SETFL O_ASYNC a no-op too).
        if (((arg ^ f.flags) & O_ASYNC) !== 0) f.ops.fasync?.(f, (arg & O_ASYNC) !== 0);
        f.flags = (f.flags & ~O_SETFL_MASK) | (arg & O_SETFL_MASK);
        return 0;
      }
      case F_GETOWN:
        return e.file.owner?.pid ?? 0;
      case F_SETOWN:
        e.file.owner = this.fileOwner(arg);
        return 0;
      default:
        throw new Errno('EINVAL');
    }
  }

  /** F_SETOWN's owner: a process (pid > 0), a process group (-pgid), or nobody (0); ESRCH if none such. */
  private fileOwner(who: number): FileOwner | undefined {
    if (who === 0) return undefined;
    const procs = this.kernel.procs;
    const targets = () => (who > 0 ? [procs.get(who)].filter((p) => p !== undefined) : procs.list().filter((p) => p.pgid === -who));
    if (targets().length === 0) throw new Errno('ESRCH');
    return {
      pid: who,
      signal: (sig) => {
        for (const p of targets()) procs.send(p, sig, 0);
      },
    };
  }

  /** pipe2(2): [read fd, write fd]; flags may hold O_NONBLOCK and O_CLOEXEC. */
  pipe(flags = 0): [number, number] {
    this.enter();
    if ((flags & ~(O_NONBLOCK | O_CLOEXEC)) !== 0) throw new Errno('EINVAL');
    const [r, w] = createPipe(this.kernel.pipefs, this.caller(), flags & O_NONBLOCK);
    const cloexec = (flags & O_CLOEXEC) !== 0;
    let rfd: number;
    try {
      rfd = this.proc.fds.install(r, cloexec);
    } catch (e) {
      filePut(r);
      filePut(w);
      throw e;
    }
    try {
      return [rfd, this.proc.fds.install(w, cloexec)];
    } catch (e) {
      this.close(rfd);
      filePut(w);
      throw e;
    }
  }

  /**
   * poll(2): fills in each entry's revents and returns how many are non-zero. Blocks on
   * the wait queues of every polled file until one becomes ready, a signal arrives (EINTR)
   * or `timeoutNs` of virtual time has passed (negative: no timeout; zero: just check).
   */
  *poll(fds: PollFd[], timeoutNs: number): SysCall<number> {
    this.enter();
    if (Number.isNaN(timeoutNs)) throw new Errno('EINVAL');
    const deadline = timeoutNs >= 0 && Number.isFinite(timeoutNs) ? this.kernel.sched.now() + Math.round(timeoutNs) : undefined;
    for (;;) {
      const pt = new PollTable();
      let ready = 0;
      for (const p of fds) {
        p.revents = 0;
        if (p.fd < 0) continue;
        const e = this.proc.fds.get(p.fd);
        if (e === undefined) p.revents = POLLNVAL;
        else {
          const mask = e.file.ops.poll?.(e.file, pt) ?? DEFAULT_POLL_MASK;
          p.revents = mask & (p.events | POLLERR | POLLHUP);
        }
        if (p.revents !== 0) ready++;
      }
      if (ready > 0 || timeoutNs === 0) return ready;
      if (deadline !== undefined && this.kernel.sched.now() >= deadline) return 0;
      const queues: readonly WaitQueue[] = pt.queues;
      yield* this.sleepOn(queues, deadline);
    }
  }

  /** fstat(2). */
  fstat(fd: number): Stat {
    this.enter();
    return statOf(this.fileOf(fd).inode);
  }

  /** fchmod(2). */
  fchmod(fd: number, mode: number): void {
    this.enter();
    const f = this.fileOf(fd);
    this.kernel.vfs.chmod({ mnt: f.mount, inode: f.inode }, mode, this.proc.cred);
  }

  /** fchown(2) (-1 keeps an id). */
  fchown(fd: number, uid: number, gid: number): void {
    this.enter();
    const f = this.fileOf(fd);
    this.kernel.vfs.chown({ mnt: f.mount, inode: f.inode }, uid, gid, this.proc.cred);
  }

  /** ftruncate(2): EINVAL unless open for writing. */
  *ftruncate(fd: number, length: number): SysCall<void> {
    this.enter();
    const f = this.fileOf(fd);
    if (!f.writable) throw new Errno('EINVAL');
    yield* this.retry(() => this.kernel.vfs.truncate({ mnt: f.mount, inode: f.inode }, length, this.proc.cred, true));
  }

  /** fstatfs(2). */
  fstatfs(fd: number): StatFs {
    this.enter();
    const f = this.fileOf(fd);
    if (f.mount === undefined) throw new Errno('EINVAL');
    return this.kernel.vfs.statfs(f.mount);
  }
}
