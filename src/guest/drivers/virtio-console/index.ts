/** The guest's virtio-console driver: multiport virtio-serial ports as /dev/vport<d>p<id>. */
import { PCI_DEVICE_ID_VIRTIO_CONSOLE, PCI_DEVICE_ID_VIRTIO_MODERN_BASE, PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_ID_CONSOLE } from '../../../abi/virtio.js';
import type { GuestPciDriver } from '../registry.js';
import { VirtioConsole, virtioConsoles } from './console.js';
import { addVirtioSysfs } from '../virtio-pci/sysfs.js';

/** PCI driver entry: takes transitional (1af4:1003) and modern (1af4:1043) virtio-serial functions. */
export const virtioConsoleDriver: GuestPciDriver = {
  name: 'virtio_console',
  pciDriverName: 'virtio-pci',
  matches: (fn) =>
    fn.vendor === PCI_VENDOR_ID_REDHAT_QUMRANET &&
    (fn.device === PCI_DEVICE_ID_VIRTIO_CONSOLE || fn.device === PCI_DEVICE_ID_VIRTIO_MODERN_BASE + VIRTIO_ID_CONSOLE),
  probe: (platform, fn) => {
    new VirtioConsole(platform, fn).start();
    addVirtioSysfs(platform, fn, 'virtio_console', VIRTIO_ID_CONSOLE);
  },
  resume: (platform, fn) => {
    for (const c of virtioConsoles(platform.kernel)) if (c.fn === fn) c.restore();
  },
};

export { VirtioConsole, virtioConsoles, VIRTIO_CONSOLE_DRIVER_FEATURES, VIRTIO_PORTS_DIR, VIRTIO_PORTS_MAJOR_NAME } from './console.js';
export type { VirtioConsoleStats } from './console.js';
export { ConsolePort } from './port.js';
export type { ConsolePortStats } from './port.js';
export { PORT_RX_BUFFER_SIZE, PORT_TX_BUFFER_SIZE } from './port-queues.js';
export type { PortQueueStats } from './port-queues.js';
export { CONTROL_RX_BUFFER_SIZE } from './control.js';
export type { ControlStats } from './control.js';
export { CONTROL_RX_QUEUE, CONTROL_TX_QUEUE, portRxQueue, portTxQueue } from './context.js';
export { VirtioConsoleEmitter, formatControl } from './events.js';
export type {
  ConsoleBufferEvent,
  ConsoleControlEvent,
  ConsoleDiscardEvent,
  ConsoleKickEvent,
  ConsolePortState,
  ConsolePortStateEvent,
  ConsoleUsedEvent,
  VirtioConsoleEvents,
} from './events.js';
