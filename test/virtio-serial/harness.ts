/**
 * A driver's-eye rig for virtio-serial: the device with a recording transport, a scheduler and
 * trace, and helpers that do what a Linux-like driver does through rings in guest memory
 * (negotiate, post receive buffers, send control messages, write to a port, read used
 * entries). Nothing here calls device internals.
 */
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  featureBit,
  splitRingLayout,
  vringAvailSize,
  vringDescTableSize,
  vringUsedSize,
} from '../../src/abi/virtio.js';
import {
  VIRTIO_CONSOLE_BAD_ID,
  VIRTIO_CONSOLE_CONTROL_SIZE,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  decodeConsoleControl,
  encodeConsoleControl,
} from '../../src/abi/virtio-console.js';
import { Scheduler } from '../../src/core/scheduler.js';
import { Trace } from '../../src/core/trace.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { GuestBumpAllocator, MockSplitQueue, createTestMemory, type UsedElem } from '../../src/testkit/index.js';
import type { VirtioTransport } from '../../devices/virtio/virtio-device.js';
import { VirtioSerial, virtioTraceSink, type VirtioSerialOptions } from '../../devices/virtio-serial/device.js';
import type { ControlMessage, PortStateChange, VserportChange } from '../../devices/virtio-serial/events.js';

/** A transport that records interrupts. */
export class RecordingTransport implements VirtioTransport {
  /** "queue N" / "config", in order. */
  readonly events: string[] = [];

  /** Records a used-buffer interrupt. */
  notifyQueue(index: number): void {
    this.events.push(`queue ${index}`);
  }

  /** Records a config interrupt. */
  notifyConfig(): void {
    this.events.push('config');
  }

  /** Takes and clears the record. */
  take(): string[] {
    return this.events.splice(0);
  }
}

/** What a used element carried back: the head, the used length and the bytes written. */
export interface Received {
  /** Head index. */
  id: number;
  /** Used length. */
  len: number;
  /** The first `len` bytes of the buffer. */
  bytes: Uint8Array;
}

/** Size Linux gives its receive buffers (PAGE_SIZE). */
export const RX_BUF = 4096;

/** Receive queue index of port `nr`. */
export function rxq(nr: number): number {
  return nr === 0 ? 0 : 2 * nr + 2;
}

/** Transmit queue index of port `nr`. */
export function txq(nr: number): number {
  return rxq(nr) + 1;
}

/** The control receiveq (device → driver). */
export const C_IVQ = 2;
/** The control transmitq (driver → device). */
export const C_OVQ = 3;

/** Lets microtasks (chardev pipe deliveries, resume flushes) and one macrotask turn run. */
export async function settle(rounds = 2): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Bytes 0..n-1 mod 251 (a prime, so chunk boundaries never line up with the pattern). */
export function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
  return b;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const UTF8 = new TextDecoder();
const V1 = featureBit(VIRTIO_F_VERSION_1);

/** A virtio-serial device and a driver that talks to it through guest memory only. */
export class SerialRig {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** The device. */
  readonly dev: VirtioSerial;
  /** Interrupts. */
  readonly transport = new RecordingTransport();
  /** The clock (trace timestamps). */
  readonly sched = new Scheduler();
  /** The trace. */
  readonly trace = new Trace();
  /** 'virtio' trace messages. */
  readonly lines: string[] = [];
  /** 'warning' events. */
  readonly warnings: string[] = [];
  /** 'vserport-change' events. */
  readonly vserport: VserportChange[] = [];
  /** 'port-state' events as "nr:state". */
  readonly states: string[] = [];
  /** 'control-sent' events. */
  readonly sent: ControlMessage[] = [];
  private readonly drv = new Map<number, MockSplitQueue>();
  private readonly posted = new Map<number, Map<number, number>>();
  private readonly ringAlloc = new GuestBumpAllocator(0x10000, 0x800000);
  private readonly dataAlloc = new GuestBumpAllocator(0x800000, 0x3ff0000);

  /** Creates the device (not yet negotiated). */
  constructor(opts: Partial<VirtioSerialOptions> = {}) {
    this.mem = opts.mem ?? createTestMemory();
    this.trace.subscribe(['virtio'], (rec) => this.lines.push(rec.message));
    this.dev = new VirtioSerial({ ...opts, mem: this.mem, trace: virtioTraceSink(this.trace, this.sched, 'vser0') });
    this.dev.attachTransport(this.transport);
    this.dev.events.on('warning', (m) => this.warnings.push(m));
    this.dev.events.on('vserport-change', (c) => this.vserport.push(c));
    this.dev.events.on('port-state', (c: PortStateChange) => this.states.push(`${c.id}:${c.state}`));
    this.dev.events.on('control-sent', (m) => this.sent.push(m));
  }

  /**
   * The driver's init sequence (1.2 §3.1.1): features (default: everything offered plus
   * VERSION_1), then rings for `queues` queues (default: all of them with MULTIPORT, else 2),
   * then DRIVER_OK.
   */
  negotiate(opts: { features?: bigint; queues?: number } = {}): void {
    const d = this.dev;
    d.offerFeatures(V1);
    d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    d.setGuestFeatures(opts.features ?? d.hostFeatures);
    d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    const n = opts.queues ?? (d.hasGuestFeature(VIRTIO_CONSOLE_F_MULTIPORT) ? d.queues.length : 2);
    this.drv.clear();
    this.posted.clear();
    for (let i = 0; i < n; i++) this.queue(i);
    d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
  }

