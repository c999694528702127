/**
 * One port as the guest kernel exposes it: the character device /dev/vport<d>p<id> with the
 * semantics of Linux's virtio_console port_fops (§5.6 of the reference facts): one opener at a
 * time, EOF and POLLHUP while the host side is closed, writes that wait for the host, data for
 * an unopened port thrown away. Interrupt-side methods only move buffers and wake the queue;
 * everything a process waits for is decided in the file operations.
 */
import { VIRTIO_CONSOLE_PORT_OPEN } from '../../../abi/virtio-console.js';
import { Errno, FasyncList, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitQueue, WouldBlock, type DeviceOps, type OpenFile, type PollTable } from '../../kernel/index.js';
import type { ConsoleContext } from './context.js';
import type { DmaBuffer } from './dma.js';
import type { ConsoleDiscardEvent, ConsolePortState } from './events.js';
import { PORT_TX_BUFFER_SIZE, type PortQueueStats, type PortQueues, type PortSink } from './port-queues.js';

/** Traffic counters of one port (ring counters included). */
export interface ConsolePortStats extends PortQueueStats {
  /** Bytes the device delivered to this port while someone had it open (or to a console). */
  bytesIn: number;
  /** Bytes read() returned. */
  bytesRead: number;
  /** Bytes write() queued for the device. */
  bytesOut: number;
  /** Received bytes thrown away: port not open, unread at close, port removed. */
  discarded: number;
  /** Bytes lost in rings torn down by a device reset. */
  lostInReset: number;
  /** write() calls that had to wait: host not connected or transmitq full. */
  writesBlocked: number;
  /** Successful opens. */
  opens: number;
  /** PORT_OPEN(1) from the host. */
  hostOpens: number;
  /** PORT_OPEN(0) from the host. */
  hostCloses: number;
  /** Bytes waiting to be read now. */
  buffered: number;
}

type Counters = Omit<ConsolePortStats, keyof PortQueueStats | 'buffered'>;

/** A virtio-console port. */
export class ConsolePort implements PortSink {
  /** Device node name, `vport0p1`. */
  readonly node: string;
  /** Woken on data, host open/close, room to write and removal. */
  readonly wq: WaitQueue;
  /** The port's name from PORT_NAME. */
  name: string | undefined;
  /** CONSOLE_PORT said so: it belongs to hvc and cannot be opened as a port. */
  isConsole = false;
  /** The host side has the port open (PORT_OPEN from the device). */
  hostConnected = false;
  /** A process (or hvc, for consoles) has the port open. */
  guestConnected = false;
  /** PORT_REMOVE came: open files get ENODEV. */
  removed = false;
  /** The device was reset since the port was last announced. */
  afterReset = false;
  /** The file operations behind the device node. */
  readonly ops: DeviceOps;
  /**
   * Openers that asked for SIGIO (O_ASYNC): signalled on data, on host open/close and on
   * removal, as Linux's send_sigio_to_port does. A process that must wait for the host
   * to come back has nothing else to wait on: read() is EOF and poll() POLLHUP meanwhile.
   */
  private readonly async = new FasyncList();
  private readonly inbufs: DmaBuffer[] = [];
  private inHead = 0;
  private inOffset = 0;
  private inBytes = 0;
  private readonly counters: Counters = {
    bytesIn: 0,
    bytesRead: 0,
    bytesOut: 0,
    discarded: 0,
    lostInReset: 0,
    writesBlocked: 0,
    opens: 0,
    hostOpens: 0,
    hostCloses: 0,
  };

  /** Port `id` using `queues`. */
  constructor(
    private readonly ctx: ConsoleContext,
    readonly queues: PortQueues,
    readonly id: number,
  ) {
    this.node = `vport${ctx.devIndex}p${id}`;
    this.wq = new WaitQueue(this.node);
    this.ops = {
      stream: true,
      open: (file) => this.open(file),
      read: (file, count) => this.read(file, count),
      write: (file, data) => this.write(file, data),
      poll: (file, pt) => this.poll(file, pt),
      fasync: (file, on) => this.async.helper(file, on),
      release: (file) => this.release(file),
    };
  }

  /** `/dev/vport0p1`. */
  get path(): string {
    return `/dev/${this.node}`;
  }

  /** Trace source of this port's lines. */
  get source(): string {
    return `guest ${this.node}`;
  }

  /** Counters. */
  stats(): ConsolePortStats {
    return { ...this.counters, ...this.queues.stats(), buffered: this.inBytes };
  }

  // --- interrupt side --------------------------------------------------------------------

  /** PortSink: keeps data for an opener; anything else goes back to the device. */
  received(buf: DmaBuffer): boolean {
    if (buf.len === 0 || this.removed) return false;
    if (this.isConsole) {
      // hvc consumes console input; this kernel has no tty layer to give it to.
      this.counters.bytesIn += buf.len;
      this.ctx.trace(this.source, `console input: ${buf.len} bytes to hvc`);
      return false;
    }
    if (!this.guestConnected) {
      this.discard(buf.len, 'not-open');
      return false;
    }
    this.inbufs.push(buf);
    this.inBytes += buf.len;
    this.counters.bytesIn += buf.len;
    return true;
  }

  /** PortSink: wake readers once per interrupt. */
  receivedBatch(): void {
    if (this.inBytes === 0) return;
    this.sigio();
    this.wq.wakeAll();
  }

  /** PortSink: room to write again. */
  transmitted(): void {
    this.wq.wakeAll();
  }

