/**
 * A guest driver's handle on one PCI function's configuration space, built from the CPU bus
 * alone: configuration mechanism #1 (ports 0xCF8/0xCFC) for domain 0, as a PC kernel uses
 * first, and the ECAM window firmware reported for every other domain. Also the capability
 * walk every driver needs (PCI 3.0 §6.7), guarded against looping lists.
 */
import type { Handoff } from '../../../abi/handoff.js';
import {
  PCI_CAPABILITY_LIST,
  PCI_CAP_LIST_ID,
  PCI_CAP_LIST_NEXT,
  PCI_COMMAND,
  PCI_CONFIG_ADDRESS_PORT,
  PCI_CONFIG_DATA_PORT,
  PCI_CONFIG_HEADER_SIZE,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  ecamOffset,
  pciConfigAddress,
} from '../../../abi/pci.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';
import type { AccessSize } from '../../../memory/region.js';

/** Where a function lives. */
export interface PciLocation {
  /** Segment. */
  domain: number;
  /** Bus number. */
  bus: number;
  /** Device number. */
  slot: number;
  /** Function number. */
  fn: number;
}

/** A capability found in the list. */
export interface GuestPciCapability {
  /** Capability id. */
  id: number;
  /** Its offset in config space. */
  offset: number;
}

/** Thrown when a function's config space cannot be reached. */
export class GuestPciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestPciError';
  }
}

/** Config space of one function, through port I/O (domain 0) or ECAM. */
export class GuestPciConfig {
  private readonly access: { read(reg: number, size: AccessSize): number; write(reg: number, size: AccessSize, value: number): void };

  /** Opens `loc` on `bus`; `roots` (the hand-off's pciRoots) give the ECAM windows of other domains. */
  constructor(
    bus: CpuBus,
    roots: Handoff['pciRoots'],
    readonly loc: PciLocation,
  ) {
    const { domain, bus: b, slot, fn } = loc;
    if (domain === 0) {
      this.access = {
        read: (reg, size) => {
          bus.out(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(b, slot, fn, reg));
          return bus.in(PCI_CONFIG_DATA_PORT + (reg & 3), size);
        },
        write: (reg, size, value) => {
          bus.out(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(b, slot, fn, reg));
          bus.out(PCI_CONFIG_DATA_PORT + (reg & 3), size, value);
        },
      };
      return;
    }
    const root = roots.find((r) => r.segment === domain && b >= r.busStart && b <= r.busEnd);
    if (!root) throw new GuestPciError(`no ECAM window for PCI domain ${domain} bus ${b}`);
    const at = (reg: number) => root.ecamBase + ecamOffset(b - root.busStart, slot, fn, reg);
    this.access = {
      read: (reg, size) => bus.load(at(reg), size),
      write: (reg, size, value) => bus.store(at(reg), size, value),
    };
  }

  /** Reads a register. */
  read(reg: number, size: AccessSize): number {
    return this.access.read(reg, size);
  }

  /** Writes a register. */
  write(reg: number, size: AccessSize, value: number): void {
    this.access.write(reg, size, value);
  }

  /** Sets bits in COMMAND (read-modify-write, as pci_set_master and friends do). */
  setCommand(bits: number): void {
    const cmd = this.read(PCI_COMMAND, 2);
    if ((cmd & bits) !== bits) this.write(PCI_COMMAND, 2, cmd | bits);
  }

  /** Clears bits in COMMAND. */
  clearCommand(bits: number): void {
    const cmd = this.read(PCI_COMMAND, 2);
    if (cmd & bits) this.write(PCI_COMMAND, 2, cmd & ~bits);
  }

  /** The capability list in link order; stops at a repeated or out-of-header pointer. */
  capabilities(): GuestPciCapability[] {
    const out: GuestPciCapability[] = [];
    if (!(this.read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) return out;
    const seen = new Set<number>();
    // The low two bits of a pointer are reserved: drivers mask them off.
    for (let p = this.read(PCI_CAPABILITY_LIST, 1) & ~3; p >= PCI_CONFIG_HEADER_SIZE && !seen.has(p); p = this.read(p + PCI_CAP_LIST_NEXT, 1) & ~3) {
      seen.add(p);
      out.push({ id: this.read(p + PCI_CAP_LIST_ID, 1), offset: p });
    }
    return out;
  }

  /** Offsets of every capability with id `id`, in list order. */
  findCapabilities(id: number): number[] {
    return this.capabilities()
      .filter((c) => c.id === id)
      .map((c) => c.offset);
  }
}
