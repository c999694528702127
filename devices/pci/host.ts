/**
 * A PCI host bridge (root complex): one domain (segment), its root bus, config-cycle
 * routing by bus number through bridges, an optional ECAM window, and the root end of
 * INTx. Chipset models (i440FX) add the port-based access mechanism and plug an INTx
 * resolver (PIIX3's PIRQ routing) into the root.
 */
import type { AccessSize, IoRegionOps, MappedRegion } from '../../src/memory/region.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { IrqLine } from '../../src/machine/interrupts.js';
import { PCIE_CONFIG_SPACE_SIZE, PCI_BUS_MAX, PCI_NUM_PINS, decodeEcamOffset } from '../../src/abi/pci.js';
import { PciToPciBridge } from './bridge.js';
import { PciBus, allOnes } from './bus.js';
import { hex, type PciContext } from './context.js';
import { PciError, type PciDevfn } from './options.js';
import type { PciFunction } from './pci-function.js';
import { describeBus, type PciInfo } from './query.js';

/**
 * Maps an INTx input at the root (slot of the root-bus device or bridge, 0-based pin after
 * swizzling) to the interrupt line it drives. The host holds each returned line as that
 * input's own source, so the resolver must return a line dedicated to (slot, pin0): the
 * interrupt controller ORs sources, which is what makes shared GSIs work.
 */
export type IntxResolver = (slot: number, pin0: number) => IrqLine | undefined;

/** How a host is created. */
export interface PciHostOptions {
  /** Machine services handed to every function. */
  ctx: PciContext;
  /** PCI domain (segment) number. */
  domain?: number;
  /** Root bus name (default: the next automatic name, 'pci.0' for the first). */
  rootBusName?: string;
}

/** A function together with the bus number it is currently reachable at. */
export interface PciFunctionLocation {
  /** The function. */
  fn: PciFunction;
  /** The bus it sits on. */
  bus: PciBus;
  /** That bus's number (0 for the root; the bridge's secondary number otherwise). */
  busNumber: number;
}

interface RootInput {
  count: number;
  line: IrqLine | undefined;
}

/** A PCI root complex. */
export class PciHost {
  /** Domain (segment) number. */
  readonly domain: number;
  /** Machine context. */
  readonly ctx: PciContext;
  /** The root bus (bus number 0). */
  readonly rootBus: PciBus;
  private automaticBusIds = 0;
  private resolver: IntxResolver | undefined;
  private readonly rootInputs = new Map<number, RootInput>();
  private ecam: { mem: AddressSpace; region: MappedRegion; busCount: number } | undefined;

  /** Creates the host and its empty root bus. */
  constructor(opts: PciHostOptions) {
    this.ctx = opts.ctx;
    this.domain = opts.domain ?? 0;
    this.rootBus = new PciBus({ name: opts.rootBusName ?? this.nextAutomaticBusName(), host: this });
  }

  /** qdev's automatic bus naming: 'pci.N' with a counter per host. */
  nextAutomaticBusName(): string {
    return `pci.${this.automaticBusIds++}`;
  }

  /** The bus that config cycles for bus number `n` reach (root for 0, else through claiming bridges). */
  findBus(n: number): PciBus | undefined {
    if (n === this.rootBus.number) return this.rootBus;
    return this.findBusBelow(this.rootBus, n);
  }

  /** Like findBus but starting at `from` (a bridge's claim decides at every level). */
  findBusBelow(from: PciBus, n: number): PciBus | undefined {
    if (from.number === n) return from;
    for (const f of from.functions()) {
      if (!(f instanceof PciToPciBridge) || from.visibleFunctionAt(f.slot, f.fn) !== f || !f.claimsBus(n)) continue;
      const sec = f.secondary;
      return sec.number === n ? sec : this.findBusBelow(sec, n);
    }
    return undefined;
  }

  /** The bus with qdev name `name`, anywhere below this host. */
  findBusByName(name: string): PciBus | undefined {
    return this.allBuses().find((b) => b.name === name);
  }

  /** Root bus and every bus behind a plugged bridge, depth first. */
  allBuses(): PciBus[] {
    const out: PciBus[] = [];
    const walk = (b: PciBus) => {
      out.push(b);
      for (const f of b.functions()) if (f.secondaryBus) walk(f.secondaryBus);
    };
    walk(this.rootBus);
    return out;
  }

  /** Every plugged function, depth first through bridges, with its current bus number. */
  allFunctions(): PciFunctionLocation[] {
    return this.allBuses().flatMap((bus) => bus.functions().map((fn) => ({ fn, bus, busNumber: bus.number })));
  }

  /** The function config cycles for bus/slot/fn reach, if any. */
  findFunction(bus: number, slot: number, fn: number): PciFunction | undefined {
    return this.findBus(bus)?.visibleFunctionAt(slot, fn);
  }

  /** Config read by bus/slot/function/register; nothing there reads as all ones. */
  configRead(bus: number, slot: number, fn: number, reg: number, size: AccessSize): number {
    const b = this.findBus(bus);
    return b ? b.configRead(slot, fn, reg, size) : allOnes(size);
  }

