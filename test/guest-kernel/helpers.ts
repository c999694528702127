/**
 * Shared setup for guest-kernel tests: a fresh machine clock, trace and kernel with the
 * minimal programs installed, and a way to run a test program to completion.
 */
import { expect } from 'vitest';
import { Scheduler } from '../../src/core/scheduler.js';
import { Trace } from '../../src/core/trace.js';
import { Kernel, type HostSpawnOptions, type KernelOptions, type ProgramMain, type SpawnedProcess } from '../../src/guest/kernel/index.js';
import { installMinimalPrograms } from '../../src/guest/programs/index.js';

/** A booted kernel and its machine pieces. */
export interface Booted {
  sched: Scheduler;
  trace: Trace;
  kernel: Kernel;
}

/** Builds a kernel with /bin/{true,false,echo,cat,sleep} installed. */
export function boot(opts: Partial<Omit<KernelOptions, 'sched' | 'trace'>> = {}): Booted {
  const sched = new Scheduler();
  const trace = new Trace();
  const kernel = new Kernel({ sched, trace, ...opts });
  installMinimalPrograms(kernel);
  return { sched, trace, kernel };
}

/** Spawns a program from the host and runs the scheduler until the machine is idle. */
export function runToIdle(b: Booted, target: string | ProgramMain, argv: readonly string[] = ['test'], opts: HostSpawnOptions = {}): SpawnedProcess {
  const p = b.kernel.spawn(target, argv, opts);
  b.sched.run();
  return p;
}

/** Asserts that no program died of an uncaught exception. */
export function expectNoFaults(b: Booted): void {
  expect(b.kernel.faults.map((f) => `${f.comm}: ${String(f.error)}`)).toEqual([]);
}

/** Encodes text. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Decodes text. */
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
