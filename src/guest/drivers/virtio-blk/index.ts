/** The guest's virtio_blk driver: virtio block devices as vda, vdb, ... */
import { PCI_DEVICE_ID_VIRTIO_BLOCK, PCI_DEVICE_ID_VIRTIO_MODERN_BASE, PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_ID_BLOCK } from '../../../abi/virtio.js';
import type { GuestPciDriver } from '../registry.js';
import { addVirtioSysfs } from '../virtio-pci/sysfs.js';
import { VirtioBlkDisk, virtioBlkDisks } from './disk.js';

/** PCI driver entry: takes transitional (1af4:1001) and modern (1af4:1042) virtio-blk functions. */
export const virtioBlkDriver: GuestPciDriver = {
  name: 'virtio_blk',
  pciDriverName: 'virtio-pci',
  matches: (fn) =>
    fn.vendor === PCI_VENDOR_ID_REDHAT_QUMRANET && (fn.device === PCI_DEVICE_ID_VIRTIO_BLOCK || fn.device === PCI_DEVICE_ID_VIRTIO_MODERN_BASE + VIRTIO_ID_BLOCK),
  probe: (platform, fn) => {
    // The virtio device exists before its driver probes: the disk hangs under virtioN.
    const dir = addVirtioSysfs(platform, fn, 'virtio_blk', VIRTIO_ID_BLOCK);
    new VirtioBlkDisk(platform, fn, dir).start();
  },
  resume: (platform, fn) => {
    for (const d of virtioBlkDisks(platform.kernel)) if (d.fn === fn) d.restore();
  },
};

export {
  VIRTIO_BLK_DRIVER_FEATURES,
  VIRTIO_BLK_MAJOR_NAME,
  VIRTIO_BLK_MAX_QUEUED_PARTS,
  VIRTIO_BLK_MAX_SLOTS,
  VIRTIO_BLK_MINORS,
  VIRTIO_BLK_SLOT_DATA_BYTES,
  VirtioBlkDisk,
  virtioBlkDisks,
} from './disk.js';
export type { VirtioBlkDiskStats } from './disk.js';
