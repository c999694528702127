/**
 * The syscall interface a program gets: one instance per process, bound to it. Blocking
 * calls are generators to be used with `yield*`; the rest are plain methods. Failures
 * throw `Errno`.
 */
import type { Nanos } from '../../core/scheduler.js';
import type { ProgramMain, SysCall } from './block.js';
import { Errno } from './errno.js';
import {
  CLOCK_BOOTTIME,
  CLOCK_MONOTONIC,
  CLOCK_MONOTONIC_RAW,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  DEFAULT_PATH,
  HOST_NAME_MAX,
  S_ISDIR,
  X_OK,
} from './constants.js';
import { checkAccess, copyCred, isRoot, type Cred } from './cred.js';
import { ProcessExit } from './process.js';
import { resolveProgram } from './programs.js';
import { rebootSyscall } from './reboot.js';
import { NSIG, SIGKILL, SIGSTOP, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, WNOHANG, exitedStatus, type SignalAction } from './signals.js';
import { FsSyscalls } from './syscalls-fs.js';
import { NetSyscalls } from './net/syscalls.js';
import type { PollFd } from './syscalls-io.js';
import { isValidTimespec, timespecFromNs, type Timespec } from './time.js';
import { fileGet, filePut, type OpenFile } from './vfs/file.js';
import { last, walk, type PathChain } from './vfs/namei.js';

/** How sys.spawn sets up the child (anything omitted is inherited). */
export interface SpawnOptions {
  /** Environment (default: a copy of the parent's). */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Real and effective uid (changing it needs root). */
  uid?: number;
  /** Real and effective gid (changing it needs root). */
  gid?: number;
  /** Supplementary groups (changing them needs root). */
  groups?: readonly number[];
  /** Parent descriptor to become the child's 0. */
  stdin?: number;
  /** Parent descriptor to become the child's 1. */
  stdout?: number;
  /** Parent descriptor to become the child's 2. */
  stderr?: number;
  /** Further child fd → parent fd mappings. */
  fds?: Readonly<Record<number, number>>;
}

/** What waitpid returns: pid 0 means WNOHANG found nothing yet. */
export interface WaitResult {
  /** The child that changed state, or 0. */
  pid: number;
  /** Its wait status (see WIFEXITED etc.). */
  status: number;
}

/** uname(2) fields. */
export interface UtsName {
  /** "Linux". */
  sysname: string;
  /** Host name. */
  nodename: string;
  /** Kernel release. */
  release: string;
  /** Kernel version string. */
  version: string;
  /** Machine ("x86_64"). */
  machine: string;
  /** NIS domain name. */
  domainname: string;
}

/** A signal set as sigprocmask takes it: valid numbers only, never SIGKILL or SIGSTOP. */
function blockable(set: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (const s of set) {
    if (!Number.isInteger(s) || s < 1 || s > NSIG) throw new Errno('EINVAL');
    if (s !== SIGKILL && s !== SIGSTOP) out.add(s);
  }
  return out;
}

function basename(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  return parts[parts.length - 1] ?? p;
}

/** The syscalls of one process. */
export class Syscalls extends FsSyscalls {
  private netCalls: NetSyscalls | undefined;

  /** The network syscalls (socket, sendto, recvfrom, getifaddrs), as `sys.net`. */
  get net(): NetSyscalls {
    return (this.netCalls ??= new NetSyscalls(this.kernel, this.proc));
  }

  /** The process's environment (mutable, like environ). */
  get env(): Record<string, string> {
    return this.proc.env;
  }

