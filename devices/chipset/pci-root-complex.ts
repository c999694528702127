/**
 * `pci-root-complex`: an extra PCI root complex with its own domain (segment) number,
 * reachable only through its ECAM window. QEMU's x86 machines keep every root in
 * segment 0; this device exists so a GuestPCIAddress can carry a non-zero domain, as on
 * machines with several host bridges. Its INTx pins go to a fixed block of four GSIs.
 */
import { PCI_CLASS_BRIDGE_HOST, PCI_DEVICE_ID_REDHAT_PCIE_HOST, PCI_VENDOR_ID_REDHAT } from '../../src/abi/pci.js';
import type { IrqLine } from '../../src/machine/interrupts.js';
import type { PciContext } from '../pci/context.js';
import { PciHost } from '../pci/host.js';
import { PciFunction } from '../pci/pci-function.js';

/** Options of an extra root complex. */
export interface PciRootComplexOptions {
  /** Machine services. */
  ctx: PciContext;
  /** Segment number (non-zero). */
  domain: number;
  /** Root bus name (the device id). */
  busName: string;
  /** ECAM window base and bus count. */
  ecamBase: number;
  /** Buses decoded by the ECAM window. */
  ecamBuses: number;
  /** First of the four GSIs INTA..INTD of the root bus go to. */
  gsiBase: number;
}

/** The host-bridge function at 00:00.0 of an extra root complex. */
export class PciRootComplexBridge extends PciFunction {
  /** Type name shown in query-pci and traces. */
  static readonly typeName = 'pci-root-complex-bridge';

  /** Creates the function (1b36:0008, host bridge class). */
  constructor() {
    super(PciRootComplexBridge.typeName, { vendorId: PCI_VENDOR_ID_REDHAT, deviceId: PCI_DEVICE_ID_REDHAT_PCIE_HOST, classCode: PCI_CLASS_BRIDGE_HOST });
  }
}

/** An extra root complex. */
export class PciRootComplex extends PciHost {
  /** QEMU-style type name for -device. */
  static readonly typeName = 'pci-root-complex';
  private readonly lines = new Map<number, IrqLine>();

  /** Creates the root, plugs its host-bridge function, maps ECAM and wires INTx. */
  constructor(opts: PciRootComplexOptions) {
    super({ ctx: opts.ctx, domain: opts.domain, rootBusName: opts.busName });
    this.rootBus.attach(new PciRootComplexBridge(), 0, 0);
    this.mapEcam(opts.ctx.mem, opts.ecamBase, opts.ecamBuses);
    this.setIntxResolver((slot, pin0) => {
      // One source per (slot, pin) so shared GSIs are wired-OR at the interrupt controller.
      const key = slot * 4 + pin0;
      let line = this.lines.get(key);
      if (!line) {
        line = opts.ctx.interrupts.line(opts.gsiBase + ((slot + pin0) & 3));
        this.lines.set(key, line);
      }
      return line;
    });
  }
}
