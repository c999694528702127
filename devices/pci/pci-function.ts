/**
 * The base of every PCI function model: identity registers, BARs, INTx, the default
 * config-write path (masks, then BAR remapping, INTx-disable and MSI-X side effects), and
 * reset. A function learns where it lives and gets its machine context when a bus accepts
 * it; until then it is just config bytes.
 */
import type { AccessSize } from '../../src/memory/region.js';
import {
  PCI_CACHE_LINE_SIZE,
  PCI_CLASS_DEVICE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_MASTER,
  PCI_CONFIG_SPACE_SIZE,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_HEADER_TYPE_NORMAL,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_NUM_BARS_TYPE0,
  PCI_NUM_BARS_TYPE1,
  PCI_NUM_PINS,
  PCI_REVISION_ID,
  PCI_ROM_ADDRESS,
  PCI_ROM_ADDRESS1,
  PCI_STATUS,
  PCI_STATUS_INTERRUPT,
  PCI_SUBDEVICE_ID_QEMU,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_SUBVENDOR_ID_REDHAT_QUMRANET,
  PCI_VENDOR_ID,
  formatPciAddress,
} from '../../src/abi/pci.js';
import { BarSet, type BarDefinition, type BarInfo, type BarSpace } from './bars.js';
import type { PciBus } from './bus.js';
import { ConfigSpace, type ConfigSpaceSize } from './config-space.js';
import type { PciContext } from './context.js';
import { resolveDevfn, type PciDevfn, type PciDeviceOptions } from './options.js';

/** The identity a function model declares (QEMU's PCIDeviceClass fields). */
export interface PciFunctionIdentity {
  /** Vendor id. */
  vendorId: number;
  /** Device id. */
  deviceId: number;
  /** Base class << 8 | sub class (e.g. 0x0780). */
  classCode: number;
  /** Programming interface byte. */
  progIf?: number;
  /** Revision id. */
  revision?: number;
  /** Subsystem vendor (type 0 only; both ids 0/absent = QEMU's default 1af4:1100). */
  subsystemVendorId?: number;
  /** Subsystem id (type 0 only). */
  subsystemId?: number;
  /** Header layout: 0 normal, 1 PCI-to-PCI bridge. */
  headerType?: typeof PCI_HEADER_TYPE_NORMAL | typeof PCI_HEADER_TYPE_BRIDGE;
  /** Interrupt pin: 0 none, 1..4 = INTA..INTD. */
  interruptPin?: number;
  /** 256 for conventional PCI, 4096 for a function with PCIe extended config space. */
  configSize?: ConfigSpaceSize;
}

/** What the MSI-X layer plugs into a function (kept as an interface so the two files stay independent). */
export interface PciFunctionMsixHooks {
  /** MSI-X enable bit is set. */
  enabled(): boolean;
  /** Called after every config write. */
  configWritten(reg: number, size: number): void;
  /** Called on function reset. */
  reset(): void;
}

function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  return a < b + blen && b < a + alen;
}

/** A PCI function: config space, BARs, INTx, hooks for device models. */
export class PciFunction {
  /** QEMU type name (`virtio-serial-pci`, `PIIX4_PM`, ...). */
  readonly typeName: string;
  /** The function's config space. */
  readonly config: ConfigSpace;
  /** The -device id ("" when none was given). */
  readonly qdevId: string;
  /** The multifunction property. */
  readonly multifunction: boolean;
  /** Address requested with `addr=` (undefined: first free slot). */
  readonly requestedDevfn: PciDevfn | undefined;
  /** Bus requested with `bus=` (undefined: the root bus). */
  readonly requestedBus: string | undefined;
  /** The BARs (device models use defineBar). */
  protected readonly bars: BarSet;
  private msixHooks: PciFunctionMsixHooks | undefined;
  private where: { bus: PciBus; slot: number; fn: number } | undefined;
  private intxLevel = false;

