/**
 * Shared setup for guest-program tests: a kernel with the Debian userland and /etc files
 * installed, and one-call helpers that run a command line or a shell script to
 * completion and return its output and exit status.
 */
import { expect } from 'vitest';
import { Scheduler } from '../../src/core/scheduler.js';
import { Trace } from '../../src/core/trace.js';
import { Kernel, WEXITSTATUS, WIFSIGNALED, WTERMSIG, type HostSpawnOptions, type KernelOptions } from '../../src/guest/kernel/index.js';
import { installCoreutils, installEtcFiles, type EtcOptions } from '../../src/guest/programs/index.js';

/** A booted kernel and its machine pieces. */
export interface Booted {
  sched: Scheduler;
  trace: Trace;
  kernel: Kernel;
}

/** What a finished command left behind. */
export interface Ran {
  out: string;
  err: string;
  /** Exit code, or 128+N when killed by signal N. */
  code: number;
  /** Raw wait status. */
  status: number;
}

/** Builds a kernel with the userland and a fresh Debian /etc. */
export function bootDebian(opts: Partial<Omit<KernelOptions, 'sched' | 'trace'>> = {}, etc: EtcOptions = {}): Booted {
  const sched = new Scheduler();
  const trace = new Trace();
  const kernel = new Kernel({ sched, trace, hostname: 'debian', ...opts });
  installCoreutils(kernel);
  installEtcFiles(kernel, etc);
  return { sched, trace, kernel };
}

/** Options for run() and sh(). */
export interface RunOptions extends Omit<HostSpawnOptions, 'stdin' | 'stdout' | 'stderr'> {
  /** Text fed to stdin (then closed); without it stdin is /dev/null. */
  input?: string;
}

/** Runs argv[0] (looked up on PATH) to completion. */
export function run(b: Booted, argv: readonly string[], opts: RunOptions = {}): Ran {
  const { input, ...rest } = opts;
  const env = rest.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: rest.uid === 1000 ? '/home/user' : '/root' };
  const p = b.kernel.spawn(argv[0] ?? '', argv, { ...rest, env, stdin: input === undefined ? 'null' : 'pipe' });
  if (input !== undefined) {
    p.stdin?.write(input);
    p.stdin?.end();
  }
  b.sched.run();
  const status = p.status;
  if (status === undefined) throw new Error(`${argv.join(' ')} did not finish`);
  return { out: p.stdout?.text() ?? '', err: p.stderr?.text() ?? '', status, code: WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status) };
}

/** Runs `sh -c script`. */
export function sh(b: Booted, script: string, opts: RunOptions = {}): Ran {
  return run(b, ['sh', '-c', script], opts);
}

/** Asserts that no program died of an uncaught exception. */
export function expectNoFaults(b: Booted): void {
  expect(b.kernel.faults.map((f) => `${f.comm}: ${String(f.error)}`)).toEqual([]);
}

/** Reads a file from the guest as text. */
export function readGuest(b: Booted, path: string): string {
  return new TextDecoder().decode(b.kernel.readFile(path));
}
