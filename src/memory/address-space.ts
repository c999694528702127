/**
 * The guest-physical address space: RAM ranges plus MMIO regions, with overlap checks,
 * little-endian typed accessors, and peek/poke beside read/write. Device DMA and CPU
 * accesses both come through here, so an MSI write lands on the interrupt controller the
 * same way a CPU store would.
 */
import { OutOfRangeAccessError, RegionOverlapError, UnmappedAccessError } from './errors.js';
import { GuestRam } from './guest-ram.js';
import { RegionMap, type AccessSize, type IoRegionOps, type MappedRegion } from './region.js';

/** Physical addresses are limited to 52 bits (x86-64's architectural maximum) and to exact JS integers. */
export const PHYS_ADDR_LIMIT = 2 ** 52;

/** A guest-physical range backed by RAM. */
export interface RamRange {
  /** First guest-physical address. */
  base: number;
  /** Length in bytes. */
  size: number;
  /** Offset into GuestRam. */
  ramOffset: number;
}

/** Guest-physical memory: RAM and MMIO. */
export class AddressSpace {
  private ramRanges: RamRange[] = [];
  private mmio = new RegionMap();
  /** The RAM store behind the RAM ranges. */
  readonly ram: GuestRam;

  /** Creates an address space over `ram` with no ranges mapped yet. */
  constructor(ram: GuestRam) {
    this.ram = ram;
  }

  /** Maps RAM bytes [ramOffset, ramOffset+size) at guest-physical `base`. */
  mapRam(base: number, size: number, ramOffset: number): void {
    this.checkFree('ram', base, size);
    this.ramRanges.push({ base, size, ramOffset });
    this.ramRanges.sort((a, b) => a.base - b.base);
  }

  /** The RAM ranges, by address (what firmware reports as the e820 map). */
  ramMap(): readonly RamRange[] {
    return this.ramRanges;
  }

  /** Maps an MMIO region; throws RegionOverlapError if anything is already there. */
  mapMmio(name: string, base: number, size: number, ops: IoRegionOps): MappedRegion {
    this.checkFree(name, base, size);
    const r: MappedRegion = { name, base, size, ops };
    this.mmio.insert(r);
    return r;
  }

  /** Unmaps an MMIO region previously returned by mapMmio. */
  unmapMmio(r: MappedRegion): void {
    this.mmio.remove(r);
  }

  /** MMIO regions currently mapped. */
  mmioRegions(): readonly MappedRegion[] {
    return this.mmio.list();
  }

  /** Reads an unsigned little-endian value; MMIO reads have side effects. */
  read(addr: number, size: AccessSize): number {
    const t = this.locate(addr, size);
    return t.kind === 'ram' ? this.ram.readUint(t.off, size) : t.region.ops.read(t.off, size);
  }

  /** Writes an unsigned little-endian value. */
  write(addr: number, size: AccessSize, value: number): void {
    const t = this.locate(addr, size);
    if (t.kind === 'ram') this.ram.writeUint(t.off, size, value);
    else t.region.ops.write(t.off, size, value);
  }

  /** Reads without side effects: RAM as usual, MMIO through the region's peek (0 if it has none). */
  peek(addr: number, size: AccessSize): number {
    const t = this.locate(addr, size);
    if (t.kind === 'ram') return this.ram.readUint(t.off, size);
    return t.region.ops.peek ? t.region.ops.peek(t.off, size) : 0;
  }

  /** Writes RAM without any device seeing it; MMIO addresses are refused. */
  poke(addr: number, size: AccessSize, value: number): void {
    const t = this.locate(addr, size);
    if (t.kind !== 'ram') throw new OutOfRangeAccessError('phys', addr, size, `is MMIO (${t.region.name}); poke writes RAM only`);
    this.ram.writeUint(t.off, size, value);
  }

  /** 64-bit little-endian read as a bigint (RAM only; ring addresses are 64-bit). */
  readU64(addr: number): bigint {
    const lo = this.read(addr, 4);
    const hi = this.read(addr + 4, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** 64-bit little-endian write from a bigint. */
  writeU64(addr: number, value: bigint): void {
    this.write(addr, 4, Number(value & 0xffff_ffffn));
    this.write(addr + 4, 4, Number((value >> 32n) & 0xffff_ffffn));
  }

  /** Copies `len` bytes of RAM at `addr` (DMA read); the range may span RAM ranges but not MMIO. */
  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.forRam(addr, len, (off, at, n) => this.ram.readInto(off, out.subarray(at, at + n)));
    return out;
  }

  /** Copies `data` into RAM at `addr` (DMA write). */
  writeBytes(addr: number, data: Uint8Array): void {
    this.forRam(addr, data.length, (off, at, n) => this.ram.write(off, data.subarray(at, at + n)));
  }

  /** Fills RAM at `addr` with a byte value. */
  fillBytes(addr: number, len: number, value: number): void {
    this.forRam(addr, len, (off, _at, n) => this.ram.fill(off, n, value));
  }

  /** True when [addr, addr+len) is entirely RAM. */
  isRam(addr: number, len: number): boolean {
    try {
      this.forRam(addr, len, () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  private forRam(addr: number, len: number, fn: (ramOff: number, at: number, n: number) => void): void {
    if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(len) || addr < 0 || len < 0 || addr + len > PHYS_ADDR_LIMIT) {
      throw new OutOfRangeAccessError('phys', addr, len, 'is outside the physical address space');
    }
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const r = this.ramRangeAt(a);
      if (!r) throw new UnmappedAccessError('phys', a, len - done);
      const n = Math.min(len - done, r.base + r.size - a);
      fn(r.ramOffset + (a - r.base), done, n);
      done += n;
    }
  }

  private ramRangeAt(a: number): RamRange | undefined {
    for (const r of this.ramRanges) if (a >= r.base && a < r.base + r.size) return r;
    return undefined;
  }

  private locate(addr: number, size: AccessSize): { kind: 'ram'; off: number } | { kind: 'mmio'; region: MappedRegion; off: number } {
    if (size !== 1 && size !== 2 && size !== 4) throw new OutOfRangeAccessError('phys', addr, size, 'has an illegal width');
    if (!Number.isSafeInteger(addr) || addr < 0 || addr + size > PHYS_ADDR_LIMIT) {
      throw new OutOfRangeAccessError('phys', addr, size, 'is outside the physical address space');
    }
    const r = this.ramRangeAt(addr);
    if (r) {
      if (addr + size > r.base + r.size) throw new OutOfRangeAccessError('phys', addr, size, 'crosses the end of a RAM range');
      return { kind: 'ram', off: r.ramOffset + (addr - r.base) };
    }
    const m = this.mmio.find(addr);
    if (!m) throw new UnmappedAccessError('phys', addr, size);
    if (addr + size > m.base + m.size) throw new OutOfRangeAccessError('phys', addr, size, `crosses the end of ${m.name}`);
    return { kind: 'mmio', region: m, off: addr - m.base };
  }

  private checkFree(name: string, base: number, size: number): void {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(size) || base < 0 || size <= 0 || base + size > PHYS_ADDR_LIMIT) {
      throw new OutOfRangeAccessError('phys', base, size, `cannot hold ${name}`);
    }
    for (const r of this.ramRanges) {
      if (base < r.base + r.size && r.base < base + size) throw new RegionOverlapError('phys', name, 'RAM', base);
    }
    const m = this.mmio.overlapping(base, size);
    if (m) throw new RegionOverlapError('phys', name, m.name, base);
  }
}
