/**
 * Base address registers: how a function declares its register windows, how sizing by
 * writing all ones works (the write mask holds only the address bits above the size), and
 * how a programmed BAR becomes a mapping in the address space. A BAR is decoded only with
 * the matching COMMAND enable, a non-zero address that does not wrap, and (behind bridges)
 * when every upstream bridge forwards the range. A mapping that would collide with
 * something already mapped is left unmapped and traced: a guest programming overlapping
 * BARs must not crash the machine from inside a config write.
 */
import type { AccessSize, IoRegionOps, MappedRegion } from '../../src/memory/region.js';
import { OutOfRangeAccessError, RegionOverlapError } from '../../src/memory/errors.js';
import { PHYS_ADDR_LIMIT } from '../../src/memory/address-space.js';
import {
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  pciBarOffset,
} from '../../src/abi/pci.js';
import type { ConfigSpace } from './config-space.js';
import { hex, type PciContext } from './context.js';

/** What kind of window a BAR decodes. */
export type BarKind = 'io' | 'mem32' | 'mem64';

/** Which address space a window lives in. */
export type BarSpace = 'io' | 'mem';

/** How a device declares a BAR. */
export interface BarDefinition {
  /** I/O ports, 32-bit memory, or 64-bit memory (two BAR slots). */
  kind: BarKind;
  /** Prefetchable memory (not allowed for I/O). */
  prefetchable?: boolean;
  /** Bytes decoded; a power of two, at least 4 for I/O and 16 for memory. */
  size: number;
  /** The registers behind the BAR (a BarRegionSet when several blocks share it). */
  ops: IoRegionOps;
  /** Name used for the mapped region (default "<address> BAR<n>"). */
  name?: string;
}

/** QEMU's marker for a BAR that decodes nothing (query-pci prints it as address -1). */
export const PCI_BAR_UNMAPPED = -1;

/** A BAR as reported to monitors and tests. */
export interface BarInfo {
  /** BAR index (the lower slot of a 64-bit BAR). */
  readonly index: number;
  /** Window kind. */
  readonly kind: BarKind;
  /** Prefetchable memory. */
  readonly prefetchable: boolean;
  /** Size in bytes. */
  readonly size: number;
  /** Address the function decodes, or PCI_BAR_UNMAPPED. */
  readonly address: number;
  /** True when the window is actually mapped in the machine's address space. */
  readonly mapped: boolean;
  /** The registers behind it. */
  readonly ops: IoRegionOps;
}

/** What the BAR set needs from the function that owns it. */
export interface BarOwner {
  /** The function's config space. */
  readonly config: ConfigSpace;
  /** Number of BAR slots in the header (6 for type 0, 2 for type 1). */
  readonly barSlots: number;
  /** The machine context, once attached. */
  context(): PciContext | undefined;
  /** Whether all bridges between the function and the host forward this range. */
  upstreamForwards(space: BarSpace, base: number, size: number): boolean;
  /** Trace source / region name prefix (the function's PCI address). */
  traceSource(): string;
}

interface BarState {
  index: number;
  kind: BarKind;
  prefetchable: boolean;
  size: number;
  ops: IoRegionOps;
  name: string | undefined;
  typeBits: number;
  address: number;
  region: MappedRegion | undefined;
  // Last problem traced, so a BAR stuck on a conflict does not repeat itself on every config write.
  problem: string | undefined;
}

const TWO32 = 2 ** 32;

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && Number.isInteger(Math.log2(n));
}

/** The BARs of one function. */
export class BarSet {
  private readonly bars: (BarState | undefined)[] = [];
  // Slots taken by the upper half of a 64-bit BAR.
  private readonly upperHalf = new Set<number>();

  /** Creates an empty set for `owner`. */
  constructor(private readonly owner: BarOwner) {}

