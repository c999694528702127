/**
 * The bytes of one port: host→guest through the port's receiveq, guest→host through its
 * transmitq (QEMU's write_to_port, do_flush_queued_data, discard_vq_data and the console's
 * flush_buf). Unlike QEMU, host bytes the guest cannot take yet wait here (bounded, with the
 * chardev paused at the bound) instead of being left to the chardev's can_read polling, so
 * nothing the host sent is lost while the guest is slow. Every byte that does get thrown away
 * is counted.
 */
import { ChainWriter, segmentsLength } from '../virtio/chain.js';
import type { DescriptorChain } from '../virtio/chain.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { Chardev } from '../../src/chardev/chardev.js';
import type { PortStateKind } from './events.js';

/**
 * Host bytes a port holds for a guest that is not taking them. 1 MiB matches the chardev's own
 * write high-water mark: far above any agent request, small enough that a guest which never
 * reads cannot make the simulator grow. At the bound the chardev is paused, so the rest waits
 * in the chardev (and, for sockets, in the kernel) rather than being dropped.
 */
export const HOST_TO_GUEST_BUFFER_MAX = 1024 * 1024;

/** Buffered bytes at or below which a paused chardev is resumed (half the bound, so a slow
 * guest does not toggle pause/resume for every buffer it posts). */
export const HOST_TO_GUEST_RESUME_AT = HOST_TO_GUEST_BUFFER_MAX / 2;

/** Largest piece of guest memory copied per chardev write, so a hostile multi-megabyte
 * descriptor never turns into one equally large host allocation. */
export const GUEST_TO_HOST_CHUNK = 64 * 1024;

/** Traffic and loss counters of one port; every discarded byte lands in exactly one of them. */
export interface VirtioSerialPortStats {
  /** Host bytes written into guest receive buffers. */
  hostToGuestBytes: number;
  /** Host bytes waiting for the guest right now. */
  hostToGuestBuffered: number;
  /** Host bytes thrown away: the host disconnected (or the port was removed) before the guest took them. */
  hostToGuestDiscarded: number;
  /** Guest bytes the chardev accepted. */
  guestToHostBytes: number;
  /** Guest bytes thrown away because the host side was not connected (QEMU's discard_vq_data), or
   * abandoned in flight by a guest reset or port removal. */
  guestToHostDiscarded: number;
  /** Console bytes a connected chardev refused: QEMU never throttles consoles, it drops. */
  guestToHostDropped: number;
  /** Times guest→host output stalled on host backpressure (a chain was held). */
  throttles: number;
  /** Times the chardev was paused because the host→guest buffer reached its bound. */
  pauses: number;
}

/** What the data path needs from its port and device. */
export interface DataPathContext {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** The port's chardev, if any. */
  readonly chardev: Chardev | null;
  /** Consoles drop on backpressure instead of throttling (QEMU's flush_buf). */
  readonly isConsole: boolean;
  /** QEMU's host_connected. */
  hostConnected(): boolean;
  /** Whether host bytes may go into the receiveq now: both sides open and the driver up. */
  canDeliver(): boolean;
  /** Interrupt the driver after used buffers were pushed. */
  notify(queue: SplitQueue): void;
  /** Report a state change (event + trace). */
  state(kind: PortStateKind): void;
  /** A readable trace line for this port. */
  trace(line: string): void;
}

/** A transmitq chain that was only partly written when the host pushed back. */
interface HeldChain {
  chain: DescriptorChain;
  /** Readable segment being written. */
  seg: number;
  /** Bytes of that segment already accepted. */
  off: number;
}

/** Both directions of one port's data. */
export class PortDataPath {
  /** Host→guest queue (set when the port is plugged). */
  rxq: SplitQueue | null = null;
  /** Guest→host queue. */
  txq: SplitQueue | null = null;
  /** QEMU's port->throttled: guest output waits for the chardev's 'drain'. */
  throttled = false;
  private pending: Uint8Array[] = [];
  private pendingOff = 0;
  private pendingBytes = 0;
  private pausedSource = false;
  private held: HeldChain | null = null;
  private readonly counters: VirtioSerialPortStats = {
    hostToGuestBytes: 0,
    hostToGuestBuffered: 0,
    hostToGuestDiscarded: 0,
    guestToHostBytes: 0,
    guestToHostDiscarded: 0,
    guestToHostDropped: 0,
    throttles: 0,
    pauses: 0,
  };

