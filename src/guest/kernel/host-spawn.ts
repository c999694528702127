/**
 * Starting programs from the host side (the machine, tests): the handle the host gets
 * back and the standard streams it can attach — /dev/null, the console, or pipes whose
 * other ends the host reads and writes.
 */
import type { Nanos, SchedulerView } from '../../core/scheduler.js';
import { Errno } from './errno.js';
import { O_RDONLY, O_WRONLY } from './constants.js';
import { rootCred } from './cred.js';
import { HostReader, HostWriter } from './host-stdio.js';
import { createPipe } from './pipe.js';
import type { Process } from './process.js';
import type { SpawnOptions } from './syscalls.js';
import type { AnonFs } from './vfs/anonfs.js';
import type { OpenFile } from './vfs/file.js';
import type { Vfs, VfsContext } from './vfs/vfs.js';

/** What the host attaches to a spawned process's standard stream. */
export type StdioSpec = 'null' | 'console' | 'pipe';

/** Options for a host-side spawn. */
export interface HostSpawnOptions extends Omit<SpawnOptions, 'stdin' | 'stdout' | 'stderr' | 'fds'> {
  /** Standard input (default 'null'). */
  stdin?: StdioSpec;
  /** Standard output (default 'pipe', collected by the host). */
  stdout?: StdioSpec;
  /** Standard error (default 'pipe'). */
  stderr?: StdioSpec;
  /** Parent pid (default 1). */
  parent?: number;
  /** File-creation mask (default 022). */
  umask?: number;
}

/** The host's handle on a process it started. */
export class SpawnedProcess {
  constructor(
    private readonly proc: Process,
    /** Writer feeding its stdin, when stdin is 'pipe'. */
    readonly stdin: HostWriter | undefined,
    /** Reader collecting its stdout, when stdout is 'pipe'. */
    readonly stdout: HostReader | undefined,
    /** Reader collecting its stderr, when stderr is 'pipe'. */
    readonly stderr: HostReader | undefined,
  ) {}

  /** Process id. */
  get pid(): number {
    return this.proc.pid;
  }

  /** Wait status once it has exited (kept after init reaps it). */
  get status(): number | undefined {
    return this.proc.status;
  }

  /** Virtual time of its exit. */
  get exitTime(): Nanos | undefined {
    return this.proc.exitTime;
  }

  /** Calls `cb` with the wait status when it exits (at once if it already has). */
  onExit(cb: (status: number) => void): void {
    if (this.proc.status !== undefined) cb(this.proc.status);
    else this.proc.exitListeners.push(cb);
  }
}

/** The files for fds 0-2 and the host ends that go with them. */
export interface HostStdio {
  /** Files to install at fds 0, 1, 2 (undefined: leave closed). */
  files: (OpenFile | undefined)[];
  /** Host writer for a piped stdin. */
  stdin: HostWriter | undefined;
  /** Host reader for a piped stdout. */
  stdout: HostReader | undefined;
  /** Host reader for a piped stderr. */
  stderr: HostReader | undefined;
}

/** Opens the standard streams a host spawn asked for. */
export function openHostStdio(opts: HostSpawnOptions, env: { sched: SchedulerView; vfs: Vfs; ctx: VfsContext; pipefs: AnonFs }): HostStdio {
  const out: HostStdio = { files: [], stdin: undefined, stdout: undefined, stderr: undefined };
  const caller = { pid: 0, cred: rootCred() };
  const specs: [number, StdioSpec][] = [
    [0, opts.stdin ?? 'null'],
    [1, opts.stdout ?? 'pipe'],
    [2, opts.stderr ?? 'pipe'],
  ];
  for (const [fd, spec] of specs) {
    if (spec === 'pipe') {
      const [r, w] = createPipe(env.pipefs, caller);
      if (fd === 0) {
        out.files[fd] = r;
        out.stdin = new HostWriter(env.sched, w);
      } else {
        out.files[fd] = w;
        const reader = new HostReader(env.sched, r);
        if (fd === 1) out.stdout = reader;
        else out.stderr = reader;
      }
      continue;
    }
    try {
      out.files[fd] = env.vfs.open(env.ctx, spec === 'null' ? '/dev/null' : '/dev/console', fd === 0 ? O_RDONLY : O_WRONLY);
    } catch (e) {
      // Without a /dev the stream simply stays closed, as it would for a real early process.
      if (!(e instanceof Errno)) throw e;
    }
  }
  return out;
}
