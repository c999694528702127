/**
 * The guest driver's half of a split virtqueue (VIRTIO 1.2 §2.7.13-2.7.14): it owns the
 * descriptor table and available ring, reads the used ring, and decides when to kick.
 *
 * It touches nothing but guest memory, the way a real driver can only reach the device
 * through shared RAM and registers; the kick itself is the caller's register write.
 */
import {
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
  vringAvailEventOffset,
  vringAvailRingOffset,
  vringAvailSize,
  vringDescTableSize,
  vringNeedEvent,
  vringUsedElemOffset,
  vringUsedEventOffset,
  vringUsedSize,
  type SplitRingLayout,
} from '../../abi/virtio.js';
import type { GuestPhysMemory } from '../platform/phys-mem.js';

/** One buffer element: `out` is device-readable (driver → device), `in` device-writable. */
export interface VringSegment {
  /** Guest-physical address. */
  addr: number;
  /** Length in bytes. */
  len: number;
  /** Direction as the driver sees it. */
  dir: 'out' | 'in';
}

/** A buffer the device has returned. */
export interface UsedBuffer<T> {
  /** The token given to addBuffer. */
  token: T;
  /** Bytes the device says it wrote. */
  len: number;
  /** Head descriptor index the device returned. */
  head: number;
}

/** Negotiated ring features the driver side honours. */
export interface VringOptions {
  /** VIRTIO_RING_F_EVENT_IDX was negotiated. */
  eventIdx: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC was negotiated (addBuffer may then use a table). */
  indirect?: boolean;
}

/** Driver-side split ring; T is whatever the driver wants back with each used buffer. */
export class Vring<T> {
  /** Set when the device returned something impossible; the ring is then unusable until init(). */
  broken: string | null = null;
  private freeHead = 0;
  private nextFree: number[] = [];
  private free = 0;
  private tokens: (T | undefined)[] = [];
  private chains: (number[] | undefined)[] = [];
  private availIdx = 0;
  private lastUsedIdx = 0;
  private added = 0;
  private callbacks = true;

  /** A ring at `layout` in `mem`; call init() before use. */
  constructor(
    private readonly mem: Pick<GuestPhysMemory, 'read' | 'write' | 'writeU64' | 'fillBytes'>,
    readonly layout: SplitRingLayout,
    private readonly opts: VringOptions,
  ) {}

  /** Queue size. */
  get size(): number {
    return this.layout.size;
  }

  /** Free descriptors left. */
  get numFree(): number {
    return this.free;
  }

  /** Zeroes the rings and frees every descriptor (after device reset or before first use). */
  init(): void {
    const { size, desc, avail, used } = this.layout;
    this.mem.fillBytes(desc, vringDescTableSize(size), 0);
    this.mem.fillBytes(avail, vringAvailSize(size), 0);
    this.mem.fillBytes(used, vringUsedSize(size), 0);
    this.nextFree = Array.from({ length: size }, (_, i) => i + 1);
    this.freeHead = 0;
    this.free = size;
    this.tokens = new Array<T | undefined>(size).fill(undefined);
    this.chains = new Array<number[] | undefined>(size).fill(undefined);
    this.availIdx = this.lastUsedIdx = this.added = 0;
    this.callbacks = true;
    this.broken = null;
  }

