/**
 * What a guest driver borrows from its kernel: physically contiguous memory for rings and
 * interrupt vectors. Kept as small interfaces so the driver runs under any kernel model; the
 * bump allocator and vector table here are the simplest implementations (tests, early boot).
 */
import { GSI_COUNT, GSI_VECTOR_BASE, LAST_DEVICE_VECTOR, MSI_ADDRESS_BASE } from '../../abi/interrupts.js';

/** Physically contiguous guest memory (what dma_alloc_coherent amounts to). */
export interface PhysAllocator {
  /** Reserves `bytes` aligned to `align` (a power of two) and returns the guest-physical address. */
  alloc(bytes: number, align: number): number;
}

/** Hands out [base, limit) front to back and never frees: ring memory lives as long as the driver. */
export class BumpAllocator implements PhysAllocator {
  private next: number;
  private excluded: [number, number][] = [];

  /** Allocates from `base` up to, not including, `limit` (a RAM range the kernel owns). */
  constructor(
    base: number,
    private readonly limit: number,
  ) {
    this.next = base;
  }

  /** Reserves `bytes` at the next `align` boundary, skipping excluded ranges; throws when the range is exhausted. */
  alloc(bytes: number, align: number): number {
    let at = Math.ceil(this.next / align) * align;
    for (let moved = true; moved; ) {
      moved = false;
      for (const [s, e] of this.excluded) {
        if (at < e && s < at + bytes) {
          at = Math.ceil(e / align) * align;
          moved = true;
        }
      }
    }
    if (at + bytes > this.limit) throw new RangeError(`guest allocator exhausted: ${bytes} bytes at 0x${at.toString(16)}`);
    this.next = at + bytes;
    return at;
  }

  /** First address never handed out: everything below it may be in use. */
  get top(): number {
    return this.next;
  }

  /** Keeps [start, end) out of future allocations (memory taken offline). */
  exclude(start: number, end: number): void {
    this.excluded.push([start, end]);
  }

  /** Lets [start, end) be allocated again. */
  include(start: number, end: number): void {
    this.excluded = this.excluded.filter(([s, e]) => s !== start || e !== end);
  }
}

/** An MSI message as a device must write it to raise a vector. */
export interface MsiMessage {
  /** Address (the local APIC's MSI window on x86). */
  address: number;
  /** Data (the vector in the low byte). */
  data: number;
}

/** Interrupt plumbing a driver needs. */
export interface GuestInterrupts {
  /** Allocates a CPU vector for a message-signalled interrupt and installs `handler` on it. */
  requestVector(handler: () => void): number;
  /** The message a device writes to raise `vector`. */
  msiMessage(vector: number): MsiMessage;
  /** Installs `handler` on level-triggered GSI `gsi` (shared lines call every handler). */
  requestGsi(gsi: number, handler: () => void): void;
}


/** Placement of vectors; defaults match the `pc` machine's interrupt controller. */
export interface VectorTableOptions {
  /** Vector of GSI 0. */
  gsiVectorBase?: number;
  /** Number of GSIs. */
  gsiLines?: number;
  /** Last vector handed out for MSIs. */
  lastVector?: number;
  /** MSI address. */
  msiAddress?: number;
}

/**
 * The kernel's interrupt descriptor table in miniature: GSI vectors first, then vectors
 * handed out for MSIs in order. Install `dispatch` as the CPU's vector handler.
 */
export class VectorTable implements GuestInterrupts {
  private readonly handlers = new Map<number, (() => void)[]>();
  private readonly gsiBase: number;
  private readonly lastVector: number;
  private readonly msiAddress: number;
  private nextVector: number;
  /** Vectors that arrived with no handler (spurious), for diagnostics. */
  spurious = 0;

  /** Creates an empty table. */
  constructor(opts: VectorTableOptions = {}) {
    this.gsiBase = opts.gsiVectorBase ?? GSI_VECTOR_BASE;
    this.nextVector = this.gsiBase + (opts.gsiLines ?? GSI_COUNT);
    this.lastVector = opts.lastVector ?? LAST_DEVICE_VECTOR;
    this.msiAddress = opts.msiAddress ?? MSI_ADDRESS_BASE;
  }

  /** Allocates the next free vector. */
  requestVector(handler: () => void): number {
    if (this.nextVector > this.lastVector) throw new RangeError('out of interrupt vectors');
    const v = this.nextVector++;
    this.handlers.set(v, [handler]);
    return v;
  }

  /** Fixed-destination MSI with the vector as data. */
  msiMessage(vector: number): MsiMessage {
    return { address: this.msiAddress, data: vector & 0xff };
  }

  /** Adds `handler` to the GSI's vector. */
  requestGsi(gsi: number, handler: () => void): void {
    const v = this.gsiBase + gsi;
    const list = this.handlers.get(v) ?? [];
    list.push(handler);
    this.handlers.set(v, list);
  }

  /** The CPU took `vector`: runs its handlers; false when nobody claimed it. */
  dispatch(vector: number): boolean {
    const list = this.handlers.get(vector);
    if (!list || list.length === 0) {
      this.spurious++;
      return false;
    }
    for (const h of list) h();
    return true;
  }
}