  /** Declares BAR `index`: writes its type bits and the sizing write mask into config space. */
  define(index: number, def: BarDefinition): void {
    const slots = this.owner.barSlots;
    const wide = def.kind === 'mem64';
    if (!Number.isInteger(index) || index < 0 || index >= slots || (wide && index + 1 >= slots)) {
      throw new RangeError(`BAR${index} does not exist in a header with ${slots} BAR slots`);
    }
    if (this.bars[index] || this.upperHalf.has(index) || (wide && (this.bars[index + 1] || this.upperHalf.has(index + 1)))) {
      throw new RangeError(`BAR${index} is already defined`);
    }
    if (!isPowerOfTwo(def.size)) throw new RangeError(`BAR${index} size ${def.size} is not a power of two`);
    if (def.kind === 'io') {
      if (def.prefetchable) throw new RangeError(`BAR${index}: an I/O BAR cannot be prefetchable`);
      if (def.size < 4 || def.size > 0x10000) throw new RangeError(`BAR${index}: I/O BAR size ${def.size} is outside 4..65536`);
    } else if (def.size < 16 || def.size > (wide ? PHYS_ADDR_LIMIT / 2 : 2 ** 31)) {
      throw new RangeError(`BAR${index}: memory BAR size ${def.size} is out of range`);
    }
    const typeBits =
      def.kind === 'io'
        ? PCI_BASE_ADDRESS_SPACE_IO
        : (wide ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) | (def.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
    const bar: BarState = {
      index,
      kind: def.kind,
      prefetchable: def.prefetchable === true,
      size: def.size,
      ops: def.ops,
      name: def.name,
      typeBits,
      address: PCI_BAR_UNMAPPED,
      region: undefined,
      problem: undefined,
    };
    this.bars[index] = bar;
    if (wide) this.upperHalf.add(index + 1);
    const off = pciBarOffset(index);
    const cfg = this.owner.config;
    if (wide) {
      cfg.setWmask(off, 4, def.size >= TWO32 ? 0 : ~(def.size - 1) >>> 0);
      cfg.setWmask(off + 4, 4, def.size > TWO32 ? ~(def.size / TWO32 - 1) >>> 0 : 0xffff_ffff);
    } else {
      cfg.setWmask(off, 4, ~(def.size - 1) >>> 0);
    }
    this.writeTypeBits(bar);
  }

  /** BAR `index` (or undefined; the upper slot of a 64-bit BAR is not a BAR of its own). */
  get(index: number): BarInfo | undefined {
    const b = this.bars[index];
    return b ? this.info(b) : undefined;
  }

  /** All defined BARs by index. */
  list(): BarInfo[] {
    return this.bars.filter((b): b is BarState => b !== undefined).map((b) => this.info(b));
  }

  /** True when `offset` falls in a BAR register slot of this header. */
  coversBarRegisters(offset: number, size: number): boolean {
    const first = pciBarOffset(0);
    const end = pciBarOffset(this.owner.barSlots);
    return offset < end && first < offset + size;
  }

  /** Puts every BAR register back to its type bits (address 0), as PCI reset does. */
  resetRegisters(): void {
    for (const b of this.bars) if (b) this.writeTypeBits(b);
  }

  /** Re-decodes every BAR and moves, adds or removes mappings to match. */
  update(): void {
    for (const b of this.bars) if (b) this.updateOne(b);
  }

  /** Removes every mapping (detach). */
  unmapAll(): void {
    const ctx = this.owner.context();
    for (const b of this.bars) {
      if (b?.region && ctx) this.unmap(ctx, b);
      if (b) b.address = PCI_BAR_UNMAPPED;
    }
  }

  private info(b: BarState): BarInfo {
    return { index: b.index, kind: b.kind, prefetchable: b.prefetchable, size: b.size, address: b.address, mapped: b.region !== undefined, ops: b.ops };
  }

  private writeTypeBits(b: BarState): void {
    const off = pciBarOffset(b.index);
    this.owner.config.set32(off, b.typeBits);
    if (b.kind === 'mem64') this.owner.config.set32(off + 4, 0);
  }

  /** The address the function decodes for `b` under the current COMMAND register. */
  private decode(b: BarState): number {
    const cfg = this.owner.config;
    const cmd = cfg.get16(PCI_COMMAND);
    const off = pciBarOffset(b.index);
    if (b.kind === 'io') {
      if (!(cmd & PCI_COMMAND_IO)) return PCI_BAR_UNMAPPED;
      const addr = (cfg.get32(off) & ~(b.size - 1)) >>> 0;
      const last = addr + b.size - 1;
      return addr === 0 || last >= 0xffff_ffff ? PCI_BAR_UNMAPPED : addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) return PCI_BAR_UNMAPPED;
    const lo = b.size >= TWO32 ? 0 : (cfg.get32(off) & ~(b.size - 1) & 0xffff_fff0) >>> 0;
    let hi = b.kind === 'mem64' ? cfg.get32(off + 4) : 0;
    if (b.size > TWO32) hi = (hi & ~(b.size / TWO32 - 1)) >>> 0;
    // Addresses at or past 2^52 cannot be mapped here (QEMU refuses BARs beyond its physical limit too).
    if (hi >= PHYS_ADDR_LIMIT / TWO32) return PCI_BAR_UNMAPPED;
    const addr = hi * TWO32 + lo;
    const last = addr + b.size - 1;
    if (addr === 0 || last >= PHYS_ADDR_LIMIT) return PCI_BAR_UNMAPPED;
    if (b.kind === 'mem32' && last >= 0xffff_ffff) return PCI_BAR_UNMAPPED;
    return addr;
  }

  private updateOne(b: BarState): void {
    const ctx = this.owner.context();
    if (!ctx) return;
    const addr = this.decode(b);
    b.address = addr;
    const space: BarSpace = b.kind === 'io' ? 'io' : 'mem';
    const forwarded = addr !== PCI_BAR_UNMAPPED && this.owner.upstreamForwards(space, addr, b.size);
    const want = forwarded ? addr : PCI_BAR_UNMAPPED;
    if (b.region && b.region.base === want) return;
    if (b.region) this.unmap(ctx, b);
    if (want === PCI_BAR_UNMAPPED) {
      if (addr !== PCI_BAR_UNMAPPED) this.problemOnce(ctx, b, `BAR${b.index} at ${hex(addr)} is outside the windows of an upstream bridge; not decoded`);
      else b.problem = undefined;
      return;
    }
    const name = b.name ?? `${this.owner.traceSource()} BAR${b.index}`;
    try {
      b.region = space === 'io' ? ctx.io.map(name, want, b.size, b.ops) : ctx.mem.mapMmio(name, want, b.size, b.ops);
      b.problem = undefined;
      ctx.trace.emit(ctx.sched.now(), 'pci', this.owner.traceSource(), `BAR${b.index} ${b.kind} mapped at ${hex(want)} size ${hex(b.size)}`);
    } catch (e) {
      if (!(e instanceof RegionOverlapError) && !(e instanceof OutOfRangeAccessError)) throw e;
      this.problemOnce(ctx, b, `BAR${b.index} ${b.kind} at ${hex(want)} left unmapped: ${e.message}`);
    }
  }

  private unmap(ctx: PciContext, b: BarState): void {
    const r = b.region;
    if (!r) return;
    if (b.kind === 'io') ctx.io.unmap(r);
    else ctx.mem.unmapMmio(r);
    b.region = undefined;
    ctx.trace.emit(ctx.sched.now(), 'pci', this.owner.traceSource(), `BAR${b.index} ${b.kind} unmapped from ${hex(r.base)}`);
  }

  private problemOnce(ctx: PciContext, b: BarState, message: string): void {
    if (b.problem === message) return;
    b.problem = message;
    ctx.trace.emit(ctx.sched.now(), 'pci', this.owner.traceSource(), message);
  }
}

/** Reads `size` bytes little-endian from a byte array (helper for RAM-like register blocks). */
export function readLe(buf: Uint8Array, offset: number, size: AccessSize): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (buf[offset + i] ?? 0);
  return v;
}

/** Writes `size` bytes little-endian into a byte array, dropping bytes past its end. */
export function writeLe(buf: Uint8Array, offset: number, size: AccessSize, value: number): void {
  for (let i = 0; i < size; i++) if (offset + i < buf.length) buf[offset + i] = (value >>> (8 * i)) & 0xff;
}
