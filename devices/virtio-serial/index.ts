/** virtio-serial: the device, its ports, the control protocol and the per-port data path. */
export {
  VIRTIO_SERIAL_CONTROL_QUEUE_SIZE,
  VIRTIO_SERIAL_DEFAULT_BUS_NAME,
  VIRTIO_SERIAL_DEFAULT_MAX_PORTS,
  VIRTIO_SERIAL_PORT_QUEUE_SIZE,
  VirtioSerial,
  VirtioSerialRegistry,
  virtioTraceSink,
} from './device.js';
export type { VirtioSerialOptions, VirtioSerialStats } from './device.js';
export { VirtioSerialPort } from './port.js';
export type { PortOwner, VirtioSerialPortOptions, VirtioSerialPortType } from './port.js';
export { CONTROL_QUEUE_MAX, ControlChannel } from './control.js';
export type { ControlHost, VirtioSerialControlStats } from './control.js';
export { GUEST_TO_HOST_CHUNK, HOST_TO_GUEST_BUFFER_MAX, HOST_TO_GUEST_RESUME_AT, PortDataPath } from './data-path.js';
export type { DataPathContext, VirtioSerialPortStats } from './data-path.js';
export { VIRTIO_SERIAL_MAX_SUPPORTED_PORTS, VSER_ERR, VSER_WARN, VirtioSerialError } from './errors.js';
export { VirtioSerialEmitter, controlEventName, describeControl } from './events.js';
export type { ControlMessage, PortStateChange, PortStateKind, VirtioSerialEvents, VserportChange } from './events.js';
