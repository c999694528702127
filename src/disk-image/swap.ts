/**
 * Host-side mkswap: writes a version-1 swap header on an image or a partition of one
 * (see DiskImageSlice), with a UUID derived from a seed so images are reproducible.
 */
import { DISK_SECTOR_SIZE, type DiskImage } from '../../devices/block/disk-image.js';
import { SWAP_PAGE_SIZE, encodeSwapHeader } from '../abi/swap.js';
import { seededGuid } from './partition.js';

/** Options for writeSwap. */
export interface SwapOptions {
  /** UUID (default: derived from the seed). */
  uuid?: string;
  /** Seed for the UUID (default "swap"). */
  seed?: string;
  /** Volume label (at most 15 bytes are kept). */
  label?: string;
}

/** What writeSwap produced. */
export interface SwapArea {
  /** The area's UUID. */
  uuid: string;
  /** Pages in the area, header page included. */
  pages: number;
  /** Usable size in KiB, as /proc/swaps will report it. */
  sizeKiB: number;
}

/** Formats the whole of `image` as a swap area (RangeError when smaller than ten pages). */
export function writeSwap(image: DiskImage, opts: SwapOptions = {}): SwapArea {
  const pages = Math.floor((image.sectors * DISK_SECTOR_SIZE) / SWAP_PAGE_SIZE);
  const uuid = opts.uuid ?? seededGuid(opts.seed ?? 'swap', 'uuid');
  image.write(0, encodeSwapHeader(pages, uuid, opts.label ?? ''));
  return { uuid, pages, sizeKiB: ((pages - 1) * SWAP_PAGE_SIZE) / 1024 };
}