  /** Config write by bus/slot/function/register; writes to nothing are dropped. */
  configWrite(bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number): void {
    this.findBus(bus)?.configWrite(slot, fn, reg, size, value);
  }

  /**
   * Plugs a function where its properties say: `bus=` by name (QEMU's "Bus 'x' not found"
   * when absent), else the root bus; `addr=` or the first free slot.
   */
  plug(fn: PciFunction, slot?: number, func?: number): PciDevfn {
    const bus = fn.requestedBus === undefined ? this.rootBus : this.findBusByName(fn.requestedBus);
    if (!bus) throw new PciError(`Bus '${fn.requestedBus}' not found`);
    return bus.attach(fn, slot, func);
  }

  /**
   * Maps an ECAM window of `busCount` buses (1 MiB each, 4 KiB per function). Absent
   * functions read all ones; so does the extended range (0x100-0xFFF) of a conventional
   * function, as QEMU's MMCONFIG does; writes there are dropped.
   */
  mapEcam(mem: AddressSpace, base: number, busCount = PCI_BUS_MAX): MappedRegion {
    if (this.ecam) throw new Error(`PCI domain ${this.domain} already has an ECAM window at ${hex(this.ecam.region.base)}`);
    if (!Number.isInteger(busCount) || busCount < 1 || busCount > PCI_BUS_MAX) throw new RangeError(`bad ECAM bus count ${busCount}`);
    const ops: IoRegionOps = {
      read: (off, size) => this.ecamAccess(off, size),
      write: (off, size, value) => this.ecamAccess(off, size, value),
      peek: (off, size) => {
        const d = decodeEcamOffset(off);
        const f = this.findFunction(d.bus, d.slot, d.fn);
        return f && d.reg < f.config.size ? f.config.peek(d.reg, size) : allOnes(size);
      },
    };
    const region = mem.mapMmio(`pcie-mmcfg-${this.domain.toString(16).padStart(4, '0')}`, base, busCount * 0x10_0000, ops);
    this.ecam = { mem, region, busCount };
    this.ctx.trace.emit(this.ctx.sched.now(), 'pci', this.rootBus.name, `ECAM window at ${hex(base)} for ${busCount} buses`);
    return region;
  }

  /** Removes the ECAM window. */
  unmapEcam(): void {
    if (!this.ecam) return;
    this.ecam.mem.unmapMmio(this.ecam.region);
    this.ecam = undefined;
  }

  /** The ECAM window, if mapped. */
  ecamWindow(): { base: number; busCount: number } | undefined {
    return this.ecam ? { base: this.ecam.region.base, busCount: this.ecam.busCount } : undefined;
  }

  /** Installs the root INTx resolver and re-routes every asserted input through it. */
  setIntxResolver(resolver: IntxResolver | undefined): void {
    this.resolver = resolver;
    this.rerouteIntx();
  }

  /** Re-evaluates routing for every asserted root input (call after routing registers change). */
  rerouteIntx(): void {
    for (const [key, st] of this.rootInputs) {
      if (st.count === 0) continue;
      const line = this.resolver?.(Math.floor(key / PCI_NUM_PINS), key % PCI_NUM_PINS);
      if (line === st.line) continue;
      st.line?.set(false);
      st.line = line;
      line?.set(true);
    }
  }

  /** Level change of a root INTx input (from a root-bus function or a swizzled bridge output). */
  rootIntxChange(slot: number, pin0: number, delta: 1 | -1): void {
    const key = slot * PCI_NUM_PINS + pin0;
    let st = this.rootInputs.get(key);
    if (!st) {
      st = { count: 0, line: undefined };
      this.rootInputs.set(key, st);
    }
    const was = st.count > 0;
    st.count = Math.max(0, st.count + delta);
    const now = st.count > 0;
    if (was === now) return;
    if (now) {
      st.line = this.resolver?.(slot, pin0);
      st.line?.set(true);
    } else {
      st.line?.set(false);
      st.line = undefined;
    }
  }

  /** Whether the root INTx input (slot, pin0) is asserted. */
  rootIntxLevel(slot: number, pin0: number): boolean {
    return (this.rootInputs.get(slot * PCI_NUM_PINS + pin0)?.count ?? 0) > 0;
  }

  /** QMP query-pci for this host: its root bus and, nested in bridges, everything below. */
  queryPci(): PciInfo {
    return { bus: this.rootBus.number, devices: describeBus(this.rootBus, this.rootBus.number) };
  }

  /** System reset of every function in the domain. */
  reset(): void {
    this.rootBus.reset();
  }

  private ecamAccess(off: number, size: AccessSize, value?: number): number {
    const d = decodeEcamOffset(off);
    const f = this.findFunction(d.bus, d.slot, d.fn);
    const limit = f ? Math.min(f.config.size, PCIE_CONFIG_SPACE_SIZE) : 0;
    if (!f || d.reg >= limit) return allOnes(size);
    if (value === undefined) return f.configRead(d.reg, size);
    f.configWrite(d.reg, size, value);
    return 0;
  }
}
