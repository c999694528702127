/**
 * The virtio ABI shared by the device model and the guest driver: split-ring layout, status
 * and feature bits, and the virtio-pci register map. Numbers follow the VIRTIO 1.2 spec
 * (clause numbers in comments refer to it) and, where QEMU differs or adds, QEMU's headers.
 * Nothing here has behaviour beyond arithmetic, so both sides can import it freely.
 */

// ---------------------------------------------------------------------------------------------
// Device status field (1.2 §2.1)
// ---------------------------------------------------------------------------------------------

/** Guest OS found the device. */
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 0x01;
/** Guest OS knows how to drive the device. */
export const VIRTIO_CONFIG_S_DRIVER = 0x02;
/** Driver is set up; the device may now use queues. */
export const VIRTIO_CONFIG_S_DRIVER_OK = 0x04;
/** Feature negotiation finished (modern devices only). */
export const VIRTIO_CONFIG_S_FEATURES_OK = 0x08;
/** Device hit an error it cannot recover from without a reset. */
export const VIRTIO_CONFIG_S_NEEDS_RESET = 0x40;
/** Driver gave up on the device. */
export const VIRTIO_CONFIG_S_FAILED = 0x80;

// ---------------------------------------------------------------------------------------------
// Reserved (transport / ring) feature bits (1.2 §6). Bit numbers, not masks: use featureBit().
// ---------------------------------------------------------------------------------------------

/** Legacy: interrupt even with suppression on when the avail ring runs empty. */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24;
/** Legacy: the device makes no assumptions about descriptor framing. */
export const VIRTIO_F_ANY_LAYOUT = 27;
/** Descriptors may point at an indirect descriptor table. */
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
/** used_event / avail_event fields replace the ring flags for notification suppression. */
export const VIRTIO_RING_F_EVENT_IDX = 29;
/** Legacy: never acked by a correct driver; QEMU offers it to spot broken ones. */
export const VIRTIO_F_BAD_FEATURE = 30;
/** Modern (non-legacy) interface. */
export const VIRTIO_F_VERSION_1 = 32;
/** Device DMA goes through a platform IOMMU (QEMU: iommu_platform). */
export const VIRTIO_F_ACCESS_PLATFORM = 33;
/** Packed virtqueue layout (not implemented by this simulator). */
export const VIRTIO_F_RING_PACKED = 34;

/** The 64-bit mask of one feature bit. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** True when `bit` is set in the 64-bit feature set `features`. */
export function hasFeature(features: bigint, bit: number): boolean {
  return (features & featureBit(bit)) !== 0n;
}

/** Every feature bit fits in 64 bits; transports move them as two 32-bit words. */
export const VIRTIO_FEATURES_MASK = (1n << 64n) - 1n;

/** QEMU's VIRTIO_LEGACY_FEATURES: offered through the legacy registers, hidden from modern reads. */
export const VIRTIO_LEGACY_FEATURES =
  featureBit(VIRTIO_F_BAD_FEATURE) | featureBit(VIRTIO_F_NOTIFY_ON_EMPTY) | featureBit(VIRTIO_F_ANY_LAYOUT);

// ---------------------------------------------------------------------------------------------
// Split virtqueue layout (1.2 §2.7)
// ---------------------------------------------------------------------------------------------

/** QEMU's VIRTQUEUE_MAX_SIZE (the spec allows 32768; QEMU caps queues and chains at 1024). */
export const VIRTQUEUE_MAX_SIZE = 1024;
/** Largest queue size the spec allows (1.2 §2.7). */
export const VIRTQUEUE_SPEC_MAX_SIZE = 32768;

/** Size of one descriptor {le64 addr; le32 len; le16 flags; le16 next}. */
export const VRING_DESC_SIZE = 16;
/** Offset of `addr` in a descriptor. */
export const VRING_DESC_ADDR = 0;
/** Offset of `len` in a descriptor. */
export const VRING_DESC_LEN = 8;
/** Offset of `flags` in a descriptor. */
export const VRING_DESC_FLAGS = 12;
/** Offset of `next` in a descriptor. */
export const VRING_DESC_NEXT = 14;

/** Descriptor continues via `next`. */
export const VRING_DESC_F_NEXT = 1;
/** Buffer is device-writable (otherwise device-readable). */
export const VRING_DESC_F_WRITE = 2;
/** Buffer holds an indirect descriptor table. */
export const VRING_DESC_F_INDIRECT = 4;

/** Offset of avail `flags`. */
export const VRING_AVAIL_FLAGS = 0;
/** Offset of avail `idx`. */
export const VRING_AVAIL_IDX = 2;
/** Offset of avail `ring[0]`. */
export const VRING_AVAIL_RING = 4;
/** Driver asks the device not to interrupt (ignored with EVENT_IDX). */
export const VRING_AVAIL_F_NO_INTERRUPT = 1;

