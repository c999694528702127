/**
 * The control queues (VIRTIO 1.2 §5.3.6.2, QEMU's handle_control_message / control_out /
 * send_control_msg): the driver's DEVICE_READY, PORT_READY and PORT_OPEN in, the device's
 * PORT_ADD, PORT_REMOVE, CONSOLE_PORT, PORT_NAME and PORT_OPEN out.
 *
 * QEMU drops a device→driver message when c_ivq has no buffer posted. Here such messages wait
 * in a bounded FIFO and go out, in order, as soon as the driver posts buffers. Messages sent
 * while no driver is listening (before DRIVER_OK or without MULTIPORT) are not queued: that
 * driver learns the whole state on DEVICE_READY and PORT_READY anyway, and replaying stale
 * messages to it would only duplicate them.
 */
import {
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VIRTIO_CONSOLE_CONTROL_SIZE,
  decodeConsoleControl,
  encodeConsoleControl,
} from '../../src/abi/virtio-console.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { ChainReader, writeChain } from '../virtio/chain.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import { VSER_WARN } from './errors.js';
import { describeControl, type ControlMessage } from './events.js';
import type { VirtioSerialPort } from './port.js';

/**
 * Device→driver messages held while c_ivq has no buffer. The largest legitimate burst is a
 * full bring-up of 511 ports: PORT_ADD, CONSOLE_PORT, PORT_NAME and PORT_OPEN each, 2044
 * messages, against a 32-entry c_ivq. Twice that leaves room for hot-plug and host
 * connect/disconnect churn while bounding what a driver that never posts buffers can make us
 * hold (about 4096 × (8 + name) bytes).
 */
export const CONTROL_QUEUE_MAX = 4096;

/** Control-queue counters of a device. */
export interface VirtioSerialControlStats {
  /** Messages written into c_ivq buffers. */
  sent: number;
  /** Well-formed messages taken from c_ovq. */
  received: number;
  /** Messages waiting for c_ivq buffers now. */
  queued: number;
  /** Messages dropped because the FIFO was full. */
  dropped: number;
  /** Messages not sent because no driver was listening (QEMU drops these too). */
  notListening: number;
  /** Queued messages thrown away by a guest reset (the driver they were for is gone). */
  discardedOnReset: number;
  /** Messages cut short because the driver's c_ivq buffer was too small. */
  truncated: number;
  /** c_ovq buffers shorter than a control header (QEMU ignores them silently). */
  ignored: number;
}

/** What the control channel needs from its device. */
export interface ControlHost {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** Bus name used in QEMU's messages. */
  readonly busName: string;
  /** c_ivq (queue 2). */
  readonly controlIn: SplitQueue;
  /** DRIVER_OK set and MULTIPORT negotiated: someone reads c_ivq. */
  driverListening(): boolean;
  /** Interrupt the driver for a queue. */
  notify(queue: SplitQueue): void;
  /** Ports in plug order. */
  ports(): readonly VirtioSerialPort[];
  /** The port with id `nr` (never matches VIRTIO_CONSOLE_BAD_ID). */
  findPort(nr: number): VirtioSerialPort | undefined;
  /** A message reached the driver. */
  sent(msg: ControlMessage): void;
  /** A message came from the driver. */
  received(msg: ControlMessage): void;
  /** A QEMU error_report() or a complaint of this model. */
  warn(message: string): void;
  /** A readable trace line. */
  trace(line: string): void;
}

interface QueuedMessage {
  msg: ControlMessage;
  bytes: Uint8Array;
}

const NAME_ENCODER = new TextEncoder();

/** Both control queues of one device. */
export class ControlChannel {
  private fifo: QueuedMessage[] = [];
  private overflowing = false;
  private readonly counters: VirtioSerialControlStats = {
    sent: 0,
    received: 0,
    queued: 0,
    dropped: 0,
    notListening: 0,
    discardedOnReset: 0,
    truncated: 0,
    ignored: 0,
  };

  /** Serves `host`. */
  constructor(private readonly host: ControlHost) {}

  /** A snapshot of the counters. */
  stats(): VirtioSerialControlStats {
    return { ...this.counters, queued: this.fifo.length };
  }

  /** Sends an 8-byte control event (QEMU's send_control_event). */
  send(id: number, event: number, value: number): void {
    const msg: ControlMessage = { id, event, value };
    this.enqueue(msg, encodeConsoleControl(msg));
  }

  /** Sends PORT_NAME: header, name and NUL in one buffer, as QEMU does. */
  sendName(port: VirtioSerialPort): void {
    const name = port.name ?? '';
    const raw = NAME_ENCODER.encode(name);
    const payload = new Uint8Array(raw.length + 1);
    payload.set(raw);
    const msg: ControlMessage = { id: port.nr, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, name };
    this.enqueue(msg, encodeConsoleControl(msg, payload));
  }

