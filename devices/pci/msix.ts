/**
 * MSI-X for any function: capability 0x11, the vector table and pending-bit array as
 * blocks inside BARs, and delivery. A vector fires as a 4-byte write of its data to its
 * address through guest-physical memory (on x86 that lands in the interrupt controller's
 * MSI window). A masked vector (entry mask, function mask, or MSI-X disabled) latches its
 * pending bit instead and fires when unmasked; with bus mastering off the write never
 * leaves the device, so the message is lost, as on QEMU.
 */
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import { GuestAccessError } from '../../src/memory/errors.js';
import { PHYS_ADDR_LIMIT } from '../../src/memory/address-space.js';
import {
  PCI_CAP_ID_MSIX,
  PCI_MSIX_BIR_MASK,
  PCI_MSIX_CAP_SIZE,
  PCI_MSIX_ENTRY_CTRL_MASKBIT,
  PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_UPPER_ADDR,
  PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_FLAGS_QSIZE,
  PCI_MSIX_PBA,
  PCI_MSIX_TABLE,
} from '../../src/abi/pci.js';
import { readLe, writeLe } from './bars.js';
import { hex } from './context.js';
import type { PciFunction } from './pci-function.js';
import { BarRegionSet } from './region-set.js';

/** Where the table and PBA live. */
export interface MsixOptions {
  /** Number of vectors (1..2048). */
  vectors: number;
  /** BAR holding the table. */
  tableBar: number;
  /** Offset of the table in that BAR (8-byte aligned). */
  tableOffset: number;
  /** BAR holding the PBA. */
  pbaBar: number;
  /** Offset of the PBA in that BAR (8-byte aligned). */
  pbaOffset: number;
  /** Fixed capability offset (default: first free space). */
  capOffset?: number;
}

/** Size of the BAR initMsixExclusiveBar creates (table in the lower half, PBA in the upper). */
export const MSIX_EXCLUSIVE_BAR_SIZE = 4096;

/** A vector's message. */
export interface MsiMessage {
  /** 64-bit address (as a number; addresses past 2^52 are dropped on delivery). */
  address: number;
  /** 32-bit data. */
  data: number;
}

/** MSI-X state of one function. */
export class Msix {
  /** Number of vectors. */
  readonly vectors: number;
  /** Offset of the capability in config space. */
  readonly capOffset: number;
  private readonly table: Uint8Array;
  private readonly pba: Uint8Array;
  private functionMaskedState = true;

  /** Use initMsix. */
  constructor(
    private readonly fn: PciFunction,
    opts: MsixOptions,
  ) {
    this.vectors = opts.vectors;
    this.table = new Uint8Array(opts.vectors * PCI_MSIX_ENTRY_SIZE);
    this.pba = new Uint8Array(Math.ceil(opts.vectors / 64) * 8);
    this.capOffset = fn.config.addCapability(PCI_CAP_ID_MSIX, PCI_MSIX_CAP_SIZE, opts.capOffset);
    const c = fn.config;
    c.set16(this.capOffset + PCI_MSIX_FLAGS, opts.vectors - 1);
    c.set32(this.capOffset + PCI_MSIX_TABLE, (opts.tableOffset | opts.tableBar) >>> 0);
    c.set32(this.capOffset + PCI_MSIX_PBA, (opts.pbaOffset | opts.pbaBar) >>> 0);
    c.setWmask(this.capOffset + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    this.maskAll();
  }

  /** Table size in bytes. */
  get tableSize(): number {
    return this.table.length;
  }

  /** PBA size in bytes (QEMU rounds to whole 64-bit words). */
  get pbaSize(): number {
    return this.pba.length;
  }

  /** MSI-X enable bit. */
  enabled(): boolean {
    return (this.flags() & PCI_MSIX_FLAGS_ENABLE) !== 0;
  }

  /** True when disabled or the function mask is set: every vector behaves as masked. */
  functionMasked(): boolean {
    return !this.enabled() || (this.flags() & PCI_MSIX_FLAGS_MASKALL) !== 0;
  }

  /** Whether `vector` would latch instead of firing now. */
  isMasked(vector: number): boolean {
    return this.functionMasked() || this.entryMasked(vector);
  }

  /** Pending bit of `vector`. */
  isPending(vector: number): boolean {
    return (this.pba[vector >>> 3]! & (1 << (vector & 7))) !== 0;
  }

  /** The message programmed for `vector`. */
  message(vector: number): MsiMessage {
    const e = vector * PCI_MSIX_ENTRY_SIZE;
    return {
      address: readLe(this.table, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4) * 2 ** 32 + readLe(this.table, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4),
      data: readLe(this.table, e + PCI_MSIX_ENTRY_DATA, 4),
    };
  }

  /** Signals `vector`: fires, latches pending, or is lost with bus mastering off. */
  notify(vector: number): void {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.vectors) return;
    if (this.isMasked(vector)) {
      this.setPending(vector, true);
      return;
    }
    this.send(vector);
  }

