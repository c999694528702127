/**
 * DMA buffers for the console's rings. The kernel's allocator never frees, so every buffer a
 * queue ever uses comes from one pool per queue that grows only up to the ring size: a busy
 * port reuses the same few pages forever instead of leaking one per write.
 */
import type { PhysAllocator } from '../../platform/resources.js';

/** One DMA buffer, also the token a ring hands back when the device returns it. */
export interface DmaBuffer {
  /** Guest-physical address. */
  readonly addr: number;
  /** Capacity in bytes. */
  readonly size: number;
  /** Bytes in use: what was written for an out-buffer, what the device filled for an in-buffer. */
  len: number;
}

/** Fixed-size buffers, allocated on first need and recycled afterwards. */
export class DmaPool {
  private readonly free: DmaBuffer[] = [];
  private allocated = 0;

  /** Buffers of `size` bytes, at most `limit` of them ever allocated. */
  constructor(
    private readonly alloc: PhysAllocator,
    readonly size: number,
    readonly limit: number,
  ) {}

  /** Buffers allocated so far (free or not). */
  get total(): number {
    return this.allocated;
  }

  /** Buffers ready for reuse. */
  get available(): number {
    return this.free.length;
  }

  /** A free buffer, allocating one while under the limit; undefined when all are in use. */
  take(): DmaBuffer | undefined {
    const b = this.free.pop();
    if (b) return b;
    if (this.allocated >= this.limit) return undefined;
    this.allocated++;
    // Page alignment keeps a buffer of up to a page inside one page, as kmalloc'd pages are.
    return { addr: this.alloc.alloc(this.size, Math.min(this.size, 4096)), size: this.size, len: 0 };
  }

  /** Returns a buffer for reuse. */
  give(b: DmaBuffer): void {
    b.len = 0;
    this.free.push(b);
  }
}
