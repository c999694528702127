/**
 * QEMU's `ich9-ahci` (8086:2922, class 0x010601, revision 2): six ports behind the ABAR in
 * BAR5 (4 KiB: generic host control at 0, port n at 0x100 + 0x80 n), the AHCI index/data
 * pair in BAR4, a Serial ATA capability at 0xa8 and a one-vector, 64-bit MSI capability at
 * 0x80 (AHCI 1.3 §2, §3.1). GHC.AE always reads as one (CAP.SAM); GHC.HR resets every port
 * and clears itself at once. The interrupt is MSI when the guest enabled it, INTA otherwise,
 * raised while any port has an enabled PxIS bit and GHC.IE is set.
 */
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import { PCI_CLASS_STORAGE_SATA, PCI_DEVICE_ID_INTEL_82801IR, PCI_VENDOR_ID_INTEL } from '../../src/abi/pci.js';
import {
  AHCI_ABAR_BAR,
  AHCI_ABAR_SIZE,
  AHCI_ICH9_PORTS,
  AHCI_IDP_BAR,
  AHCI_IDP_DATA,
  AHCI_IDP_INDEX,
  AHCI_IDP_SIZE,
  AHCI_MAX_CMDS,
  AHCI_PORT_BASE,
  AHCI_PORT_SIZE,
  AHCI_PROGIF,
  AHCI_VERSION_1_0,
  HOST_CAP,
  HOST_CAP2,
  HOST_CAP_64,
  HOST_CAP_AHCI_ONLY,
  HOST_CAP_ISS_SHIFT,
  HOST_CAP_NCQ,
  HOST_CAP_NCS_SHIFT,
  HOST_CTL,
  HOST_CTL_AHCI_EN,
  HOST_CTL_IRQ_EN,
  HOST_CTL_RESET,
  HOST_IRQ_STAT,
  HOST_PORTS_IMPL,
  HOST_VERSION,
  ICH9_AHCI_REVISION,
  ICH9_MAP,
  ICH9_MSI_CAP_OFFSET,
  ICH9_SATA_CAP_OFFSET,
  PCI_CAP_ID_SATA,
} from '../../src/abi/ahci.js';
import { PCI_MSI_FLAGS } from '../../src/abi/pci-msi.js';
import type { PciDeviceOptions } from '../pci/options.js';
import { PciFunction } from '../pci/pci-function.js';
import { Msi } from '../pci/msi.js';
import { AhciPort } from './port.js';

/** Size of the Serial ATA capability. */
const SATA_CAP_SIZE = 8;
/** SATA capability revision 1.0. */
const SATA_CAP_REV = 0x10;
/** SATA capability register 1: BARLOC 8 (the BAR at config offset 0x20, BAR4), BAROFST 0 (§2.4.2). */
const SATA_CAP_BARLOC = 0x8;

/** ich9-ahci options. */
export interface Ich9AhciOptions extends PciDeviceOptions {
  /** Ports (QEMU's ich9-ahci has six). */
  ports?: number;
}

/** The ICH9 AHCI controller. */
export class Ich9Ahci extends PciFunction {
  /** QEMU type name. */
  static readonly typeName = 'ich9-ahci';
  /** The ports; port n's qdev bus is `<id>.<n>`. */
  readonly ports: readonly AhciPort[];
  /** MSI. */
  readonly msi: Msi;
  private ghc = HOST_CTL_AHCI_EN;
  private hostIs = 0;
  private idpIndex = 0;

  /** Creates the controller. */
  constructor(opts: Ich9AhciOptions = {}) {
    super(
      Ich9Ahci.typeName,
      { vendorId: PCI_VENDOR_ID_INTEL, deviceId: PCI_DEVICE_ID_INTEL_82801IR, classCode: PCI_CLASS_STORAGE_SATA, progIf: AHCI_PROGIF, revision: ICH9_AHCI_REVISION, interruptPin: 1 },
      opts,
    );
    const n = opts.ports ?? AHCI_ICH9_PORTS;
    this.ports = Array.from({ length: n }, (_, i) => new AhciPort(i));
    this.config.set8(ICH9_MAP, 1 << 6);
    const sata = this.config.addCapability(PCI_CAP_ID_SATA, SATA_CAP_SIZE, ICH9_SATA_CAP_OFFSET);
    this.config.set16(sata + 2, SATA_CAP_REV);
    this.config.set32(sata + 4, SATA_CAP_BARLOC);
    this.msi = new Msi(this, { offset: ICH9_MSI_CAP_OFFSET, is64: true });
    const abar: IoRegionOps = {
      read: (off, size) => this.abarRead(off, size),
      peek: (off, size) => this.abarPeek(off, size),
      write: (off, size, value) => this.abarWrite(off, size, value),
    };
    const idp: IoRegionOps = {
      read: (off, size) => (off === AHCI_IDP_INDEX ? this.idpIndex : off === AHCI_IDP_DATA ? this.abarRead(this.idpIndex, size) : 0),
      peek: (off, size) => (off === AHCI_IDP_INDEX ? this.idpIndex : off === AHCI_IDP_DATA ? this.abarPeek(this.idpIndex, size) : 0),
      write: (off, size, value) => {
        if (off === AHCI_IDP_INDEX) this.idpIndex = value & (AHCI_ABAR_SIZE - 4);
        else if (off === AHCI_IDP_DATA) this.abarWrite(this.idpIndex, size, value);
      },
    };
    this.defineBar(AHCI_IDP_BAR, { kind: 'io', size: AHCI_IDP_SIZE, ops: idp });
    this.defineBar(AHCI_ABAR_BAR, { kind: 'mem32', size: AHCI_ABAR_SIZE, ops: abar });
  }

