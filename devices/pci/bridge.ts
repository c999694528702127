/**
 * PCI-to-PCI bridges (type 1 header). The bridge owns a secondary bus whose number is
 * whatever firmware writes into SECONDARY_BUS: the VMM never numbers buses. Config cycles
 * for bus N go below the bridge iff secondary <= N <= subordinate and the secondary bus is
 * not held in reset; BARs below the bridge decode only inside its I/O, memory and
 * prefetchable windows with the matching COMMAND enable; INTx is swizzled on the way up.
 * QEMU's `pci-bridge` device is the concrete model.
 */
import type { AccessSize } from '../../src/memory/region.js';
import {
  PCI_BRIDGE_CONTROL,
  PCI_BRIDGE_CTL_BUS_RESET,
  PCI_BRIDGE_CTL_DISCARD,
  PCI_BRIDGE_CTL_DISCARD_SERR,
  PCI_BRIDGE_CTL_DISCARD_STATUS,
  PCI_BRIDGE_CTL_FAST_BACK,
  PCI_BRIDGE_CTL_ISA,
  PCI_BRIDGE_CTL_MASTER_ABORT,
  PCI_BRIDGE_CTL_PARITY,
  PCI_BRIDGE_CTL_SEC_DISCARD,
  PCI_BRIDGE_CTL_SERR,
  PCI_BRIDGE_CTL_VGA,
  PCI_BRIDGE_CTL_VGA_16BIT,
  PCI_CAP_ID_SLOTID,
  PCI_CLASS_BRIDGE_PCI,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID_REDHAT_BRIDGE,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_IO_BASE,
  PCI_IO_BASE_UPPER16,
  PCI_IO_LIMIT,
  PCI_IO_LIMIT_UPPER16,
  PCI_IO_RANGE_MASK,
  PCI_IO_RANGE_TYPE_16,
  PCI_IO_RANGE_TYPE_32,
  PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT,
  PCI_MEMORY_RANGE_MASK,
  PCI_PREF_BASE_UPPER32,
  PCI_PREF_LIMIT_UPPER32,
  PCI_PREF_MEMORY_BASE,
  PCI_PREF_MEMORY_LIMIT,
  PCI_PREF_RANGE_MASK,
  PCI_PREF_RANGE_TYPE_64,
  PCI_PRIMARY_BUS,
  PCI_SECONDARY_BUS,
  PCI_SEC_STATUS,
  PCI_SID_CAP_SIZE,
  PCI_SID_CHASSIS_NR,
  PCI_SID_ESR,
  PCI_SID_ESR_FIC,
  PCI_STATUS,
  PCI_STATUS_66MHZ,
  PCI_STATUS_FAST_BACK,
  PCI_SUBORDINATE_BUS,
  PCI_VENDOR_ID_REDHAT,
} from '../../src/abi/pci.js';
import type { BarSpace } from './bars.js';
import { PciBus } from './bus.js';
import { hex } from './context.js';
import { PciError, type PciDeviceOptions } from './options.js';
import { PciFunction, type PciFunctionIdentity } from './pci-function.js';

/** A bridge forwarding window (inclusive bounds, as QEMU's query-pci reports them). */
export interface BridgeWindow {
  /** First address forwarded. */
  base: number;
  /** Last address forwarded (a window is empty when limit < base). */
  limit: number;
}

const BRIDGE_CONTROL_WRITABLE =
  PCI_BRIDGE_CTL_PARITY |
  PCI_BRIDGE_CTL_SERR |
  PCI_BRIDGE_CTL_ISA |
  PCI_BRIDGE_CTL_VGA |
  PCI_BRIDGE_CTL_VGA_16BIT |
  PCI_BRIDGE_CTL_MASTER_ABORT |
  PCI_BRIDGE_CTL_BUS_RESET |
  PCI_BRIDGE_CTL_FAST_BACK |
  PCI_BRIDGE_CTL_DISCARD |
  PCI_BRIDGE_CTL_SEC_DISCARD |
  PCI_BRIDGE_CTL_DISCARD_SERR;

function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  return a < b + blen && b < a + alen;
}

/** Generic type 1 function with a secondary bus. */
export class PciToPciBridge extends PciFunction {
  /** The bus on the bridge's secondary side. */
  readonly secondary: PciBus;

