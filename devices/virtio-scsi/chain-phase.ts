/**
 * The pieces of a virtio-scsi chain: the request header at the start of the device-readable
 * bytes, the response header at the start of the device-writable ones, and the payload that
 * follows either — offered to the SCSI target as a ScsiDataPhase streaming straight from and
 * into guest memory.
 */
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { ScsiDataPhase, ScsiXferMode } from '../scsi/types.js';
import { ChainReader, ChainWriter, segmentsLength, type BufferSegment } from '../virtio/chain.js';

/** The segments left after skipping the first `skip` bytes of `segs`. */
export function skipSegments(segs: readonly BufferSegment[], skip: number): BufferSegment[] {
  const out: BufferSegment[] = [];
  let left = skip;
  for (const s of segs) {
    if (left >= s.len) {
      left -= s.len;
      continue;
    }
    out.push({ addr: s.addr + left, len: s.len - left });
    left = 0;
  }
  return out;
}

/** A payload in guest memory as the target's data phase. */
export class ChainDataPhase implements ScsiDataPhase {
  /** Bytes offered. */
  readonly length: number;
  private readonly reader: ChainReader | undefined;
  private readonly writer: ChainWriter | undefined;

  /** `segs` are the payload segments (device-readable for to-device, writable for from-device). */
  constructor(
    mem: AddressSpace,
    readonly mode: ScsiXferMode,
    segs: readonly BufferSegment[],
  ) {
    this.length = mode === 'none' ? 0 : segmentsLength(segs);
    this.reader = mode === 'to-device' ? new ChainReader(mem, segs) : undefined;
    this.writer = mode === 'from-device' ? new ChainWriter(mem, segs) : undefined;
  }

  /** Next data-out bytes. */
  readOut(n: number): Uint8Array {
    return this.reader?.read(n) ?? new Uint8Array(0);
  }

  /** Appends data-in. */
  writeIn(data: Uint8Array): number {
    return this.writer?.write(data) ?? 0;
  }
}
