/** virtio-blk: the device, its request handling and configuration, and virtio-blk-pci. */
export { VIRTIO_BLK_BLOCK_SIZE, VIRTIO_BLK_DEFAULT_QUEUE_SIZE, VirtioBlk } from './device.js';
export type { VirtioBlkOptions, VirtioBlkStats } from './device.js';
export { VIRTIO_BLK_ERR, VIRTIO_BLK_IO_CHUNK_SECTORS, VIRTIO_BLK_MAX_REQUEST_SECTORS, blkStatusName, handleBlkRequest } from './request.js';
export type { BlkOutcome, BlkRequestContext } from './request.js';
export { fillVirtioBlkConfig, guessGeometry, virtioBlkConfigSize } from './config.js';
export type { VirtioBlkConfigParams } from './config.js';
export { VIRTIO_BLK_DEVICE, VIRTIO_BLK_PCI, VIRTIO_BLK_PCI_NON_TRANSITIONAL, VIRTIO_BLK_PCI_TRANSITIONAL, VirtioBlkPci } from './virtio-blk-pci.js';
export type { VirtioBlkPciOptions, VirtioBlkPciType } from './virtio-blk-pci.js';