  /** Linux-style multiport bring-up: negotiate, fill c_ivq, DEVICE_READY(1). */
  bringUp(opts: { features?: bigint; controlBuffers?: number } = {}): void {
    this.negotiate(opts);
    this.postIn(C_IVQ, opts.controlBuffers ?? 32, RX_BUF);
    this.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
  }

  /** Answers PORT_ADD for `nr` as Linux does: fill its receiveq, send PORT_READY(1). */
  readyPort(nr: number, rxBuffers = 8): void {
    this.postIn(rxq(nr), rxBuffers, RX_BUF);
    this.control(nr, VIRTIO_CONSOLE_PORT_READY, 1);
  }

  /** A guest process opens (true) or closes (false) port `nr`. */
  openPort(nr: number, open = true): void {
    this.control(nr, VIRTIO_CONSOLE_PORT_OPEN, open ? 1 : 0);
  }

  /** Driver side of queue `i`, giving the device its rings on first use. */
  queue(i: number): MockSplitQueue {
    let q = this.drv.get(i);
    if (q) return q;
    const size = this.dev.queues[i]!.size;
    const bytes = vringDescTableSize(size) + vringAvailSize(size) + vringUsedSize(size) + 16;
    q = new MockSplitQueue(this.mem, { size, layout: splitRingLayout(this.ringAlloc.alloc(bytes, 16), size), alloc: this.dataAlloc });
    const l = q.layout;
    this.dev.queues[i]!.setRings(l.desc, l.avail, l.used);
    this.dev.queues[i]!.enabled = true;
    this.drv.set(i, q);
    this.posted.set(i, new Map());
    return q;
  }

  /** Kicks queue `i`. */
  kick(i: number): void {
    this.dev.handleKick(i);
  }

  /** Posts `count` device-writable buffers of `size` bytes on queue `i` and kicks it. */
  postIn(i: number, count: number, size: number, kick = true): void {
    const q = this.queue(i);
    const map = this.posted.get(i)!;
    for (let n = 0; n < count; n++) {
      const c = q.addChain([{ len: size, write: true }]);
      map.set(c.head, c.segments[0]!.addr);
    }
    if (kick) this.kick(i);
  }

  /** Used entries of a receive queue, with the bytes the device wrote. */
  takeIn(i: number): Received[] {
    const q = this.queue(i);
    const map = this.posted.get(i)!;
    return q.takeUsed().map((u: UsedElem) => {
      const addr = map.get(u.id);
      if (addr === undefined) throw new Error(`queue ${i}: used id ${u.id} was never posted`);
      map.delete(u.id);
      return { id: u.id, len: u.len, bytes: this.mem.readBytes(addr, u.len) };
    });
  }

  /** All bytes that arrived on port `nr`'s receiveq since the last call, in order. */
  received(nr: number): Uint8Array {
    return concat(this.takeIn(rxq(nr)).map((r) => r.bytes));
  }

  /** Control messages the device has sent since the last call (PORT_NAME with its name). */
  controlIn(): ControlMessage[] {
    return this.takeIn(C_IVQ).map((r) => {
      const m = decodeConsoleControl(r.bytes);
      if (!m) throw new Error(`short control message of ${r.len} bytes`);
      const out: ControlMessage = { ...m };
      if (m.event === VIRTIO_CONSOLE_PORT_NAME) {
        const tail = r.bytes.subarray(VIRTIO_CONSOLE_CONTROL_SIZE);
        if (tail[tail.length - 1] !== 0) throw new Error('PORT_NAME without its NUL');
        out.name = UTF8.decode(tail.subarray(0, tail.length - 1));
      }
      return out;
    });
  }

  /** Sends one 8-byte control message on c_ovq; returns the used entries it produced. */
  control(id: number, event: number, value: number): UsedElem[] {
    const q = this.queue(C_OVQ);
    q.addChain([{ len: VIRTIO_CONSOLE_CONTROL_SIZE, data: encodeConsoleControl({ id, event, value }) }]);
    this.kick(C_OVQ);
    return q.takeUsed();
  }

  /** Sends raw bytes on c_ovq (malformed messages). */
  controlRaw(bytes: Uint8Array): UsedElem[] {
    const q = this.queue(C_OVQ);
    q.addChain([{ len: bytes.length, data: bytes }]);
    this.kick(C_OVQ);
    return q.takeUsed();
  }

  /** A guest process writes `data` to port `nr` as one out-buffer and the driver kicks. */
  write(nr: number, data: Uint8Array, kick = true): void {
    this.queue(txq(nr)).addChain([{ len: data.length, data }]);
    if (kick) this.kick(txq(nr));
  }

  /** Used entries of port `nr`'s transmitq. */
  txUsed(nr: number): UsedElem[] {
    return this.queue(txq(nr)).takeUsed();
  }
}
