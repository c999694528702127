/**
 * SCSI targets for host adapter models: the bus with QEMU's placement and target-level
 * answers, the scsi-hd disk, CDB parsing and sense data. Reusable by any HBA (virtio-scsi
 * today; an AHCI/PIIX model can run SAT-translated commands against ScsiDisk the same way).
 */
export { ScsiBus, REPORT_LUNS_MIN_ALLOCATION } from './bus.js';
export type { ScsiAddressRequest, ScsiBusInfo } from './bus.js';
export {
  SCSI_DISK_BLOCK_SIZE,
  SCSI_DISK_DEFAULT_DISCARD_GRANULARITY,
  SCSI_DISK_DEFAULT_MAX_UNMAP_BYTES,
  SCSI_DISK_DEFAULT_REVISION,
  SCSI_DISK_IO_CHUNK_BLOCKS,
  SCSI_DISK_MAX_TRANSFER_BLOCKS,
  SCSI_READ_OPCODES,
  SCSI_WRITE_OPCODES,
  ScsiDisk,
} from './disk.js';
export type { ScsiDiskOptions, ScsiDiskStats } from './disk.js';
export { modePage, readCapacity10, readCapacity16, standardInquiry, vpdPage } from './disk-pages.js';
export type { DiskDescription } from './disk-pages.js';
export { cdbTransfer, isWriteOpcode, rwRange } from './cdb.js';
export { checkCondition, good } from './sense.js';
export { BufferDataPhase } from './buffer-phase.js';
export type { ScsiCommandResult, ScsiDataPhase, ScsiLogicalUnit, ScsiXferMode } from './types.js';
