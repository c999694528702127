/**
 * `virtio-blk-pci` and its fixed-mode variants: a VirtioBlk behind the virtio-pci transport,
 * with QEMU's class-code coercion (SCSI storage unless "other storage" is asked for) and its
 * vector count (one per queue plus the config vector).
 */
import { PCI_CLASS_STORAGE_OTHER, PCI_CLASS_STORAGE_SCSI } from '../../src/abi/pci.js';
import { VirtioPciTransport } from '../virtio-pci/transport.js';
import { fixedVirtioPciMode, type VirtioPciOptions } from '../virtio-pci/options.js';
import { VirtioBlk, type VirtioBlkOptions } from './device.js';

/** The generic type: `disable-legacy` / `disable-modern` decide the mode. */
export const VIRTIO_BLK_PCI = 'virtio-blk-pci';
/** Always transitional. */
export const VIRTIO_BLK_PCI_TRANSITIONAL = 'virtio-blk-pci-transitional';
/** Always modern-only. */
export const VIRTIO_BLK_PCI_NON_TRANSITIONAL = 'virtio-blk-pci-non-transitional';
/** The three type names. */
export type VirtioBlkPciType = typeof VIRTIO_BLK_PCI | typeof VIRTIO_BLK_PCI_TRANSITIONAL | typeof VIRTIO_BLK_PCI_NON_TRANSITIONAL;
/** QEMU's type name of the inner device, which owns the `drive` property (and names it in errors). */
export const VIRTIO_BLK_DEVICE = 'virtio-blk-device';

/** Properties of the three types. */
export interface VirtioBlkPciOptions extends Omit<VirtioPciOptions, 'classCode'>, VirtioBlkOptions {
  /** `class` (default 0x0100; anything but 0x0100 and 0x0180 becomes 0x0100). */
  classCode?: number;
}

/** A virtio-blk device on PCI. */
export class VirtioBlkPci extends VirtioPciTransport {
  /** The block device. */
  readonly blk: VirtioBlk;

  /** Realizes the device; throws StorageError / VirtioPciError with QEMU's texts. */
  constructor(typeName: VirtioBlkPciType, opts: VirtioBlkPciOptions) {
    const mode = fixedVirtioPciMode(typeName, { transitional: VIRTIO_BLK_PCI_TRANSITIONAL, nonTransitional: VIRTIO_BLK_PCI_NON_TRANSITIONAL }, opts);
    const relay: { to?: VirtioPciTransport } = {};
    const blk = new VirtioBlk({ ...opts, trace: (line) => relay.to?.trace(line) });
    const cls = opts.classCode === PCI_CLASS_STORAGE_OTHER ? PCI_CLASS_STORAGE_OTHER : PCI_CLASS_STORAGE_SCSI;
    super(typeName, blk, { ...opts, ...mode, classCode: cls, vectors: opts.vectors ?? blk.queues.length + 1 });
    relay.to = this;
    this.blk = blk;
  }
}