  /**
   * Exposes a buffer made of `segs` (all `out` before any `in`, as 1.2 §2.7.4.2 requires).
   * With `indirectTable` (and INDIRECT_DESC negotiated) the segments go into a table at that
   * address, which must hold 16·segs.length bytes. Returns the head index, or null when the
   * ring has too few free descriptors.
   */
  addBuffer(segs: readonly VringSegment[], token: T, indirectTable?: number): number | null {
    if (this.broken) return null;
    if (segs.length === 0) throw new RangeError('a buffer needs at least one segment');
    for (let i = 1; i < segs.length; i++) {
      if (segs[i]!.dir === 'out' && segs[i - 1]!.dir === 'in') throw new RangeError('device-readable segment after a device-writable one');
    }
    const useIndirect = indirectTable !== undefined && segs.length > 1;
    if (useIndirect && !this.opts.indirect) throw new RangeError('INDIRECT_DESC was not negotiated');
    const need = useIndirect ? 1 : segs.length;
    if (this.free < need) return null;
    const ids = this.takeFree(need);
    const head = ids[0]!;
    if (useIndirect) {
      segs.forEach((s, i) => this.writeDesc(indirectTable, i, s.addr, s.len, flagsFor(s, i < segs.length - 1), i + 1));
      this.writeDesc(this.layout.desc, head, indirectTable, segs.length * VRING_DESC_SIZE, VRING_DESC_F_INDIRECT, 0);
    } else {
      segs.forEach((s, i) => this.writeDesc(this.layout.desc, ids[i]!, s.addr, s.len, flagsFor(s, i < segs.length - 1), ids[i + 1] ?? 0));
    }
    this.tokens[head] = token;
    this.chains[head] = ids;
    const slot = this.availIdx % this.size;
    this.mem.write(this.layout.avail + vringAvailRingOffset(slot), 2, head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.mem.write(this.layout.avail + VRING_AVAIL_IDX, 2, this.availIdx);
    this.added++;
    return head;
  }

  /** Whether the device wants a kick for what was added since the last call (1.2 §2.7.10). */
  kickNeeded(): boolean {
    const now = this.availIdx;
    const old = (now - this.added) & 0xffff;
    this.added = 0;
    if (this.opts.eventIdx) {
      const event = this.mem.read(this.layout.used + vringAvailEventOffset(this.size), 2);
      return vringNeedEvent(event, now, old);
    }
    return (this.mem.read(this.layout.used + VRING_USED_FLAGS, 2) & VRING_USED_F_NO_NOTIFY) === 0;
  }

  /** True when the device has returned buffers not yet collected. */
  hasUsed(): boolean {
    return !this.broken && this.mem.read(this.layout.used + VRING_USED_IDX, 2) !== this.lastUsedIdx;
  }

  /** Collects the next returned buffer, or null. A bogus id marks the ring broken (Linux's BAD_RING). */
  getUsed(): UsedBuffer<T> | null {
    if (!this.hasUsed()) return null;
    const at = this.layout.used + vringUsedElemOffset(this.lastUsedIdx % this.size);
    const head = this.mem.read(at, 4);
    const len = this.mem.read(at + 4, 4);
    if (head >= this.size) return this.bad(`id ${head} out of range`);
    const ids = this.chains[head];
    if (!ids) return this.bad(`id ${head} is not a head!`);
    const token = this.tokens[head] as T;
    this.tokens[head] = undefined;
    this.chains[head] = undefined;
    for (let i = ids.length - 1; i >= 0; i--) {
      this.nextFree[ids[i]!] = this.freeHead;
      this.freeHead = ids[i]!;
    }
    this.free += ids.length;
    this.lastUsedIdx = (this.lastUsedIdx + 1) & 0xffff;
    // Keep asking for the next interrupt while callbacks are on (event-index mode).
    if (this.opts.eventIdx && this.callbacks) this.writeUsedEvent(this.lastUsedIdx);
    return { token, len, head };
  }

  /** Asks the device not to interrupt (NO_INTERRUPT, or a far-away used_event with EVENT_IDX). */
  disableCallbacks(): void {
    this.callbacks = false;
    if (this.opts.eventIdx) this.writeUsedEvent(this.lastUsedIdx + 0x8000);
    else this.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
  }

  /** Re-enables interrupts; false when buffers are already pending (so the caller polls again). */
  enableCallbacks(): boolean {
    this.callbacks = true;
    if (this.opts.eventIdx) this.writeUsedEvent(this.lastUsedIdx);
    else this.setAvailFlags(0);
    return !this.hasUsed();
  }

  /** Tokens of buffers the device never returned (for teardown after a reset). */
  detachUnused(): T[] {
    const out: T[] = [];
    for (let h = 0; h < this.size; h++) if (this.chains[h]) out.push(this.tokens[h] as T);
    return out;
  }

  private takeFree(n: number): number[] {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(this.freeHead);
      this.freeHead = this.nextFree[this.freeHead]!;
    }
    this.free -= n;
    return ids;
  }

  private writeDesc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    const at = table + i * VRING_DESC_SIZE;
    this.mem.writeU64(at, BigInt(addr));
    this.mem.write(at + 8, 4, len >>> 0);
    this.mem.write(at + 12, 2, flags);
    this.mem.write(at + 14, 2, flags & VRING_DESC_F_NEXT ? next : 0);
  }

  private writeUsedEvent(v: number): void {
    this.mem.write(this.layout.avail + vringUsedEventOffset(this.size), 2, v & 0xffff);
  }

  private setAvailFlags(v: number): void {
    this.mem.write(this.layout.avail + VRING_AVAIL_FLAGS, 2, v);
  }

  private bad(reason: string): null {
    this.broken = reason;
    return null;
  }
}

function flagsFor(s: VringSegment, more: boolean): number {
  return (s.dir === 'in' ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0);
}
