/** The guest's virtio_net driver: virtio network devices as Ethernet interfaces (ens3, ...). */
import { PCI_DEVICE_ID_VIRTIO_MODERN_BASE, PCI_DEVICE_ID_VIRTIO_NET, PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_ID_NET } from '../../../abi/virtio.js';
import type { Kernel } from '../../kernel/index.js';
import type { GuestPciDriver } from '../registry.js';
import { addVirtioSysfs } from '../virtio-pci/sysfs.js';
import { VirtioNetDriver } from './driver.js';

const byKernel = new WeakMap<Kernel, VirtioNetDriver[]>();

/** The virtio-net devices a kernel has bound, in probe order. */
export function virtioNetDevices(kernel: Kernel): readonly VirtioNetDriver[] {
  return byKernel.get(kernel) ?? [];
}

/** PCI driver entry: transitional (1af4:1000) and modern (1af4:1041) virtio-net functions. */
export const virtioNetDriver: GuestPciDriver = {
  name: 'virtio_net',
  pciDriverName: 'virtio-pci',
  matches: (fn) => fn.vendor === PCI_VENDOR_ID_REDHAT_QUMRANET && (fn.device === PCI_DEVICE_ID_VIRTIO_NET || fn.device === PCI_DEVICE_ID_VIRTIO_MODERN_BASE + VIRTIO_ID_NET),
  probe: (platform, fn) => {
    // The virtio device directory comes first: the interface lives under it (virtioN/net/ens3).
    const path = addVirtioSysfs(platform, fn, 'virtio_net', VIRTIO_ID_NET);
    const d = new VirtioNetDriver(platform, fn, path);
    d.start();
    const list = byKernel.get(platform.kernel) ?? [];
    list.push(d);
    byKernel.set(platform.kernel, list);
  },
  resume: (platform, fn) => {
    byKernel.get(platform.kernel)?.find((d) => d.fn === fn)?.reinit();
  },
};

export { VirtioNetDriver, VIRTIO_NET_DRIVER_FEATURES, VIRTIO_NET_BUF_SIZE, VIRTIO_NET_RX_BUFFERS, VIRTIO_NET_TX_BUFFERS } from './driver.js';
export type { VirtioNetDriverStats } from './driver.js';
export { predictableEthName } from './naming.js';
