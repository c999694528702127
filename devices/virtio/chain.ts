/**
 * A popped descriptor chain and the reader/writer a device uses on it. Device logic sees
 * only byte streams (what the driver offered to read, where it may write); how the driver
 * scattered them over descriptors stays here.
 */
import type { AddressSpace } from '../../src/memory/address-space.js';

/** One guest-physical buffer piece. */
export interface BufferSegment {
  /** Guest-physical address. */
  addr: number;
  /** Length in bytes (never 0 in a validated chain). */
  len: number;
}

/** A descriptor as the queue walked it, kept for tracing and tests. */
export interface WalkedDescriptor {
  /** Index in the table it came from. */
  index: number;
  /** True when it came from the indirect table rather than the ring's table. */
  inIndirect: boolean;
  /** addr field (lossy above 2^53, which is never RAM anyway). */
  addr: number;
  /** len field. */
  len: number;
  /** flags field. */
  flags: number;
  /** next field. */
  next: number;
}

/** A validated chain taken off the available ring. */
export interface DescriptorChain {
  /** Queue it was popped from. */
  readonly queue: number;
  /** Head descriptor index: the id written back in the used element. */
  readonly head: number;
  /** Device-readable segments, in order. */
  readonly readable: readonly BufferSegment[];
  /** Device-writable segments, in order. */
  readonly writable: readonly BufferSegment[];
  /** Every descriptor walked, in order (the indirect pointer first when there is one). */
  readonly descriptors: readonly WalkedDescriptor[];
  /** The indirect table the chain lives in, if any. */
  readonly indirect: BufferSegment | null;
}

/** Total bytes a list of segments covers. */
export function segmentsLength(segs: readonly BufferSegment[]): number {
  let n = 0;
  for (const s of segs) n += s.len;
  return n;
}

/** Sequential reader over a chain's device-readable bytes. */
export class ChainReader {
  private seg = 0;
  private off = 0;
  /** Bytes consumed so far. */
  consumed = 0;
  /** Total readable bytes in the chain. */
  readonly total: number;

  /** Reads from `chain.readable` in `mem`. */
  constructor(
    private readonly mem: AddressSpace,
    private readonly segs: readonly BufferSegment[],
  ) {
    this.total = segmentsLength(segs);
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.total - this.consumed;
  }

  /** Reads up to `n` bytes (fewer at the end of the chain). */
  read(n: number): Uint8Array {
    const want = Math.max(0, Math.min(n, this.remaining));
    const out = new Uint8Array(want);
    let at = 0;
    while (at < want) {
      const s = this.segs[this.seg]!;
      const take = Math.min(want - at, s.len - this.off);
      out.set(this.mem.readBytes(s.addr + this.off, take), at);
      at += take;
      this.advance(take, s.len);
    }
    this.consumed += want;
    return out;
  }

  /** Reads everything left. */
  readAll(): Uint8Array {
    return this.read(this.remaining);
  }

  private advance(n: number, segLen: number): void {
    this.off += n;
    if (this.off === segLen) {
      this.seg++;
      this.off = 0;
    }
  }
}

/** Sequential writer into a chain's device-writable bytes. */
export class ChainWriter {
  private seg = 0;
  private off = 0;
  /** Bytes written so far: what the device reports as the used length. */
  written = 0;
  /** Total writable bytes in the chain. */
  readonly capacity: number;

  /** Writes into `chain.writable` in `mem`. */
  constructor(
    private readonly mem: AddressSpace,
    private readonly segs: readonly BufferSegment[],
  ) {
    this.capacity = segmentsLength(segs);
  }

  /** Room left. */
  get remaining(): number {
    return this.capacity - this.written;
  }

  /** Writes as much of `data` as fits; returns how many bytes were written. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.remaining);
    let at = 0;
    while (at < n) {
      const s = this.segs[this.seg]!;
      const take = Math.min(n - at, s.len - this.off);
      this.mem.writeBytes(s.addr + this.off, data.subarray(at, at + take));
      at += take;
      this.off += take;
      if (this.off === s.len) {
        this.seg++;
        this.off = 0;
      }
    }
    this.written += n;
    return n;
  }
}

/** Reads all device-readable bytes of a chain. */
export function readChain(mem: AddressSpace, chain: DescriptorChain): Uint8Array {
  return new ChainReader(mem, chain.readable).readAll();
}

/** Writes `data` into a chain's device-writable part; returns bytes written (the used len). */
export function writeChain(mem: AddressSpace, chain: DescriptorChain, data: Uint8Array): number {
  return new ChainWriter(mem, chain.writable).write(data);
}
