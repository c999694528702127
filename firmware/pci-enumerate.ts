/**
 * Depth-first PCI enumeration through config cycles alone: find functions, number
 * bridges (primary/secondary/subordinate), and size BARs by writing all ones.
 */
import {
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_FUNC_MAX,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_INTERRUPT_PIN,
  PCI_NUM_BARS_TYPE0,
  PCI_NUM_BARS_TYPE1,
  PCI_PRIMARY_BUS,
  PCI_REVISION_ID,
  PCI_SECONDARY_BUS,
  PCI_SLOT_MAX,
  PCI_SUBORDINATE_BUS,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
  pciBarOffset,
} from '../src/abi/pci.js';
import type { ConfigAccess } from './pci-config.js';

/** A BAR as sizing found it (before an address is assigned). */
export interface FoundBar {
  /** BAR index. */
  index: number;
  /** Address space type. */
  kind: 'io' | 'mem32' | 'mem64';
  /** Prefetchable memory. */
  prefetchable: boolean;
  /** Decoded size. */
  size: number;
  /** Address assigned later (0 = none). */
  base: number;
}

/** A function found on a bus. */
export interface FoundFunction {
  /** Bus number (as firmware numbered it). */
  bus: number;
  /** Device number. */
  slot: number;
  /** Function number. */
  fn: number;
  /** Vendor id. */
  vendor: number;
  /** Device id. */
  device: number;
  /** Class code (base<<16 | sub<<8 | prog-if). */
  classCode: number;
  /** Revision. */
  revision: number;
  /** Header type without the multifunction bit. */
  headerType: number;
  /** Subsystem vendor id. */
  subsystemVendor: number;
  /** Subsystem id. */
  subsystem: number;
  /** INTx pin (1..4) or 0. */
  irqPin: number;
  /** BARs that decode something. */
  bars: FoundBar[];
  /** For bridges: the bus behind it. */
  child?: FoundBus;
}

/** A bus and what is on it. */
export interface FoundBus {
  /** Bus number. */
  number: number;
  /** The bridge leading here (undefined for a root bus). */
  bridge?: FoundFunction;
  /** Functions on this bus, in slot/function order. */
  functions: FoundFunction[];
}

/** Enumerates a root bus and everything below it; returns the root and the last bus number used. */
export function enumerateRoot(cfg: ConfigAccess, rootBus: number, maxBus: number): { root: FoundBus; lastBus: number } {
  const state = { lastBus: rootBus, maxBus };
  const root = scanBus(cfg, rootBus, state);
  return { root, lastBus: state.lastBus };
}

