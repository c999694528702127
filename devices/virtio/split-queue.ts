/**
 * The device side of one split virtqueue (VIRTIO 1.2 §2.7) over guest memory.
 *
 * Behaviour follows QEMU's hw/virtio/virtio.c: the same checks in the same order with the same
 * messages, indirect tables followed one level deep, event-index bookkeeping (signalled_used
 * and its validity), and "broken device" semantics. Every failure goes to the owning
 * QueueHost as a VirtqueueError; nothing here throws on guest input.
 */
import {
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTQUEUE_MAX_SIZE,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_AVAIL_FLAGS,
  VRING_AVAIL_IDX,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_USED_F_NO_NOTIFY,
  VRING_USED_FLAGS,
  VRING_USED_IDX,
  hasFeature,
  legacyRingLayout,
  vringAvailEventOffset,
  vringAvailRingOffset,
  vringNeedEvent,
  vringUsedElemOffset,
  vringUsedEventOffset,
} from '../../src/abi/virtio.js';
import { GuestAccessError } from '../../src/memory/errors.js';
import { segmentsLength, type BufferSegment, type DescriptorChain, type WalkedDescriptor } from './chain.js';
import type { QueueHost } from './queue-host.js';
import { VQ_ERR, type VirtqueueError } from './virtqueue-error.js';

/** Bytes of device-writable (in) and device-readable (out) buffers currently offered. */
export interface AvailBytes {
  /** Device-writable bytes. */
  inBytes: number;
  /** Device-readable bytes. */
  outBytes: number;
}

/** One split virtqueue as the device sees it. */
export class SplitQueue {
  /** Current size (entries); the driver may change it before enabling (modern transport). */
  size: number;
  /** Descriptor table address (0 = not set). */
  descAddr = 0;
  /** Available ring address. */
  availAddr = 0;
  /** Used ring address. */
  usedAddr = 0;
  /** The modern transport's queue_enable flag (kept here so reset clears it). */
  enabled = false;
  /** MSI-X vector for this queue (the transport interprets it). */
  vector = VIRTIO_MSI_NO_VECTOR;
  /** Next avail ring position the device will read (free-running 16-bit). */
  lastAvailIdx = 0;
  /** The device's used idx (free-running 16-bit). */
  usedIdx = 0;
  /** Chains popped and not yet flushed back. */
  inUse = 0;
  /** used idx at the last interrupt decision (EVENT_IDX). */
  signalledUsed = 0;
  /** False until the first decision and after a used idx wrap past signalledUsed. */
  signalledUsedValid = false;
  /** Whether the device wants kicks (drives NO_NOTIFY / avail_event). */
  notification = true;
  private pending = 0;
  private mappedSize = 0;

