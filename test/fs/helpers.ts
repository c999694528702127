/**
 * Shared setup for filesystem tests: an in-memory block device over a SparseDiskImage
 * range that completes bios asynchronously on the scheduler (as a disk interrupt would),
 * a kernel with the ext4/xfs driver bound to it, and a way to run a guest program.
 */
import { expect } from 'vitest';
import { Scheduler } from '../../src/core/scheduler.js';
import { Trace } from '../../src/core/trace.js';
import { SparseDiskImage, type DiskImage } from '../../devices/block/disk-image.js';
import { Errno, Kernel, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, makedev, type Program, type SysCall, type Syscalls } from '../../src/guest/kernel/index.js';
import type { Bio, QueueLimits } from '../../src/guest/kernel/block/types.js';
import type { BlockDeviceLike } from '../../src/guest/fs/simplefs/block-device.js';
import { registerSimplefs, type SimplefsDriver } from '../../src/guest/fs/simplefs/mount.js';
import { imageRange, mkfs, type MkfsOptions } from '../../src/disk-image/mkfs.js';
import { installMinimalPrograms } from '../../src/guest/programs/index.js';

/** Virtual time a test disk takes per request. */
export const DISK_LATENCY_NS = 200_000;

/** One request as the test disk saw it. */
export interface SeenBio {
  op: Bio['op'];
  sector: number;
  count: number;
}

/** A block device over sectors [start, start + sectors) of an image; completions come later on the scheduler. */
export class TestBlockDevice implements BlockDeviceLike {
  /** Every request, in submission order. */
  readonly seen: SeenBio[] = [];
  /** Queue limits. */
  readonly limits: QueueLimits;

  constructor(
    private readonly sched: Scheduler,
    /** The image. */
    readonly image: DiskImage,
    private readonly start: number,
    /** Size in sectors. */
    readonly capacity: number,
    /** dev_t. */
    readonly dev: number,
    /** Kernel name. */
    readonly name: string,
    opts: { discard?: boolean; writeCache?: boolean } = {},
  ) {
    this.limits = {
      logicalBlockSize: 512,
      maxSectors: 2048,
      writeCache: opts.writeCache ?? true,
      ...(opts.discard === false ? {} : { discard: { maxSectors: 65536, granularity: 4096 } }),
    };
  }

  /** Queues a request; it completes DISK_LATENCY_NS later. */
  submit(bio: Bio): void {
    this.seen.push({ op: bio.op, sector: bio.sector, count: bio.count });
    this.sched.after(DISK_LATENCY_NS, `test-disk ${this.name}`, () => {
      if (bio.sector < 0 || bio.sector + bio.count > this.capacity) return bio.end('EIO');
      const at = this.start + bio.sector;
      switch (bio.op) {
        case 'read':
          bio.data?.set(this.image.read(at, bio.count));
          break;
        case 'write':
          this.image.write(at, (bio.data as Uint8Array).subarray(0, bio.count * 512));
          break;
        case 'discard':
          if (this.limits.discard === undefined) return bio.end('EOPNOTSUPP');
          this.image.discard(at, bio.count);
          break;
        case 'flush':
          this.image.flush();
          break;
      }
      bio.end();
    });
  }
}

/** One disk partition a test kernel sees. */
export interface TestDiskSpec {
  /** Node path ("/dev/vda1"). */
  path: string;
  /** Major. */
  major: number;
  /** Minor. */
  minor: number;
  /** The image. */
  image: DiskImage;
  /** First sector of the partition. */
  start: number;
  /** Sectors. */
  sectors: number;
  /** Discard support (default on). */
  discard?: boolean;
}

/** A kernel with test disks and the ext4/xfs driver. */
export interface FsBooted {
  sched: Scheduler;
  trace: Trace;
  kernel: Kernel;
  driver: SimplefsDriver;
  devices: TestBlockDevice[];
}

/** Boots a kernel whose driver opens the given partitions (nodes created under /dev). */
export function bootWithDisks(disks: readonly TestDiskSpec[], sched = new Scheduler()): FsBooted {
  const trace = new Trace();
  const kernel = new Kernel({ sched, trace });
  installMinimalPrograms(kernel);
  const devices = disks.map((d) => {
    const name = d.path.split('/').pop() ?? d.path;
    kernel.createDeviceNode(d.path, d.major, d.minor, { kind: 'block', mode: 0o660 });
    return new TestBlockDevice(sched, d.image, d.start, d.sectors, makedev(d.major, d.minor), name, { discard: d.discard });
  });
  const driver = registerSimplefs(kernel, {
    open: (dev) => {
      const found = devices.find((x) => x.dev === dev);
      if (found === undefined) throw new Errno('ENXIO');
      return found;
    },
  });
  return { sched, trace, kernel, driver, devices };
}

/** Partition geometry used by most tests: 64 MiB image, partition from sector 2048. */
export const PART_START = 2048;
/** Sectors in the standard test partition (62 MiB). */
export const PART_SECTORS = 62 * 2048;

/** A fresh image with one formatted partition. */
export function formattedImage(opts: MkfsOptions, sectors = PART_SECTORS): SparseDiskImage {
  const image = new SparseDiskImage(PART_START + sectors);
  mkfs(imageRange(image, PART_START, sectors), opts);
  return image;
}

/** The standard /dev/vda1 spec over an image. */
export function vda1(image: DiskImage, extra: Partial<TestDiskSpec> = {}): TestDiskSpec {
  return { path: '/dev/vda1', major: 254, minor: 1, image, start: PART_START, sectors: PART_SECTORS, ...extra };
}

/** Runs a guest program to completion (scheduler idle); returns its exit status and rethrows its failure. */
export function runProgram(b: FsBooted, main: (sys: Syscalls) => Program, deadline?: number): { status: number | undefined } {
  let failure: unknown;
  const p = b.kernel.spawn(function* (sys: Syscalls): Program {
    try {
      return yield* main(sys);
    } catch (e) {
      failure = e;
      return 99;
    }
  }, ['test']);
  if (deadline === undefined) b.sched.run();
  else b.sched.run(deadline);
  if (failure !== undefined) throw failure;
  expect(b.kernel.faults.map((f) => `${f.comm}: ${String(f.error)}`)).toEqual([]);
  return { status: p.status };
}

/** Deterministic test bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Encodes text. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Decodes text. */
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Reads a whole file through syscalls. */
export function* readWhole(sys: Syscalls, path: string): SysCall<Uint8Array> {
  const fd = yield* sys.open(path, O_RDONLY);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const d = yield* sys.read(fd, 1 << 20);
    if (d.length === 0) break;
    parts.push(d);
    total += d.length;
  }
  sys.close(fd);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Writes a whole file through syscalls (created or truncated). */
export function* writeWhole(sys: Syscalls, path: string, data: Uint8Array | string, mode = 0o644): SysCall<void> {
  const fd = yield* sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  const bytes = typeof data === 'string' ? enc(data) : data;
  let off = 0;
  while (off < bytes.length) off += yield* sys.write(fd, bytes.subarray(off));
  sys.close(fd);
}
