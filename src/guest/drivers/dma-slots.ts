/**
 * Request slots for block and SCSI drivers: each slot is one physically contiguous piece of
 * kernel DMA memory holding a request header, a response/status area, an indirect
 * descriptor table and a page-aligned bounce buffer for the data. The kernel allocator never
 * frees, so slots are allocated on first need up to a limit and recycled forever after.
 */
import type { PhysAllocator } from '../platform/resources.js';

/** Page size of the guest (bounce buffers are split into pages like a bio's bvecs). */
export const GUEST_PAGE_SIZE = 4096;

/** Sizes of the areas in each slot. */
export interface DmaSlotLayout {
  /** Device-readable request header bytes. */
  headerBytes: number;
  /** Device-writable status/response bytes. */
  statusBytes: number;
  /** Descriptors the indirect table holds. */
  tableEntries: number;
  /** Bounce buffer bytes (a multiple of the page size). */
  dataBytes: number;
}

/** One slot's guest-physical addresses. */
export interface DmaSlot {
  /** Slot number (for traces). */
  readonly index: number;
  /** Request header. */
  readonly header: number;
  /** Status / response area. */
  readonly status: number;
  /** Indirect descriptor table (16-byte aligned). */
  readonly table: number;
  /** Bounce buffer (page aligned). */
  readonly data: number;
}

function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** Slots of one layout, at most `limit` of them. */
export class DmaSlotPool {
  private readonly free: DmaSlot[] = [];
  private count = 0;
  private readonly tableOffset: number;
  private readonly dataOffset: number;
  private readonly total: number;

  /** A pool drawing from `alloc`. */
  constructor(
    private readonly alloc: PhysAllocator,
    readonly layout: DmaSlotLayout,
    readonly limit: number,
  ) {
    this.tableOffset = align(layout.headerBytes + layout.statusBytes, 16);
    this.dataOffset = align(this.tableOffset + layout.tableEntries * 16, GUEST_PAGE_SIZE);
    this.total = this.dataOffset + layout.dataBytes;
  }

  /** Slots allocated so far. */
  get allocated(): number {
    return this.count;
  }

  /** Slots not in use. */
  get available(): number {
    return this.free.length + (this.limit - this.count);
  }

  /** A free slot, allocating while under the limit; undefined when all are in use. */
  take(): DmaSlot | undefined {
    const s = this.free.pop();
    if (s) return s;
    if (this.count >= this.limit) return undefined;
    const base = this.alloc.alloc(this.total, GUEST_PAGE_SIZE);
    const slot: DmaSlot = {
      index: this.count++,
      header: base,
      status: base + this.layout.headerBytes,
      table: base + this.tableOffset,
      data: base + this.dataOffset,
    };
    return slot;
  }

  /** Returns a slot. */
  give(s: DmaSlot): void {
    this.free.push(s);
  }
}

/** The page-sized pieces of `len` bytes at `addr` (what a bio's bvecs look like). */
export function pageSegments(addr: number, len: number): { addr: number; len: number }[] {
  const out: { addr: number; len: number }[] = [];
  for (let off = 0; off < len; off += GUEST_PAGE_SIZE) out.push({ addr: addr + off, len: Math.min(GUEST_PAGE_SIZE, len - off) });
  return out;
}
