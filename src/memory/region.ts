/** What a device exposes in an address space: a window of registers decoded by offset. */

/** Legal register access widths. */
export type AccessSize = 1 | 2 | 4;

/** A device's register window, addressed by offset from its base. */
export interface IoRegionOps {
  /** Register read with side effects (e.g. read-to-clear ISR). */
  read(offset: number, size: AccessSize): number;
  /** Register write. */
  write(offset: number, size: AccessSize, value: number): void;
  /** Read without side effects (debuggers, tests, trace); defaults to 0 where unsupported. */
  peek?(offset: number, size: AccessSize): number;
}

/** A mapped region as the address space keeps it. */
export interface MappedRegion {
  /** Name shown in errors and traces (e.g. "0000:00:03.0 BAR4"). */
  readonly name: string;
  /** First address decoded. */
  readonly base: number;
  /** Bytes decoded. */
  readonly size: number;
  /** The handler. */
  readonly ops: IoRegionOps;
}

/**
 * A sorted, non-overlapping set of regions with binary-search lookup; shared by the MMIO
 * space and the port space, which differ only in width and in what unmapped reads return.
 */
export class RegionMap {
  private regions: MappedRegion[] = [];

  /** All regions, by base address. */
  list(): readonly MappedRegion[] {
    return this.regions;
  }

  /** The region that overlaps [base, base+size), if any. */
  overlapping(base: number, size: number): MappedRegion | undefined {
    return this.regions.find((r) => base < r.base + r.size && r.base < base + size);
  }

  /** Inserts a region; the caller checked overlap. */
  insert(r: MappedRegion): void {
    const i = this.regions.findIndex((x) => x.base > r.base);
    if (i < 0) this.regions.push(r);
    else this.regions.splice(i, 0, r);
  }

  /** Removes a region by identity; returns whether it was present. */
  remove(r: MappedRegion): boolean {
    const i = this.regions.indexOf(r);
    if (i < 0) return false;
    this.regions.splice(i, 1);
    return true;
  }

  /** The region containing `addr`, if any. */
  find(addr: number): MappedRegion | undefined {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return r;
    }
    return undefined;
  }
}