  /** CAP as QEMU sets it: 64-bit, NCQ, AHCI-only, Gen1, 32 slots, the port count. */
  get cap(): number {
    return (HOST_CAP_64 | HOST_CAP_NCQ | HOST_CAP_AHCI_ONLY | (1 << HOST_CAP_ISS_SHIFT) | ((AHCI_MAX_CMDS - 1) << HOST_CAP_NCS_SHIFT) | (this.ports.length - 1)) >>> 0;
  }

  /** Ports implemented. */
  get portsImplemented(): number {
    return (2 ** this.ports.length - 1) >>> 0;
  }

  /** Gives each port the machine context. */
  protected override realize(): void {
    const ctx = this.ctx;
    for (const p of this.ports) {
      p.connect({ sched: ctx.sched, trace: ctx.trace, mem: ctx.mem, busMaster: () => this.busMasterEnabled(), irqChanged: () => this.updateIrq(), source: this.traceSource() });
    }
  }

  /** Disconnects the ports. */
  protected override unrealize(): void {
    for (const p of this.ports) p.connect(undefined);
  }

  /** PCI reset: HBA reset, MSI off. */
  protected override onReset(): void {
    this.config.set8(ICH9_MAP, 1 << 6);
    this.msi.reset();
    this.hbaReset();
  }

  /** INTx is dropped while MSI is enabled. */
  protected override onConfigWritten(reg: number, size: number): void {
    const flags = this.msi.capOffset + PCI_MSI_FLAGS;
    if (reg < flags + 2 && flags < reg + size) this.updateIrq();
  }

  private hbaReset(): void {
    this.ghc = HOST_CTL_AHCI_EN;
    this.hostIs = 0;
    for (const p of this.ports) p.hbaReset();
    this.updateIrq();
  }

  private abarPeek(off: number, size: AccessSize): number {
    return this.abarRead(off, size);
  }

  private abarRead(off: number, size: AccessSize): number {
    if (off >= AHCI_PORT_BASE) {
      const p = this.ports[Math.floor((off - AHCI_PORT_BASE) / AHCI_PORT_SIZE)];
      return p ? p.read((off - AHCI_PORT_BASE) % AHCI_PORT_SIZE, size) : 0;
    }
    const v = this.hostReg(off & ~3);
    return size === 4 ? v : Math.floor(v / 2 ** (8 * (off & 3))) % 2 ** (8 * size);
  }

  private hostReg(off: number): number {
    switch (off) {
      case HOST_CAP:
        return this.cap;
      case HOST_CTL:
        return this.ghc >>> 0;
      case HOST_IRQ_STAT:
        return this.hostIs >>> 0;
      case HOST_PORTS_IMPL:
        return this.portsImplemented;
      case HOST_VERSION:
        return AHCI_VERSION_1_0;
      case HOST_CAP2:
        return 0;
      default:
        return 0;
    }
  }

  private abarWrite(off: number, size: AccessSize, value: number): void {
    if (off >= AHCI_PORT_BASE) {
      const p = this.ports[Math.floor((off - AHCI_PORT_BASE) / AHCI_PORT_SIZE)];
      p?.write((off - AHCI_PORT_BASE) % AHCI_PORT_SIZE, size, value);
      return;
    }
    // Generic host registers are dword registers; narrower writes land in their byte lanes.
    const base = off & ~3;
    const shift = 8 * (off & 3);
    const v = size === 4 ? value >>> 0 : ((value * 2 ** shift) >>> 0);
    if (base === HOST_CTL) {
      if (v & HOST_CTL_RESET) {
        this.trace('HBA reset');
        this.hbaReset();
        return;
      }
      const wasEnabled = (this.ghc & HOST_CTL_IRQ_EN) !== 0;
      this.ghc = (HOST_CTL_AHCI_EN | (v & HOST_CTL_IRQ_EN)) >>> 0;
      this.updateIrq(!wasEnabled);
    } else if (base === HOST_IRQ_STAT) {
      this.hostIs = (this.hostIs & ~v) >>> 0;
      this.updateIrq();
    }
  }

  /**
   * IS follows the ports: a port with an enabled PxIS bit sets its IS bit (write-one-to-clear
   * only sticks once the port is quiet). The line is IS != 0 with GHC.IE; with MSI a message
   * goes out each time a port adds a pending bit.
   */
  private updateIrq(enabling = false): void {
    let pending = 0;
    this.ports.forEach((p, i) => {
      if (p.interruptPending) pending |= 1 << i;
    });
    const fresh = pending & ~this.hostIs;
    this.hostIs = (this.hostIs | pending) >>> 0;
    const on = this.hostIs !== 0 && (this.ghc & HOST_CTL_IRQ_EN) !== 0;
    if (this.msi.enabled()) {
      this.setIrq(false);
      if (on && (fresh || enabling)) this.msi.notify();
    } else {
      this.setIrq(on);
    }
  }

  private trace(msg: string): void {
    const ctx = this.context();
    ctx?.trace.emit(ctx.sched.now(), 'io', this.traceSource(), msg);
  }
}
