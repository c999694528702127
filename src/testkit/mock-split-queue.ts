/**
 * A driver-side split queue for device tests (in the spirit of rust-vmm's MockSplitQueue and
 * QEMU's libqos): it lays out rings in guest memory and writes descriptors, avail entries and
 * avail idx exactly as told, well-formed or hostile, then reads back what the device wrote.
 * It enforces nothing, so tests can build loops, bad indices and bad tables on purpose.
 */
import {
  VRING_AVAIL_FLAGS,
  VRING_AVAIL_IDX,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_USED_FLAGS,
  VRING_USED_IDX,
  splitRingLayout,
  vringAvailEventOffset,
  vringAvailRingOffset,
  vringAvailSize,
  vringDescTableSize,
  vringUsedElemOffset,
  vringUsedEventOffset,
  vringUsedSize,
  type SplitRingLayout,
} from '../abi/virtio.js';
import type { AddressSpace } from '../memory/address-space.js';
import { GuestBumpAllocator } from './guest-memory.js';

/** A descriptor exactly as stored in a table. */
export interface RawDescriptor {
  /** Buffer address (bigint to reach addresses beyond 2^53). */
  addr: number | bigint;
  /** Buffer length. */
  len: number;
  /** VRING_DESC_F_* bits. */
  flags: number;
  /** Next index (only meaningful with NEXT). */
  next: number;
}

/** One buffer of a well-formed chain. */
export interface SegmentSpec {
  /** Length in bytes. */
  len: number;
  /** Device-writable when true. */
  write?: boolean;
  /** Address; allocated when absent. */
  addr?: number;
  /** Initial contents (written at addr). */
  data?: Uint8Array;
}

/** What buildChain produced. */
export interface BuiltChain {
  /** Head descriptor index (what goes in the avail ring and comes back as used id). */
  head: number;
  /** Ring descriptor indices used, in chain order. */
  descriptors: number[];
  /** Buffers in chain order. */
  segments: { addr: number; len: number; write: boolean }[];
  /** Indirect table address, when the chain is indirect. */
  table?: number;
}

/** A used ring element. */
export interface UsedElem {
  /** Head index the device returned. */
  id: number;
  /** Bytes written, as the device reports. */
  len: number;
}

/** Where to put the queue and its buffers. */
export interface MockQueueOptions {
  /** Queue size. */
  size: number;
  /** Explicit ring layout (e.g. legacyRingLayout); otherwise packed at `base`. */
  layout?: SplitRingLayout;
  /** Base of a packed modern layout (default 0x10000). */
  base?: number;
  /** Allocator for data buffers and indirect tables (default: 0x200000, 16 MiB). */
  alloc?: GuestBumpAllocator;
}

/** Default placement of rings and buffers in test memory. */
export const MOCK_RING_BASE = 0x10000;
/** Start of the default data buffer area. */
export const MOCK_DATA_BASE = 0x200000;
/** Size of the default data buffer area. */
export const MOCK_DATA_SIZE = 16 * 1024 * 1024;

/** A driver-side queue that writes whatever the test asks for. */
export class MockSplitQueue {
  /** Ring placement. */
  readonly layout: SplitRingLayout;
  /** Allocator for buffers and tables. */
  readonly alloc: GuestBumpAllocator;
  private cursor = 0;
  private avail = 0;
  private usedSeen = 0;

  /** Guest memory the queue lives in. */
  readonly mem: AddressSpace;

  /** Lays out and zeroes the rings. */
  constructor(mem: AddressSpace, opts: MockQueueOptions) {
    this.mem = mem;
    this.layout = opts.layout ?? splitRingLayout(opts.base ?? MOCK_RING_BASE, opts.size);
    this.alloc = opts.alloc ?? new GuestBumpAllocator(MOCK_DATA_BASE, MOCK_DATA_BASE + MOCK_DATA_SIZE);
    const { size, desc, avail, used } = this.layout;
    mem.fillBytes(desc, vringDescTableSize(size), 0);
    mem.fillBytes(avail, vringAvailSize(size), 0);
    mem.fillBytes(used, vringUsedSize(size), 0);
  }

  /** Queue size. */
  get size(): number {
    return this.layout.size;
  }

  /** Writes descriptor `index` of the ring's table. */
  writeDesc(index: number, d: RawDescriptor): void {
    writeRaw(this.mem, this.layout.desc + index * VRING_DESC_SIZE, d);
  }

  /** Reads descriptor `index` of the ring's table. */
  readDesc(index: number): RawDescriptor {
    const at = this.layout.desc + index * VRING_DESC_SIZE;
    return { addr: this.mem.readU64(at), len: this.mem.read(at + 8, 4), flags: this.mem.read(at + 12, 2), next: this.mem.read(at + 14, 2) };
  }

  /** Writes an arbitrary descriptor table (for indirect tests) at `addr`. */
  writeTable(addr: number, descs: readonly RawDescriptor[]): void {
    descs.forEach((d, i) => writeRaw(this.mem, addr + i * VRING_DESC_SIZE, d));
  }

