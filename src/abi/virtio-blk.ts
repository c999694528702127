/**
 * virtio-blk ABI (VIRTIO 1.2 §5.2, Block Device): feature bits, the device configuration
 * layout, the request header, request types and status bytes, and the discard segment.
 * Shared by the device model (devices/virtio-blk) and the guest driver (virtio_blk).
 */

// ---------------------------------------------------------------------------------------------
// Feature bits (§5.2.3). Bit numbers: use featureBit() from ./virtio.js.
// ---------------------------------------------------------------------------------------------

/** Legacy: the device supports request barriers. */
export const VIRTIO_BLK_F_BARRIER = 0;
/** size_max is valid: the largest single segment. */
export const VIRTIO_BLK_F_SIZE_MAX = 1;
/** seg_max is valid: the most data segments in one request. */
export const VIRTIO_BLK_F_SEG_MAX = 2;
/** geometry is valid (legacy BIOS disk geometry). */
export const VIRTIO_BLK_F_GEOMETRY = 4;
/** The device is read-only. */
export const VIRTIO_BLK_F_RO = 5;
/** blk_size is valid. */
export const VIRTIO_BLK_F_BLK_SIZE = 6;
/** Legacy: SCSI packet commands (QEMU refuses it with VERSION_1). */
export const VIRTIO_BLK_F_SCSI = 7;
/** Cache flush command (legacy name WCE). */
export const VIRTIO_BLK_F_FLUSH = 9;
/** topology is valid. */
export const VIRTIO_BLK_F_TOPOLOGY = 10;
/** The writeback field may be written to toggle the cache mode. */
export const VIRTIO_BLK_F_CONFIG_WCE = 11;
/** num_queues is valid (multiqueue). */
export const VIRTIO_BLK_F_MQ = 12;
/** DISCARD requests and the discard limits are valid. */
export const VIRTIO_BLK_F_DISCARD = 13;
/** WRITE_ZEROES requests and their limits are valid. */
export const VIRTIO_BLK_F_WRITE_ZEROES = 14;

// ---------------------------------------------------------------------------------------------
// Device configuration layout (§5.2.4), little-endian. Offsets in bytes.
// ---------------------------------------------------------------------------------------------

/** le64 capacity in 512-byte sectors. */
export const VIRTIO_BLK_CFG_CAPACITY = 0;
/** le32 size_max. */
export const VIRTIO_BLK_CFG_SIZE_MAX = 8;
/** le32 seg_max. */
export const VIRTIO_BLK_CFG_SEG_MAX = 12;
/** le16 geometry.cylinders. */
export const VIRTIO_BLK_CFG_CYLINDERS = 16;
/** u8 geometry.heads. */
export const VIRTIO_BLK_CFG_HEADS = 18;
/** u8 geometry.sectors. */
export const VIRTIO_BLK_CFG_SECTORS = 19;
/** le32 blk_size. */
export const VIRTIO_BLK_CFG_BLK_SIZE = 20;
/** u8 topology.physical_block_exp. */
export const VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP = 24;
/** u8 topology.alignment_offset. */
export const VIRTIO_BLK_CFG_ALIGNMENT_OFFSET = 25;
/** le16 topology.min_io_size (in blocks). */
export const VIRTIO_BLK_CFG_MIN_IO_SIZE = 26;
/** le32 topology.opt_io_size (in blocks). */
export const VIRTIO_BLK_CFG_OPT_IO_SIZE = 28;
/** u8 writeback: 1 = write-back cache, 0 = write-through. */
export const VIRTIO_BLK_CFG_WRITEBACK = 32;
/** le16 num_queues. */
export const VIRTIO_BLK_CFG_NUM_QUEUES = 34;
/** le32 max_discard_sectors. */
export const VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS = 36;
/** le32 max_discard_seg. */
export const VIRTIO_BLK_CFG_MAX_DISCARD_SEG = 40;
/** le32 discard_sector_alignment (in 512-byte sectors). */
export const VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT = 44;
/** le32 max_write_zeroes_sectors. */
export const VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS = 48;
/** le32 max_write_zeroes_seg. */
export const VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG = 52;
/** u8 write_zeroes_may_unmap. */
export const VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP = 56;

/** Config size before the discard fields: what a device without DISCARD/WRITE_ZEROES shows. */
export const VIRTIO_BLK_CONFIG_SIZE_BASE = 36;
/** Config size with the discard fields (up to discard_sector_alignment). */
export const VIRTIO_BLK_CONFIG_SIZE_DISCARD = 48;
/** Config size with the write-zeroes fields (up to write_zeroes_may_unmap). */
export const VIRTIO_BLK_CONFIG_SIZE_WRITE_ZEROES = 57;

// ---------------------------------------------------------------------------------------------
// Requests (§5.2.6)
// ---------------------------------------------------------------------------------------------

/** Read. */
export const VIRTIO_BLK_T_IN = 0;
/** Write (also the direction bit of DISCARD and WRITE_ZEROES). */
export const VIRTIO_BLK_T_OUT = 1;
/** Legacy SCSI packet command. */
export const VIRTIO_BLK_T_SCSI_CMD = 2;
/** Cache flush. */
export const VIRTIO_BLK_T_FLUSH = 4;
/** Device id string (serial). */
export const VIRTIO_BLK_T_GET_ID = 8;
/** Device lifetime (not offered by QEMU's virtio-blk). */
export const VIRTIO_BLK_T_GET_LIFETIME = 10;
/** Discard ranges. */
export const VIRTIO_BLK_T_DISCARD = 11;
/** Write zeroes over ranges. */
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
/** Legacy barrier flag ORed into the type; ignored, as QEMU ignores it. */
export const VIRTIO_BLK_T_BARRIER = 0x8000_0000;

/** Size of the device-readable request header: le32 type, le32 reserved (ioprio), le64 sector. */
export const VIRTIO_BLK_OUTHDR_SIZE = 16;
/** Header offset of the le32 type. */
export const VIRTIO_BLK_OUTHDR_TYPE = 0;
/** Header offset of the le32 reserved/ioprio field. */
export const VIRTIO_BLK_OUTHDR_IOPRIO = 4;
/** Header offset of the le64 sector. */
export const VIRTIO_BLK_OUTHDR_SECTOR = 8;
/** Size of the device-writable trailer: one status byte. */
export const VIRTIO_BLK_INHDR_SIZE = 1;

/** Status: success. */
export const VIRTIO_BLK_S_OK = 0;
/** Status: device or driver error. */
export const VIRTIO_BLK_S_IOERR = 1;
/** Status: request unsupported by the device. */
export const VIRTIO_BLK_S_UNSUPP = 2;

/** GET_ID returns at most this many bytes, NUL-terminated only when shorter. */
export const VIRTIO_BLK_ID_BYTES = 20;

/** Size of one discard / write-zeroes segment: le64 sector, le32 num_sectors, le32 flags. */
export const VIRTIO_BLK_DWZ_SEGMENT_SIZE = 16;
/** Segment offset of the le64 sector. */
export const VIRTIO_BLK_DWZ_SECTOR = 0;
/** Segment offset of the le32 num_sectors. */
export const VIRTIO_BLK_DWZ_NUM_SECTORS = 8;
/** Segment offset of the le32 flags. */
export const VIRTIO_BLK_DWZ_FLAGS = 12;
/** Segment flag: WRITE_ZEROES may deallocate (must be clear for DISCARD). */
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;

/** virtio-blk always counts in 512-byte sectors, whatever blk_size says. */
export const VIRTIO_BLK_SECTOR_SIZE = 512;
