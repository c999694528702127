/** virtio-pci: the generic transport, its register blocks and layout, and virtio-serial-pci. */
export { PciCfgWindow, addVirtioCapabilities } from './capabilities.js';
export type { VirtioCapabilityOffsets } from './capabilities.js';
export { CommonConfig, numQueues, wrongQueueEnableMessage } from './common-cfg.js';
export type { VirtioPciCore } from './core.js';
export {
  VIRTIO_PCI_COMMON_OFFSET,
  VIRTIO_PCI_DEVICE_OFFSET,
  VIRTIO_PCI_ISR_OFFSET,
  VIRTIO_PCI_LEGACY_BAR,
  VIRTIO_PCI_MODERN_BAR,
  VIRTIO_PCI_MODERN_BAR_SIZE,
  VIRTIO_PCI_MSIX_BAR,
  VIRTIO_PCI_NOTIFY_MULTIPLIER,
  VIRTIO_PCI_NOTIFY_OFFSET,
  VIRTIO_PCI_NOTIFY_SIZE,
  VIRTIO_PCI_REGION_SIZE,
  VIRTIO_QUEUE_MAX,
  legacyBarSize,
} from './layout.js';
export { LegacyRegisters } from './legacy.js';
export {
  VIRTIO_PCI_DEFAULT_VECTORS,
  VIRTIO_PCI_MAX_VECTORS,
  VirtioPciError,
  fixedVirtioPciMode,
  parseOnOffAuto,
  resolveVirtioPciMode,
  transitionalDeviceId,
  virtioPciIdentity,
} from './options.js';
export type { OnOffAuto, VirtioPciMode, VirtioPciOptions } from './options.js';
export { ProxyQueue, ProxyQueues } from './queue-state.js';
export type { RingWord } from './queue-state.js';
export { VirtioPciTransport } from './transport.js';
export {
  VIRTIO_SERIAL_BUS_TYPE,
  VIRTIO_SERIAL_PCI,
  VIRTIO_SERIAL_PCI_NON_TRANSITIONAL,
  VIRTIO_SERIAL_PCI_TRANSITIONAL,
  VirtioSerialBuses,
  VirtioSerialPci,
  virtioSerialBusesOf,
  virtioSerialClassCode,
} from './virtio-serial-pci.js';
export type { VirtioSerialPciOptions, VirtioSerialPciType, VirtioSerialPortRequest } from './virtio-serial-pci.js';
