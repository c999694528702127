/**
 * The x86 port I/O space (64 Ki ports). Reads of ports nobody decodes return all ones, as
 * the floating bus does on a PC; that is what lets firmware probe for absent hardware.
 */
import { OutOfRangeAccessError, RegionOverlapError } from './errors.js';
import { RegionMap, type AccessSize, type IoRegionOps, type MappedRegion } from './region.js';

/** Number of I/O ports. */
export const IO_PORT_COUNT = 0x10000;

/** The port I/O address space. */
export class IoPortSpace {
  private ranges = new RegionMap();
  /** Count of reads of ports nobody decodes (visible in traces and tests). */
  unmappedReads = 0;

  /** Claims ports [base, base+size); throws RegionOverlapError on conflicts. */
  map(name: string, base: number, size: number, ops: IoRegionOps): MappedRegion {
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size <= 0 || base + size > IO_PORT_COUNT) {
      throw new OutOfRangeAccessError('io', base, size, `cannot hold ${name}`);
    }
    const o = this.ranges.overlapping(base, size);
    if (o) throw new RegionOverlapError('io', name, o.name, base);
    const r: MappedRegion = { name, base, size, ops };
    this.ranges.insert(r);
    return r;
  }

  /** Releases a claimed range. */
  unmap(r: MappedRegion): void {
    this.ranges.remove(r);
  }

  /** Claimed ranges, by port. */
  regions(): readonly MappedRegion[] {
    return this.ranges.list();
  }

  /** IN instruction. */
  read(port: number, size: AccessSize): number {
    const r = this.lookup(port, size);
    if (!r) {
      this.unmappedReads++;
      return ones(size);
    }
    return r.ops.read(port - r.base, size);
  }

  /** OUT instruction; writes to ports nobody decodes are dropped. */
  write(port: number, size: AccessSize, value: number): void {
    const r = this.lookup(port, size);
    if (r) r.ops.write(port - r.base, size, (value & ones(size)) >>> 0);
  }

  /** Read without side effects. */
  peek(port: number, size: AccessSize): number {
    const r = this.lookup(port, size);
    if (!r) return ones(size);
    return r.ops.peek ? r.ops.peek(port - r.base, size) : 0;
  }

  private lookup(port: number, size: AccessSize): MappedRegion | undefined {
    if (size !== 1 && size !== 2 && size !== 4) throw new OutOfRangeAccessError('io', port, size, 'has an illegal width');
    if (!Number.isInteger(port) || port < 0 || port + size > IO_PORT_COUNT) throw new OutOfRangeAccessError('io', port, size, 'is outside the port space');
    const r = this.ranges.find(port);
    if (r && port + size > r.base + r.size) throw new OutOfRangeAccessError('io', port, size, `crosses the end of ${r.name}`);
    return r;
  }
}

function ones(size: AccessSize): number {
  return size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
}