/** Offset of used `flags`. */
export const VRING_USED_FLAGS = 0;
/** Offset of used `idx`. */
export const VRING_USED_IDX = 2;
/** Offset of used `ring[0]`. */
export const VRING_USED_RING = 4;
/** Size of one used element {le32 id; le32 len}. */
export const VRING_USED_ELEM_SIZE = 8;
/** Device asks the driver not to kick (ignored with EVENT_IDX). */
export const VRING_USED_F_NO_NOTIFY = 1;

/** Minimum alignment of the descriptor table (1.2 §2.7 table). */
export const VRING_DESC_ALIGN = 16;
/** Minimum alignment of the available ring. */
export const VRING_AVAIL_ALIGN = 2;
/** Minimum alignment of the used ring. */
export const VRING_USED_ALIGN = 4;
/** Legacy "Queue Align": the used ring starts on the next 4 KiB page (VIRTIO_PCI_VRING_ALIGN). */
export const VIRTIO_LEGACY_VRING_ALIGN = 4096;

/** Bytes of the descriptor table for `num` entries. */
export function vringDescTableSize(num: number): number {
  return VRING_DESC_SIZE * num;
}

/** Bytes of the available ring including used_event (6 + 2·num). */
export function vringAvailSize(num: number): number {
  return 6 + 2 * num;
}

/** Bytes of the used ring including avail_event (6 + 8·num). */
export function vringUsedSize(num: number): number {
  return 6 + VRING_USED_ELEM_SIZE * num;
}

/** Offset of avail ring slot `i` (slot `num` is used_event). */
export function vringAvailRingOffset(i: number): number {
  return VRING_AVAIL_RING + 2 * i;
}

/** Offset of `used_event` inside the available ring. */
export function vringUsedEventOffset(num: number): number {
  return vringAvailRingOffset(num);
}

/** Offset of used ring element `i`. */
export function vringUsedElemOffset(i: number): number {
  return VRING_USED_RING + VRING_USED_ELEM_SIZE * i;
}

/** Offset of `avail_event` inside the used ring. */
export function vringAvailEventOffset(num: number): number {
  return vringUsedElemOffset(num);
}

/** Where the three parts of one split queue live in guest-physical memory. */
export interface SplitRingLayout {
  /** Queue size (entries). */
  size: number;
  /** Descriptor table address. */
  desc: number;
  /** Available ring (driver area) address. */
  avail: number;
  /** Used ring (device area) address. */
  used: number;
}

/** Rounds `x` up to a multiple of the power of two `align`. */
export function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

/** Packs a modern queue tightly from `base` (16-aligned): desc, avail, then used at 4 alignment. */
export function splitRingLayout(base: number, size: number): SplitRingLayout {
  const desc = alignUp(base, VRING_DESC_ALIGN);
  const avail = desc + vringDescTableSize(size);
  const used = alignUp(avail + vringAvailSize(size), VRING_USED_ALIGN);
  return { size, desc, avail, used };
}

/** The legacy contiguous layout (1.2 §2.7.2): used ring starts on the next `align` boundary. */
export function legacyRingLayout(base: number, size: number, align = VIRTIO_LEGACY_VRING_ALIGN): SplitRingLayout {
  const avail = base + vringDescTableSize(size);
  const used = alignUp(avail + vringAvailSize(size), align);
  return { size, desc: base, avail, used };
}

/** Total bytes of a legacy queue (the spec's virtq_size formula). */
export function legacyRingBytes(size: number, align = VIRTIO_LEGACY_VRING_ALIGN): number {
  return alignUp(vringDescTableSize(size) + vringAvailSize(size), align) + alignUp(vringUsedSize(size), align);
}

/**
 * The event-index test both sides use (1.2 §2.7.7/§2.7.10): true when moving the index from
 * `old` to `newIdx` stepped over `event`, all in wrapping 16-bit arithmetic.
 */
export function vringNeedEvent(event: number, newIdx: number, old: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - old) & 0xffff);
}

// ---------------------------------------------------------------------------------------------
// Device IDs (1.2 §5) and PCI identification (1.2 §4.1.2)
// ---------------------------------------------------------------------------------------------

/** Network card. */
export const VIRTIO_ID_NET = 1;
/** Block device. */
export const VIRTIO_ID_BLOCK = 2;
/** Console (virtio-serial). */
export const VIRTIO_ID_CONSOLE = 3;
/** Entropy source. */
export const VIRTIO_ID_RNG = 4;
/** Traditional memory balloon. */
export const VIRTIO_ID_BALLOON = 5;
/** SCSI host. */
export const VIRTIO_ID_SCSI = 8;
/** 9P transport. */
export const VIRTIO_ID_9P = 9;

