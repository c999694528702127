/**
 * Host-side mkfs: formats a partition of a DiskImage in the simplefs format (the guest
 * sees ext4 or xfs) and can preinstall files, the way virt-make-fs or guestfish prepare a
 * disk before a VM boots. Also a blkid-style probe to read back type, UUID and label.
 */
import { SFS_BLOCK_SIZE, SFS_SECTORS_PER_BLOCK, decodeSuperblock, formatUuid, type SfsFlavor } from '../abi/simplefs.js';
import { DISK_SECTOR_SIZE, checkDiskRange, type DiskImage } from '../../devices/block/disk-image.js';
import { buildFilesystem, type MkfsOptions, type MkfsResult } from './format.js';

/** Sector access to one range of a disk (a partition): sector 0 is the range's first. */
export interface SectorDevice {
  /** Size in 512-byte sectors. */
  readonly sectors: number;
  /** Reads whole sectors. */
  read(sector: number, count: number): Uint8Array;
  /** Writes whole sectors. */
  write(sector: number, data: Uint8Array): void;
  /** Forgets a range (optional; mkfs discards the device first when it can, as mke2fs does). */
  discard?(sector: number, count: number): void;
}

/** A SectorDevice over sectors [start, start + count) of an image. */
export function imageRange(image: DiskImage, start: number, count: number = image.sectors - start): SectorDevice {
  checkDiskRange(image.sectors, start, count);
  const inRange = (sector: number, n: number): void => checkDiskRange(count, sector, n);
  return {
    sectors: count,
    read: (sector, n) => {
      inRange(sector, n);
      return image.read(start + sector, n);
    },
    write: (sector, data) => {
      inRange(sector, Math.ceil(data.length / DISK_SECTOR_SIZE));
      image.write(start + sector, data);
    },
    discard: (sector, n) => {
      inRange(sector, n);
      image.discard(start + sector, n);
    },
  };
}

/** Formats `dev` (its whole size, rounded down to 4 KiB blocks). Throws MkfsError on impossible requests. */
export function mkfs(dev: SectorDevice, opts: MkfsOptions): MkfsResult {
  const blockCount = Math.floor(dev.sectors / SFS_SECTORS_PER_BLOCK);
  dev.discard?.(0, blockCount * SFS_SECTORS_PER_BLOCK);
  return buildFilesystem(blockCount, opts, { writeBlock: (block, data) => dev.write(block * SFS_SECTORS_PER_BLOCK, data) });
}

/** What a probe of a formatted device finds. */
export interface ProbedFilesystem {
  /** Presented type. */
  type: SfsFlavor;
  /** UUID as blkid prints it. */
  uuid: string;
  /** Volume label. */
  label: string;
  /** Size in 4 KiB blocks. */
  blockCount: number;
  /** Free 4 KiB blocks as last written back. */
  freeBlocks: number;
}

/** Reads the superblock of `dev`; undefined when there is no valid filesystem on it. */
export function probeFilesystem(dev: SectorDevice): ProbedFilesystem | undefined {
  if (dev.sectors < SFS_SECTORS_PER_BLOCK) return undefined;
  const sb = decodeSuperblock(dev.read(0, SFS_BLOCK_SIZE / DISK_SECTOR_SIZE));
  if (typeof sb === 'string') return undefined;
  return { type: sb.flavor, uuid: formatUuid(sb.uuid), label: sb.label, blockCount: sb.blockCount, freeBlocks: sb.freeBlocks };
}

/** The format builder and its types, re-exported for callers that only import mkfs. */
export { buildFilesystem, uuidFromSeed, MkfsError, type MkfsOptions, type MkfsResult, type MkfsNode, type MkfsDir, type MkfsFile, type MkfsSymlink, type MkfsSpecial, type BlockSink } from './format.js';
