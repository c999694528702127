/** virtio-scsi: the device (request, control and event queues) and virtio-scsi-pci. */
export {
  VIRTIO_SCSI_BAD_CONFIG,
  VIRTIO_SCSI_CDB_SIZE_LIMIT,
  VIRTIO_SCSI_CTRL_QUEUE_SIZE,
  VIRTIO_SCSI_DEFAULT_QUEUE_SIZE,
  VIRTIO_SCSI_MAX_CHANNEL,
  VIRTIO_SCSI_MAX_LUN,
  VIRTIO_SCSI_MAX_REQUEST_QUEUES,
  VIRTIO_SCSI_MAX_TARGET,
  VIRTIO_SCSI_SENSE_SIZE_LIMIT,
  VirtioScsi,
} from './device.js';
export type { VirtioScsiOptions, VirtioScsiStats } from './device.js';
export { VIRTIO_SCSI_BAD_HEADERS, handleScsiCommand, parseVirtioScsiLun } from './request.js';
export type { ScsiCmdContext, ScsiCmdOutcome } from './request.js';
export { handleScsiControl, writeScsiEvent } from './control.js';
export type { ScsiCtrlOutcome, ScsiEvent } from './control.js';
export { ChainDataPhase, skipSegments } from './chain-phase.js';
export { VIRTIO_SCSI_PCI, VIRTIO_SCSI_PCI_NON_TRANSITIONAL, VIRTIO_SCSI_PCI_TRANSITIONAL, VirtioScsiPci } from './virtio-scsi-pci.js';
export type { VirtioScsiPciOptions, VirtioScsiPciType } from './virtio-scsi-pci.js';
