/**
 * The guest side of MSI-X (PCI 3.0 §6.8.2): locate the table through the capability, write
 * message address and data into entries, and switch the function between MSI-X and INTx.
 * Enabling follows Linux's order: enable with the function masked, program, then unmask, so
 * no half-written entry can fire.
 */
import type { HandoffBar } from '../../../abi/handoff.js';
import {
  PCI_CAP_ID_MSIX,
  PCI_MSIX_BIR_MASK,
  PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_UPPER_ADDR,
  PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_ENTRY_CTRL_MASKBIT,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_FLAGS_QSIZE,
  PCI_MSIX_TABLE,
} from '../../../abi/pci.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';
import type { GuestPciConfig } from '../pci/config.js';
import type { MsiMessage } from '../../platform/resources.js';

/** A function's MSI-X capability and table as the guest reaches them. */
export class GuestMsix {
  /** Number of table entries. */
  readonly tableSize: number;

  private constructor(
    private readonly bus: CpuBus,
    private readonly cfg: GuestPciConfig,
    private readonly capOffset: number,
    private readonly tableAddress: number,
    tableSize: number,
  ) {
    this.tableSize = tableSize;
  }

  /** The function's MSI-X, or undefined when it has none or its table BAR was not assigned. */
  static find(bus: CpuBus, cfg: GuestPciConfig, bars: readonly HandoffBar[]): GuestMsix | undefined {
    const cap = cfg.findCapabilities(PCI_CAP_ID_MSIX)[0];
    if (cap === undefined) return undefined;
    const table = cfg.read(cap + PCI_MSIX_TABLE, 4);
    const bar = bars.find((b) => b.index === (table & PCI_MSIX_BIR_MASK) && b.kind !== 'io');
    if (!bar) return undefined;
    const size = (cfg.read(cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
    return new GuestMsix(bus, cfg, cap, bar.base + (table & ~PCI_MSIX_BIR_MASK), size);
  }

  /** Whether the enable bit is set. */
  enabled(): boolean {
    return (this.flags() & PCI_MSIX_FLAGS_ENABLE) !== 0;
  }

  /** Programs entries 0..n-1 with `messages` and turns MSI-X on. */
  enable(messages: readonly MsiMessage[]): void {
    if (messages.length > this.tableSize) throw new RangeError(`MSI-X table has ${this.tableSize} entries, ${messages.length} asked`);
    this.setFlags(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    messages.forEach((m, i) => this.program(i, m));
    this.setFlags(PCI_MSIX_FLAGS_ENABLE);
  }

  /** Turns MSI-X off (the function falls back to INTx). */
  disable(): void {
    if (this.flags() & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) this.setFlags(0);
  }

  private program(entry: number, m: MsiMessage): void {
    const at = this.tableAddress + entry * PCI_MSIX_ENTRY_SIZE;
    this.bus.store(at + PCI_MSIX_ENTRY_LOWER_ADDR, 4, m.address >>> 0);
    this.bus.store(at + PCI_MSIX_ENTRY_UPPER_ADDR, 4, Math.floor(m.address / 2 ** 32) >>> 0);
    this.bus.store(at + PCI_MSIX_ENTRY_DATA, 4, m.data >>> 0);
    const ctrl = this.bus.load(at + PCI_MSIX_ENTRY_VECTOR_CTRL, 4);
    this.bus.store(at + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, ctrl & ~PCI_MSIX_ENTRY_CTRL_MASKBIT);
  }

  private flags(): number {
    return this.cfg.read(this.capOffset + PCI_MSIX_FLAGS, 2);
  }

  private setFlags(bits: number): void {
    const keep = this.flags() & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    this.cfg.write(this.capOffset + PCI_MSIX_FLAGS, 2, keep | bits);
  }
}
