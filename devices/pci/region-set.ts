/**
 * A BAR that holds several register blocks (virtio-pci's common/ISR/device/notify
 * windows, an MSI-X table beside its PBA). The BAR maps one region into the address
 * space; this dispatches by offset to the block that owns it, so blocks can be added by
 * different layers without knowing about each other.
 */
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';

/** One block inside a BAR. */
export interface SubRegion {
  /** Name for errors and traces. */
  readonly name: string;
  /** Offset of the block from the start of the BAR. */
  readonly offset: number;
  /** Bytes the block decodes. */
  readonly size: number;
  /** The block's handler, addressed relative to the block. */
  readonly ops: IoRegionOps;
}

/** Thrown when two blocks of one BAR would overlap or a block leaves the BAR. */
export class SubRegionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubRegionError';
  }
}

/** Register blocks composed into one BAR; offsets nobody claims read as 0 and ignore writes. */
export class BarRegionSet implements IoRegionOps {
  private readonly blocks: SubRegion[] = [];

  /** Creates an empty set for a BAR of `size` bytes (0 = not known yet, no bound check). */
  constructor(readonly size = 0) {}

  /** Adds a block; throws SubRegionError on overlap or if it does not fit. */
  add(name: string, offset: number, size: number, ops: IoRegionOps): SubRegion {
    if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size <= 0) {
      throw new SubRegionError(`bad block ${name} at 0x${offset.toString(16)} size ${size}`);
    }
    if (this.size > 0 && offset + size > this.size) {
      throw new SubRegionError(`${name} (0x${offset.toString(16)}+0x${size.toString(16)}) does not fit in a BAR of 0x${this.size.toString(16)} bytes`);
    }
    const clash = this.blocks.find((b) => offset < b.offset + b.size && b.offset < offset + size);
    if (clash) throw new SubRegionError(`${name} overlaps ${clash.name} at 0x${offset.toString(16)}`);
    const r: SubRegion = { name, offset, size, ops };
    this.blocks.push(r);
    this.blocks.sort((a, b) => a.offset - b.offset);
    return r;
  }

  /** Blocks by offset. */
  list(): readonly SubRegion[] {
    return this.blocks;
  }

  /** Reads from the owning block; an access straddling two blocks is treated as unclaimed. */
  read(offset: number, size: AccessSize): number {
    const b = this.lookup(offset, size);
    return b ? b.ops.read(offset - b.offset, size) : 0;
  }

  /** Writes to the owning block. */
  write(offset: number, size: AccessSize, value: number): void {
    const b = this.lookup(offset, size);
    if (b) b.ops.write(offset - b.offset, size, value);
  }

  /** Side-effect-free read through the block's peek. */
  peek(offset: number, size: AccessSize): number {
    const b = this.lookup(offset, size);
    if (!b) return 0;
    return b.ops.peek ? b.ops.peek(offset - b.offset, size) : 0;
  }

  private lookup(offset: number, size: number): SubRegion | undefined {
    for (const b of this.blocks) if (offset >= b.offset && offset + size <= b.offset + b.size) return b;
    return undefined;
  }
}
