/**
 * The `pc` machine's guest-physical layout: where RAM goes below and above 4 GiB, the
 * ECAM windows, and each root complex's I/O, 32-bit and 64-bit windows. Published to
 * firmware through fw_cfg; nothing else hard-codes these numbers.
 */
import type { HostBridgeEntry } from '../abi/fw-cfg.js';
import { INTX_ROUTED_BY_PIRQ } from '../abi/fw-cfg.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** ECAM window of segment 0 (256 buses, 256 MiB), as q35 places its MMCONFIG. */
export const ECAM0_BASE = 0xb000_0000;
/** Buses in segment 0's ECAM window. */
export const ECAM0_BUSES = 256;
/** Start of RAM above 4 GiB. */
export const HIGHMEM_BASE = 4 * GiB;
/** RAM stops below the ECAM window; with RAM at or past it, low RAM is cut at 2 GiB as q35 does. */
export const LOWMEM_MAX = ECAM0_BASE;
/** Low RAM size used when RAM would reach the ECAM window. */
export const LOWMEM_SPLIT = 2 * GiB;
/** Segment 0 windows. */
export const SEG0_IO = [0xc000, 0xffff] as const;
/** Segment 0 32-bit MMIO window (below the extra roots' ECAM). */
export const SEG0_MEM32 = [0xc000_0000, 0xdfff_ffff] as const;
/** Most extra root complexes (each gets a slice of ECAM, I/O, MMIO and 4 GSIs). */
export const MAX_EXTRA_ROOTS = 4;
/** Buses per extra root complex's ECAM window. */
export const EXTRA_ROOT_BUSES = 32;
/** ECAM of the first extra root; each takes EXTRA_ROOT_BUSES MiB. */
export const EXTRA_ECAM_BASE = 0xe000_0000;
/** 32-bit MMIO of the first extra root; 64 MiB each. */
export const EXTRA_MEM32_BASE = 0xe800_0000;
/** Size of an extra root's 32-bit window. */
export const EXTRA_MEM32_SIZE = 64 * MiB;
/** I/O window of the first extra root (between the ISA range and the PM block at 0xB000). */
export const EXTRA_IO_BASE = 0x3000;
/** Size of an extra root's I/O window: room for a few bridges' 4 KiB windows. */
export const EXTRA_IO_SIZE = 0x2000;
/** First GSI of the first extra root's INTA..INTD. */
export const EXTRA_GSI_BASE = 16;
/** Size of each root's 64-bit window. */
export const MEM64_WINDOW_SIZE = 64 * GiB;

/** Where RAM goes. */
export interface RamLayout {
  /** RAM bytes mapped at address 0. */
  below4g: number;
  /** RAM bytes mapped at 4 GiB. */
  above4g: number;
  /** Start of the hot-plug (DIMM) area, right after high RAM, 1 GiB aligned. */
  deviceMemoryBase: number;
  /** Start of the 64-bit PCI windows, after the DIMM area. */
  pci64Base: number;
}

/** Splits RAM around the PCI hole and places the DIMM area and 64-bit windows after it. */
export function ramLayout(ramSize: number, maxMem: number): RamLayout {
  const below4g = ramSize >= LOWMEM_MAX ? LOWMEM_SPLIT : ramSize;
  const above4g = ramSize - below4g;
  const deviceMemoryBase = alignUp(HIGHMEM_BASE + above4g, GiB);
  const pci64Base = alignUp(deviceMemoryBase + Math.max(0, maxMem - ramSize), GiB);
  return { below4g, above4g, deviceMemoryBase, pci64Base };
}

/** The host-bridge table for segment 0 plus `extraRoots` additional root complexes. */
export function hostBridgeTable(layout: RamLayout, extraRoots: { segment: number }[]): HostBridgeEntry[] {
  const out: HostBridgeEntry[] = [
    {
      segment: 0,
      busStart: 0,
      busEnd: ECAM0_BUSES - 1,
      intxGsiBase: INTX_ROUTED_BY_PIRQ,
      ecamBase: ECAM0_BASE,
      ioBase: SEG0_IO[0],
      ioLimit: SEG0_IO[1],
      mem32Base: SEG0_MEM32[0],
      mem32Limit: SEG0_MEM32[1],
      mem64Base: layout.pci64Base,
      mem64Limit: layout.pci64Base + MEM64_WINDOW_SIZE - 1,
    },
  ];
  extraRoots.forEach((r, k) => {
    const m64 = layout.pci64Base + (k + 1) * MEM64_WINDOW_SIZE;
    out.push({
      segment: r.segment,
      busStart: 0,
      busEnd: EXTRA_ROOT_BUSES - 1,
      intxGsiBase: EXTRA_GSI_BASE + 4 * k,
      ecamBase: extraEcamBase(k),
      ioBase: EXTRA_IO_BASE + k * EXTRA_IO_SIZE,
      ioLimit: EXTRA_IO_BASE + (k + 1) * EXTRA_IO_SIZE - 1,
      mem32Base: EXTRA_MEM32_BASE + k * EXTRA_MEM32_SIZE,
      mem32Limit: EXTRA_MEM32_BASE + (k + 1) * EXTRA_MEM32_SIZE - 1,
      mem64Base: m64,
      mem64Limit: m64 + MEM64_WINDOW_SIZE - 1,
    });
  });
  return out;
}

/** ECAM base of the k-th extra root complex. */
export function extraEcamBase(k: number): number {
  return EXTRA_ECAM_BASE + k * EXTRA_ROOT_BUSES * MiB;
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}
