/**
 * The qdev properties every PCI device accepts (`id`, `addr`, `multifunction`, `bus`) and
 * the error type for QEMU-worded PCI failures. The -device parser turns strings into this
 * typed shape; devices extend it with their own properties.
 */
import { PCI_FUNC_MAX, PCI_SLOT_MAX } from '../../src/abi/pci.js';

/** A QEMU-worded PCI error (slot conflicts, multifunction rules, bad properties). */
export class PciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PciError';
  }
}

/** A bus-local device address: slot (0-31) and function (0-7). */
export interface PciDevfn {
  /** Device number on the bus. */
  slot: number;
  /** Function number within the device. */
  fn: number;
}

/** Properties common to all PCI devices. */
export interface PciDeviceOptions {
  /** The -device id= (empty/absent: no id, which query-pci reports as ""). */
  id?: string;
  /** `addr=`: a parsed devfn, or QEMU's string form (`5`, `0x5`, `05.1`). */
  addr?: PciDevfn | string;
  /** `multifunction=on`: sets the header-type multifunction bit (needed on function 0 of a shared slot). */
  multifunction?: boolean;
  /** `bus=`: name of the bus to plug into (default: the root bus). */
  bus?: string;
}

/**
 * Parses QEMU's `addr` property: hexadecimal `slot` or `slot.fn` (an optional 0x prefix
 * is accepted, as sscanf's %x does). Throws PciError with QEMU's wording on bad input.
 */
export function parsePciDevfn(typeName: string, value: string): PciDevfn {
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)(?:\.(?:0[xX])?([0-9a-fA-F]+))?$/.exec(value);
  const slot = m ? parseInt(m[1]!, 16) : NaN;
  const fn = m && m[2] !== undefined ? parseInt(m[2], 16) : 0;
  if (!m || !(slot < PCI_SLOT_MAX) || !(fn < PCI_FUNC_MAX)) {
    throw new PciError(`Property '${typeName}.addr' doesn't take value '${value}'`);
  }
  return { slot, fn };
}

/** Parses a devfn given as QEMU's integer form (slot << 3 | fn; -1 = automatic). */
export function devfnFromNumber(value: number): PciDevfn | undefined {
  if (!Number.isInteger(value) || value < -1 || value > 255) {
    throw new PciError(`Parameter 'addr' expects a value between -1 and 255`);
  }
  return value === -1 ? undefined : { slot: value >>> 3, fn: value & 7 };
}

/** Resolves the `addr` option to a devfn (undefined = let the bus choose). */
export function resolveDevfn(typeName: string, addr: PciDevfn | string | undefined): PciDevfn | undefined {
  if (addr === undefined) return undefined;
  if (typeof addr === 'string') return parsePciDevfn(typeName, addr);
  if (!Number.isInteger(addr.slot) || addr.slot < 0 || addr.slot >= PCI_SLOT_MAX || !Number.isInteger(addr.fn) || addr.fn < 0 || addr.fn >= PCI_FUNC_MAX) {
    throw new PciError(`Property '${typeName}.addr' doesn't take value '${addr.slot}.${addr.fn}'`);
  }
  return { slot: addr.slot, fn: addr.fn };
}

/** Formats a devfn the way QEMU prints the addr property (`05.1`). */
export function formatDevfn(d: PciDevfn): string {
  return `${d.slot.toString(16).padStart(2, '0')}.${d.fn.toString(16)}`;
}