  /** Creates a bridge; identity.headerType is forced to 1 and the class to PCI bridge. */
  constructor(typeName: string, identity: Omit<PciFunctionIdentity, 'headerType' | 'classCode'>, options: PciDeviceOptions = {}) {
    super(typeName, { ...identity, classCode: PCI_CLASS_BRIDGE_PCI, headerType: PCI_HEADER_TYPE_BRIDGE }, options);
    this.secondary = new PciBus({ name: '', parentBridge: this });
    const c = this.config;
    c.setWmask(PCI_PRIMARY_BUS, 4, 0xffff_ffff);
    c.setWmask(PCI_IO_BASE, 1, PCI_IO_RANGE_MASK);
    c.setWmask(PCI_IO_LIMIT, 1, PCI_IO_RANGE_MASK);
    c.setWmask(PCI_MEMORY_BASE, 2, PCI_MEMORY_RANGE_MASK);
    c.setWmask(PCI_MEMORY_LIMIT, 2, PCI_MEMORY_RANGE_MASK);
    c.setWmask(PCI_PREF_MEMORY_BASE, 2, PCI_PREF_RANGE_MASK);
    c.setWmask(PCI_PREF_MEMORY_LIMIT, 2, PCI_PREF_RANGE_MASK);
    c.setWmask(PCI_PREF_BASE_UPPER32, 4, 0xffff_ffff);
    c.setWmask(PCI_PREF_LIMIT_UPPER32, 4, 0xffff_ffff);
    c.setWmask(PCI_BRIDGE_CONTROL, 2, BRIDGE_CONTROL_WRITABLE);
    c.setW1cMask(PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_DISCARD_STATUS);
    c.set8(PCI_IO_BASE, PCI_IO_RANGE_TYPE_16);
    c.set8(PCI_IO_LIMIT, PCI_IO_RANGE_TYPE_16);
    c.set16(PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64);
    c.set16(PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
    c.set16(PCI_STATUS, c.get16(PCI_STATUS) | PCI_STATUS_66MHZ | PCI_STATUS_FAST_BACK);
    c.set16(PCI_SEC_STATUS, PCI_STATUS_66MHZ | PCI_STATUS_FAST_BACK);
  }

  /** The secondary bus. */
  override get secondaryBus(): PciBus {
    return this.secondary;
  }

  /** Primary, secondary and subordinate bus numbers as programmed. */
  busNumbers(): { primary: number; secondary: number; subordinate: number } {
    const c = this.config;
    return { primary: c.get8(PCI_PRIMARY_BUS), secondary: c.get8(PCI_SECONDARY_BUS), subordinate: c.get8(PCI_SUBORDINATE_BUS) };
  }

  /** True while the bridge control register holds the secondary bus in reset. */
  secondaryInReset(): boolean {
    return (this.config.get16(PCI_BRIDGE_CONTROL) & PCI_BRIDGE_CTL_BUS_RESET) !== 0;
  }

  /** Whether a config cycle for bus `n` is claimed by this bridge (secondary <= n <= subordinate, not in reset). */
  claimsBus(n: number): boolean {
    const b = this.busNumbers();
    return !this.secondaryInReset() && b.secondary <= n && n <= b.subordinate;
  }

  /** The I/O window (16- or 32-bit decode per the type nibble). */
  ioWindow(): BridgeWindow {
    const c = this.config;
    const part = (lo: number, hi: number) => ((c.get8(lo) & PCI_IO_RANGE_MASK) << 8) + (c.get8(lo) & PCI_IO_RANGE_TYPE_32 ? c.get16(hi) * 0x10000 : 0);
    return { base: part(PCI_IO_BASE, PCI_IO_BASE_UPPER16), limit: part(PCI_IO_LIMIT, PCI_IO_LIMIT_UPPER16) + 0xfff };
  }

  /** The non-prefetchable memory window. */
  memoryWindow(): BridgeWindow {
    const c = this.config;
    return {
      base: (c.get16(PCI_MEMORY_BASE) & PCI_MEMORY_RANGE_MASK) * 0x10000,
      limit: (c.get16(PCI_MEMORY_LIMIT) & PCI_MEMORY_RANGE_MASK) * 0x10000 + 0xfffff,
    };
  }

  /** The prefetchable memory window (64-bit decode). */
  prefetchableWindow(): BridgeWindow {
    const c = this.config;
    const part = (lo: number, hi: number) => {
      const w = c.get16(lo);
      return (w & PCI_PREF_RANGE_MASK) * 0x10000 + (w & PCI_PREF_RANGE_TYPE_64 ? c.get32(hi) * 2 ** 32 : 0);
    };
    return { base: part(PCI_PREF_MEMORY_BASE, PCI_PREF_BASE_UPPER32), limit: part(PCI_PREF_MEMORY_LIMIT, PCI_PREF_LIMIT_UPPER32) + 0xfffff };
  }

  /** Whether the bridge passes [base, base+size) from its primary to its secondary side. */
  forwardsDownstream(space: BarSpace, base: number, size: number): boolean {
    const cmd = this.config.get16(PCI_COMMAND);
    const last = base + size - 1;
    const inside = (w: BridgeWindow) => w.limit >= w.base && base >= w.base && last <= w.limit;
    if (space === 'io') return (cmd & PCI_COMMAND_IO) !== 0 && inside(this.ioWindow());
    return (cmd & PCI_COMMAND_MEMORY) !== 0 && (inside(this.memoryWindow()) || inside(this.prefetchableWindow()));
  }

  /** Config write: standard path, then window updates, secondary reset on the 0->1 edge, bus-number trace. */
  override configWrite(reg: number, size: AccessSize, value: number): void {
    const oldCtl = this.config.get16(PCI_BRIDGE_CONTROL);
    const oldBus = this.busNumbers();
    super.configWrite(reg, size, value);
    if (
      overlaps(reg, size, PCI_COMMAND, 2) ||
      overlaps(reg, size, PCI_IO_BASE, 2) ||
      overlaps(reg, size, PCI_MEMORY_BASE, PCI_IO_LIMIT_UPPER16 + 2 - PCI_MEMORY_BASE) ||
      overlaps(reg, size, PCI_BRIDGE_CONTROL, 2)
    ) {
      this.secondary.updateMappings();
    }
    const ctx = this.context();
    const nb = this.busNumbers();
    if (ctx && (nb.primary !== oldBus.primary || nb.secondary !== oldBus.secondary || nb.subordinate !== oldBus.subordinate)) {
      ctx.trace.emit(ctx.sched.now(), 'pci', this.traceSource(), `bus numbers primary ${nb.primary} secondary ${nb.secondary} subordinate ${nb.subordinate}`);
    }
    const newCtl = this.config.get16(PCI_BRIDGE_CONTROL);
    if (~oldCtl & newCtl & PCI_BRIDGE_CTL_BUS_RESET) {
      ctx?.trace.emit(ctx.sched.now(), 'pci', this.traceSource(), `secondary bus ${this.secondary.name} reset`);
      this.secondary.reset();
    }
  }

  /** Bridge reset: bus numbers and windows cleared (decode-type bits kept), bridge control 0. */
  protected override onReset(): void {
    const c = this.config;
    c.set32(PCI_PRIMARY_BUS, 0);
    c.set8(PCI_IO_BASE, c.get8(PCI_IO_BASE) & ~PCI_IO_RANGE_MASK);
    c.set8(PCI_IO_LIMIT, c.get8(PCI_IO_LIMIT) & ~PCI_IO_RANGE_MASK);
    c.set16(PCI_MEMORY_BASE, c.get16(PCI_MEMORY_BASE) & ~PCI_MEMORY_RANGE_MASK);
    c.set16(PCI_MEMORY_LIMIT, c.get16(PCI_MEMORY_LIMIT) & ~PCI_MEMORY_RANGE_MASK);
    c.set16(PCI_PREF_MEMORY_BASE, c.get16(PCI_PREF_MEMORY_BASE) & ~PCI_PREF_RANGE_MASK);
    c.set16(PCI_PREF_MEMORY_LIMIT, c.get16(PCI_PREF_MEMORY_LIMIT) & ~PCI_PREF_RANGE_MASK);
    c.set32(PCI_PREF_BASE_UPPER32, 0);
    c.set32(PCI_PREF_LIMIT_UPPER32, 0);
    c.set16(PCI_BRIDGE_CONTROL, 0);
    this.secondary.updateMappings();
  }

  /** Names the secondary bus once the bridge is on a bus: its id, else the host's next automatic name. */
  protected override realize(): void {
    if (this.secondary.name === '') this.secondary.name = this.qdevId || (this.bus?.host?.nextAutomaticBusName() ?? '');
  }

  /** Trace helper for subclasses: the bridge windows as text. */
  describeWindows(): string {
    const w = (x: BridgeWindow) => `${hex(x.base)}-${hex(x.limit)}`;
    return `io ${w(this.ioWindow())} mem ${w(this.memoryWindow())} pref ${w(this.prefetchableWindow())}`;
  }
}

/** Properties of QEMU's `pci-bridge`. */
export interface PciBridgeOptions extends PciDeviceOptions {
  /** Chassis number for the slot-id capability; QEMU requires a non-zero value. */
  chassis_nr?: number;
  /** Accepted for command-line compatibility; the MSI capability is not modelled. */
  msi?: boolean;
  /** Accepted for command-line compatibility; SHPC hotplug is not modelled. */
  shpc?: boolean;
}

/**
 * QEMU's standard PCI bridge (1b36:0001). Models the slot-id capability carrying
 * chassis_nr; QEMU's SHPC capability with its BAR0 and the optional MSI capability are
 * omitted, so BAR0 reads as 0 and the capability list holds only slot-id.
 */
export class PciBridgeDevice extends PciToPciBridge {
  /** QEMU type name. */
  static readonly typeName = 'pci-bridge';
  /** The chassis number. */
  readonly chassisNr: number;

  /** Creates the bridge; throws PciError (QEMU's text) when chassis_nr is missing or 0. */
  constructor(options: PciBridgeOptions = {}) {
    super(PciBridgeDevice.typeName, { vendorId: PCI_VENDOR_ID_REDHAT, deviceId: PCI_DEVICE_ID_REDHAT_BRIDGE, interruptPin: 1 }, options);
    const nr = options.chassis_nr ?? 0;
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xff) throw new PciError(`Property '${PciBridgeDevice.typeName}.chassis_nr' doesn't take value '${nr}'`);
    if (nr === 0) throw new PciError('Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.');
    this.chassisNr = nr;
    const cap = this.config.addCapability(PCI_CAP_ID_SLOTID, PCI_SID_CAP_SIZE);
    this.config.set8(cap + PCI_SID_ESR, PCI_SID_ESR_FIC);
    this.config.set8(cap + PCI_SID_CHASSIS_NR, nr);
    // The chassis number register is writable and, being non-volatile, survives reset.
    this.config.wmask[cap + PCI_SID_CHASSIS_NR] = 0xff;
  }
}
