/**
 * What the modern transport remembers per queue index between register writes (QEMU's
 * VirtIOPCIProxy.vqs[]): the size the driver asked for, the six ring-address halves, and the
 * enable flag. The rings only reach the queue when the driver writes queue_enable = 1, so
 * until then these are just latches the driver can read back. Indices without a device
 * queue keep state too (and a vector): the registers decode all 1024 indices.
 */
import { VIRTIO_MSI_NO_VECTOR } from '../../src/abi/virtio.js';

/** Which ring-address register half. */
export type RingWord = 'descLo' | 'descHi' | 'availLo' | 'availHi' | 'usedLo' | 'usedHi';

/** Transport-side state of one queue index. */
export class ProxyQueue {
  /** Last queue_size written (0 = never written, keeps the device default). */
  num = 0;
  /** queue_enable as the driver reads it back. */
  enabled = false;
  /** MSI-X vector of an index that has no device queue (QEMU keeps one for every index). */
  orphanVector = VIRTIO_MSI_NO_VECTOR;
  /** Ring-address halves as written. */
  readonly words: Record<RingWord, number> = { descLo: 0, descHi: 0, availLo: 0, availHi: 0, usedLo: 0, usedHi: 0 };

  /** Descriptor table address. */
  get desc(): number {
    return join(this.words.descHi, this.words.descLo);
  }

  /** Driver area (available ring) address. */
  get avail(): number {
    return join(this.words.availHi, this.words.availLo);
  }

  /** Device area (used ring) address. */
  get used(): number {
    return join(this.words.usedHi, this.words.usedLo);
  }
}

/** Per-index state, created on first touch and dropped on reset. */
export class ProxyQueues {
  private readonly byIndex = new Map<number, ProxyQueue>();

  /** State of queue index `i` (created when first needed). */
  get(i: number): ProxyQueue {
    let q = this.byIndex.get(i);
    if (!q) {
      q = new ProxyQueue();
      this.byIndex.set(i, q);
    }
    return q;
  }

  /** State of `i` if it was ever touched (reads of untouched indices see zeros). */
  peek(i: number): ProxyQueue | undefined {
    return this.byIndex.get(i);
  }

  /** Forgets everything (device reset). */
  reset(): void {
    this.byIndex.clear();
  }
}

/**
 * 64-bit address from two 32-bit halves. Past 2^53 the number is inexact, but such addresses
 * are beyond physical memory anyway and fail the ring mapping check as they should.
 */
function join(hi: number, lo: number): number {
  return hi * 2 ** 32 + lo;
}
