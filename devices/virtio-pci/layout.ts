/**
 * Where virtio-pci puts things, as QEMU ≥ 2.8 lays them out: which BAR holds what, the four
 * windows of the modern memory BAR, the notify multiplier, and the legacy I/O BAR's size.
 * Drivers find all of this through capabilities; the numbers are fixed here so the device,
 * its tests and `info pci`-style reports agree.
 */
import { virtioPciLegacyConfigOffset } from '../../src/abi/virtio.js';

/** QEMU's VIRTIO_QUEUE_MAX: queue indices the transport decodes (select, notify). */
export const VIRTIO_QUEUE_MAX = 1024;

/** BAR index of the legacy I/O registers (transitional devices). */
export const VIRTIO_PCI_LEGACY_BAR = 0;
/** BAR index of the MSI-X table and PBA (an exclusive BAR). */
export const VIRTIO_PCI_MSIX_BAR = 1;
/** BAR index of the modern 64-bit prefetchable memory BAR (occupies slots 4 and 5). */
export const VIRTIO_PCI_MODERN_BAR = 4;

/** Bytes between the notify addresses of consecutive queues (QEMU ≥ 2.8 without page-per-vq). */
export const VIRTIO_PCI_NOTIFY_MULTIPLIER = 4;

/** Size QEMU gives each of the common, ISR and device windows. */
export const VIRTIO_PCI_REGION_SIZE = 0x1000;
/** Offset of the common configuration window in the modern BAR. */
export const VIRTIO_PCI_COMMON_OFFSET = 0x0000;
/** Offset of the ISR window. */
export const VIRTIO_PCI_ISR_OFFSET = 0x1000;
/** Offset of the device-specific configuration window. */
export const VIRTIO_PCI_DEVICE_OFFSET = 0x2000;
/** Offset of the notification window. */
export const VIRTIO_PCI_NOTIFY_OFFSET = 0x3000;
/** Size of the notification window: one multiplier-sized slot per decodable queue. */
export const VIRTIO_PCI_NOTIFY_SIZE = VIRTIO_PCI_NOTIFY_MULTIPLIER * VIRTIO_QUEUE_MAX;
/** Size of the modern BAR: the windows rounded up to a power of two (16 KiB). */
export const VIRTIO_PCI_MODERN_BAR_SIZE = pow2ceil(VIRTIO_PCI_NOTIFY_OFFSET + VIRTIO_PCI_NOTIFY_SIZE);

/** Smallest power of two ≥ n (n ≥ 1). */
export function pow2ceil(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/**
 * Size of the legacy I/O BAR: the register block (24 bytes when the function has MSI-X at all,
 * 20 without) plus the device config, rounded up to a power of two. It is sized for the MSI-X
 * layout even while MSI-X is disabled, because the BAR cannot change size at run time.
 */
export function legacyBarSize(hasMsix: boolean, configSize: number): number {
  return pow2ceil(virtioPciLegacyConfigOffset(hasMsix) + configSize);
}
