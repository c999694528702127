/** A data phase over one Uint8Array: what a host adapter with a flat bounce buffer (or a test) passes. */
import type { ScsiDataPhase, ScsiXferMode } from './types.js';

/** Data-out from, or data-in into, a single buffer. */
export class BufferDataPhase implements ScsiDataPhase {
  private at = 0;

  /** `buf` is the data-out (to-device) or the room for data-in (from-device); 'none' ignores it. */
  constructor(
    readonly mode: ScsiXferMode,
    private readonly buf: Uint8Array = new Uint8Array(0),
  ) {}

  /** Bytes offered. */
  get length(): number {
    return this.mode === 'none' ? 0 : this.buf.length;
  }

  /** Bytes consumed (data-out) or stored (data-in) so far. */
  get position(): number {
    return this.at;
  }

  /** The data-in received so far. */
  received(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  /** The next `n` bytes of data-out. */
  readOut(n: number): Uint8Array {
    if (this.mode !== 'to-device') return new Uint8Array(0);
    const out = this.buf.slice(this.at, this.at + Math.max(0, n));
    this.at += out.length;
    return out;
  }

  /** Appends data-in; returns the bytes stored. */
  writeIn(data: Uint8Array): number {
    if (this.mode !== 'from-device') return 0;
    const n = Math.min(data.length, this.buf.length - this.at);
    this.buf.set(data.subarray(0, n), this.at);
    this.at += n;
    return n;
  }
}