  /** Builds a well-formed chain at `indices` (default: the next free-running slots); not published. */
  buildChain(segs: readonly SegmentSpec[], indices?: readonly number[]): BuiltChain {
    const ids = indices ? [...indices] : segs.map(() => this.nextIndex());
    const segments = segs.map((s) => this.place(s));
    segments.forEach((s, i) => {
      const more = i < segments.length - 1;
      this.writeDesc(ids[i]!, { addr: s.addr, len: s.len, flags: (s.write ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0), next: more ? ids[i + 1]! : 0 });
    });
    return { head: ids[0]!, descriptors: ids, segments };
  }

  /** Builds a chain whose buffers live in an indirect table, pointed at by one ring descriptor. */
  buildIndirect(segs: readonly SegmentSpec[], opts: { head?: number; table?: number } = {}): BuiltChain {
    const head = opts.head ?? this.nextIndex();
    const table = opts.table ?? this.alloc.alloc(segs.length * VRING_DESC_SIZE, 16);
    const segments = segs.map((s) => this.place(s));
    this.writeTable(
      table,
      segments.map((s, i) => {
        const more = i < segments.length - 1;
        return { addr: s.addr, len: s.len, flags: (s.write ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0), next: more ? i + 1 : 0 };
      }),
    );
    this.writeDesc(head, { addr: table, len: segs.length * VRING_DESC_SIZE, flags: VRING_DESC_F_INDIRECT, next: 0 });
    return { head, descriptors: [head], segments, table };
  }

  /** Makes `head` available: ring[idx % size] = head, then idx + 1. */
  publish(head: number): void {
    this.setAvailRing(this.avail % this.size, head);
    this.setAvailIdx(this.avail + 1);
  }

  /** buildChain + publish. */
  addChain(segs: readonly SegmentSpec[], indices?: readonly number[]): BuiltChain {
    const c = this.buildChain(segs, indices);
    this.publish(c.head);
    return c;
  }

  /** buildIndirect + publish. */
  addIndirect(segs: readonly SegmentSpec[], opts?: { head?: number; table?: number }): BuiltChain {
    const c = this.buildIndirect(segs, opts);
    this.publish(c.head);
    return c;
  }

  /** Writes avail idx directly (jumps, wraps, decrements). */
  setAvailIdx(v: number): void {
    this.avail = v & 0xffff;
    this.mem.write(this.layout.avail + VRING_AVAIL_IDX, 2, this.avail);
  }

  /** The avail idx as in memory. */
  availIdx(): number {
    return this.mem.read(this.layout.avail + VRING_AVAIL_IDX, 2);
  }

  /** Writes avail ring slot `slot` directly. */
  setAvailRing(slot: number, head: number): void {
    this.mem.write(this.layout.avail + vringAvailRingOffset(slot), 2, head & 0xffff);
  }

  /** Writes avail flags (NO_INTERRUPT). */
  setAvailFlags(flags: number): void {
    this.mem.write(this.layout.avail + VRING_AVAIL_FLAGS, 2, flags);
  }

  /** Writes used_event (EVENT_IDX). */
  setUsedEvent(v: number): void {
    this.mem.write(this.layout.avail + vringUsedEventOffset(this.size), 2, v & 0xffff);
  }

  /** The device's used idx. */
  usedIdx(): number {
    return this.mem.read(this.layout.used + VRING_USED_IDX, 2);
  }

  /** The device's used flags (NO_NOTIFY). */
  usedFlags(): number {
    return this.mem.read(this.layout.used + VRING_USED_FLAGS, 2);
  }

  /** The device's avail_event (EVENT_IDX). */
  availEvent(): number {
    return this.mem.read(this.layout.used + vringAvailEventOffset(this.size), 2);
  }

  /** Reads used ring slot `slot`. */
  readUsed(slot: number): UsedElem {
    const at = this.layout.used + vringUsedElemOffset(slot);
    return { id: this.mem.read(at, 4), len: this.mem.read(at + 4, 4) };
  }

  /** Used elements published since the last call. */
  takeUsed(): UsedElem[] {
    const out: UsedElem[] = [];
    const end = this.usedIdx();
    while (this.usedSeen !== end) {
      out.push(this.readUsed(this.usedSeen % this.size));
      this.usedSeen = (this.usedSeen + 1) & 0xffff;
    }
    return out;
  }

  private nextIndex(): number {
    const i = this.cursor;
    this.cursor = (this.cursor + 1) % this.size;
    return i;
  }

  private place(s: SegmentSpec): { addr: number; len: number; write: boolean } {
    const addr = s.addr ?? this.alloc.alloc(Math.max(1, s.len), 8);
    if (s.data) this.mem.writeBytes(addr, s.data);
    return { addr, len: s.len, write: s.write ?? false };
  }
}

function writeRaw(mem: AddressSpace, at: number, d: RawDescriptor): void {
  mem.writeU64(at, BigInt(d.addr));
  mem.write(at + 8, 4, d.len >>> 0);
  mem.write(at + 12, 2, d.flags & 0xffff);
  mem.write(at + 14, 2, d.next & 0xffff);
}
