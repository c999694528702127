/**
 * The contract between block device drivers (virtio_blk, sd) and the kernel's block layer
 * (partitions, device-mapper, the buffer cache filesystems read through). Requests are
 * asynchronous: a driver takes a Bio, puts it on its hardware queue, and calls `end` when
 * the device's completion interrupt arrives.
 */
import type { ErrnoCode } from '../errno.js';

/** Size of a sector as the block layer counts them, whatever the device's block size. */
export const SECTOR_SIZE = 512;

/** What a request does. */
export type BioOp = 'read' | 'write' | 'flush' | 'discard';

/** One block I/O request. */
export interface Bio {
  /** Operation. */
  readonly op: BioOp;
  /** First 512-byte sector (relative to the whole disk by the time a driver sees it). */
  readonly sector: number;
  /** Length in sectors (0 for flush). */
  readonly count: number;
  /** Write: the data (count * 512 bytes). Read: the buffer to fill (count * 512 bytes). */
  readonly data?: Uint8Array;
  /** Completion: undefined for success, or the errno the request failed with (EIO, EOPNOTSUPP). */
  end(error?: ErrnoCode): void;
}

/** What a driver tells the block layer about its queue. */
export interface QueueLimits {
  /** Device's logical block size in bytes (512 or 4096). */
  logicalBlockSize: number;
  /** Largest request in sectors. */
  maxSectors: number;
  /** Discard support: largest discard in sectors and its granularity in bytes; undefined when unsupported. */
  discard?: { maxSectors: number; granularity: number };
  /** Whether the device has a volatile write cache (flush requests matter). */
  writeCache: boolean;
  /** Physical block size in bytes (default: the logical block size). */
  physicalBlockSize?: number;
  /** Spinning medium (sysfs queue/rotational); Linux assumes so unless the driver says otherwise. */
  rotational?: boolean;
}

/** A block driver's request entry point. */
export interface BlockDriver {
  /** Queues a request; completion comes later through bio.end (never before submit returns). */
  submit(bio: Bio): void;
}

/** A whole disk a driver registers (Linux's gendisk). */
export interface GendiskSpec {
  /** Kernel name: "vda", "sda", "dm-0". */
  name: string;
  /** Major number. */
  major: number;
  /** First minor (partitions take the following ones). */
  firstMinor: number;
  /** Minors reserved for the disk and its partitions (virtio_blk 16, sd 16, dm 1). */
  minors: number;
  /** Capacity in 512-byte sectors. */
  capacity: number;
  /** Queue limits. */
  limits: QueueLimits;
  /** Read-only medium. */
  readOnly?: boolean;
  /**
   * The sysfs directory of the device the disk hangs under: the disk appears at
   * `${parent}/block/${name}` ("/devices/pci0000:00/0000:00:05.0/virtio2"); undefined puts
   * it under /devices/virtual/block (device-mapper).
   */
  sysfsParent?: string;
  /** The driver. */
  driver: BlockDriver;
  /** Driver name /proc/devices shows for a static major ("sd"); dynamic majors are named when allocated. */
  driverName?: string;
}

/**
 * A block device as its users (filesystems, swap, device-mapper) see it: a whole disk, a
 * partition or a dm device, opened with `kernel.block.open(dev)`. Bios are relative to
 * the device itself; the block layer offsets, bounds-checks, splits and counts them.
 */
export interface BlockDevice {
  /** Encoded dev_t. */
  readonly dev: number;
  /** Kernel name ("vda1", "dm-0"). */
  readonly name: string;
  /** Capacity in 512-byte sectors (a dm device's changes when a table is swapped in). */
  readonly capacity: number;
  /** Queue limits (a partition shares its disk's). */
  readonly limits: QueueLimits;
  /** Writes fail with EROFS. */
  readonly readOnly: boolean;
  /** Queues a request; `end` is always called later, never before submit returns. */
  submit(bio: Bio): void;
  /** Claims the device for exclusive use by `holder` (mount, swap, dm); EBUSY if another holder has it. */
  claim(holder: string): void;
  /** Drops one claim taken by `holder`. */
  release(holder: string): void;
}