  /** Binds to a port through `ctx`. */
  constructor(private readonly ctx: DataPathContext) {}

  /** A snapshot of the counters. */
  stats(): VirtioSerialPortStats {
    return { ...this.counters, hostToGuestBuffered: this.pendingBytes };
  }

  /** Whether this data path paused the chardev. */
  get sourcePaused(): boolean {
    return this.pausedSource;
  }

  // --- host → guest ---------------------------------------------------------------------

  /** Bytes from the chardev: delivered now if the guest can take them, otherwise kept. */
  hostData(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.deliver();
    if (this.pendingBytes >= HOST_TO_GUEST_BUFFER_MAX) this.pauseSource();
  }

  /** Moves waiting host bytes into posted receive buffers, one used element per buffer. */
  deliver(): void {
    const q = this.rxq;
    if (this.pendingBytes === 0 || !q || !this.ctx.canDeliver()) return;
    let pushed = false;
    while (this.pendingBytes > 0) {
      const chain = q.pop();
      if (!chain) break;
      const w = new ChainWriter(this.ctx.mem, chain.writable);
      while (w.remaining > 0 && this.pendingBytes > 0) {
        const head = this.pending[0]!;
        const n = w.write(head.subarray(this.pendingOff));
        this.consumePending(n);
      }
      q.push(chain, w.written);
      this.counters.hostToGuestBytes += w.written;
      pushed = true;
    }
    if (pushed) this.ctx.notify(q);
    if (this.pausedSource && this.pendingBytes <= HOST_TO_GUEST_RESUME_AT) this.resumeSource();
  }

  /** Throws away host bytes the guest never took (host went away, port removed). */
  discardHostData(reason: string): void {
    if (this.pendingBytes > 0) {
      this.ctx.trace(`${this.pendingBytes} host bytes discarded (${reason})`);
      this.counters.hostToGuestDiscarded += this.pendingBytes;
    }
    this.pending = [];
    this.pendingOff = 0;
    this.pendingBytes = 0;
    if (this.pausedSource) this.resumeSource();
  }

  /** Pauses the chardev (nothing is dropped: the chardev keeps what it has). */
  pauseSource(): void {
    if (this.pausedSource || !this.ctx.chardev) return;
    this.pausedSource = true;
    this.counters.pauses++;
    this.ctx.chardev.pause();
    this.ctx.state('paused');
  }

  private resumeSource(): void {
    this.pausedSource = false;
    this.ctx.chardev?.resume();
    this.ctx.state('resumed');
  }

  private consumePending(n: number): void {
    this.pendingBytes -= n;
    this.pendingOff += n;
    while (this.pending.length > 0 && this.pendingOff >= this.pending[0]!.length) {
      this.pendingOff -= this.pending[0]!.length;
      this.pending.shift();
    }
  }

  // --- guest → host ---------------------------------------------------------------------

  /** The driver kicked the transmitq (QEMU's handle_output). */
  guestKick(): void {
    if (!this.ctx.hostConnected()) {
      this.discardGuestData('host not connected');
      return;
    }
    if (!this.throttled) this.flushGuestData();
  }

  /** The chardev has room again: release the throttle and carry on (QEMU's watch + bottom half). */
  drained(): void {
    if (!this.throttled) return;
    this.throttled = false;
    this.ctx.state('unthrottled');
    this.flushGuestData();
  }

  /** Writes emergency bytes straight to the chardev, bypassing queues and throttling. */
  emergencyWrite(bytes: Uint8Array): void {
    this.haveData(bytes);
  }

  /** The host side disconnected: unthrottle and return everything the guest queued, unsent. */
  hostClosed(): void {
    this.throttled = false;
    this.releaseHeld('host disconnected');
    this.discardGuestData('host disconnected');
    this.discardHostData('host disconnected');
  }

