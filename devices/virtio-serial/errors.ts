/**
 * Realize-time errors of virtio-serial and its ports, worded exactly as QEMU words them so a
 * management tool matching on QEMU's text sees the same thing. Guest-triggered problems are
 * never errors: they become 'warning' events (see control.ts).
 */

/** Largest max_ports: each port takes two of the 1024 queues and one pair is the control queue. */
export const VIRTIO_SERIAL_MAX_SUPPORTED_PORTS = 1024 / 2 - 1;

/** A device or port could not be realized (QEMU's error_setg at realize/plug). */
export class VirtioSerialError extends Error {
  /** Wraps a QEMU-worded message. */
  constructor(message: string) {
    super(message);
    this.name = 'VirtioSerialError';
  }
}

/** The message texts, one builder each, so tests and callers share the wording. */
export const VSER_ERR = {
  /** max_ports = 0. */
  noPorts: (): string => 'Maximum number of serial ports not specified',
  /** max_ports above VIRTIO_SERIAL_MAX_SUPPORTED_PORTS. */
  tooManyPorts: (): string => `maximum ports supported: ${VIRTIO_SERIAL_MAX_SUPPORTED_PORTS}`,
  /** nr names an id that already has a port. */
  idInUse: (id: number): string => `virtio-serial-bus: A port already exists at id ${id}`,
  /** name is taken by a port on any virtio-serial device of the machine. */
  nameInUse: (name: string): string => `virtio-serial-bus: A port already exists by name ${name}`,
  /** No free id left for an automatically numbered port. */
  portLimit: (): string => 'virtio-serial-bus: Maximum port limit for this device reached',
  /** nr (given or found) is not below max_ports. */
  outOfRange: (maxAllowed: number): string => `virtio-serial-bus: Out-of-range port id specified, max. allowed: ${maxAllowed}`,
  /** A virtserialport asked for (or was given) id 0. */
  port0Reserved: (): string => 'Port number 0 on virtio-serial devices reserved for virtconsole devices for backward compatibility.',
} as const;

/** The error_report() texts QEMU prints when the driver reports trouble or names a bad port. */
export const VSER_WARN = {
  /** DEVICE_READY with value 0. */
  deviceFailed: (bus: string): string => `virtio-serial-bus: Guest failure in adding device ${bus}`,
  /** A control message for an id that has no port. */
  unexpectedPort: (id: number, bus: string): string => `virtio-serial-bus: Unexpected port id ${id >>> 0} for device ${bus}`,
  /** PORT_READY with value 0. */
  portFailed: (id: number, bus: string): string => `virtio-serial-bus: Guest failure in adding port ${id} for device ${bus}`,
} as const;
