/**
 * BAR and bridge-window assignment: a bottom-up pass sizes each bridge's I/O, memory and
 * prefetchable windows from what sits behind it, and a top-down pass packs everything
 * into the host bridge's windows (largest alignment first), programs BARs and windows,
 * and turns decoding on.
 */
import {
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_IO_BASE,
  PCI_IO_BASE_UPPER16,
  PCI_IO_LIMIT,
  PCI_IO_LIMIT_UPPER16,
  PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT,
  PCI_PREF_BASE_UPPER32,
  PCI_PREF_LIMIT_UPPER32,
  PCI_PREF_MEMORY_BASE,
  PCI_PREF_MEMORY_LIMIT,
  pciBarOffset,
} from '../src/abi/pci.js';
import type { HostBridgeEntry } from '../src/abi/fw-cfg.js';
import type { ConfigAccess } from './pci-config.js';
import type { FoundBar, FoundBus, FoundFunction } from './pci-enumerate.js';

/** Bridge I/O windows are 4 KiB granular. */
export const BRIDGE_IO_GRANULARITY = 0x1000;
/** Bridge memory windows are 1 MiB granular. */
export const BRIDGE_MEM_GRANULARITY = 0x10_0000;

type Res = 'io' | 'mem' | 'pref';

interface Need {
  size: number;
  align: number;
  /** Only 64-bit-capable BARs below: may live above 4 GiB. */
  all64: boolean;
  place(base: number): void;
}

/** Outcome of assignment: what did not fit. */
export interface ResourceReport {
  /** Human-readable problems (a BAR left unassigned and its function's decoding off). */
  errors: string[];
}

/** Assigns every BAR and bridge window below `root` inside the host bridge's windows. */
export function assignResources(cfg: ConfigAccess, root: FoundBus, host: HostBridgeEntry): ResourceReport {
  const report: ResourceReport = { errors: [] };
  const needs = busNeeds(cfg, root);
  placeAll(needs.io, host.ioBase, host.ioLimit, 'io', report);
  const pref64 = needs.pref.length > 0 && needs.pref.every((n) => n.all64) && host.mem64Limit > host.mem64Base;
  if (pref64) {
    placeAll(needs.mem, host.mem32Base, host.mem32Limit, 'mem', report);
    placeAll(needs.pref, host.mem64Base, host.mem64Limit, 'pref', report);
  } else {
    const next = placeAll(needs.mem, host.mem32Base, host.mem32Limit, 'mem', report);
    placeAll(needs.pref, next, host.mem32Limit, 'pref', report);
  }
  enableDecoding(cfg, root);
  return report;
}

function resOf(b: FoundBar): Res {
  return b.kind === 'io' ? 'io' : b.prefetchable ? 'pref' : 'mem';
}

function busNeeds(cfg: ConfigAccess, bus: FoundBus): Record<Res, Need[]> {
  const out: Record<Res, Need[]> = { io: [], mem: [], pref: [] };
  for (const f of bus.functions) {
    for (const b of f.bars) {
      out[resOf(b)].push({ size: b.size, align: b.size, all64: b.kind === 'mem64', place: (base) => programBar(cfg, f, b, base) });
    }
    if (f.child) {
      const child = busNeeds(cfg, f.child);
      for (const res of ['io', 'mem', 'pref'] as const) {
        const w = windowNeed(cfg, f, res, child[res]);
        if (w) out[res].push(w);
        else closeWindow(cfg, f, res);
      }
    }
  }
  return out;
}

function windowNeed(cfg: ConfigAccess, bridge: FoundFunction, res: Res, items: Need[]): Need | undefined {
  if (items.length === 0) return undefined;
  const gran = res === 'io' ? BRIDGE_IO_GRANULARITY : BRIDGE_MEM_GRANULARITY;
  const { offsets, size } = pack(items);
  const align = Math.max(gran, ...items.map((n) => n.align));
  return {
    size: roundUp(size, gran),
    align,
    all64: items.every((n) => n.all64),
    place: (base) => {
      programWindow(cfg, bridge, res, base, base + roundUp(size, gran) - 1);
      items.forEach((n, i) => n.place(base + offsets[i]!));
    },
  };
}