/** Red Hat / Qumranet PCI vendor id every virtio-pci function carries. */
export const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;
/** Subsystem vendor id of virtio-pci functions. */
export const PCI_SUBVENDOR_ID_REDHAT_QUMRANET = 0x1af4;
/** Transitional device id: network. */
export const PCI_DEVICE_ID_VIRTIO_NET = 0x1000;
/** Transitional device id: block. */
export const PCI_DEVICE_ID_VIRTIO_BLOCK = 0x1001;
/** Transitional device id: balloon. */
export const PCI_DEVICE_ID_VIRTIO_BALLOON = 0x1002;
/** Transitional device id: console. */
export const PCI_DEVICE_ID_VIRTIO_CONSOLE = 0x1003;
/** Transitional device id: SCSI. */
export const PCI_DEVICE_ID_VIRTIO_SCSI = 0x1004;
/** Transitional device id: entropy. */
export const PCI_DEVICE_ID_VIRTIO_RNG = 0x1005;
/** Transitional device id: 9P. */
export const PCI_DEVICE_ID_VIRTIO_9P = 0x1009;
/** Modern device ids are this plus the virtio device id. */
export const PCI_DEVICE_ID_VIRTIO_MODERN_BASE = 0x1040;
/** Revision of transitional devices (QEMU's VIRTIO_PCI_ABI_VERSION). */
export const VIRTIO_PCI_ABI_VERSION = 0;
/** Revision of modern-only devices. */
export const VIRTIO_PCI_MODERN_REVISION = 1;

/** The modern (non-transitional) PCI device id of a virtio device type. */
export function virtioPciModernDeviceId(virtioId: number): number {
  return PCI_DEVICE_ID_VIRTIO_MODERN_BASE + virtioId;
}

// ---------------------------------------------------------------------------------------------
// virtio-pci vendor capabilities (1.2 §4.1.4)
// ---------------------------------------------------------------------------------------------

/** PCI capability id of every virtio structure capability. */
export const PCI_CAP_ID_VNDR = 0x09;
/** cfg_type: common configuration. */
export const VIRTIO_PCI_CAP_COMMON_CFG = 1;
/** cfg_type: notifications. */
export const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
/** cfg_type: ISR status. */
export const VIRTIO_PCI_CAP_ISR_CFG = 3;
/** cfg_type: device-specific configuration. */
export const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
/** cfg_type: PCI configuration access window. */
export const VIRTIO_PCI_CAP_PCI_CFG = 5;
/** cfg_type: shared memory region. */
export const VIRTIO_PCI_CAP_SHARED_MEMORY_CFG = 8;
/** cfg_type: vendor data. */
export const VIRTIO_PCI_CAP_VENDOR_CFG = 9;

/** Offset of cap_vndr in struct virtio_pci_cap. */
export const VIRTIO_PCI_CAP_VNDR = 0;
/** Offset of cap_next. */
export const VIRTIO_PCI_CAP_NEXT = 1;
/** Offset of cap_len. */
export const VIRTIO_PCI_CAP_LEN = 2;
/** Offset of cfg_type. */
export const VIRTIO_PCI_CAP_CFG_TYPE = 3;
/** Offset of bar. */
export const VIRTIO_PCI_CAP_BAR = 4;
/** Offset of id (multiple capabilities of one type). */
export const VIRTIO_PCI_CAP_ID = 5;
/** Offset of the le32 offset-in-BAR. */
export const VIRTIO_PCI_CAP_OFFSET = 8;
/** Offset of the le32 length. */
export const VIRTIO_PCI_CAP_LENGTH = 12;
/** Size of struct virtio_pci_cap. */
export const VIRTIO_PCI_CAP_SIZE = 16;
/** Offset of notify_off_multiplier in struct virtio_pci_notify_cap. */
export const VIRTIO_PCI_NOTIFY_CAP_MULT = 16;
/** Size of struct virtio_pci_notify_cap. */
export const VIRTIO_PCI_NOTIFY_CAP_SIZE = 20;
/** Offset of pci_cfg_data in struct virtio_pci_cfg_cap. */
export const VIRTIO_PCI_CFG_CAP_DATA = 16;
/** Size of struct virtio_pci_cfg_cap. */
export const VIRTIO_PCI_CFG_CAP_SIZE = 20;
/** Offset of offset_hi in struct virtio_pci_cap64. */
export const VIRTIO_PCI_CAP64_OFFSET_HI = 16;
/** Offset of length_hi in struct virtio_pci_cap64. */
export const VIRTIO_PCI_CAP64_LENGTH_HI = 20;
/** Size of struct virtio_pci_cap64. */
export const VIRTIO_PCI_CAP64_SIZE = 24;

