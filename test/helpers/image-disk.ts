/**
 * A test double block driver and the disks made with it: requests go to a SparseDiskImage
 * after a fixed virtual latency, as a disk controller's completion interrupt would arrive.
 * Shared by the block-layer and filesystem tests.
 */
import { DISK_SECTOR_SIZE, SparseDiskImage, type DiskImage } from '../../devices/block/disk-image.js';
import type { SchedulerView } from '../../src/core/scheduler.js';
import type { Bio, BlockDriver, Gendisk, QueueLimits } from '../../src/guest/kernel/block/index.js';
import type { Kernel } from '../../src/guest/kernel/index.js';

/** Virtual time one request takes. */
export const DISK_LATENCY_NS = 50_000;

/** Serves bios from an image, completing each after a fixed latency. */
export class ImageDriver implements BlockDriver {
  /** Every request seen, as "op sector+count". */
  readonly log: string[] = [];

  constructor(
    private readonly sched: SchedulerView,
    /** The medium. */
    readonly image: DiskImage,
    /** Virtual time each request takes. */
    readonly latencyNs = DISK_LATENCY_NS,
  ) {}

  /** Queues a request. */
  submit(bio: Bio): void {
    this.log.push(`${bio.op} ${bio.sector}+${bio.count}`);
    this.sched.after(this.latencyNs, 'test disk', () => {
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

/** Options for addImageDisk. */
export interface TestDiskOptions {
  /** Minors (default 16, like virtio_blk). */
  minors?: number;
  /** Queue limits to override. */
  limits?: Partial<QueueLimits>;
  /** sysfs parent (default a virtio device under a PCI function). */
  sysfsParent?: string;
  /** Read-only. */
  readOnly?: boolean;
  /** Virtual time each request takes. */
  latencyNs?: number;
}

const majors = new WeakMap<Kernel, { major: number; next: number }>();

/** The "virtblk" major test disks of `kernel` use (allocated on first call). */
export function imageDiskMajor(kernel: Kernel): { major: number; next: number } {
  let m = majors.get(kernel);
  if (m === undefined) majors.set(kernel, (m = { major: kernel.allocBlockMajor('virtblk'), next: 0 }));
  return m;
}

/** Registers `image` as disk `name` ("vda", "vdb", ...) with the next 16 minors of a "virtblk" major. */
export function addImageDisk(kernel: Kernel, sched: SchedulerView, name: string, image: DiskImage, opts: TestDiskOptions = {}): { disk: Gendisk; driver: ImageDriver } {
  const m = imageDiskMajor(kernel);
  const driver = new ImageDriver(sched, image, opts.latencyNs);
  const index = m.next++;
  const disk = kernel.block.addDisk({
    name,
    major: m.major,
    firstMinor: index * 16,
    minors: opts.minors ?? 16,
    capacity: image.sectors,
    limits: { logicalBlockSize: 512, maxSectors: 256, writeCache: true, discard: { maxSectors: 8192, granularity: 512 }, rotational: false, ...opts.limits },
    readOnly: opts.readOnly ?? false,
    sysfsParent: opts.sysfsParent ?? `/devices/pci0000:00/0000:00:0${5 + index}.0/virtio${2 + index}`,
    driver,
  });
  return { disk, driver };
}

/** An empty image of `mib` MiB. */
export function imageMiB(mib: number): SparseDiskImage {
  return new SparseDiskImage((mib * 1024 * 1024) / DISK_SECTOR_SIZE);
}
