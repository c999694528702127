/**
 * What the disk filesystem needs from the block layer: a device it can submit bios to
 * (a whole disk, a partition or a device-mapper target), and a way to open one by its
 * device number. The kernel's block layer provides both; tests provide their own.
 */
import type { Bio, QueueLimits } from '../../kernel/block/types.js';

/** An opened block device, as the kernel's block layer hands it out. */
export interface BlockDeviceLike {
  /** Encoded dev_t (what st_dev of files on it shows). */
  readonly dev: number;
  /** Kernel name ("vda1"). */
  readonly name: string;
  /** Size in 512-byte sectors. */
  readonly capacity: number;
  /** Queue limits (discard support, largest request, write cache). */
  readonly limits: QueueLimits;
  /** Queues a request; completion comes later through bio.end. */
  submit(bio: Bio): void;
  /** Writes would fail (EROFS); absent means writable. */
  readonly readOnly?: boolean;
  /** Claims the device for exclusive use (EBUSY if another holder has it), where the block layer supports it. */
  claim?(holder: string): void;
  /** Drops a claim. */
  release?(holder: string): void;
}

/** Opens block devices by dev_t (ENXIO when none is registered under that number). */
export interface BlockOpener {
  /** The device with that number. */
  open(dev: number): BlockDeviceLike;
}
