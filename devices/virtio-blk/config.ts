/**
 * The virtio-blk configuration space (VIRTIO 1.2 §5.2.4) as QEMU fills it: capacity, a
 * guessed CHS geometry, seg_max from the queue size, the block size and topology, the
 * write-cache byte, and the discard / write-zeroes limits when those features are offered.
 * size_max stays 0 and its feature unoffered, as on QEMU.
 */
import {
  VIRTIO_BLK_CFG_BLK_SIZE,
  VIRTIO_BLK_CFG_CAPACITY,
  VIRTIO_BLK_CFG_CYLINDERS,
  VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
  VIRTIO_BLK_CFG_HEADS,
  VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
  VIRTIO_BLK_CFG_MAX_DISCARD_SEG,
  VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
  VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG,
  VIRTIO_BLK_CFG_NUM_QUEUES,
  VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP,
  VIRTIO_BLK_CFG_SECTORS,
  VIRTIO_BLK_CFG_SEG_MAX,
  VIRTIO_BLK_CFG_SIZE_MAX,
  VIRTIO_BLK_CFG_WRITEBACK,
  VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP,
  VIRTIO_BLK_CONFIG_SIZE_BASE,
  VIRTIO_BLK_CONFIG_SIZE_DISCARD,
  VIRTIO_BLK_CONFIG_SIZE_WRITE_ZEROES,
} from '../../src/abi/virtio-blk.js';

/** Heads of the geometry QEMU guesses for an unpartitioned disk. */
export const GUESSED_HEADS = 16;
/** Sectors per track of that geometry. */
export const GUESSED_SECTORS = 63;
/** Cylinder count bounds of that guess (an ATA-style limit). */
export const GUESSED_CYLINDERS_MIN = 2;
/** Upper cylinder bound. */
export const GUESSED_CYLINDERS_MAX = 16383;

/** What the configuration is made from. */
export interface VirtioBlkConfigParams {
  /** Capacity in 512-byte sectors. */
  capacity: number;
  /** seg_max. */
  segMax: number;
  /** Logical block size in bytes. */
  blockSize: number;
  /** Request queues. */
  numQueues: number;
  /** Write-back cache on. */
  writeback: boolean;
  /** Discard limits, when DISCARD is offered. */
  discard?: { maxSectors: number; alignmentSectors: number };
  /** Write-zeroes limit, when WRITE_ZEROES is offered. */
  writeZeroes?: { maxSectors: number };
}

/** Config size QEMU uses for the offered features (later fields hidden from older drivers). */
export function virtioBlkConfigSize(discard: boolean, writeZeroes: boolean): number {
  if (writeZeroes) return VIRTIO_BLK_CONFIG_SIZE_WRITE_ZEROES;
  if (discard) return VIRTIO_BLK_CONFIG_SIZE_DISCARD;
  return VIRTIO_BLK_CONFIG_SIZE_BASE;
}

/** The CHS geometry QEMU guesses for a disk without a partition table. */
export function guessGeometry(sectors: number): { cylinders: number; heads: number; sectors: number } {
  const c = Math.floor(sectors / (GUESSED_HEADS * GUESSED_SECTORS));
  return { cylinders: Math.min(GUESSED_CYLINDERS_MAX, Math.max(GUESSED_CYLINDERS_MIN, c)), heads: GUESSED_HEADS, sectors: GUESSED_SECTORS };
}

/** Writes the configuration into `view` (sized by virtioBlkConfigSize). */
export function fillVirtioBlkConfig(view: DataView, p: VirtioBlkConfigParams): void {
  const size = view.byteLength;
  for (let i = 0; i < size; i++) view.setUint8(i, 0);
  const geo = guessGeometry(p.capacity);
  view.setBigUint64(VIRTIO_BLK_CFG_CAPACITY, BigInt(p.capacity), true);
  view.setUint32(VIRTIO_BLK_CFG_SIZE_MAX, 0, true);
  view.setUint32(VIRTIO_BLK_CFG_SEG_MAX, p.segMax, true);
  view.setUint16(VIRTIO_BLK_CFG_CYLINDERS, geo.cylinders, true);
  view.setUint8(VIRTIO_BLK_CFG_HEADS, geo.heads);
  view.setUint8(VIRTIO_BLK_CFG_SECTORS, geo.sectors);
  view.setUint32(VIRTIO_BLK_CFG_BLK_SIZE, p.blockSize, true);
  view.setUint8(VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP, 0);
  view.setUint8(VIRTIO_BLK_CFG_WRITEBACK, p.writeback ? 1 : 0);
  view.setUint16(VIRTIO_BLK_CFG_NUM_QUEUES, p.numQueues, true);
  if (p.discard && size >= VIRTIO_BLK_CONFIG_SIZE_DISCARD) {
    view.setUint32(VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, p.discard.maxSectors, true);
    // One range per request: no userspace API submits more, so QEMU never offered more.
    view.setUint32(VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1, true);
    view.setUint32(VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, p.discard.alignmentSectors, true);
  }
  if (p.writeZeroes && size >= VIRTIO_BLK_CONFIG_SIZE_WRITE_ZEROES) {
    view.setUint32(VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, p.writeZeroes.maxSectors, true);
    view.setUint32(VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 1, true);
    view.setUint8(VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1);
  }
}
