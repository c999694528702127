/**
 * `virtio-net-pci`: a VirtioNet behind the virtio-pci transport, with QEMU's defaults for
 * it: Ethernet class code, transitional on conventional PCI, and 2·queue pairs + 2 MSI-X
 * vectors (receive, transmit, control, config) unless `vectors` says otherwise.
 */
import { PCI_CLASS_NETWORK_ETHERNET } from '../../src/abi/pci.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { VirtioPciTransport } from '../virtio-pci/transport.js';
import type { VirtioPciOptions } from '../virtio-pci/options.js';
import { VirtioNet, type VirtioNetOptions } from './device.js';

/** The generic type name. */
export const VIRTIO_NET_PCI = 'virtio-net-pci';
/** QEMU's default vectors for one queue pair. */
export const VIRTIO_NET_PCI_DEFAULT_VECTORS = 4;

/** Properties of virtio-net-pci. */
export interface VirtioNetPciOptions extends Omit<VirtioPciOptions, 'classCode'>, Omit<VirtioNetOptions, 'mem' | 'trace'> {
  /** Guest memory. */
  mem: AddressSpace;
}

/** A virtio-net device on PCI. */
export class VirtioNetPci extends VirtioPciTransport {
  /** The network device. */
  readonly net: VirtioNet;

  /** Realizes the device; throws VirtioPciError with QEMU's texts. */
  constructor(opts: VirtioNetPciOptions) {
    const relay: { to?: VirtioPciTransport } = {};
    const net = new VirtioNet({ ...opts, trace: (line) => relay.to?.trace(line) });
    super(VIRTIO_NET_PCI, net, { ...opts, vectors: opts.vectors ?? VIRTIO_NET_PCI_DEFAULT_VECTORS, classCode: PCI_CLASS_NETWORK_ETHERNET });
    relay.to = this;
    this.net = net;
  }
}
