/**
 * Plain MSI for a PCI function (PCI 3.0 §6.8.1): capability 0x05 with one vector, the
 * 32- or 64-bit address layout, no per-vector masking. A message is a 32-bit write of the
 * data register's value to the programmed address through guest-physical memory, which on
 * x86 lands in the interrupt controller's MSI window. With bus mastering off, or MSI
 * disabled, nothing is sent; the device model then falls back to INTx itself.
 */
import { GuestAccessError } from '../../src/memory/errors.js';
import { PCI_CAP_ID_MSI } from '../../src/abi/pci.js';
import {
  PCI_MSI_ADDRESS_HI,
  PCI_MSI_ADDRESS_LO,
  PCI_MSI_CAP_SIZE_32,
  PCI_MSI_CAP_SIZE_64,
  PCI_MSI_FLAGS,
  PCI_MSI_FLAGS_64BIT,
  PCI_MSI_FLAGS_ENABLE,
  PCI_MSI_FLAGS_QSIZE,
  pciMsiDataOffset,
} from '../../src/abi/pci-msi.js';
import type { PciFunction } from './pci-function.js';

/** Where and how the capability is laid out. */
export interface MsiOptions {
  /** Fixed capability offset (default: first free space). */
  offset?: number;
  /** 64-bit address capable. */
  is64: boolean;
}

/** One function's single-vector MSI. */
export class Msi {
  /** Offset of the capability in config space. */
  readonly capOffset: number;
  /** Messages sent. */
  sent = 0;

  /** Adds the capability to `fn`. */
  constructor(
    private readonly fn: PciFunction,
    opts: MsiOptions,
  ) {
    const c = fn.config;
    this.capOffset = c.addCapability(PCI_CAP_ID_MSI, opts.is64 ? PCI_MSI_CAP_SIZE_64 : PCI_MSI_CAP_SIZE_32, opts.offset);
    const at = this.capOffset;
    c.set16(at + PCI_MSI_FLAGS, opts.is64 ? PCI_MSI_FLAGS_64BIT : 0);
    c.setWmask(at + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    c.setWmask(at + PCI_MSI_ADDRESS_LO, 4, 0xffff_fffc);
    if (opts.is64) c.setWmask(at + PCI_MSI_ADDRESS_HI, 4, 0xffff_ffff);
    c.setWmask(at + pciMsiDataOffset(c.get16(at + PCI_MSI_FLAGS)), 2, 0xffff);
  }

  /** MSI enable bit. */
  enabled(): boolean {
    return (this.flags() & PCI_MSI_FLAGS_ENABLE) !== 0;
  }

  /** Sends the message (if enabled and the function may master the bus). */
  notify(): void {
    if (!this.enabled() || !this.fn.busMasterEnabled()) return;
    const ctx = this.fn.context();
    if (!ctx) return;
    const c = this.fn.config;
    const f = this.flags();
    const hi = f & PCI_MSI_FLAGS_64BIT ? c.get32(this.capOffset + PCI_MSI_ADDRESS_HI) : 0;
    const address = hi * 2 ** 32 + c.get32(this.capOffset + PCI_MSI_ADDRESS_LO);
    const data = c.get16(this.capOffset + pciMsiDataOffset(f));
    try {
      ctx.mem.write(address, 4, data);
      this.sent++;
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      ctx.trace.emit(ctx.sched.now(), 'irq', this.fn.traceSource(), `MSI to 0x${address.toString(16)} went nowhere`);
    }
  }

  /** Reset: disabled, address and data cleared. */
  reset(): void {
    const c = this.fn.config;
    const at = this.capOffset;
    c.set16(at + PCI_MSI_FLAGS, this.flags() & PCI_MSI_FLAGS_64BIT);
    c.set32(at + PCI_MSI_ADDRESS_LO, 0);
    if (this.flags() & PCI_MSI_FLAGS_64BIT) c.set32(at + PCI_MSI_ADDRESS_HI, 0);
    c.set16(at + pciMsiDataOffset(this.flags()), 0);
  }

  private flags(): number {
    return this.fn.config.get16(this.capOffset + PCI_MSI_FLAGS);
  }
}