  /** getenv(3). */
  getenv(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.proc.env, name) ? this.proc.env[name] : undefined;
  }

  /** getpid(2). */
  getpid(): number {
    return this.proc.pid;
  }

  /** getppid(2). */
  getppid(): number {
    return this.proc.ppid;
  }

  /** getuid(2). */
  getuid(): number {
    return this.proc.cred.uid;
  }

  /** geteuid(2). */
  geteuid(): number {
    return this.proc.cred.euid;
  }

  /** getgid(2). */
  getgid(): number {
    return this.proc.cred.gid;
  }

  /** getegid(2). */
  getegid(): number {
    return this.proc.cred.egid;
  }

  /** getgroups(2). */
  getgroups(): number[] {
    return [...this.proc.cred.groups];
  }

  /** setuid(2): root sets all ids; others may only return to their real uid. */
  setuid(uid: number): void {
    this.enter();
    const c = this.proc.cred;
    if (isRoot(c)) this.proc.cred = { ...c, uid, euid: uid };
    else if (uid === c.uid) this.proc.cred = { ...c, euid: uid };
    else throw new Errno('EPERM');
  }

  /** setgid(2). */
  setgid(gid: number): void {
    this.enter();
    const c = this.proc.cred;
    if (isRoot(c)) this.proc.cred = { ...c, gid, egid: gid };
    else if (gid === c.gid) this.proc.cred = { ...c, egid: gid };
    else throw new Errno('EPERM');
  }

  /** setgroups(2): root only. */
  setgroups(groups: readonly number[]): void {
    this.enter();
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    this.proc.cred = { ...this.proc.cred, groups: [...groups] };
  }

  /** getpgrp(2). */
  getpgrp(): number {
    return this.proc.pgid;
  }

  /** getsid(2) of a process (0: the caller). */
  getsid(pid = 0): number {
    const p = pid === 0 ? this.proc : this.kernel.procs.get(pid);
    if (p === undefined) throw new Errno('ESRCH');
    return p.sid;
  }

  /** setsid(2): a new session and group led by the caller; EPERM for a group leader. */
  setsid(): number {
    this.enter();
    const p = this.proc;
    if (p.pgid === p.pid) throw new Errno('EPERM');
    p.sid = p.pid;
    p.pgid = p.pid;
    return p.sid;
  }

  /** setpgid(2) for the caller or one of its children (0 means "the caller" / "same as pid"). */
  setpgid(pid: number, pgid: number): void {
    this.enter();
    const target = pid === 0 ? this.proc : this.kernel.procs.get(pid);
    if (target === undefined || (target !== this.proc && target.ppid !== this.proc.pid)) throw new Errno('ESRCH');
    if (pgid < 0) throw new Errno('EINVAL');
    if (target.sid !== this.proc.sid || target.pid === target.sid) throw new Errno('EPERM');
    target.pgid = pgid === 0 ? target.pid : pgid;
  }

  /**
   * Starts a program as a child (what fork+exec does): `target` is a path or name searched
   * in the caller's PATH, or a program function run directly. The child inherits every
   * descriptor not marked close-on-exec, then gets the mappings in `opts`.
   */
  *spawn(target: string | ProgramMain, argv: readonly string[], opts: SpawnOptions = {}): SysCall<number> {
    this.enter();
    const p = this.proc;
    const cred = this.childCred(opts);
    const ctx = { ...this.ctx(), caller: { pid: p.pid, cred } };
    let main: ProgramMain;
    let exe = '';
    let comm: string;
    if (typeof target === 'string') {
      const r = yield* this.retry(() => resolveProgram(ctx, this.kernel.programs, target, p.env.PATH ?? DEFAULT_PATH));
      main = r.main;
      exe = r.path;
      comm = basename(r.path);
    } else {
      main = target;
      comm = basename(argv[0] ?? (target.name === '' ? 'anon' : target.name));
    }
    let cwd: PathChain = p.cwd;
    if (opts.cwd !== undefined) {
      const path = opts.cwd;
      cwd = yield* this.retry(() => walk(ctx, path, { follow: true }).chain);
      if (!S_ISDIR(last(cwd).inode.mode)) throw new Errno('ENOTDIR');
      checkAccess(last(cwd).inode, X_OK, cred);
    }
    const mapping: [number, OpenFile][] = [];
    const add = (child: number, parent: number | undefined): void => {
      if (parent !== undefined) mapping.push([child, this.fileOf(parent)]);
    };
    add(0, opts.stdin);
    add(1, opts.stdout);
    add(2, opts.stderr);
    for (const [c, pf] of Object.entries(opts.fds ?? {})) add(Number(c), pf);
    const fds = p.fds.inherit();
    for (const [c, f] of mapping) {
      const old = fds.installAt(c, fileGet(f));
      if (old !== undefined) filePut(old.file);
    }
    const child = this.kernel.procs.create(
      { ppid: p.pid, pgid: p.pgid, sid: p.sid, comm, exe, argv: [...argv], env: { ...(opts.env ?? p.env) }, cred, umask: p.umask, cwd, fds },
      main,
      p,
    );
    return child.pid;
  }

  private childCred(opts: SpawnOptions): Cred {
    const c = copyCred(this.proc.cred);
    const changes = (opts.uid !== undefined && opts.uid !== c.uid) || (opts.gid !== undefined && opts.gid !== c.gid) || opts.groups !== undefined;
    if (changes && !isRoot(c)) throw new Errno('EPERM');
    if (opts.uid !== undefined) {
      c.uid = opts.uid;
      c.euid = opts.uid;
    }
    if (opts.gid !== undefined) {
      c.gid = opts.gid;
      c.egid = opts.gid;
      if (opts.groups === undefined) c.groups = [opts.gid];
    }
    if (opts.groups !== undefined) c.groups = [...opts.groups];
    return c;
  }

  /** waitpid(2): pid > 0 one child, -1 any, 0 / -pgid by group; WNOHANG returns {pid: 0} if none is done. */
  *waitpid(pid = -1, options = 0): SysCall<WaitResult> {
    this.enter();
    if ((options & ~WNOHANG) !== 0) throw new Errno('EINVAL');
    const procs = this.kernel.procs;
    for (;;) {
      const kids = procs.waitable(this.proc, pid);
      if (kids.length === 0) throw new Errno('ECHILD');
      const z = kids.find((k) => k.state === 'zombie');
      if (z !== undefined) {
        procs.reap(this.proc, z);
        return { pid: z.pid, status: z.status ?? 0 };
      }
      if ((options & WNOHANG) !== 0) return { pid: 0, status: 0 };
      yield* this.sleepOn([this.proc.childWq]);
    }
  }

  /** wait(2). */
  *wait(): SysCall<WaitResult> {
    return yield* this.waitpid(-1, 0);
  }

  /** kill(2): pid > 0, 0 (own group), -1 (everyone but init and self), -pgid; sig 0 only checks. */
  kill(pid: number, sig: number): void {
    this.enter();
    if (!Number.isInteger(sig) || sig < 0 || sig > NSIG) throw new Errno('EINVAL');
    const me = this.proc;
    const procs = this.kernel.procs;
    let targets = pid > 0 ? [procs.get(pid)].filter((p) => p !== undefined) : procs.list();
    if (pid === 0) targets = targets.filter((p) => p.pgid === me.pgid);
    else if (pid === -1) targets = targets.filter((p) => p.pid !== 1 && p !== me);
    else if (pid < -1) targets = targets.filter((p) => p.pgid === -pid);
    if (targets.length === 0) throw new Errno('ESRCH');
    const c = me.cred;
    const allowed = targets.filter((t) => isRoot(c) || c.euid === t.cred.uid || c.uid === t.cred.uid || c.euid === t.cred.euid);
    if (allowed.length === 0) throw new Errno('EPERM');
    for (const t of allowed) procs.send(t, sig, me.pid);
    // A signal to oneself takes effect before kill() returns.
    procs.deliver(me);
  }

  /** raise(3). */
  raise(sig: number): void {
    this.kill(this.proc.pid, sig);
  }

  /** signal(2)/sigaction: sets a disposition, returns the previous one. Handlers run at delivery and should be short. */
  signal(sig: number, action: SignalAction): SignalAction {
    if (!Number.isInteger(sig) || sig < 1 || sig > NSIG || sig === SIGKILL || sig === SIGSTOP) throw new Errno('EINVAL');
    const prev = this.proc.actions.get(sig) ?? 'default';
    if (action === 'default') this.proc.actions.delete(sig);
    else this.proc.actions.set(sig, action);
    if (action === 'ignore') this.proc.pending.delete(sig);
    return prev;
  }

  /** exit(2): unwinds the program with ProcessExit (finally blocks run, but their syscalls fail) and ends it. */
  exit(code: number): never {
    if (this.proc.dying === undefined) this.proc.dying = exitedStatus(code);
    throw new ProcessExit();
  }

  /** nanosleep(2) for `ns` nanoseconds of virtual time; EINTR if a signal interrupts it. */
  *sleep(ns: Nanos): SysCall<void> {
    this.enter();
    if (!Number.isFinite(ns) || ns < 0) throw new Errno('EINVAL');
    yield* this.sleepOn([], this.kernel.sched.now() + Math.round(ns));
  }

  /** pause(2): waits for a signal, then fails with EINTR as it always does. */
  *pause(): SysCall<never> {
    this.enter();
    yield* this.sleepOn([]);
    throw new Errno('EINTR');
  }

  /**
   * sigprocmask(2): SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK with `set` (undefined: only
   * query); returns the previous blocked set. SIGKILL and SIGSTOP cannot be blocked.
   */
  sigprocmask(how: number, set?: Iterable<number>): Set<number> {
    this.enter();
    const prev = new Set(this.proc.blocked);
    if (set === undefined) return prev;
    const sigs = blockable(set);
    if (how === SIG_BLOCK) for (const s of sigs) this.proc.blocked.add(s);
    else if (how === SIG_UNBLOCK) for (const s of sigs) this.proc.blocked.delete(s);
    else if (how === SIG_SETMASK) this.proc.blocked = sigs;
    else throw new Errno('EINVAL');
    // Unblocking makes pending signals deliverable right away.
    this.enter();
    return prev;
  }

  /**
   * sigsuspend(2): with `mask` as the blocked set, waits until a signal is handled, then
   * restores the old set and fails with EINTR, as it always does. Swapping the mask and
   * sleeping are one step, so a signal unblocked by `mask` cannot slip in between.
   */
  *sigsuspend(mask: Iterable<number>): SysCall<never> {
    const saved = this.proc.blocked;
    this.proc.blocked = blockable(mask);
    try {
      if (this.kernel.procs.hasDeliverable(this.proc)) {
        this.enter();
        throw new Errno('EINTR');
      }
      yield* this.sleepOn([]);
      throw new Errno('EINTR');
    } finally {
      this.proc.blocked = saved;
    }
  }

  /**
   * ppoll(2): poll() with `mask` as the blocked set for its duration, swapped in and out
   * atomically, so a signal it unblocks either ends the wait (EINTR, handler run) or, if
   * already pending, makes it fail at once: sigsuspend that also watches descriptors.
   */
  *ppoll(fds: PollFd[], timeoutNs: number, mask: Iterable<number>): SysCall<number> {
    const saved = this.proc.blocked;
    this.proc.blocked = blockable(mask);
    try {
      if (this.kernel.procs.hasDeliverable(this.proc)) {
        this.enter();
        throw new Errno('EINTR');
      }
      return yield* this.poll(fds, timeoutNs);
    } finally {
      this.proc.blocked = saved;
    }
  }

  /** sched_yield(2): lets every other event due now run first. */
  *schedYield(): SysCall<void> {
    this.enter();
    yield* this.sleepOn([], this.kernel.sched.now());
  }

  /** clock_gettime(2). */
  clockGettime(clock: number): Timespec {
    switch (clock) {
      case CLOCK_REALTIME:
        return this.kernel.clock.realtime();
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
      case CLOCK_BOOTTIME:
        return timespecFromNs(BigInt(this.kernel.clock.monotonicNs()));
      case CLOCK_PROCESS_CPUTIME_ID:
      case 3:
        return { sec: 0, nsec: 0 };
      default:
        throw new Errno('EINVAL');
    }
  }

  /** clock_settime(2): only CLOCK_REALTIME, root only. */
  clockSettime(clock: number, ts: Timespec): void {
    this.enter();
    if (clock !== CLOCK_REALTIME || !isValidTimespec(ts) || ts.sec < 0) throw new Errno('EINVAL');
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    this.kernel.setRealtime(ts);
  }

  /** settimeofday(2) (with a timespec). */
  settimeofday(ts: Timespec): void {
    this.clockSettime(CLOCK_REALTIME, ts);
  }

  /** gettimeofday(2) (as a timespec). */
  gettimeofday(): Timespec {
    return this.clockGettime(CLOCK_REALTIME);
  }

  /** uname(2). */
  uname(): UtsName {
    return this.kernel.uname();
  }

  /** gethostname(2). */
  gethostname(): string {
    return this.kernel.hostname;
  }

  /** sethostname(2): root only, at most 64 bytes. */
  sethostname(name: string): void {
    this.enter();
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    if (new TextEncoder().encode(name).length > HOST_NAME_MAX) throw new Errno('EINVAL');
    this.kernel.setHostname(name);
  }

  /**
   * reboot(2) as the C library wraps it (it supplies the magic numbers): root only (EPERM),
   * EINVAL for an unknown command; filesystems are synced first. RESTART, HALT and POWER_OFF
   * do not return; SW_SUSPEND returns once the machine has resumed from hibernation.
   */
  *reboot(cmd: number, arg?: string): SysCall<void> {
    this.enter();
    const self = this;
    yield* rebootSyscall(this.kernel, this.proc.cred, cmd, arg, {
      sync: () => self.sync(),
      *park() {
        try {
          yield* self.sleepOn([]);
        } catch (e) {
          if (!Errno.is(e, 'EINTR')) throw e;
        }
      },
      *wait(q) {
        try {
          yield* self.sleepOn([q]);
        } catch (e) {
          if (!Errno.is(e, 'EINTR')) throw e;
        }
      },
    });
  }

  /** sync(2): asks every mounted filesystem to write back. */
  *sync(): SysCall<void> {
    this.enter();
    for (const m of this.kernel.vfs.mounts.list()) {
      const sync = m.fs.sync;
      if (sync !== undefined) yield* this.retry(() => sync.call(m.fs));
    }
  }

  /** swapon(2): root only; `path` must be a block device carrying a version-1 swap signature. */
  *swapon(path: string, flags = 0): SysCall<void> {
    this.enter();
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    const real = yield* this.realpath(path);
    const st = yield* this.stat(real);
    const pid = this.proc.pid;
    yield* this.retry(() => this.kernel.block.swap.swapon(real, st.mode, st.rdev, flags, pid));
  }

  /** swapoff(2): root only; EINVAL unless `path` is an active swap area. */
  *swapoff(path: string): SysCall<void> {
    this.enter();
    if (!isRoot(this.proc.cred)) throw new Errno('EPERM');
    const st = yield* this.stat(path);
    this.kernel.block.swap.swapoff(st.rdev);
  }
}
