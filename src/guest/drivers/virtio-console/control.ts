/**
 * The two control queues as the guest drives them (VIRTIO 1.2 §5.3.6.2): c_ivq kept full of
 * page-sized receive buffers, each handed back as soon as its message is decoded; c_ovq
 * carrying one 8-byte buffer per message. Linux spins until the device returns each control
 * buffer; a simulated CPU cannot spin while the device waits for its turn, so buffers are
 * collected when the used interrupt comes, and messages that find the ring full wait in order
 * in a backlog.
 */
import {
  VIRTIO_CONSOLE_CONTROL_SIZE,
  VIRTIO_CONSOLE_PORT_NAME,
  decodeConsoleControl,
  encodeConsoleControl,
} from '../../../abi/virtio-console.js';
import { CONTROL_RX_QUEUE, CONTROL_TX_QUEUE, type ConsoleContext } from './context.js';
import { DmaPool } from './dma.js';
import { formatControl, type ConsoleControlEvent } from './events.js';

/** Size of every receive buffer (Linux's PAGE_SIZE). */
export const CONTROL_RX_BUFFER_SIZE = 4096;

/** A received control message with whatever followed the header. */
export interface ReceivedControl extends ConsoleControlEvent {
  /** Bytes after the 8-byte header (PORT_NAME's name, RESIZE's rows/cols). */
  payload: Uint8Array;
}

/** Counters of the control queues. */
export interface ControlStats {
  /** Messages put on c_ovq. */
  sent: number;
  /** Messages decoded from c_ivq. */
  received: number;
  /** c_ivq buffers shorter than a header (ignored, as Linux does). */
  short: number;
  /** Messages waiting for room on c_ovq right now. */
  backlog: number;
}

const decoder = new TextDecoder();

/** c_ivq and c_ovq of one device. */
export class ControlQueues {
  private rxPool: DmaPool | undefined;
  private txPool: DmaPool | undefined;
  private backlog: ConsoleControlEvent[] = [];
  private readonly counters = { sent: 0, received: 0, short: 0 };

