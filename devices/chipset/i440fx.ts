/**
 * The `pc` machine's host bridge: PCI domain 0 with root bus 'pci.0', the i440FX
 * function at 00:00.0, and configuration mechanism #1 (address latch at 0xCF8, data at
 * 0xCFC-0xCFF). As a documented extension beyond QEMU's i440FX (which has no MMCONFIG),
 * an ECAM window can be mapped so firmware reaches extended config space on domain 0.
 */
import type { AccessSize, IoRegionOps, MappedRegion } from '../../src/memory/region.js';
import {
  PCI_BUS_MAX,
  PCI_CLASS_BRIDGE_HOST,
  PCI_CONFIG_ADDRESS_ENABLE,
  PCI_CONFIG_ADDRESS_PORT,
  PCI_CONFIG_DATA_PORT,
  PCI_DEVICE_ID_INTEL_82441,
  PCI_VENDOR_ID_INTEL,
  decodePciConfigAddress,
} from '../../src/abi/pci.js';
import { allOnes } from '../pci/bus.js';
import type { PciContext } from '../pci/context.js';
import { PciHost } from '../pci/host.js';
import { PciFunction } from '../pci/pci-function.js';

/** SMRAM control register of the i440FX (QEMU's reset value 0x02). */
export const I440FX_SMRAM = 0x72;
/** First PAM register (stored, not acted upon: shadow RAM is not modelled). */
export const I440FX_PAM = 0x59;
/** Register old coreboot reads for the RAM size in 8 MiB units. */
export const I440FX_COREBOOT_RAM_SIZE = 0x57;
/** Where the `pc` machine model puts the ECAM window. */
export const I440FX_DEFAULT_ECAM_BASE = 0xb000_0000;

/** The i440FX PCI function (00:00.0). */
export class I440fxFunction extends PciFunction {
  /** QEMU type name. */
  static readonly typeName = 'i440FX';

  /** Creates the function; `ramSize` fills the coreboot RAM-size register. */
  constructor(ramSize = 0) {
    super(I440fxFunction.typeName, { vendorId: PCI_VENDOR_ID_INTEL, deviceId: PCI_DEVICE_ID_INTEL_82441, classCode: PCI_CLASS_BRIDGE_HOST, revision: 0x02 });
    this.config.set8(I440FX_SMRAM, 0x02);
    this.config.set8(I440FX_COREBOOT_RAM_SIZE, Math.min(255, Math.floor(ramSize / (8 * 1024 * 1024))));
  }

  /** Restores the SMRAM reset value. */
  protected override onReset(): void {
    this.config.set8(I440FX_SMRAM, 0x02);
  }
}

/** How the i440FX host is built. */
export interface I440fxOptions {
  /** Machine services. */
  ctx: PciContext;
  /** Guest RAM size, for the coreboot RAM-size register. */
  ramSize?: number;
  /** Base of an ECAM window (our extension); absent = none. */
  ecamBase?: number;
  /** Buses covered by the ECAM window (default 256). */
  ecamBuses?: number;
}

/** The i440FX host: domain 0, CF8/CFC config access, optional ECAM. */
export class I440fxHost extends PciHost {
  /** QEMU type name of the host bridge. */
  static readonly typeName = 'i440FX-pcihost';
  /** The host bridge function at 00:00.0. */
  readonly hostBridge: I440fxFunction;
  private configAddress = 0;
  private resetControl: IoRegionOps | undefined;
  private readonly ports: MappedRegion[] = [];

  /** Creates the host, maps 0xCF8/0xCFC, plugs the host bridge at 00:00.0, and maps ECAM if asked. */
  constructor(opts: I440fxOptions) {
    super({ ctx: opts.ctx, domain: 0 });
    const io = opts.ctx.io;
    this.ports.push(
      io.map('pci-conf-idx', PCI_CONFIG_ADDRESS_PORT, 4, {
        read: (off, size) => this.addressRead(off, size),
        peek: (off, size) => (off === 1 && size === 1 && this.resetControl ? (this.resetControl.peek?.(0, 1) ?? 0) : this.latchBytes(off, size)),
        write: (off, size, value) => this.addressWrite(off, size, value),
      }),
      io.map('pci-conf-data', PCI_CONFIG_DATA_PORT, 4, {
        read: (off, size) => this.dataAccess(off, size),
        peek: (off, size) => this.dataPeek(off, size),
        write: (off, size, value) => void this.dataAccess(off, size, value),
      }),
    );
    this.hostBridge = new I440fxFunction(opts.ramSize ?? 0);
    this.rootBus.attach(this.hostBridge, 0, 0);
    if (opts.ecamBase !== undefined) this.mapEcam(opts.ctx.mem, opts.ecamBase, opts.ecamBuses ?? PCI_BUS_MAX);
  }

  /** Current CONFIG_ADDRESS latch. */
  get configAddressLatch(): number {
    return this.configAddress;
  }

  /**
   * Installs the handler for byte accesses to port 0xCF9, which overlaps the address latch:
   * PIIX3's reset control register lives there and takes priority, as in QEMU.
   */
  setResetControlHandler(ops: IoRegionOps | undefined): void {
    this.resetControl = ops;
  }

  private latchBytes(off: number, size: AccessSize): number {
    return Math.floor(this.configAddress / 2 ** (8 * off)) % 2 ** (8 * size);
  }

  private addressRead(off: number, size: AccessSize): number {
    if (off === 1 && size === 1 && this.resetControl) return this.resetControl.read(0, 1);
    return this.latchBytes(off, size);
  }

  private addressWrite(off: number, size: AccessSize, value: number): void {
    if (off === 1 && size === 1 && this.resetControl) {
      this.resetControl.write(0, 1, value);
      return;
    }
    // Only a full dword write at 0xCF8 loads the latch; narrower writes go nowhere.
    if (off === 0 && size === 4) this.configAddress = value >>> 0;
  }

  private dataAccess(off: number, size: AccessSize, value?: number): number {
    if (!(this.configAddress & PCI_CONFIG_ADDRESS_ENABLE)) return allOnes(size);
    const a = decodePciConfigAddress(this.configAddress);
    if (value === undefined) return this.configRead(a.bus, a.slot, a.fn, a.reg | off, size);
    this.configWrite(a.bus, a.slot, a.fn, a.reg | off, size, value);
    return 0;
  }

  private dataPeek(off: number, size: AccessSize): number {
    if (!(this.configAddress & PCI_CONFIG_ADDRESS_ENABLE)) return allOnes(size);
    const a = decodePciConfigAddress(this.configAddress);
    const f = this.findFunction(a.bus, a.slot, a.fn);
    return f ? f.config.peek(a.reg | off, size) : allOnes(size);
  }
}