  /** PORT_OPEN from the host. */
  setHostConnected(open: boolean): void {
    if (open) this.counters.hostOpens++;
    else this.counters.hostCloses++;
    const was = this.hostConnected;
    this.hostConnected = open;
    if (was !== open) this.state(open ? 'host-open' : 'host-close');
    this.wq.wakeAll();
    this.sigio();
  }

  /** PORT_REMOVE: unread data goes back to the rings, sleepers wake to ENODEV. */
  unplug(): void {
    this.removed = true;
    this.hostConnected = false;
    this.dropUnread('removed');
    this.state('removed');
    this.wq.wakeAll();
    this.sigio();
  }

  /**
   * A device reset tore down the rings. Data already received stays readable (its buffers are
   * ours); the host state is unknown until the device repeats PORT_OPEN after PORT_READY.
   * Sleepers are not woken: a spurious EOF would tell a reader the host left when it did not.
   */
  resetRings(lostBytes: number): void {
    this.counters.lostInReset += lostBytes;
    this.hostConnected = false;
    this.afterReset = true;
  }

  /** Reports a state change (trace line and event). */
  state(state: ConsolePortState, detail = ''): void {
    this.ctx.trace(this.source, `port ${this.id}: ${state}${detail}`);
    this.ctx.events.emit('port-state', { id: this.id, node: this.node, state });
  }

  // --- file operations -------------------------------------------------------------------

  private open(file: OpenFile): void {
    if (this.isConsole || this.removed) throw new Errno('ENXIO');
    if (this.guestConnected) throw new Errno('EBUSY');
    this.guestConnected = true;
    file.driverData = this;
    this.counters.opens++;
    this.queues.reclaim();
    this.state('open', ` (pid ${file.opener.pid})`);
    this.ctx.hooks.sendControl(this.id, VIRTIO_CONSOLE_PORT_OPEN, 1);
  }

  private release(file: OpenFile): void {
    if (file.driverData !== this || this.removed) return;
    this.guestConnected = false;
    this.state('close');
    this.ctx.hooks.sendControl(this.id, VIRTIO_CONSOLE_PORT_OPEN, 0);
    this.dropUnread('released');
    this.queues.reclaim();
    this.wq.wakeAll();
  }

  private read(_file: OpenFile, count: number): Uint8Array {
    if (this.removed) throw new Errno('ENODEV');
    if (this.inBytes === 0) {
      if (!this.hostConnected) return new Uint8Array(0);
      throw new WouldBlock(this.wq);
    }
    // Linux returns at most one receive buffer per read(); crossing buffers gives the same
    // bytes in fewer calls, which the simulator's bulk paths are grateful for.
    const n = Math.min(count, this.inBytes);
    const out = new Uint8Array(n);
    const done: DmaBuffer[] = [];
    let off = 0;
    while (off < n) {
      const b = this.inbufs[this.inHead]!;
      const k = Math.min(b.len - this.inOffset, n - off);
      out.set(this.ctx.mem.readBytes(b.addr + this.inOffset, k), off);
      off += k;
      this.inOffset += k;
      if (this.inOffset === b.len) {
        done.push(b);
        this.inHead++;
        this.inOffset = 0;
      }
    }
    this.inBytes -= n;
    this.compactInbufs();
    this.counters.bytesRead += n;
    // A buffer goes back to the device only once fully consumed.
    if (done.length > 0) this.queues.repost(done);
    return out;
  }

  private write(_file: OpenFile, data: Uint8Array): number {
    if (this.removed) throw new Errno('ENODEV');
    if (data.length === 0) return 0;
    if (!this.hostConnected || !this.queues.canTransmit()) {
      this.counters.writesBlocked++;
      throw new WouldBlock(this.wq);
    }
    const n = Math.min(data.length, PORT_TX_BUFFER_SIZE);
    if (!this.queues.transmit(data.subarray(0, n))) {
      this.counters.writesBlocked++;
      throw new WouldBlock(this.wq);
    }
    this.counters.bytesOut += n;
    return n;
  }

  private poll(_file: OpenFile, pt: PollTable): number {
    pt.wait(this.wq);
    if (this.removed) return POLLHUP;
    let mask = 0;
    // As Linux: a read that would return EOF does not block, so it counts as readable.
    if (this.inBytes > 0 || !this.hostConnected) mask |= POLLIN | POLLRDNORM;
    if (this.hostConnected && this.queues.canTransmit()) mask |= POLLOUT | POLLWRNORM;
    if (!this.hostConnected) mask |= POLLHUP;
    return mask;
  }

  /** send_sigio_to_port: only while a process has the port open. */
  private sigio(): void {
    if (this.guestConnected && this.async.active) this.async.kill();
  }

  private dropUnread(reason: ConsoleDiscardEvent['reason']): void {
    if (this.inBytes > 0) this.discard(this.inBytes, reason);
    const bufs = this.inbufs.slice(this.inHead);
    this.inbufs.length = 0;
    this.inHead = 0;
    this.inOffset = 0;
    this.inBytes = 0;
    if (bufs.length > 0) this.queues.repost(bufs);
  }

  private discard(bytes: number, reason: ConsoleDiscardEvent['reason']): void {
    this.counters.discarded += bytes;
    this.ctx.trace(this.source, `${bytes} received bytes discarded (${reason})`);
    this.ctx.events.emit('discard', { id: this.id, bytes, reason });
  }

  private compactInbufs(): void {
    if (this.inHead === this.inbufs.length) {
      this.inbufs.length = 0;
      this.inHead = 0;
    } else if (this.inHead > 64) {
      this.inbufs.splice(0, this.inHead);
      this.inHead = 0;
    }
  }
}