  /**
   * The driver reset or dropped DRIVER_OK. Like QEMU the half-written chain is forgotten, not
   * returned (the rings are being torn down); the throttle stays until the chardev drains.
   */
  guestReset(): void {
    if (!this.held) return;
    const left = heldRemaining(this.held);
    this.counters.guestToHostDiscarded += left;
    this.ctx.trace(`${left} guest bytes of a held chain discarded (guest reset)`);
    this.held = null;
    // QEMU's virtqueue_detach_element gives the in-flight slot back without a used entry; the
    // core has no detach call, and a following device reset zeroes the count anyway.
    if (this.txq && this.txq.inUse > 0) this.txq.inUse--;
  }

  /** The port is being unplugged: return held and queued guest output, drop host bytes. */
  unplug(): void {
    this.releaseHeld('port removed');
    this.discardGuestData('port removed');
    this.discardHostData('port removed');
  }

  private flushGuestData(): void {
    const q = this.txq;
    if (!q || !q.ready) return;
    let pushed = false;
    while (!this.throttled) {
      if (!this.held) {
        const chain = q.pop();
        if (!chain) break;
        this.held = { chain, seg: 0, off: 0 };
      }
      const h = this.held;
      if (!this.writeHeld(h)) break;
      q.push(h.chain, 0);
      this.held = null;
      pushed = true;
    }
    if (pushed) this.ctx.notify(q);
  }

  /** Writes the rest of a chain; false when the chardev pushed back and the chain must wait. */
  private writeHeld(h: HeldChain): boolean {
    const segs = h.chain.readable;
    for (; h.seg < segs.length; h.seg++, h.off = 0) {
      const s = segs[h.seg]!;
      while (h.off < s.len) {
        const n = Math.min(s.len - h.off, GUEST_TO_HOST_CHUNK);
        const took = this.haveData(this.ctx.mem.readBytes(s.addr + h.off, n));
        if (this.throttled) {
          h.off += took;
          return false;
        }
        h.off += n;
      }
    }
    return true;
  }

  /** One write to the chardev (QEMU's flush_buf): throttles a serial port, drops for a console. */
  private haveData(bytes: Uint8Array): number {
    const chr = this.ctx.chardev;
    if (!chr) {
      this.counters.guestToHostDiscarded += bytes.length;
      return bytes.length;
    }
    const took = chr.write(bytes);
    this.counters.guestToHostBytes += took;
    if (took < bytes.length) {
      const lost = bytes.length - took;
      if (this.ctx.isConsole) {
        if (chr.connected) this.counters.guestToHostDropped += lost;
        else this.counters.guestToHostDiscarded += lost;
        this.ctx.trace(`console: ${lost} guest bytes dropped (${chr.connected ? 'host backpressure' : 'host not connected'})`);
      } else {
        this.throttled = true;
        this.counters.throttles++;
        this.ctx.state('throttled');
      }
    }
    return took;
  }

  /** Returns the held chain to the guest with used length 0 (QEMU detaches it instead). */
  private releaseHeld(reason: string): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    const left = heldRemaining(h);
    this.counters.guestToHostDiscarded += left;
    this.ctx.trace(`${left} guest bytes of a held chain discarded (${reason})`);
    const q = this.txq;
    if (q?.ready) {
      q.push(h.chain, 0);
      this.ctx.notify(q);
    }
  }

  /** QEMU's discard_vq_data: every queued chain back with used length 0, counted. */
  private discardGuestData(reason: string): void {
    const q = this.txq;
    if (!q || !q.ready) return;
    let bytes = 0;
    let chains = 0;
    for (let c = q.pop(); c; c = q.pop()) {
      bytes += segmentsLength(c.readable);
      chains++;
      q.push(c, 0);
    }
    if (chains === 0) return;
    this.counters.guestToHostDiscarded += bytes;
    this.ctx.trace(`${bytes} guest bytes in ${chains} buffer(s) discarded (${reason})`);
    this.ctx.notify(q);
  }
}

/** Bytes of a held chain not yet accepted by the chardev. */
function heldRemaining(h: HeldChain): number {
  const segs = h.chain.readable;
  let n = -h.off;
  for (let i = h.seg; i < segs.length; i++) n += segs[i]!.len;
  return Math.max(0, n);
}
