/**
 * Where disk drivers (virtio_blk, sd) meet the kernel's block layer: registration through
 * `kernel.block.addDisk`, and the size text Linux prints when a disk appears.
 */
import type { Kernel } from '../kernel/index.js';
import type { GendiskSpec } from '../kernel/block/types.js';

/** Registers a whole disk with the block layer (node, sysfs, partition scan). */
export function registerDisk(kernel: Kernel, spec: GendiskSpec): void {
  kernel.block.addDisk(spec);
}

/** One size in `base` units with three significant digits, as Linux's string_get_size prints it. */
function sizeIn(bytes: number, base: 1000 | 1024): string {
  const units = base === 1000 ? ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] : ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= base && u < units.length - 1) {
    v /= base;
    u++;
  }
  if (u === 0) return `${v} ${units[0]}`;
  const digits = v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${v.toFixed(digits)} ${units[u]}`;
}

/** "8.59 GB/8.00 GiB": a disk size in decimal and binary units. */
export function formatDiskSize(bytes: number): string {
  return `${sizeIn(bytes, 1000)}/${sizeIn(bytes, 1024)}`;
}
