/**
 * The guest kernel's block layer: what drivers register (GendiskSpec, BlockDriver, Bio),
 * what filesystems and swap open (BlockDevice via kernel.block.open), device-mapper, and
 * the block and dm ioctl numbers programs use.
 */
export { SECTOR_SIZE, type Bio, type BioOp, type BlockDevice, type BlockDriver, type GendiskSpec, type QueueLimits } from './types.js';
export { BlockLayer, DISK_GID, DISK_NODE_MODE, MAX_SCAN_READ_BYTES, type ScanToken } from './layer.js';
export { Gendisk, Partition, MAX_REQUEST_SECTORS } from './gendisk.js';
export { BlockNode, type BlockEnv } from './node.js';
export { DmDevice, DM_MAX_QUEUED_BIOS, stackLimits, type DmTarget } from './dm.js';
export { DmControl, MISC_MAJOR, MAPPER_CTRL_MINOR, DM_MAX_DEVICES, type DmLinearSegment } from './dm-control.js';
export { SwapTable, SWAP_FLAG_PREFER, SWAP_FLAG_PRIO_MASK, SWAP_FLAG_DISCARD, MAX_SWAPFILES, type SwapArea } from './swap.js';
export { IoStats, type IoStatsSnapshot } from './stats.js';
export { MAX_BDEV_IO_BYTES } from './bdev-file.js';
export * from './ioctl.js';
export { scanPartitions } from './partitions/scan.js';
export type { FoundPartition, PartitionTable, ScanDisk, ScanRead, PartitionScan } from './partitions/types.js';