  /** Queue `index` of `host`, with default (and reset) size `maxSize`. */
  constructor(
    private readonly host: QueueHost,
    readonly index: number,
    readonly maxSize: number,
  ) {
    if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > VIRTQUEUE_MAX_SIZE) {
      throw new RangeError(`virtqueue size ${maxSize} must be 1..${VIRTQUEUE_MAX_SIZE}`);
    }
    this.size = maxSize;
  }

  /** QEMU's virtio_queue_ready: the driver has given the rings (and they mapped). */
  get ready(): boolean {
    return this.availAddr !== 0 && this.mappedSize > 0;
  }

  /** Sets the size as QEMU does: ignores > 1024, negatives, and switching between 0 and non-0. */
  setSize(n: number): boolean {
    if (!Number.isInteger(n) || n < 0 || n > VIRTQUEUE_MAX_SIZE || (n === 0) !== (this.size === 0)) return false;
    this.size = n;
    return true;
  }

  /** Sets ring addresses and checks they are RAM (QEMU's region cache init); false on failure. */
  setRings(desc: number, avail: number, used: number): boolean {
    this.descAddr = desc;
    this.availAddr = avail;
    this.usedAddr = used;
    this.mappedSize = 0;
    if (desc === 0) return true;
    const n = this.size;
    const event = this.eventIdx ? 2 : 0;
    const mem = this.host.mem;
    if (!mem.isRam(desc, n * VRING_DESC_SIZE)) return this.failed(VQ_ERR.mapDesc(this.index));
    if (!mem.isRam(used, vringUsedElemOffset(n) + event)) return this.failed(VQ_ERR.mapUsed(this.index));
    if (!mem.isRam(avail, vringAvailRingOffset(n) + event)) return this.failed(VQ_ERR.mapAvail(this.index));
    this.mappedSize = n;
    return true;
  }

  /** Legacy PFN-style setup: one contiguous area at `addr` (0 clears the rings). */
  setLegacyAddress(addr: number, align?: number): boolean {
    if (addr === 0) return this.setRings(0, 0, 0);
    const l = legacyRingLayout(addr, this.size, align);
    return this.setRings(l.desc, l.avail, l.used);
  }

  /** Back to power-on state: no rings, indices 0, default size, no vector. */
  reset(): void {
    this.size = this.maxSize;
    this.descAddr = this.availAddr = this.usedAddr = 0;
    this.enabled = false;
    this.vector = VIRTIO_MSI_NO_VECTOR;
    this.lastAvailIdx = this.usedIdx = this.inUse = 0;
    this.signalledUsed = 0;
    this.signalledUsedValid = false;
    this.notification = true;
    this.pending = 0;
    this.mappedSize = 0;
  }

  /** The driver's avail idx as it is in memory now. */
  availIdx(): number {
    return this.host.mem.read(this.availAddr + VRING_AVAIL_IDX, 2);
  }

  /** True when there is nothing to pop (always true while broken or not ready). */
  isEmpty(): boolean {
    if (this.host.broken || !this.ready) return true;
    return this.availIdx() === this.lastAvailIdx;
  }

  /** Takes the next chain off the available ring; null when empty, broken, or invalid. */
  pop(): DescriptorChain | null {
    if (this.host.broken || !this.ready) return null;
    try {
      return this.popChecked();
    } catch (e) {
      // Rings were RAM when set; only a queue resized after enable can get here.
      if (e instanceof GuestAccessError) return this.failedNull(VQ_ERR.descRingMap(this.index));
      throw e;
    }
  }

  /** Gives the most recent `n` popped chains back so the next pops return them again. */
  rewind(n: number): boolean {
    if (n > this.inUse) return false;
    this.inUse -= n;
    this.lastAvailIdx = (this.lastAvailIdx - n) & 0xffff;
    return true;
  }

  /** Writes a used element for `chain` after any earlier unflushed ones; visible after flush(). */
  fill(chain: DescriptorChain, len: number): void {
    const slotOffset = this.pending++;
    if (this.host.broken || !this.ready) return;
    const slot = (this.usedIdx + slotOffset) % this.size;
    if (slot >= this.mappedSize) return;
    const at = this.usedAddr + vringUsedElemOffset(slot);
    this.host.mem.write(at, 4, chain.head);
    this.host.mem.write(at + 4, 4, len >>> 0);
    this.trace(() => `used[${slot}] = {id ${chain.head}, len ${len >>> 0}}`);
  }

  /** Publishes filled elements by moving used idx. */
  flush(): void {
    const count = this.pending;
    if (count === 0) return;
    this.pending = 0;
    if (this.host.broken) {
      this.inUse -= count;
      return;
    }
    if (!this.ready) return;
    const old = this.usedIdx;
    const next = (old + count) & 0xffff;
    this.host.mem.write(this.usedAddr + VRING_USED_IDX, 2, next);
    this.usedIdx = next;
    this.inUse -= count;
    // The driver cannot have seen signalledUsed any more once used idx lapped it.
    if (toInt16(next - this.signalledUsed) < ((next - old) & 0xffff)) this.signalledUsedValid = false;
    this.trace(() => `used idx ${old} -> ${next}`);
  }

  /** fill + flush for one chain: `len` is the number of bytes written into its writable part. */
  push(chain: DescriptorChain, len: number): void {
    this.fill(chain, len);
    this.flush();
  }

  /**
   * Whether to interrupt the driver now (QEMU's virtio_split_should_notify). Stateful with
   * EVENT_IDX: it records the used idx it decided at.
   */
  shouldNotify(): boolean {
    if (!this.ready) return false;
    if (hasFeature(this.host.guestFeatures, VIRTIO_F_NOTIFY_ON_EMPTY) && this.inUse === 0 && this.isEmpty()) return true;
    if (!this.eventIdx) return (this.availFlags() & VRING_AVAIL_F_NO_INTERRUPT) === 0;
    const valid = this.signalledUsedValid;
    this.signalledUsedValid = true;
    const old = this.signalledUsed;
    const now = (this.signalledUsed = this.usedIdx);
    return !valid || vringNeedEvent(this.usedEvent(), now, old);
  }

  /** Asks the driver to kick (true) or not (false): NO_NOTIFY flag, or avail_event with EVENT_IDX. */
  setNotification(enable: boolean): void {
    this.notification = enable;
    if (!this.ready) return;
    const mem = this.host.mem;
    if (this.eventIdx) {
      mem.write(this.usedAddr + vringAvailEventOffset(this.size), 2, this.availIdx());
    } else {
      const flags = mem.read(this.usedAddr + VRING_USED_FLAGS, 2);
      mem.write(this.usedAddr + VRING_USED_FLAGS, 2, enable ? flags & ~VRING_USED_F_NO_NOTIFY : flags | VRING_USED_F_NO_NOTIFY);
    }
  }

  /**
   * Sums the buffers on offer without popping, stopping once both limits are reached
   * (QEMU's virtqueue_get_avail_bytes). Invalid rings report an error and count as 0.
   */
  availBytes(maxIn = Infinity, maxOut = Infinity): AvailBytes {
    const zero = { inBytes: 0, outBytes: 0 };
    if (this.host.broken || !this.ready) return zero;
    try {
      return this.availBytesChecked(maxIn, maxOut) ?? zero;
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.failed(VQ_ERR.descRingMap(this.index));
      return zero;
    }
  }

  private get eventIdx(): boolean {
    return hasFeature(this.host.guestFeatures, VIRTIO_RING_F_EVENT_IDX);
  }

  private availFlags(): number {
    return this.host.mem.read(this.availAddr + VRING_AVAIL_FLAGS, 2);
  }

  private usedEvent(): number {
    return this.host.mem.read(this.availAddr + vringUsedEventOffset(this.size), 2);
  }

  private availRing(slot: number): number {
    return this.host.mem.read(this.availAddr + vringAvailRingOffset(slot), 2);
  }

  private readDesc(table: number, index: number, inIndirect: boolean): WalkedDescriptor {
    const mem = this.host.mem;
    const at = table + index * VRING_DESC_SIZE;
    return {
      index,
      inIndirect,
      addr: Number(mem.readU64(at)),
      len: mem.read(at + 8, 4),
      flags: mem.read(at + 12, 2),
      next: mem.read(at + 14, 2),
    };
  }

  private popChecked(): DescriptorChain | null {
    const q = this.index;
    const avail = this.availIdx();
    const heads = (avail - this.lastAvailIdx) & 0xffff;
    if (heads === 0) return null;
    if (heads > this.size) return this.failedNull(VQ_ERR.availIdxJump(q, this.lastAvailIdx, avail));
    if (this.inUse >= this.size) return this.failedNull(VQ_ERR.sizeExceeded(q));
    const slot = this.lastAvailIdx;
    const head = this.availRing(slot % this.size);
    this.lastAvailIdx = (slot + 1) & 0xffff;
    if (head >= this.size) return this.failedNull(VQ_ERR.headOutOfRange(q, head));
    if (this.eventIdx && this.notification) {
      this.host.mem.write(this.usedAddr + vringAvailEventOffset(this.size), 2, this.lastAvailIdx);
    }
    if (this.mappedSize < this.size) return this.failedNull(VQ_ERR.descRingMap(q));

    const mem = this.host.mem;
    const descriptors: WalkedDescriptor[] = [];
    const readable: BufferSegment[] = [];
    const writable: BufferSegment[] = [];
    let table = this.descAddr;
    let max = this.size;
    let indirect: BufferSegment | null = null;
    let d = this.readDesc(table, head, false);
    if (d.flags & VRING_DESC_F_INDIRECT) {
      // Only the head may point at a table; NEXT and WRITE on it are not looked at (QEMU).
      descriptors.push(d);
      if (d.len === 0 || d.len % VRING_DESC_SIZE !== 0) return this.failedNull(VQ_ERR.indirectSize(q));
      if (!mem.isRam(d.addr, d.len)) return this.failedNull(VQ_ERR.indirectMap(q));
      indirect = { addr: d.addr, len: d.len };
      table = d.addr;
      max = d.len / VRING_DESC_SIZE;
      d = this.readDesc(table, 0, true);
    }
    let entries = 0;
    for (;;) {
      descriptors.push(d);
      const isWrite = (d.flags & VRING_DESC_F_WRITE) !== 0;
      if (!isWrite && writable.length > 0) return this.failedNull(VQ_ERR.order(q));
      if (d.len === 0) return this.failedNull(VQ_ERR.zeroSize(q));
      if (readable.length + writable.length >= VIRTQUEUE_MAX_SIZE) return this.failedNull(VQ_ERR.tooManySg(q));
      if (!mem.isRam(d.addr, d.len)) return this.failedNull(VQ_ERR.bogusDescriptor(q));
      (isWrite ? writable : readable).push({ addr: d.addr, len: d.len });
      if (++entries > max) return this.failedNull(VQ_ERR.looped(q));
      if (!(d.flags & VRING_DESC_F_NEXT)) break;
      if (d.next >= max) return this.failedNull(VQ_ERR.nextOutOfRange(q, d.next));
      d = this.readDesc(table, d.next, indirect !== null);
    }
    this.inUse++;
    const chain: DescriptorChain = { queue: q, head, readable, writable, descriptors, indirect };
    this.trace(() => `pop avail[${slot % this.size}] head ${head}: ${descriptors.map(describeDesc).join(', ')} (out ${segmentsLength(readable)} in ${segmentsLength(writable)})`);
    return chain;
  }

  private availBytesChecked(maxIn: number, maxOut: number): AvailBytes | null {
    const q = this.index;
    const mem = this.host.mem;
    if (this.mappedSize < this.size) return this.failedNull(VQ_ERR.descRingMap(q));
    let idx = this.lastAvailIdx;
    let totalBufs = 0;
    let inBytes = 0;
    let outBytes = 0;
    for (;;) {
      const avail = this.availIdx();
      const heads = (avail - idx) & 0xffff;
      if (heads > this.size) return this.failedNull(VQ_ERR.availIdxJump(q, idx, avail));
      if (heads === 0) break;
      const head = this.availRing(idx % this.size);
      idx = (idx + 1) & 0xffff;
      if (head >= this.size) return this.failedNull(VQ_ERR.headOutOfRange(q, head));
      let table = this.descAddr;
      let max = this.size;
      let bufs = totalBufs;
      let indirect = false;
      let d = this.readDesc(table, head, false);
      if (d.flags & VRING_DESC_F_INDIRECT) {
        if (d.len === 0 || d.len % VRING_DESC_SIZE !== 0) return this.failedNull(VQ_ERR.indirectSize(q));
        if (bufs >= max) return this.failedNull(VQ_ERR.looped(q));
        if (!mem.isRam(d.addr, d.len)) return this.failedNull(VQ_ERR.indirectMap(q));
        indirect = true;
        table = d.addr;
        max = d.len / VRING_DESC_SIZE;
        bufs = 0;
        d = this.readDesc(table, 0, true);
      }
      for (;;) {
        if (++bufs > max) return this.failedNull(VQ_ERR.looped(q));
        if (d.flags & VRING_DESC_F_WRITE) inBytes += d.len;
        else outBytes += d.len;
        if (inBytes >= maxIn && outBytes >= maxOut) return { inBytes, outBytes };
        if (!(d.flags & VRING_DESC_F_NEXT)) break;
        if (d.next >= max) return this.failedNull(VQ_ERR.nextOutOfRange(q, d.next));
        d = this.readDesc(table, d.next, indirect);
      }
      totalBufs = indirect ? totalBufs + 1 : bufs;
    }
    return { inBytes, outBytes };
  }

  private failed(err: VirtqueueError): false {
    this.host.queueError(err);
    return false;
  }

  private failedNull(err: VirtqueueError): null {
    this.failed(err);
    return null;
  }

  private trace(line: () => string): void {
    const sink = this.host.traceQueue;
    if (sink) sink(this.index, line());
  }
}

function toInt16(x: number): number {
  return ((x & 0xffff) << 16) >> 16;
}

/** One descriptor in trace form: d3 0x1000+512 R|N (i = from an indirect table). */
function describeDesc(d: WalkedDescriptor): string {
  const f: string[] = [];
  if (d.flags & VRING_DESC_F_INDIRECT && !d.inIndirect) f.push('IND');
  else f.push(d.flags & VRING_DESC_F_WRITE ? 'W' : 'R');
  if (d.flags & VRING_DESC_F_NEXT) f.push(`N${d.next}`);
  return `${d.inIndirect ? 'i' : 'd'}${d.index} 0x${d.addr.toString(16)}+${d.len} ${f.join('|')}`;
}
