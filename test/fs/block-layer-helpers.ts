/**
 * Filesystem tests over the real block layer: a disk with a partition table registered
 * through kernel.block.addDisk (partitions scanned, /dev nodes and their file operations
 * made by the block layer), the ext4/xfs driver opening devices through kernel.block,
 * and the whole userland installed.
 */
import { Scheduler } from '../../src/core/scheduler.js';
import { Trace } from '../../src/core/trace.js';
import type { DiskImage } from '../../devices/block/disk-image.js';
import { Kernel, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { registerSimplefs } from '../../src/guest/fs/simplefs/mount.js';
import { installCoreutils } from '../../src/guest/programs/index.js';
import { addImageDisk, imageDiskMajor } from '../helpers/image-disk.js';

export { imageMiB } from '../helpers/image-disk.js';

/** Virtual time one request takes. */
const LATENCY_NS = 100_000;

/** A kernel with the userland and the ext4/xfs driver on the real block layer. */
export interface LayerBooted {
  sched: Scheduler;
  trace: Trace;
  kernel: Kernel;
  /** Kernel log lines. */
  log: string[];
  /** Adds `image` as disk `name` (vda, vdb ...), partitions scanned asynchronously. */
  addDisk(name: string, image: DiskImage): void;
}

/** Boots such a kernel (disks are added by the caller). */
export function bootLayer(opts: { cmdline?: string } = {}): LayerBooted {
  const sched = new Scheduler();
  const trace = new Trace();
  const log: string[] = [];
  trace.subscribe(['guest'], (rec) => log.push(rec.message));
  const kernel = new Kernel({ sched, trace });
  if (opts.cmdline !== undefined) kernel.cmdline = opts.cmdline;
  installCoreutils(kernel);
  registerSimplefs(kernel);
  imageDiskMajor(kernel);
  return {
    sched,
    trace,
    kernel,
    log,
    addDisk(name, image) {
      addImageDisk(kernel, sched, name, image, { latencyNs: LATENCY_NS, limits: { maxSectors: 2048, discard: { maxSectors: 65536, granularity: 4096 } } });
    },
  };
}

/** Runs a shell command line to completion; returns status and output. */
export function sh(b: LayerBooted, cmd: string): { status: number | undefined; out: string; err: string } {
  const p = b.kernel.spawn('/bin/sh', ['sh', '-c', cmd], { stdout: 'pipe', stderr: 'pipe' });
  b.sched.run();
  return { status: p.status === undefined ? undefined : p.status >> 8, out: p.stdout?.text() ?? '', err: p.stderr?.text() ?? '' };
}

/** Runs a program to completion (scheduler idle). */
export function run(b: LayerBooted, main: (sys: Syscalls) => Program): void {
  let failure: unknown;
  b.kernel.spawn(function* (sys: Syscalls): Program {
    try {
      return yield* main(sys);
    } catch (e) {
      failure = e;
      return 99;
    }
  }, ['test']);
  b.sched.run();
  if (failure !== undefined) throw failure;
}
