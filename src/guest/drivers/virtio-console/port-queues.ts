/**
 * The ring side of one port id: its receiveq kept full of page-sized buffers and its
 * transmitq fed from a pool of 32 KiB buffers. This outlives the port objects that use it:
 * a port that is removed and added again (hot-unplug, device reset) finds its buffers still
 * posted, because a split ring has no way to take back what it has offered.
 */
import type { ConsoleContext } from './context.js';
import { portRxQueue, portTxQueue } from './context.js';
import { DmaPool, type DmaBuffer } from './dma.js';

/** Receive buffer size (Linux's PAGE_SIZE buffers from fill_queue). */
export const PORT_RX_BUFFER_SIZE = 4096;
/** Largest write put into one transmit buffer (Linux caps a write at 32 KiB). */
export const PORT_TX_BUFFER_SIZE = 32 * 1024;

/** What the queues hand received buffers to: the live port of this id. */
export interface PortSink {
  /** A filled receive buffer; true when the port keeps it (and posts it again once read). */
  received(buf: DmaBuffer): boolean;
  /** A batch of received buffers ended (wake readers). */
  receivedBatch(): void;
  /** Transmit buffers came back (wake writers). */
  transmitted(): void;
}

/** Ring counters of one port id. */
export interface PortQueueStats {
  /** Receive buffers posted to the device now. */
  rxPosted: number;
  /** Receive buffers ever allocated (bounded by the ring size). */
  rxAllocated: number;
  /** Transmit buffers the device has not returned yet. */
  txInFlight: number;
  /** Transmit buffers ever allocated (bounded by the ring size). */
  txAllocated: number;
}

/** The two rings of one port id. */
export class PortQueues {
  /** The receiveq index. */
  readonly rxQueue: number;
  /** The transmitq index. */
  readonly txQueue: number;
  /** The port taking received data, if one is live. */
  sink: PortSink | undefined;
  private rxPool: DmaPool | undefined;
  private txPool: DmaPool | undefined;
  private rxPosted = 0;
  private txInFlight = 0;

  /** Rings of port `id` on the device of `ctx`; `source` names trace lines. */
  constructor(
    private readonly ctx: ConsoleContext,
    readonly id: number,
    readonly source: string,
  ) {
    this.rxQueue = portRxQueue(id);
    this.txQueue = portTxQueue(id);
  }

  /** Snapshot of the counters. */
  stats(): PortQueueStats {
    return { rxPosted: this.rxPosted, rxAllocated: this.rxPool?.total ?? 0, txInFlight: this.txInFlight, txAllocated: this.txPool?.total ?? 0 };
  }

  /** Posts receive buffers until the ring is full (Linux's fill_queue), then kicks. */
  fill(): void {
    const ring = this.ctx.drv.queue(this.rxQueue);
    const pool = (this.rxPool ??= new DmaPool(this.ctx.alloc, PORT_RX_BUFFER_SIZE, ring.size));
    let n = 0;
    while (ring.numFree > 0) {
      const b = pool.take();
      if (!b) break;
      if (this.ctx.add(this.source, this.rxQueue, b, b.size, 'in', true) === null) {
        pool.give(b);
        break;
      }
      n++;
    }
    this.rxPosted += n;
    if (n === 0) return;
    this.ctx.trace(this.source, `vq${this.rxQueue}: ${n} receive buffers of ${PORT_RX_BUFFER_SIZE} bytes made available (${this.rxPosted} posted)`);
    this.ctx.kick(this.source, this.rxQueue);
  }

  /** Gives consumed receive buffers back to the device and kicks once. */
  repost(bufs: readonly DmaBuffer[]): void {
    let any = false;
    for (const b of bufs) {
      if (this.ctx.add(this.source, this.rxQueue, b, b.size, 'in') === null) {
        // Cannot happen while buffers never outnumber descriptors; keep the buffer anyway.
        this.rxPool?.give(b);
        continue;
      }
      this.rxPosted++;
      any = true;
    }
    if (any) this.ctx.kick(this.source, this.rxQueue);
  }

  /** Receive interrupt: every filled buffer goes to the port, or straight back if nobody keeps it. */
  collectReceived(): void {
    const back: DmaBuffer[] = [];
    for (let u = this.ctx.used(this.source, this.rxQueue); u; u = this.ctx.used(this.source, this.rxQueue)) {
      this.rxPosted--;
      u.token.len = Math.min(u.len, u.token.size);
      if (!this.sink?.received(u.token)) back.push(u.token);
    }
    if (back.length > 0) this.repost(back);
    this.sink?.receivedBatch();
  }

  /** Room for one more transmit buffer (after collecting what the device returned). */
  canTransmit(): boolean {
    this.reclaim();
    return this.ctx.drv.queue(this.txQueue).numFree > 0;
  }

  /** Copies `data` into a pooled buffer and offers it; false when the ring is full. */
  transmit(data: Uint8Array): boolean {
    if (!this.canTransmit()) return false;
    const ring = this.ctx.drv.queue(this.txQueue);
    const pool = (this.txPool ??= new DmaPool(this.ctx.alloc, PORT_TX_BUFFER_SIZE, ring.size));
    const buf = pool.take();
    if (!buf) return false;
    this.ctx.mem.writeBytes(buf.addr, data);
    buf.len = data.length;
    if (this.ctx.add(this.source, this.txQueue, buf, data.length, 'out') === null) {
      pool.give(buf);
      return false;
    }
    this.txInFlight++;
    this.ctx.kick(this.source, this.txQueue);
    return true;
  }

  /** Collects transmit buffers the device has returned; returns how many. */
  reclaim(): number {
    let n = 0;
    for (let u = this.ctx.used(this.source, this.txQueue); u; u = this.ctx.used(this.source, this.txQueue)) {
      this.txPool?.give(u.token);
      this.txInFlight--;
      n++;
    }
    return n;
  }

  /** Transmit interrupt: collect and tell the port. */
  collectTransmitted(): void {
    if (this.reclaim() > 0) this.sink?.transmitted();
  }

  /**
   * Before a device reset: whatever the old rings still hold is ours again. Returns the bytes
   * of transmit buffers the device never consumed (lost with the reset).
   */
  detach(): number {
    let lost = 0;
    for (const b of this.ctx.drv.queue(this.rxQueue).detachUnused()) this.rxPool?.give(b);
    for (const b of this.ctx.drv.queue(this.txQueue).detachUnused()) {
      lost += b.len;
      this.txPool?.give(b);
    }
    this.rxPosted = 0;
    this.txInFlight = 0;
    return lost;
  }
}
