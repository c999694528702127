/**
 * What the guest's virtio-console driver reports: typed events for tests and tools, and the
 * readable names its 'virtio' trace lines use. The device model has its own copy of the
 * event names; guest code cannot import device code, and the names are the spec's anyway.
 */
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { VIRTIO_CONSOLE_BAD_ID, controlEventName } from '../../../abi/virtio-console.js';

/** A control message as the driver sent or received it. */
export interface ConsoleControlEvent {
  /** Port id (VIRTIO_CONSOLE_BAD_ID for DEVICE_READY). */
  id: number;
  /** VIRTIO_CONSOLE_* event number. */
  event: number;
  /** Event argument. */
  value: number;
  /** PORT_NAME's name. */
  name?: string;
}

/** Port state changes the driver reports. */
export type ConsolePortState =
  | 'added'
  | 'ready'
  | 'console'
  | 'named'
  | 'host-open'
  | 'host-close'
  | 'open'
  | 'close'
  | 'removed';

/** One port state change. */
export interface ConsolePortStateEvent {
  /** Port id. */
  id: number;
  /** Device node name (`vport0p1`). */
  node: string;
  /** What changed. */
  state: ConsolePortState;
}

/** A buffer the driver made available to the device. */
export interface ConsoleBufferEvent {
  /** Queue index. */
  queue: number;
  /** Head descriptor. */
  head: number;
  /** Guest-physical address. */
  addr: number;
  /** Length offered. */
  len: number;
  /** `in` = device-writable (receive), `out` = device-readable (send). */
  dir: 'in' | 'out';
}

/** A buffer the driver collected from the used ring. */
export interface ConsoleUsedEvent {
  /** Queue index. */
  queue: number;
  /** Head descriptor. */
  head: number;
  /** Bytes the device says it wrote. */
  len: number;
}

/** A kick decision after adding buffers. */
export interface ConsoleKickEvent {
  /** Queue index. */
  queue: number;
  /** Whether the device was notified (false: its event index / NO_NOTIFY said not to). */
  notified: boolean;
}

/** Bytes the driver threw away, and why. */
export interface ConsoleDiscardEvent {
  /** Port id. */
  id: number;
  /** Byte count. */
  bytes: number;
  /** Why. */
  reason: 'not-open' | 'released' | 'removed';
}

/** Events of one virtio-console device as the guest drives it. */
export type VirtioConsoleEvents = {
  /** A control message went out on c_ovq. */
  'control-sent': (msg: ConsoleControlEvent) => void;
  /** A control message came in on c_ivq. */
  'control-received': (msg: ConsoleControlEvent) => void;
  /** A port changed state. */
  'port-state': (change: ConsolePortStateEvent) => void;
  /** A buffer was made available. */
  'buffer-added': (ev: ConsoleBufferEvent) => void;
  /** A used buffer was collected. */
  'buffer-used': (ev: ConsoleUsedEvent) => void;
  /** A queue was (or did not need to be) kicked. */
  kick: (ev: ConsoleKickEvent) => void;
  /** Received bytes were thrown away. */
  discard: (ev: ConsoleDiscardEvent) => void;
  /** The device was reset and brought up again. */
  reset: (reason: string) => void;
  /** A dev_warn()-style complaint. */
  warning: (message: string) => void;
};

/** The emitter type behind `VirtioConsole.events`. */
export class VirtioConsoleEmitter extends (EventEmitter as new () => TypedEmitter<VirtioConsoleEvents>) {}


/** `PORT_OPEN id 1 value 1 name "x"`: one control message in trace form. */
export function formatControl(msg: ConsoleControlEvent): string {
  const id = msg.id === VIRTIO_CONSOLE_BAD_ID ? 'BAD_ID' : String(msg.id);
  const name = msg.name === undefined ? '' : ` name ${JSON.stringify(msg.name)}`;
  return `${controlEventName(msg.event)} id ${id} value ${msg.value}${name}`;
}
