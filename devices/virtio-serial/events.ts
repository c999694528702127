/**
 * What virtio-serial tells the rest of the machine: typed events (control traffic, port state,
 * the VSERPORT_CHANGE source, warnings) and the readable names used in trace lines.
 */
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { VIRTIO_CONSOLE_BAD_ID, controlEventName } from '../../src/abi/virtio-console.js';
import type { VirtioSerialPort } from './port.js';

/** One control message as it crossed (or was meant to cross) the control queues. */
export interface ControlMessage {
  /** Port id (VIRTIO_CONSOLE_BAD_ID for DEVICE_READY). */
  id: number;
  /** VIRTIO_CONSOLE_* event number. */
  event: number;
  /** Event argument. */
  value: number;
  /** The port name carried by PORT_NAME (without its NUL). */
  name?: string;
}

/** Kinds of port state change reported by 'port-state'. */
export type PortStateKind =
  | 'added'
  | 'removed'
  | 'ready'
  | 'guest-open'
  | 'guest-close'
  | 'host-open'
  | 'host-close'
  | 'throttled'
  | 'unthrottled'
  | 'paused'
  | 'resumed';

/** A port state change. */
export interface PortStateChange {
  /** The port. */
  port: VirtioSerialPort;
  /** Its id on the bus. */
  id: number;
  /** What changed. */
  state: PortStateKind;
}

/** Payload of the QMP VSERPORT_CHANGE event the machine emits for ports with a qdev id. */
export interface VserportChange {
  /** The port's qdev id. */
  id: string;
  /** Whether the guest has the port open. */
  open: boolean;
}

/** Events of a VirtioSerial device (subscribe through `device.events`). */
export type VirtioSerialEvents = {
  /** A control message was written into a c_ivq buffer. */
  'control-sent': (msg: ControlMessage) => void;
  /** The driver sent a control message on c_ovq (even one QEMU ignores). */
  'control-received': (msg: ControlMessage) => void;
  /** A port changed state. */
  'port-state': (change: PortStateChange) => void;
  /** The guest opened or closed a port that has a qdev id (QMP VSERPORT_CHANGE). */
  'vserport-change': (change: VserportChange) => void;
  /** QEMU's error_report() texts and this model's own non-fatal complaints. */
  warning: (message: string) => void;
};

/** The emitter type behind `device.events`. */
export class VirtioSerialEmitter extends (EventEmitter as new () => TypedEmitter<VirtioSerialEvents>) {}

export { controlEventName };

/** A control message as one trace fragment: `PORT_NAME id 1 value 1 name "org.qemu.guest_agent.0"`. */
export function describeControl(msg: ControlMessage): string {
  const id = msg.id === VIRTIO_CONSOLE_BAD_ID ? 'BAD_ID' : String(msg.id);
  const name = msg.name === undefined ? '' : ` name ${JSON.stringify(msg.name)}`;
  return `${controlEventName(msg.event)} id ${id} value ${msg.value}${name}`;
}