  /** Register block for the vector table (dword entries; narrower accesses are accepted too). */
  readonly tableOps: IoRegionOps = {
    read: (off, size) => readLe(this.table, off, size),
    peek: (off, size) => readLe(this.table, off, size),
    write: (off, size, value) => this.tableWrite(off, size, value),
  };

  /** Register block for the pending-bit array (read-only). */
  readonly pbaOps: IoRegionOps = {
    read: (off, size) => readLe(this.pba, off, size),
    peek: (off, size) => readLe(this.pba, off, size),
    write: () => undefined,
  };

  /** Reacts to writes of the control byte: INTx off when enabled, pending vectors fire on function unmask. */
  configWritten(reg: number, size: number): void {
    const ctl = this.capOffset + PCI_MSIX_FLAGS + 1;
    if (!(reg <= ctl && ctl < reg + size)) return;
    const wasMasked = this.functionMaskedState;
    this.functionMaskedState = this.functionMasked();
    if (!this.enabled()) return;
    this.fn.deassertIntx();
    if (wasMasked === this.functionMaskedState) return;
    for (let v = 0; v < this.vectors; v++) this.maskChanged(v, wasMasked || this.entryMasked(v));
  }

  /** Reset: enable and function mask cleared, table zeroed and every entry masked, nothing pending. */
  reset(): void {
    const c = this.fn.config;
    c.set16(this.capOffset + PCI_MSIX_FLAGS, c.get16(this.capOffset + PCI_MSIX_FLAGS) & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
    this.table.fill(0);
    this.pba.fill(0);
    this.functionMaskedState = true;
    this.maskAll();
  }

  private flags(): number {
    return this.fn.config.get16(this.capOffset + PCI_MSIX_FLAGS);
  }

  private entryMasked(vector: number): boolean {
    return (this.table[vector * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL]! & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  private setPending(vector: number, on: boolean): void {
    const bit = 1 << (vector & 7);
    this.pba[vector >>> 3] = on ? this.pba[vector >>> 3]! | bit : this.pba[vector >>> 3]! & ~bit;
  }

  private maskAll(): void {
    for (let v = 0; v < this.vectors; v++) {
      const at = v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL;
      this.table[at] = this.table[at]! | PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
  }

  private tableWrite(off: number, size: AccessSize, value: number): void {
    const vector = Math.floor(off / PCI_MSIX_ENTRY_SIZE);
    if (vector >= this.vectors) return;
    const was = this.isMasked(vector);
    writeLe(this.table, off, size, value);
    this.maskChanged(vector, was);
  }

  private maskChanged(vector: number, wasMasked: boolean): void {
    if (this.isMasked(vector) || !wasMasked || !this.isPending(vector)) return;
    this.setPending(vector, false);
    this.send(vector);
  }

  private send(vector: number): void {
    const ctx = this.fn.context();
    if (!ctx) return;
    const msg = this.message(vector);
    if (!this.fn.busMasterEnabled()) {
      ctx.trace.emit(ctx.sched.now(), 'pci', this.fn.traceSource(), `MSI-X vector ${vector} dropped: bus mastering disabled`);
      return;
    }
    if (msg.address + 4 > PHYS_ADDR_LIMIT) {
      ctx.trace.emit(ctx.sched.now(), 'pci', this.fn.traceSource(), `MSI-X vector ${vector} to ${hex(msg.address)} dropped: beyond physical memory`);
      return;
    }
    try {
      ctx.mem.write(msg.address, 4, msg.data);
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      // A message to an address nothing decodes goes nowhere, as on a real bus.
      ctx.trace.emit(ctx.sched.now(), 'pci', this.fn.traceSource(), `MSI-X vector ${vector} write to ${hex(msg.address)} went nowhere: ${e.message}`);
    }
  }
}

function checkLayout(fn: PciFunction, o: MsixOptions): void {
  if (!Number.isInteger(o.vectors) || o.vectors < 1 || o.vectors > PCI_MSIX_FLAGS_QSIZE + 1) throw new RangeError(`MSI-X: ${o.vectors} vectors is out of range`);
  const tableSize = o.vectors * PCI_MSIX_ENTRY_SIZE;
  const pbaSize = Math.ceil(o.vectors / 64) * 8;
  if ((o.tableOffset | o.pbaOffset) & PCI_MSIX_BIR_MASK) throw new RangeError('MSI-X: table and PBA offsets must be 8-byte aligned');
  if (o.tableBar === o.pbaBar && o.tableOffset < o.pbaOffset + pbaSize && o.pbaOffset < o.tableOffset + tableSize) {
    throw new RangeError(`MSI-X: table and PBA of ${fn.typeName} overlap`);
  }
}

function regionSetOf(fn: PciFunction, bar: number, minEnd: number): BarRegionSet {
  const b = fn.bar(bar);
  if (!b) {
    const size = Math.max(MSIX_EXCLUSIVE_BAR_SIZE, 2 ** Math.ceil(Math.log2(minEnd)));
    const set = new BarRegionSet(size);
    fn.defineBar(bar, { kind: 'mem32', size, ops: set });
    return set;
  }
  if (!(b.ops instanceof BarRegionSet)) throw new RangeError(`MSI-X: BAR${bar} of ${fn.typeName} is not a BarRegionSet and cannot take the MSI-X blocks`);
  return b.ops;
}

/**
 * Adds MSI-X to `fn`. The table and PBA become blocks of their BARs: a BAR defined with a
 * BarRegionSet gets them added beside its other blocks; an undefined BAR is created as a
 * 32-bit memory BAR (at least 4 KiB) holding only MSI-X.
 */
export function initMsix(fn: PciFunction, opts: MsixOptions): Msix {
  checkLayout(fn, opts);
  const tableSet = regionSetOf(fn, opts.tableBar, opts.tableOffset + opts.vectors * PCI_MSIX_ENTRY_SIZE);
  const pbaSet = opts.pbaBar === opts.tableBar ? tableSet : regionSetOf(fn, opts.pbaBar, opts.pbaOffset + Math.ceil(opts.vectors / 64) * 8);
  const m = new Msix(fn, opts);
  tableSet.add('msix-table', opts.tableOffset, m.tableSize, m.tableOps);
  pbaSet.add('msix-pba', opts.pbaOffset, m.pbaSize, m.pbaOps);
  fn.installMsix(m);
  msixByFunction.set(fn, m);
  return m;
}

/** QEMU's msix_init_exclusive_bar layout: a 4 KiB 32-bit BAR, table at 0, PBA at 2 KiB. */
export function initMsixExclusiveBar(fn: PciFunction, vectors: number, bar: number): Msix {
  if (vectors * PCI_MSIX_ENTRY_SIZE > MSIX_EXCLUSIVE_BAR_SIZE / 2) throw new RangeError(`MSI-X: ${vectors} vectors do not fit an exclusive BAR`);
  return initMsix(fn, { vectors, tableBar: bar, tableOffset: 0, pbaBar: bar, pbaOffset: MSIX_EXCLUSIVE_BAR_SIZE / 2 });
}

const msixByFunction = new WeakMap<PciFunction, Msix>();

/** The MSI-X state of `fn`, if it has MSI-X. */
export function msixOf(fn: PciFunction): Msix | undefined {
  return msixByFunction.get(fn);
}

/** Signals `vector` of `fn` (no-op without MSI-X). */
export function msixNotify(fn: PciFunction, vector: number): void {
  msixByFunction.get(fn)?.notify(vector);
}

/** Whether `fn` has MSI-X enabled. */
export function msixEnabled(fn: PciFunction): boolean {
  return msixByFunction.get(fn)?.enabled() ?? false;
}