function scanBus(cfg: ConfigAccess, busNr: number, st: { lastBus: number; maxBus: number }): FoundBus {
  const bus: FoundBus = { number: busNr, functions: [] };
  for (let slot = 0; slot < PCI_SLOT_MAX; slot++) {
    if (cfg.read(busNr, slot, 0, PCI_VENDOR_ID, 2) === 0xffff) continue;
    const multi = (cfg.read(busNr, slot, 0, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTI_FUNCTION) !== 0;
    for (let fn = 0; fn < (multi ? PCI_FUNC_MAX : 1); fn++) {
      const vendor = cfg.read(busNr, slot, fn, PCI_VENDOR_ID, 2);
      if (vendor === 0xffff) continue;
      const f = probeFunction(cfg, busNr, slot, fn, vendor);
      bus.functions.push(f);
      if (f.headerType === PCI_HEADER_TYPE_BRIDGE) f.child = numberBridge(cfg, f, st);
    }
  }
  return bus;
}

function numberBridge(cfg: ConfigAccess, f: FoundFunction, st: { lastBus: number; maxBus: number }): FoundBus | undefined {
  if (st.lastBus >= st.maxBus) return undefined; // out of bus numbers: leave the bridge closed
  const secondary = ++st.lastBus;
  // Open the whole remaining range while scanning below, then shrink it to what was used.
  cfg.write(f.bus, f.slot, f.fn, PCI_PRIMARY_BUS, 1, f.bus);
  cfg.write(f.bus, f.slot, f.fn, PCI_SECONDARY_BUS, 1, secondary);
  cfg.write(f.bus, f.slot, f.fn, PCI_SUBORDINATE_BUS, 1, st.maxBus);
  const child = scanBus(cfg, secondary, st);
  cfg.write(f.bus, f.slot, f.fn, PCI_SUBORDINATE_BUS, 1, st.lastBus);
  child.bridge = f;
  return child;
}

function probeFunction(cfg: ConfigAccess, bus: number, slot: number, fn: number, vendor: number): FoundFunction {
  const r = (reg: number, size: 1 | 2 | 4) => cfg.read(bus, slot, fn, reg, size);
  const headerType = r(PCI_HEADER_TYPE, 1) & ~PCI_HEADER_TYPE_MULTI_FUNCTION & 0x7f;
  const classRev = r(PCI_REVISION_ID, 4) >>> 0;
  const f: FoundFunction = {
    bus,
    slot,
    fn,
    vendor,
    device: r(PCI_DEVICE_ID, 2),
    classCode: classRev >>> 8,
    revision: classRev & 0xff,
    headerType,
    subsystemVendor: headerType === 0 ? r(PCI_SUBSYSTEM_VENDOR_ID, 2) : 0,
    subsystem: headerType === 0 ? r(PCI_SUBSYSTEM_ID, 2) : 0,
    irqPin: r(PCI_INTERRUPT_PIN, 1),
    bars: [],
  };
  f.bars = sizeBars(cfg, f);
  return f;
}

/** Sizes every BAR with decoding disabled, restoring the original values afterwards. */
function sizeBars(cfg: ConfigAccess, f: FoundFunction): FoundBar[] {
  const r = (reg: number) => cfg.read(f.bus, f.slot, f.fn, reg, 4) >>> 0;
  const w = (reg: number, v: number) => cfg.write(f.bus, f.slot, f.fn, reg, 4, v >>> 0);
  const n = f.headerType === PCI_HEADER_TYPE_BRIDGE ? PCI_NUM_BARS_TYPE1 : f.headerType === 0 ? PCI_NUM_BARS_TYPE0 : 0;
  const cmd = cfg.read(f.bus, f.slot, f.fn, PCI_COMMAND, 2);
  cfg.write(f.bus, f.slot, f.fn, PCI_COMMAND, 2, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
  const bars: FoundBar[] = [];
  for (let i = 0; i < n; i++) {
    const reg = pciBarOffset(i);
    const orig = r(reg);
    w(reg, 0xffff_ffff);
    const probe = r(reg);
    w(reg, orig);
    if (probe === 0) continue;
    if (orig & PCI_BASE_ADDRESS_SPACE_IO) {
      const mask = (probe & PCI_BASE_ADDRESS_IO_MASK & 0xffff) >>> 0;
      if (mask === 0) continue;
      bars.push({ index: i, kind: 'io', prefetchable: false, size: (~mask & 0xffff) + 1, base: 0 });
      continue;
    }
    const is64 = (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64;
    const prefetchable = (orig & PCI_BASE_ADDRESS_MEM_PREFETCH) !== 0;
    let size: number;
    if (is64 && i + 1 < n) {
      const hiReg = pciBarOffset(i + 1);
      const hiOrig = r(hiReg);
      w(hiReg, 0xffff_ffff);
      const hiProbe = r(hiReg);
      w(hiReg, hiOrig);
      const mask = (BigInt(hiProbe) << 32n) | BigInt((probe & PCI_BASE_ADDRESS_MEM_MASK) >>> 0);
      size = Number((~mask & 0xffff_ffff_ffff_ffffn) + 1n);
      i++;
    } else {
      size = ((~(probe & PCI_BASE_ADDRESS_MEM_MASK)) >>> 0) + 1;
    }
    if (size > 0) bars.push({ index: is64 ? i - 1 : i, kind: is64 ? 'mem64' : 'mem32', prefetchable, size, base: 0 });
  }
  cfg.write(f.bus, f.slot, f.fn, PCI_COMMAND, 2, cmd);
  return bars;
}

/** Every function below a bus, depth-first (a bridge before the devices behind it). */
export function walkFunctions(bus: FoundBus, out: FoundFunction[] = []): FoundFunction[] {
  for (const f of bus.functions) {
    out.push(f);
    if (f.child) walkFunctions(f.child, out);
  }
  return out;
}
