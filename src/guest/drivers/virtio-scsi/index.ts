/** The guest's virtio_scsi driver: virtio SCSI host adapters as SCSI hosts (disks become sdX). */
import { PCI_DEVICE_ID_VIRTIO_MODERN_BASE, PCI_DEVICE_ID_VIRTIO_SCSI, PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_ID_SCSI } from '../../../abi/virtio.js';
import type { GuestPciDriver } from '../registry.js';
import { addVirtioSysfs } from '../virtio-pci/sysfs.js';
import { VirtioScsiHba, virtioScsiHbas } from './hba.js';

/** PCI driver entry: takes transitional (1af4:1004) and modern (1af4:1048) virtio-scsi functions. */
export const virtioScsiDriver: GuestPciDriver = {
  name: 'virtio_scsi',
  pciDriverName: 'virtio-pci',
  matches: (fn) =>
    fn.vendor === PCI_VENDOR_ID_REDHAT_QUMRANET && (fn.device === PCI_DEVICE_ID_VIRTIO_SCSI || fn.device === PCI_DEVICE_ID_VIRTIO_MODERN_BASE + VIRTIO_ID_SCSI),
  probe: (platform, fn) => {
    // The virtio device exists before its driver probes: the SCSI host hangs under virtioN.
    const dir = addVirtioSysfs(platform, fn, 'virtio_scsi', VIRTIO_ID_SCSI);
    new VirtioScsiHba(platform, fn, dir).start();
  },
  resume: (platform, fn) => {
    for (const h of virtioScsiHbas(platform.kernel)) if (h.fn === fn) h.restore();
  },
};

export {
  VIRTIO_SCSI_DRIVER_FEATURES,
  VIRTIO_SCSI_EVENT_BUFFERS,
  VIRTIO_SCSI_EVT_RESET_RESCAN,
  VIRTIO_SCSI_MAX_QUEUED,
  VIRTIO_SCSI_MAX_SLOTS,
  VIRTIO_SCSI_SLOT_DATA_BYTES,
  VirtioScsiHba,
  virtioScsiHbas,
} from './hba.js';
export type { VirtioScsiHbaStats } from './hba.js';