// Common configuration structure (1.2 §4.1.4.3), offsets inside the common-cfg window.
/** le32 device_feature_select. */
export const VIRTIO_PCI_COMMON_DFSELECT = 0;
/** le32 device_feature (read-only). */
export const VIRTIO_PCI_COMMON_DF = 4;
/** le32 driver_feature_select. */
export const VIRTIO_PCI_COMMON_GFSELECT = 8;
/** le32 driver_feature. */
export const VIRTIO_PCI_COMMON_GF = 12;
/** le16 config_msix_vector. */
export const VIRTIO_PCI_COMMON_MSIX = 16;
/** le16 num_queues (read-only). */
export const VIRTIO_PCI_COMMON_NUMQ = 18;
/** u8 device_status. */
export const VIRTIO_PCI_COMMON_STATUS = 20;
/** u8 config_generation (read-only). */
export const VIRTIO_PCI_COMMON_CFGGENERATION = 21;
/** le16 queue_select. */
export const VIRTIO_PCI_COMMON_Q_SELECT = 22;
/** le16 queue_size. */
export const VIRTIO_PCI_COMMON_Q_SIZE = 24;
/** le16 queue_msix_vector. */
export const VIRTIO_PCI_COMMON_Q_MSIX = 26;
/** le16 queue_enable. */
export const VIRTIO_PCI_COMMON_Q_ENABLE = 28;
/** le16 queue_notify_off (read-only). */
export const VIRTIO_PCI_COMMON_Q_NOFF = 30;
/** le32 low half of queue_desc. */
export const VIRTIO_PCI_COMMON_Q_DESCLO = 32;
/** le32 high half of queue_desc. */
export const VIRTIO_PCI_COMMON_Q_DESCHI = 36;
/** le32 low half of queue_driver (avail ring). */
export const VIRTIO_PCI_COMMON_Q_AVAILLO = 40;
/** le32 high half of queue_driver. */
export const VIRTIO_PCI_COMMON_Q_AVAILHI = 44;
/** le32 low half of queue_device (used ring). */
export const VIRTIO_PCI_COMMON_Q_USEDLO = 48;
/** le32 high half of queue_device. */
export const VIRTIO_PCI_COMMON_Q_USEDHI = 52;
/** le16 queue_notify_data (1.2 only; QEMU 6.1 reads it as 0). */
export const VIRTIO_PCI_COMMON_Q_NDATA = 56;
/** le16 queue_reset (1.2 only; QEMU 6.1 reads it as 0). */
export const VIRTIO_PCI_COMMON_Q_RESET = 58;
/** Size of the 1.0 common configuration structure (what QEMU 6.1 decodes). */
export const VIRTIO_PCI_COMMON_CFG_SIZE = 56;

/** ISR bit 0: a used-buffer notification is pending. */
export const VIRTIO_PCI_ISR_QUEUE = 0x1;
/** ISR bit 1: a configuration change notification is pending. */
export const VIRTIO_PCI_ISR_CONFIG = 0x2;
/** MSI-X vector value meaning "no vector" (also what a refused vector write reads back as). */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

// Legacy I/O BAR0 register map (1.2 §4.1.4.10).
/** le32 host (device) features bits 0..31, read-only. */
export const VIRTIO_PCI_HOST_FEATURES = 0;
/** le32 guest (driver) features bits 0..31. */
export const VIRTIO_PCI_GUEST_FEATURES = 4;
/** le32 queue page frame number (address >> 12). */
export const VIRTIO_PCI_QUEUE_PFN = 8;
/** le16 queue size, read-only in legacy mode. */
export const VIRTIO_PCI_QUEUE_NUM = 12;
/** le16 queue select. */
export const VIRTIO_PCI_QUEUE_SEL = 14;
/** le16 queue notify (value = queue index). */
export const VIRTIO_PCI_QUEUE_NOTIFY = 16;
/** u8 device status. */
export const VIRTIO_PCI_STATUS = 18;
/** u8 ISR status, read clears. */
export const VIRTIO_PCI_ISR = 19;
/** le16 config MSI-X vector (present only while MSI-X is enabled). */
export const VIRTIO_MSI_CONFIG_VECTOR = 20;
/** le16 queue MSI-X vector (present only while MSI-X is enabled). */
export const VIRTIO_MSI_QUEUE_VECTOR = 22;
/** Shift from a legacy queue address to its PFN register value. */
export const VIRTIO_PCI_QUEUE_ADDR_SHIFT = 12;

/** Where the device-specific config starts in the legacy BAR: it moves when MSI-X is toggled. */
export function virtioPciLegacyConfigOffset(msixEnabled: boolean): number {
  return msixEnabled ? 24 : 20;
}
