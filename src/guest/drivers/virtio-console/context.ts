/**
 * What the parts of one virtio-console device share: the virtio-pci driver underneath, guest
 * memory and the kernel, and the ring operations every part uses. Ring operations go through
 * here so each buffer offered, kick decided and used entry collected becomes one trace line
 * and one typed event, the same way whichever part of the driver did it.
 */
import type { Kernel } from '../../kernel/index.js';
import type { GuestPhysMemory } from '../../platform/phys-mem.js';
import type { PhysAllocator } from '../../platform/resources.js';
import type { UsedBuffer } from '../../virtio/vring.js';
import type { VirtioPciDriver } from '../virtio-pci/index.js';
import type { DmaBuffer } from './dma.js';
import type { VirtioConsoleEmitter } from './events.js';

/** Callbacks the device object installs for its parts. */
export interface ConsoleHooks {
  /** Queues a control message to the device (no-op without MULTIPORT). */
  sendControl(id: number, event: number, value: number): void;
  /** A ring returned something impossible: the device must be reset. */
  ringBroken(queue: number, reason: string): void;
}

/** Shared state and ring helpers of one device. */
export class ConsoleContext {
  /** Set by the device before any part runs. */
  hooks: ConsoleHooks = {
    sendControl: () => undefined,
    ringBroken: () => undefined,
  };

  /** Everything a part needs, for device `devIndex`. */
  constructor(
    /** The transport driver (tokens are DMA buffers). */
    readonly drv: VirtioPciDriver<DmaBuffer>,
    /** Guest-physical memory. */
    readonly mem: GuestPhysMemory,
    /** The kernel's DMA allocator. */
    readonly alloc: PhysAllocator,
    /** The kernel (device nodes, clock, trace). */
    readonly kernel: Kernel,
    /** Typed events of the device. */
    readonly events: VirtioConsoleEmitter,
    /** Linux's virtio device index: the `0` of vport0p1. */
    readonly devIndex: number,
  ) {}

  /** Trace source of device-wide lines. */
  get source(): string {
    return `guest virtio${this.devIndex}`;
  }

  /** A 'virtio' trace line. */
  trace(source: string, line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'virtio', source, line);
  }

  /** A kernel log line (dev_info/dev_warn style), in the 'guest' category. */
  log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', `virtio_console virtio${this.devIndex}: ${line}`);
  }

  /**
   * Offers `buf` (first `len` bytes) on `queue`; returns the head, or null when the ring is
   * full. `quiet` skips the trace line for callers that trace a better one themselves.
   */
  add(source: string, queue: number, buf: DmaBuffer, len: number, dir: 'in' | 'out', quiet = false): number | null {
    const head = this.drv.queue(queue).addBuffer([{ addr: buf.addr, len, dir }], buf);
    if (head === null) return null;
    if (!quiet) this.trace(source, `vq${queue}: avail head ${head} 0x${buf.addr.toString(16)}+${len} ${dir === 'in' ? 'W' : 'R'}`);
    this.events.emit('buffer-added', { queue, head, addr: buf.addr, len, dir });
    return head;
  }

  /** Notifies the device about `queue` if its suppression state asks for it (traced before the device reacts). */
  kick(source: string, queue: number): void {
    const notified = this.drv.queue(queue).kickNeeded();
    this.trace(source, notified ? `vq${queue}: kick` : `vq${queue}: no kick (device suppressed notifications)`);
    this.events.emit('kick', { queue, notified });
    if (notified) this.drv.notify(queue);
  }

  /** The next used buffer of `queue`, or null; a bogus entry reports the ring broken. */
  used(source: string, queue: number): UsedBuffer<DmaBuffer> | null {
    const ring = this.drv.queue(queue);
    const u = ring.getUsed();
    if (!u) {
      if (ring.broken) this.hooks.ringBroken(queue, ring.broken);
      return null;
    }
    this.trace(source, `vq${queue}: used head ${u.head} len ${u.len}`);
    this.events.emit('buffer-used', { queue, head: u.head, len: u.len });
    return u;
  }
}

/** Receive queue of port `id` (VIRTIO 1.2 §5.3.2: port 0 owns 0/1, control 2/3, port n 2n+2/2n+3). */
export function portRxQueue(id: number): number {
  return id === 0 ? 0 : 2 * id + 2;
}

/** Transmit queue of port `id`. */
export function portTxQueue(id: number): number {
  return portRxQueue(id) + 1;
}

/** Control receiveq. */
export const CONTROL_RX_QUEUE = 2;
/** Control transmitq. */
export const CONTROL_TX_QUEUE = 3;
