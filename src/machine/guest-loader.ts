/**
 * The VMM's side of starting a guest kernel: after firmware, the machine hands a loader
 * the CPU (bus and interrupt entry) and the clock, as a bootloader jumps into a kernel.
 * The machine never imports guest code; whoever builds the machine supplies the loader.
 */
import type { CpuBus } from './cpu-bus.js';
import type { SchedulerView } from '../core/scheduler.js';
import type { Trace } from '../core/trace.js';

/** What a guest kernel receives at boot. */
export interface GuestBootEnv {
  /** Port I/O and physical memory. */
  cpu: CpuBus;
  /** The clock everything runs on (a gated view: closed when the machine resets). */
  sched: SchedulerView;
  /** The machine trace (the guest writes its kernel log there). */
  trace: Trace;
  /** Installs the CPU's interrupt entry (undefined: the CPU takes none, e.g. while powered down). */
  setVectorHandler(handler: ((vector: number) => void) | undefined): void;
  /**
   * Installs the code firmware jumps to when it resumes the machine from S3 (undefined clears
   * it). A real kernel puts that code in RAM and its address in the FACS waking vector; this
   * kernel is JS, so it registers the entry with the CPU and writes a non-zero vector to the
   * FACS, which is what firmware checks before jumping.
   */
  setWakeEntry(entry: (() => void) | undefined): void;
  /** Wall-clock nanoseconds at virtual time 0 (until an RTC driver reads the clock itself). */
  realtimeNs: number;
  /** Seed for the kernel's randomness (/dev/urandom, salts). */
  seed: number;
}

/** Starts a guest on a freshly reset machine; returns the guest object (opaque to the VMM). */
export type GuestLoader = (env: GuestBootEnv) => unknown;
