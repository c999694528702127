/**
 * `virtio-scsi-pci` and its fixed-mode variants: a VirtioScsi behind the virtio-pci
 * transport (SCSI storage class, one vector per request queue plus controlq, eventq and
 * config, as QEMU sizes it), and the machine's SCSI buses that `scsi-hd` looks up.
 */
import { PCI_CLASS_STORAGE_SCSI } from '../../src/abi/pci.js';
import { VirtioPciTransport } from '../virtio-pci/transport.js';
import { fixedVirtioPciMode, type VirtioPciOptions } from '../virtio-pci/options.js';
import { VirtioScsi, type VirtioScsiOptions } from './device.js';

/** The generic type. */
export const VIRTIO_SCSI_PCI = 'virtio-scsi-pci';
/** Always transitional. */
export const VIRTIO_SCSI_PCI_TRANSITIONAL = 'virtio-scsi-pci-transitional';
/** Always modern-only. */
export const VIRTIO_SCSI_PCI_NON_TRANSITIONAL = 'virtio-scsi-pci-non-transitional';
/** The three type names. */
export type VirtioScsiPciType = typeof VIRTIO_SCSI_PCI | typeof VIRTIO_SCSI_PCI_TRANSITIONAL | typeof VIRTIO_SCSI_PCI_NON_TRANSITIONAL;

/** Properties of the three types. */
export type VirtioScsiPciOptions = Omit<VirtioPciOptions, 'classCode'> & VirtioScsiOptions;

/** A virtio-scsi host adapter on PCI. */
export class VirtioScsiPci extends VirtioPciTransport {
  /** The SCSI device and its bus. */
  readonly scsi: VirtioScsi;

  /** Realizes the device; throws StorageError / VirtioPciError with QEMU's texts. */
  constructor(typeName: VirtioScsiPciType, opts: VirtioScsiPciOptions) {
    const mode = fixedVirtioPciMode(typeName, { transitional: VIRTIO_SCSI_PCI_TRANSITIONAL, nonTransitional: VIRTIO_SCSI_PCI_NON_TRANSITIONAL }, opts);
    const relay: { to?: VirtioPciTransport } = {};
    const scsi = new VirtioScsi({ ...opts, trace: (line) => relay.to?.trace(line) });
    super(typeName, scsi, { ...opts, ...mode, classCode: PCI_CLASS_STORAGE_SCSI, vectors: opts.vectors ?? scsi.queues.length + 1 });
    relay.to = this;
    this.scsi = scsi;
  }
}
