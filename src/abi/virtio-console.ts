/**
 * virtio-console (virtio-serial) ABI (VIRTIO 1.2 §5.3 plus Linux's virtio_console.h): feature
 * bits, the device configuration layout and the 8-byte control message both sides exchange.
 */

/** Feature bit: cols/rows in config are valid. QEMU never offers it. */
export const VIRTIO_CONSOLE_F_SIZE = 0;
/** Feature bit: multiple ports and the control queues exist. */
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
/** Feature bit: emerg_wr in config is writable. */
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

/** Port id meaning "no port" (the id of DEVICE_READY). */
export const VIRTIO_CONSOLE_BAD_ID = 0xffff_ffff;

/** Config offset of le16 cols. */
export const VIRTIO_CONSOLE_CFG_COLS = 0;
/** Config offset of le16 rows. */
export const VIRTIO_CONSOLE_CFG_ROWS = 2;
/** Config offset of le32 max_nr_ports. */
export const VIRTIO_CONSOLE_CFG_MAX_NR_PORTS = 4;
/** Config offset of le32 emerg_wr. */
export const VIRTIO_CONSOLE_CFG_EMERG_WR = 8;
/** Config size with emerg_wr (QEMU ≥ 2.8 machine types). */
export const VIRTIO_CONSOLE_CONFIG_SIZE = 12;
/** Config size without emerg_wr (QEMU 2.5 and machine types ≤ 2.7). */
export const VIRTIO_CONSOLE_CONFIG_SIZE_NO_EMERG = 8;

/** Driver → device: the driver is ready (value 1) or failed (value 0). */
export const VIRTIO_CONSOLE_DEVICE_READY = 0;
/** Device → driver: a port exists. */
export const VIRTIO_CONSOLE_PORT_ADD = 1;
/** Device → driver: a port went away. */
export const VIRTIO_CONSOLE_PORT_REMOVE = 2;
/** Driver → device: the port is set up (1) or failed (0). */
export const VIRTIO_CONSOLE_PORT_READY = 3;
/** Device → driver: the port is a console. */
export const VIRTIO_CONSOLE_CONSOLE_PORT = 4;
/** Device → driver: console size changed (followed by rows, cols). */
export const VIRTIO_CONSOLE_RESIZE = 5;
/** Either way: the port was opened (1) or closed (0) on the sender's side. */
export const VIRTIO_CONSOLE_PORT_OPEN = 6;
/** Device → driver: the port's name follows the header, NUL-terminated. */
export const VIRTIO_CONSOLE_PORT_NAME = 7;

/** Size of struct virtio_console_control {le32 id; le16 event; le16 value}. */
export const VIRTIO_CONSOLE_CONTROL_SIZE = 8;
/** Offset of id in a control message. */
export const VIRTIO_CONSOLE_CONTROL_ID = 0;
/** Offset of event in a control message. */
export const VIRTIO_CONSOLE_CONTROL_EVENT = 4;
/** Offset of value in a control message. */
export const VIRTIO_CONSOLE_CONTROL_VALUE = 6;
/** Size of the RESIZE payload {le16 rows; le16 cols} that follows the header. */
export const VIRTIO_CONSOLE_RESIZE_SIZE = 4;

/** A decoded control message header. */
export interface VirtioConsoleControl {
  /** Port id (VIRTIO_CONSOLE_BAD_ID for device-wide events). */
  id: number;
  /** Event number (VIRTIO_CONSOLE_*). */
  event: number;
  /** Event argument (usually 0/1). */
  value: number;
}

/** Encodes a control header, optionally followed by payload bytes (PORT_NAME, RESIZE). */
export function encodeConsoleControl(msg: VirtioConsoleControl, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(VIRTIO_CONSOLE_CONTROL_SIZE + (payload?.length ?? 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(VIRTIO_CONSOLE_CONTROL_ID, msg.id >>> 0, true);
  dv.setUint16(VIRTIO_CONSOLE_CONTROL_EVENT, msg.event & 0xffff, true);
  dv.setUint16(VIRTIO_CONSOLE_CONTROL_VALUE, msg.value & 0xffff, true);
  if (payload) out.set(payload, VIRTIO_CONSOLE_CONTROL_SIZE);
  return out;
}

/** Decodes a control header; null when fewer than 8 bytes (QEMU silently ignores those). */
export function decodeConsoleControl(bytes: Uint8Array): VirtioConsoleControl | null {
  if (bytes.length < VIRTIO_CONSOLE_CONTROL_SIZE) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    id: dv.getUint32(VIRTIO_CONSOLE_CONTROL_ID, true),
    event: dv.getUint16(VIRTIO_CONSOLE_CONTROL_EVENT, true),
    value: dv.getUint16(VIRTIO_CONSOLE_CONTROL_VALUE, true),
  };
}

/** The spec name of a control event number ("event 9" for unknown ones), for traces on both sides. */
export function controlEventName(event: number): string {
  const names: Record<number, string> = {
    [VIRTIO_CONSOLE_DEVICE_READY]: 'DEVICE_READY',
    [VIRTIO_CONSOLE_PORT_ADD]: 'PORT_ADD',
    [VIRTIO_CONSOLE_PORT_REMOVE]: 'PORT_REMOVE',
    [VIRTIO_CONSOLE_PORT_READY]: 'PORT_READY',
    [VIRTIO_CONSOLE_CONSOLE_PORT]: 'CONSOLE_PORT',
    [VIRTIO_CONSOLE_RESIZE]: 'RESIZE',
    [VIRTIO_CONSOLE_PORT_OPEN]: 'PORT_OPEN',
    [VIRTIO_CONSOLE_PORT_NAME]: 'PORT_NAME',
  };
  return names[event] ?? `event ${event}`;
}
