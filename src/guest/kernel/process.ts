/**
 * A process: its identity, credentials, descriptors, signal state and the generator that
 * is its program. The scheduling logic that drives it lives in the process table.
 */
import type { Nanos, TimerHandle } from '../../core/scheduler.js';
import type { Program } from './block.js';
import type { Cred } from './cred.js';
import type { FdTable } from './fdtable.js';
import type { SignalAction } from './signals.js';
import { WaitQueue, type Waiter } from './waitqueue.js';
import type { PathChain } from './vfs/namei.js';

/** Where a process is in its life. */
export type ProcessState = 'runnable' | 'running' | 'blocked' | 'zombie';

/**
 * Thrown through a program when it has to stop (exit() was called or a fatal signal was
 * delivered), so that its finally blocks run; any syscall made from them throws it again
 * at once, and the kernel closes the descriptors anyway. Programs must let it propagate:
 * catch blocks should rethrow anything that is not an Errno. One that swallows it still
 * ends at its next wait or return.
 */
export class ProcessExit extends Error {
  constructor() {
    super('process is exiting');
    this.name = 'ProcessExit';
  }
}

/** The wait a blocked process is in. */
export interface ActiveWait {
  /** The waiter registered on every queue. */
  waiter: Waiter;
  /** Queues it is registered on. */
  queues: readonly WaitQueue[];
  /** Timeout event, if any. */
  timer: TimerHandle | undefined;
}

/** What a process starts with. */
export interface ProcessSetup {
  /** Parent process id (0 for init). */
  ppid: number;
  /** Process group. */
  pgid: number;
  /** Session. */
  sid: number;
  /** Command name (at most 15 characters, like /proc/<pid>/comm). */
  comm: string;
  /** Executable path ("" for a program started from a function). */
  exe: string;
  /** Arguments. */
  argv: readonly string[];
  /** Environment. */
  env: Record<string, string>;
  /** Credentials. */
  cred: Cred;
  /** File-creation mask. */
  umask: number;
  /** Working directory. */
  cwd: PathChain;
  /** Descriptor table. */
  fds: FdTable;
}

/** One process. */
export class Process {
  /** Parent process id (re-pointed to 1 when the parent dies first). */
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Session id. */
  sid: number;
  /** Command name. */
  comm: string;
  /** Executable path. */
  readonly exe: string;
  /** Arguments. */
  readonly argv: readonly string[];
  /** Environment (the program may change it through sys.env). */
  env: Record<string, string>;
  /** Credentials. */
  cred: Cred;
  /** File-creation mask. */
  umask: number;
  /** Working directory. */
  cwd: PathChain;
  /** Descriptor table. */
  readonly fds: FdTable;
  /** Scheduling state. */
  state: ProcessState = 'runnable';
  /** The program; dropped once the process is a zombie. */
  gen: Program | undefined = undefined;
  /** Wait status, once it is a zombie. */
  status: number | undefined = undefined;
  /** Wait status it is dying with, once exit() or a fatal signal has been decided. */
  dying: number | undefined = undefined;
  /** Children by pid, in creation order. */
  readonly children = new Map<number, Process>();
  /** Woken when a child changes state (waitpid sleeps here). */
  readonly childWq: WaitQueue;
  /** Signals sent but not yet delivered. */
  readonly pending = new Set<number>();
  /** Signals held back by sigprocmask: they stay pending and wake nothing until unblocked. */
  blocked = new Set<number>();
  /** Signal dispositions other than the default. */
  readonly actions = new Map<number, SignalAction>();
  /** The current wait, while blocked. */
  wait: ActiveWait | undefined = undefined;
  /** Virtual time of creation. */
  readonly startTime: Nanos;
  /** Virtual time of death. */
  exitTime: Nanos | undefined = undefined;
  /** Host-side observers of the exit. */
  readonly exitListeners: ((status: number) => void)[] = [];

  constructor(
    /** Process id. */
    readonly pid: number,
    setup: ProcessSetup,
    now: Nanos,
  ) {
    this.ppid = setup.ppid;
    this.pgid = setup.pgid;
    this.sid = setup.sid;
    this.comm = setup.comm.slice(0, 15);
    this.exe = setup.exe;
    this.argv = setup.argv;
    this.env = setup.env;
    this.cred = setup.cred;
    this.umask = setup.umask;
    this.cwd = setup.cwd;
    this.fds = setup.fds;
    this.startTime = now;
    this.childWq = new WaitQueue(`wait-chld:${pid}`);
  }
}

/** A read-only view of a process for the host and for /proc. */
export interface ProcessInfo {
  /** Process id. */
  readonly pid: number;
  /** Parent process id. */
  readonly ppid: number;
  /** Process group. */
  readonly pgid: number;
  /** Session. */
  readonly sid: number;
  /** Command name. */
  readonly comm: string;
  /** Executable path. */
  readonly exe: string;
  /** Arguments. */
  readonly argv: readonly string[];
  /** Scheduling state. */
  readonly state: ProcessState;
  /** Real uid. */
  readonly uid: number;
  /** Real gid. */
  readonly gid: number;
  /** Effective uid. */
  readonly euid: number;
  /** Effective gid. */
  readonly egid: number;
  /** Working directory path. */
  readonly cwd: string;
  /** Open descriptors and the paths they refer to. */
  readonly fds: readonly { fd: number; path: string; flags: number }[];
  /** Wait status, if a zombie. */
  readonly status: number | undefined;
  /** Virtual time of creation. */
  readonly startTime: Nanos;
}