  /** The driver posted c_ivq buffers (QEMU's control_in does nothing; here queued messages go). */
  flush(): void {
    const q = this.host.controlIn;
    let pushed = false;
    while (this.fifo.length > 0) {
      const chain = q.pop();
      if (!chain) break;
      const item = this.fifo.shift()!;
      const written = writeChain(this.host.mem, chain, item.bytes);
      q.push(chain, written);
      pushed = true;
      if (written < item.bytes.length) {
        this.counters.truncated++;
        this.host.warn(`virtio-serial: control buffer of ${written} bytes too small for ${describeControl(item.msg)} (${item.bytes.length} bytes)`);
      }
      this.counters.sent++;
      this.host.trace(`ctrl tx ${describeControl(item.msg)}`);
      this.host.sent(item.msg);
    }
    if (this.fifo.length === 0) this.overflowing = false;
    if (pushed) this.host.notify(q);
  }

  /** Forgets queued messages: the driver that would have read them reset. */
  reset(): void {
    if (this.fifo.length > 0) {
      this.counters.discardedOnReset += this.fifo.length;
      this.host.trace(`ctrl: ${this.fifo.length} queued message(s) discarded (guest reset)`);
    }
    this.fifo = [];
    this.overflowing = false;
  }

  /** The driver kicked c_ovq (QEMU's control_out): handle each message, return each buffer empty. */
  handleOut(q: SplitQueue): void {
    let pushed = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const header = new ChainReader(this.host.mem, chain.readable).read(VIRTIO_CONSOLE_CONTROL_SIZE);
      const msg = decodeConsoleControl(header);
      if (msg) {
        this.counters.received++;
        this.host.trace(`ctrl rx ${describeControl(msg)}`);
        this.host.received(msg);
        this.handle(msg);
      } else {
        // QEMU: "The guest sent an invalid control packet" - ignored without a report.
        this.counters.ignored++;
        this.host.trace(`ctrl rx ignored: ${header.length}-byte buffer is shorter than a control header`);
      }
      q.push(chain, 0);
      pushed = true;
    }
    if (pushed) this.host.notify(q);
  }

  private handle(msg: ControlMessage): void {
    const bus = this.host.busName;
    if (msg.event === VIRTIO_CONSOLE_DEVICE_READY) {
      if (msg.value === 0) {
        this.host.warn(VSER_WARN.deviceFailed(bus));
        return;
      }
      for (const port of this.host.ports()) this.send(port.nr, VIRTIO_CONSOLE_PORT_ADD, 1);
      return;
    }
    const port = this.host.findPort(msg.id);
    if (!port) {
      this.host.warn(VSER_WARN.unexpectedPort(msg.id, bus));
      return;
    }
    switch (msg.event) {
      case VIRTIO_CONSOLE_PORT_READY:
        if (msg.value === 0) {
          this.host.warn(VSER_WARN.portFailed(port.nr, bus));
          return;
        }
        if (port.isConsole) this.send(port.nr, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
        if (port.name !== undefined) this.sendName(port);
        if (port.hostConnected) this.send(port.nr, VIRTIO_CONSOLE_PORT_OPEN, 1);
        port.markGuestReady();
        return;
      case VIRTIO_CONSOLE_PORT_OPEN:
        port.setGuestConnected(msg.value !== 0);
        return;
      default:
        // Device→driver events (and unknown numbers) coming from the driver mean nothing (QEMU).
        this.host.trace(`ctrl rx ${describeControl(msg)} ignored`);
    }
  }

  private enqueue(msg: ControlMessage, bytes: Uint8Array): void {
    if (!this.host.driverListening()) {
      this.counters.notListening++;
      this.host.trace(`ctrl not sent (no driver listening): ${describeControl(msg)}`);
      return;
    }
    if (this.fifo.length >= CONTROL_QUEUE_MAX) {
      this.counters.dropped++;
      this.host.trace(`ctrl dropped (${CONTROL_QUEUE_MAX} already waiting): ${describeControl(msg)}`);
      if (!this.overflowing) {
        this.overflowing = true;
        this.host.warn(`virtio-serial: driver posts no control buffers; ${CONTROL_QUEUE_MAX} messages waiting, dropping newer ones`);
      }
      return;
    }
    this.fifo.push({ msg, bytes });
    this.flush();
    if (this.fifo.length > 0 && this.fifo[this.fifo.length - 1]!.msg === msg) {
      this.host.trace(`ctrl queued (c_ivq has no buffer, ${this.fifo.length} waiting): ${describeControl(msg)}`);
    }
  }
}