  /** Controls the queues of `ctx`; `deliver` gets each decoded message. */
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly deliver: (msg: ReceivedControl) => void,
  ) {}

  /** A snapshot of the counters. */
  stats(): ControlStats {
    return { ...this.counters, backlog: this.backlog.length };
  }

  /** After (re-)initialisation: fill c_ivq until the ring is full and kick. */
  start(): void {
    const ctx = this.ctx;
    const ring = ctx.drv.queue(CONTROL_RX_QUEUE);
    const rx = (this.rxPool ??= new DmaPool(ctx.alloc, CONTROL_RX_BUFFER_SIZE, ring.size));
    this.txPool ??= new DmaPool(ctx.alloc, VIRTIO_CONSOLE_CONTROL_SIZE, ctx.drv.queue(CONTROL_TX_QUEUE).size);
    let n = 0;
    while (ring.numFree > 0) {
      const b = rx.take();
      if (!b) break;
      if (ctx.add(ctx.source, CONTROL_RX_QUEUE, b, b.size, 'in', true) === null) {
        rx.give(b);
        break;
      }
      n++;
    }
    ctx.trace(ctx.source, `vq${CONTROL_RX_QUEUE}: ${n} control receive buffers of ${CONTROL_RX_BUFFER_SIZE} bytes made available`);
    ctx.kick(ctx.source, CONTROL_RX_QUEUE);
  }

  /** Sends one message (in order behind any backlog). */
  send(id: number, event: number, value: number): void {
    const msg = { id, event, value };
    if (this.backlog.length > 0 || !this.put(msg)) {
      this.backlog.push(msg);
      this.ctx.trace(this.ctx.source, `ctrl tx waiting for room (${this.backlog.length} queued): ${formatControl(msg)}`);
    }
  }

  /** Control work (after a c_ivq interrupt): decode every used buffer and hand it back, then act on the messages. */
  receive(): void {
    const ctx = this.ctx;
    const src = ctx.source;
    const got: ReceivedControl[] = [];
    let reposted = false;
    for (let u = ctx.used(src, CONTROL_RX_QUEUE); u; u = ctx.used(src, CONTROL_RX_QUEUE)) {
      const len = Math.min(u.len, u.token.size);
      const bytes = ctx.mem.readBytes(u.token.addr, len);
      const hdr = decodeConsoleControl(bytes);
      if (hdr) {
        const plain: ConsoleControlEvent = { ...hdr };
        const payload = bytes.slice(VIRTIO_CONSOLE_CONTROL_SIZE);
        if (hdr.event === VIRTIO_CONSOLE_PORT_NAME) plain.name = cString(payload);
        this.counters.received++;
        ctx.trace(src, `vq${CONTROL_RX_QUEUE}: ctrl rx ${formatControl(plain)}`);
        ctx.events.emit('control-received', plain);
        got.push({ ...plain, payload });
      } else {
        this.counters.short++;
        ctx.trace(src, `vq${CONTROL_RX_QUEUE}: ctrl rx ignored: ${len}-byte buffer is shorter than a control header`);
      }
      // The message is copied out, so the page goes straight back (Linux re-adds it at once too).
      if (ctx.add(src, CONTROL_RX_QUEUE, u.token, u.token.size, 'in') !== null) reposted = true;
    }
    if (reposted) ctx.kick(src, CONTROL_RX_QUEUE);
    for (const msg of got) this.deliver(msg);
  }

  /** c_ovq interrupt: take back used message buffers and send what was waiting. */
  reclaim(): void {
    this.collect();
    while (this.backlog.length > 0 && this.put(this.backlog[0]!)) this.backlog.shift();
  }

  /** Before a device reset: every buffer still in the rings is ours again; waiting messages are stale. */
  detach(): void {
    const ctx = this.ctx;
    if (this.rxPool) for (const b of ctx.drv.queue(CONTROL_RX_QUEUE).detachUnused()) this.rxPool.give(b);
    if (this.txPool) for (const b of ctx.drv.queue(CONTROL_TX_QUEUE).detachUnused()) this.txPool.give(b);
    if (this.backlog.length > 0) ctx.trace(ctx.source, `ctrl: ${this.backlog.length} waiting message(s) dropped (reset)`);
    this.backlog = [];
  }

  private put(msg: ConsoleControlEvent): boolean {
    const ctx = this.ctx;
    const pool = this.txPool;
    if (!pool) return false;
    // The interrupt that returns used buffers may not have run yet: look at the ring first.
    if (pool.available === 0) this.collect();
    const buf = pool.take();
    if (!buf) return false;
    ctx.mem.writeBytes(buf.addr, encodeConsoleControl(msg));
    buf.len = VIRTIO_CONSOLE_CONTROL_SIZE;
    const head = ctx.add(ctx.source, CONTROL_TX_QUEUE, buf, VIRTIO_CONSOLE_CONTROL_SIZE, 'out', true);
    if (head === null) {
      pool.give(buf);
      return false;
    }
    this.counters.sent++;
    ctx.trace(ctx.source, `vq${CONTROL_TX_QUEUE}: ctrl tx ${formatControl(msg)} (head ${head}, 0x${buf.addr.toString(16)}+${VIRTIO_CONSOLE_CONTROL_SIZE} R)`);
    ctx.events.emit('control-sent', msg);
    ctx.kick(ctx.source, CONTROL_TX_QUEUE);
    return true;
  }

  private collect(): void {
    const pool = this.txPool;
    if (!pool) return;
    for (let u = this.ctx.used(this.ctx.source, CONTROL_TX_QUEUE); u; u = this.ctx.used(this.ctx.source, CONTROL_TX_QUEUE)) pool.give(u.token);
  }
}

/** Bytes up to the first NUL, as UTF-8 (Linux strncpy's the name into a NUL-terminated string). */
function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}
