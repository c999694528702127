/**
 * PIIX3 PCI-to-ISA bridge (00:01.0): owns INTx routing of the root bus. Each root-bus
 * INTx input goes to PIRQ[(slot - 1 + pin) & 3] (the i440FX board wiring, which SeaBIOS's
 * and QEMU's ACPI _PRT tables follow), and PIRQ n goes to the ISA IRQ in route register
 * 0x60 + n, or nowhere when that value is 16 or more (bit 7 = disable). Firmware programs
 * the routes; changing one moves asserted levels to the new line at once. ISA IRQ n is
 * GSI n on this machine. Also models the reset control register at port 0xCF9.
 */
import type { IrqLine } from '../../src/machine/interrupts.js';
import { PIIX_RCR_RST_CPU, PIIX_RCR_SYS_RST } from '../../src/abi/acpi.js';
import type { IoRegionOps } from '../../src/memory/region.js';
import {
  PCI_CLASS_BRIDGE_ISA,
  PCI_DEVICE_ID_INTEL_82371SB_0,
  PCI_VENDOR_ID_INTEL,
  PIIX_ISA_NUM_IRQS,
  PIIX_NUM_PIRQS,
  PIIX_PIRQCA,
} from '../../src/abi/pci.js';
import type { PciHost } from '../pci/host.js';
import type { PciDeviceOptions } from '../pci/options.js';
import { PciFunction } from '../pci/pci-function.js';
import { I440fxHost } from './i440fx.js';

/** The PIRQ line (0 = PIRQA) a root-bus device's INTx pin reaches on the i440FX/PIIX3 board. */
export function piixPirqForSlot(slot: number, pin0: number): number {
  return (slot - 1 + pin0) & 3;
}

/** The reset control bits, re-exported (one definition: src/abi/acpi.ts). */
export { PIIX_RCR_RST_CPU, PIIX_RCR_SYS_RST };

// Reset values of the PIIX3 registers QEMU initializes (offset, value).
const RESET_VALUES: readonly (readonly [number, number])[] = [
  [0x04, 0x07], [0x05, 0x00], [0x06, 0x00], [0x07, 0x02], [0x4c, 0x4d], [0x4e, 0x03], [0x4f, 0x00],
  [0x60, 0x80], [0x61, 0x80], [0x62, 0x80], [0x63, 0x80], [0x69, 0x02], [0x70, 0x80], [0x76, 0x0c],
  [0x77, 0x0c], [0x78, 0x02], [0x79, 0x00], [0x80, 0x00], [0x82, 0x00], [0xa0, 0x08], [0xa2, 0x00],
  [0xa3, 0x00], [0xa4, 0x00], [0xa5, 0x00], [0xa6, 0x00], [0xa7, 0x00], [0xa8, 0x0f], [0xaa, 0x00],
  [0xab, 0x00], [0xac, 0x00], [0xae, 0x00],
];

/** PIIX3 properties. */
export interface Piix3Options extends PciDeviceOptions {
  /** Called when the guest requests a reset through port 0xCF9. */
  onSystemReset?: () => void;
}

/** The PIIX3 ISA bridge function. */
export class Piix3 extends PciFunction {
  /** QEMU type name. */
  static readonly typeName = 'PIIX3';
  private readonly onSystemReset: (() => void) | undefined;
  private rcr = 0;
  // One line per (root input, GSI): the interrupt controller ORs them, so shared PIRQs work.
  private readonly lines = new Map<string, IrqLine>();
  private routedHost: PciHost | undefined;

  /** Creates the function; it is multifunction by default, as the `pc` machine creates it. */
  constructor(opts: Piix3Options = {}) {
    super(Piix3.typeName, { vendorId: PCI_VENDOR_ID_INTEL, deviceId: PCI_DEVICE_ID_INTEL_82371SB_0, classCode: PCI_CLASS_BRIDGE_ISA }, { multifunction: true, ...opts });
    this.onSystemReset = opts.onSystemReset;
    this.applyResetValues();
  }

  /** The ISA IRQ PIRQ `pirq` is routed to, or undefined when disabled. */
  pirqRoute(pirq: number): number | undefined {
    const v = this.config.get8(PIIX_PIRQCA + pirq);
    return v < PIIX_ISA_NUM_IRQS ? v : undefined;
  }

  /** The GSI a root-bus device in `slot` reaches with INTx pin `pin0` (undefined: not routed). */
  gsiFor(slot: number, pin0: number): number | undefined {
    return this.pirqRoute(piixPirqForSlot(slot, pin0));
  }

  /** The reset control register as an I/O handler (installed on the i440FX at 0xCF9). */
  readonly resetControlOps: IoRegionOps = {
    read: () => this.rcr,
    peek: () => this.rcr,
    write: (_off, _size, value) => {
      if (value & PIIX_RCR_RST_CPU) {
        const ctx = this.context();
        ctx?.trace.emit(ctx.sched.now(), 'machine', this.traceSource(), 'reset requested through port 0xcf9');
        this.onSystemReset?.();
        return;
      }
      this.rcr = value & PIIX_RCR_SYS_RST;
    },
  };

  /** On the root bus, takes over the host's INTx routing and port 0xCF9. */
  protected override realize(): void {
    const bus = this.bus;
    const host = bus?.host;
    if (!bus?.isRoot || !host) return;
    this.routedHost = host;
    host.setIntxResolver((slot, pin0) => this.resolve(slot, pin0));
    if (host instanceof I440fxHost) host.setResetControlHandler(this.resetControlOps);
  }

  /** Gives routing and port 0xCF9 back. */
  protected override unrealize(): void {
    const host = this.routedHost;
    if (!host) return;
    host.setIntxResolver(undefined);
    if (host instanceof I440fxHost) host.setResetControlHandler(undefined);
    this.routedHost = undefined;
  }

  /** Route register writes re-route live levels. */
  protected override onConfigWritten(reg: number, size: number): void {
    if (!(reg < PIIX_PIRQCA + PIIX_NUM_PIRQS && PIIX_PIRQCA < reg + size)) return;
    const ctx = this.context();
    if (ctx) {
      const routes = Array.from({ length: PIIX_NUM_PIRQS }, (_, i) => `PIRQ${'ABCD'[i]}=${this.pirqRoute(i) ?? 'off'}`).join(' ');
      ctx.trace.emit(ctx.sched.now(), 'pci', this.traceSource(), `PIRQ routing ${routes}`);
    }
    this.routedHost?.rerouteIntx();
  }

  /** PIIX3 reset values (all PIRQs disabled) and reset control cleared. */
  protected override onReset(): void {
    this.applyResetValues();
    this.rcr = 0;
    this.routedHost?.rerouteIntx();
  }

  private applyResetValues(): void {
    for (const [off, v] of RESET_VALUES) this.config.set8(off, v);
  }

  private resolve(slot: number, pin0: number): IrqLine | undefined {
    const gsi = this.gsiFor(slot, pin0);
    const ctx = this.context();
    if (gsi === undefined || !ctx) return undefined;
    const key = `${slot}.${pin0}.${gsi}`;
    let line = this.lines.get(key);
    if (!line) {
      line = ctx.interrupts.line(gsi);
      this.lines.set(key, line);
    }
    return line;
  }
}