/** Packs items largest-alignment first; returns each item's offset (in input order) and the total. */
function pack(items: Need[]): { offsets: number[]; size: number } {
  const order = items.map((_, i) => i).sort((a, b) => items[b]!.align - items[a]!.align || a - b);
  const offsets = new Array<number>(items.length).fill(0);
  let cur = 0;
  for (const i of order) {
    cur = roundUp(cur, items[i]!.align);
    offsets[i] = cur;
    cur += items[i]!.size;
  }
  return { offsets, size: cur };
}

function placeAll(items: Need[], base: number, limit: number, what: string, report: ResourceReport): number {
  const order = items.map((_, i) => i).sort((a, b) => items[b]!.align - items[a]!.align || a - b);
  let cur = base;
  for (const i of order) {
    const n = items[i]!;
    const at = roundUp(cur, n.align);
    if (at + n.size - 1 > limit || limit <= base) {
      report.errors.push(`no room for a ${what} resource of ${n.size} bytes`);
      continue;
    }
    n.place(at);
    cur = at + n.size;
  }
  return cur;
}

function programBar(cfg: ConfigAccess, f: FoundFunction, b: FoundBar, base: number): void {
  b.base = base;
  const reg = pciBarOffset(b.index);
  cfg.write(f.bus, f.slot, f.fn, reg, 4, base % 0x1_0000_0000);
  if (b.kind === 'mem64') cfg.write(f.bus, f.slot, f.fn, reg + 4, 4, Math.floor(base / 0x1_0000_0000));
}

function programWindow(cfg: ConfigAccess, f: FoundFunction, res: Res, base: number, limit: number): void {
  const w = (reg: number, size: 1 | 2 | 4, v: number) => cfg.write(f.bus, f.slot, f.fn, reg, size, v);
  if (res === 'io') {
    w(PCI_IO_BASE, 1, (base >>> 8) & 0xf0);
    w(PCI_IO_LIMIT, 1, (limit >>> 8) & 0xf0);
    w(PCI_IO_BASE_UPPER16, 2, base >>> 16);
    w(PCI_IO_LIMIT_UPPER16, 2, limit >>> 16);
  } else if (res === 'mem') {
    w(PCI_MEMORY_BASE, 2, (base >>> 16) & 0xfff0);
    w(PCI_MEMORY_LIMIT, 2, (limit >>> 16) & 0xfff0);
  } else {
    w(PCI_PREF_MEMORY_BASE, 2, (Math.floor(base / 0x10000) & 0xfff0) | 1);
    w(PCI_PREF_MEMORY_LIMIT, 2, (Math.floor(limit / 0x10000) & 0xfff0) | 1);
    w(PCI_PREF_BASE_UPPER32, 4, Math.floor(base / 0x1_0000_0000));
    w(PCI_PREF_LIMIT_UPPER32, 4, Math.floor(limit / 0x1_0000_0000));
  }
}

/** A closed window has base above limit, so the bridge forwards nothing of that type. */
function closeWindow(cfg: ConfigAccess, f: FoundFunction, res: Res): void {
  const w = (reg: number, size: 1 | 2 | 4, v: number) => cfg.write(f.bus, f.slot, f.fn, reg, size, v);
  if (res === 'io') {
    w(PCI_IO_BASE, 1, 0xf0);
    w(PCI_IO_LIMIT, 1, 0x00);
  } else if (res === 'mem') {
    w(PCI_MEMORY_BASE, 2, 0xfff0);
    w(PCI_MEMORY_LIMIT, 2, 0x0000);
  } else {
    w(PCI_PREF_MEMORY_BASE, 2, 0xfff1);
    w(PCI_PREF_MEMORY_LIMIT, 2, 0x0001);
  }
}

function enableDecoding(cfg: ConfigAccess, bus: FoundBus): void {
  for (const f of bus.functions) {
    let bits = 0;
    if (f.bars.some((b) => b.kind === 'io' && b.base !== 0)) bits |= PCI_COMMAND_IO;
    if (f.bars.some((b) => b.kind !== 'io' && b.base !== 0)) bits |= PCI_COMMAND_MEMORY;
    // Bridges forward in both directions once opened; endpoints get bus mastering from
    // their drivers (Linux's pci_set_master), not from firmware.
    if (f.child) bits |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (bits) {
      const cmd = cfg.read(f.bus, f.slot, f.fn, PCI_COMMAND, 2);
      cfg.write(f.bus, f.slot, f.fn, PCI_COMMAND, 2, cmd | bits);
    }
    if (f.child) enableDecoding(cfg, f.child);
  }
}

function roundUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}