  /** Creates a function with `identity`; `options` are the common qdev properties. */
  constructor(typeName: string, identity: PciFunctionIdentity, options: PciDeviceOptions = {}) {
    this.typeName = typeName;
    this.qdevId = options.id ?? '';
    this.multifunction = options.multifunction === true;
    this.requestedDevfn = resolveDevfn(typeName, options.addr);
    this.requestedBus = options.bus;
    const headerType = identity.headerType ?? PCI_HEADER_TYPE_NORMAL;
    this.config = new ConfigSpace(identity.configSize ?? PCI_CONFIG_SPACE_SIZE);
    const c = this.config;
    c.set16(PCI_VENDOR_ID, identity.vendorId);
    c.set16(PCI_DEVICE_ID, identity.deviceId);
    c.set8(PCI_REVISION_ID, identity.revision ?? 0);
    c.set8(PCI_CLASS_PROG, identity.progIf ?? 0);
    c.set16(PCI_CLASS_DEVICE, identity.classCode);
    c.set8(PCI_HEADER_TYPE, headerType | (this.multifunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0));
    c.set8(PCI_INTERRUPT_PIN, identity.interruptPin ?? 0);
    if (headerType === PCI_HEADER_TYPE_NORMAL) {
      const own = (identity.subsystemVendorId ?? 0) !== 0 || (identity.subsystemId ?? 0) !== 0;
      c.set16(PCI_SUBSYSTEM_VENDOR_ID, own ? (identity.subsystemVendorId ?? 0) : PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
      c.set16(PCI_SUBSYSTEM_ID, own ? (identity.subsystemId ?? 0) : PCI_SUBDEVICE_ID_QEMU);
    }
    this.bars = new BarSet({
      config: c,
      barSlots: headerType === PCI_HEADER_TYPE_BRIDGE ? PCI_NUM_BARS_TYPE1 : PCI_NUM_BARS_TYPE0,
      context: () => this.context(),
      upstreamForwards: (space, base, size) => this.upstreamForwards(space, base, size),
      traceSource: () => this.traceSource(),
    });
  }

  /** Header type without the multifunction bit. */
  get headerType(): number {
    return this.config.get8(PCI_HEADER_TYPE) & ~PCI_HEADER_TYPE_MULTI_FUNCTION;
  }

  /** The bus this function is plugged into. */
  get bus(): PciBus | undefined {
    return this.where?.bus;
  }

  /** Slot on its bus (-1 while detached). */
  get slot(): number {
    return this.where?.slot ?? -1;
  }

  /** Function number in its slot (-1 while detached). */
  get fn(): number {
    return this.where?.fn ?? -1;
  }

  /** The machine context, once the function is on a bus that reaches a host. */
  context(): PciContext | undefined {
    return this.where?.bus.host?.ctx;
  }

  /** The machine context; throws when the function is not plugged in. */
  get ctx(): PciContext {
    const c = this.context();
    if (!c) throw new Error(`${this.typeName} is not plugged into a PCI bus`);
    return c;
  }

  /** The bus a bridge function opens below itself (undefined for ordinary functions). */
  get secondaryBus(): PciBus | undefined {
    return undefined;
  }

  /** Linux-style address `0000:00:03.0` (bus number as currently programmed). */
  pciAddress(): string {
    const w = this.where;
    if (!w) return `${this.typeName} (unplugged)`;
    return formatPciAddress(w.bus.host?.domain ?? 0, w.bus.number, w.slot, w.fn);
  }

  /** Source name for trace lines. */
  traceSource(): string {
    return this.where ? this.pciAddress() : this.typeName;
  }

  /** Declares BAR `index` (see BarSet.define). */
  defineBar(index: number, def: BarDefinition): void {
    this.bars.define(index, def);
    if (this.where) this.bars.update();
  }

  /** BAR `index` as currently decoded. */
  bar(index: number): BarInfo | undefined {
    return this.bars.get(index);
  }

  /** All BARs. */
  barList(): BarInfo[] {
    return this.bars.list();
  }

  /** Config read as the host delivers it; override for registers with read side effects. */
  configRead(reg: number, size: AccessSize): number {
    return this.config.read(reg, size);
  }

  /** Config write as the host delivers it; overrides should call super.configWrite. */
  configWrite(reg: number, size: AccessSize, value: number): void {
    const wasDisabled = this.intxDisabled();
    this.config.write(reg, size, value);
    if (
      this.bars.coversBarRegisters(reg, size) ||
      overlaps(reg, size, this.headerType === PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS, 4) ||
      overlaps(reg, size, PCI_COMMAND, 2)
    ) {
      this.updateMappings();
    }
    if (overlaps(reg, size, PCI_COMMAND, 2) && wasDisabled !== this.intxDisabled() && this.intxLevel) {
      this.propagateIntx(this.intxDisabled() ? -1 : 1);
    }
    this.msixHooks?.configWritten(reg, size);
    this.onConfigWritten(reg, size);
  }

  /** Hook run after every config write (masks and standard side effects already applied). */
  protected onConfigWritten(_reg: number, _size: number): void {}

  /** Re-decodes BARs (also called by bridges when their windows change). */
  updateMappings(): void {
    if (this.where) this.bars.update();
  }

  /** Drives the function's INTx pin; ignored without a pin or while MSI-X is enabled. */
  setIrq(level: boolean): void {
    const pin = this.config.get8(PCI_INTERRUPT_PIN);
    if (pin < 1 || pin > PCI_NUM_PINS) return;
    if (level && this.msixHooks?.enabled()) return;
    if (level === this.intxLevel) return;
    this.intxLevel = level;
    const st = this.config.get16(PCI_STATUS);
    this.config.set16(PCI_STATUS, level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT);
    if (!this.intxDisabled()) this.propagateIntx(level ? 1 : -1);
  }

  /** Current INTx output level (before INTX_DISABLE). */
  get irqLevel(): boolean {
    return this.intxLevel;
  }

  /** Drops INTx (reset, MSI-X enable). */
  deassertIntx(): void {
    this.setIrq(false);
  }

  /** True when bus mastering (DMA, MSI) is enabled. */
  busMasterEnabled(): boolean {
    return (this.config.get16(PCI_COMMAND) & PCI_COMMAND_MASTER) !== 0;
  }

  /** Whether bridges between this function and the host forward the range (root: always). */
  upstreamForwards(space: BarSpace, base: number, size: number): boolean {
    return this.where ? this.where.bus.forwards(space, base, size) : false;
  }

  /** PCI reset: clears guest-writable state, then lets the model restore its own reset values. */
  reset(): void {
    this.deassertIntx();
    const c = this.config;
    c.set16(PCI_COMMAND, c.get16(PCI_COMMAND) & ~(c.wmask[PCI_COMMAND]! | (c.wmask[PCI_COMMAND + 1]! << 8)));
    const stClear = c.wmask[PCI_STATUS]! | c.w1cmask[PCI_STATUS]! | ((c.wmask[PCI_STATUS + 1]! | c.w1cmask[PCI_STATUS + 1]!) << 8);
    c.set16(PCI_STATUS, c.get16(PCI_STATUS) & ~stClear);
    c.set8(PCI_CACHE_LINE_SIZE, 0);
    c.set8(PCI_INTERRUPT_LINE, 0);
    this.bars.resetRegisters();
    this.msixHooks?.reset();
    this.onReset();
    this.updateMappings();
  }

  /** Hook for model-specific reset values (runs after the generic PCI reset). */
  protected onReset(): void {}

  /** Hook run once the bus has accepted the function and the context is available. */
  protected realize(): void {}

  /** Hook run when the function is unplugged. */
  protected unrealize(): void {}

  /** Installs the MSI-X layer (done by initMsix). */
  installMsix(hooks: PciFunctionMsixHooks): void {
    if (this.msixHooks) throw new Error(`${this.typeName} already has MSI-X`);
    this.msixHooks = hooks;
  }

  /** Bus-side plumbing: records the location and realizes the model. Not for device models. */
  plugInto(bus: PciBus, slot: number, fn: number): void {
    this.where = { bus, slot, fn };
    try {
      this.realize();
    } catch (e) {
      this.where = undefined;
      throw e;
    }
    if (this.intxLevel && !this.intxDisabled()) this.propagateIntx(1);
    this.bars.update();
  }

  /** Bus-side plumbing: drops INTx and BAR mappings and forgets the location. */
  unplug(): void {
    if (!this.where) return;
    if (this.intxLevel && !this.intxDisabled()) this.propagateIntx(-1);
    this.bars.unmapAll();
    this.unrealize();
    this.where = undefined;
  }

  private intxDisabled(): boolean {
    return (this.config.get16(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) !== 0;
  }

  private propagateIntx(delta: 1 | -1): void {
    const w = this.where;
    if (!w) return;
    w.bus.intxChange(w.slot, this.config.get8(PCI_INTERRUPT_PIN) - 1, delta);
  }
}
