/**
 * Filesystem tests over the real block layer: a disk with a partition table registered
 * through kernel.block.addDisk (partitions scanned, /dev nodes and their file operations
 * made by the block layer), the ext4/xfs driver opening devices through kernel.block,
 * and the whole userland installed.
 */
import { Scheduler } from '../../src/core/scheduler.js';
import { Trace } from '../../src/core/trace.js';
import { DISK_SECTOR_SIZE, SparseDiskImage, type DiskImage } from '../../devices/block/disk-image.js';
import { Kernel, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import type { Bio, BlockDriver } from '../../src/guest/kernel/block/types.js';
import { registerSimplefs } from '../../src/guest/fs/simplefs/mount.js';
import { installCoreutils } from '../../src/guest/programs/index.js';

/** Virtual time one request takes. */
const LATENCY_NS = 100_000;

/** Serves bios from an image after a fixed latency. */
export class ImageDisk implements BlockDriver {
  constructor(
    private readonly sched: Scheduler,
    /** The medium. */
    readonly image: DiskImage,
  ) {}

  /** Queues a request. */
  submit(bio: Bio): void {
    this.sched.after(LATENCY_NS, 'image disk', () => {
      try {
        if (bio.op === 'read') bio.data?.set(this.image.read(bio.sector, bio.count));
        else if (bio.op === 'write') this.image.write(bio.sector, (bio.data ?? new Uint8Array(0)).subarray(0, bio.count * DISK_SECTOR_SIZE));
        else if (bio.op === 'discard') this.image.discard(bio.sector, bio.count);
        else this.image.flush();
        bio.end();
      } catch {
        bio.end('EIO');
      }
    });
  }
}

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
  let next = 0;
  const major = kernel.allocBlockMajor('virtblk');
  return {
    sched,
    trace,
    kernel,
    log,
    addDisk(name, image) {
      const index = next++;
      kernel.block.addDisk({
        name,
        major,
        firstMinor: index * 16,
        minors: 16,
        capacity: image.sectors,
        limits: { logicalBlockSize: 512, maxSectors: 2048, writeCache: true, discard: { maxSectors: 65536, granularity: 4096 }, rotational: false },
        sysfsParent: `/devices/pci0000:00/0000:00:0${5 + index}.0/virtio${2 + index}`,
        driver: new ImageDisk(sched, image),
      });
    },
  };
}

/** An empty image of `mib` MiB. */
export function imageMiB(mib: number): SparseDiskImage {
  return new SparseDiskImage((mib * 1024 * 1024) / DISK_SECTOR_SIZE);
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
