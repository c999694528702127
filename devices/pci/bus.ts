/**
 * A PCI bus segment: 32 slots of 8 functions. It owns placement (QEMU's slot and
 * multifunction rules and error texts), type 0 config cycles to its functions, INTx
 * aggregation towards the host (swizzled at every bridge), and the question "does this
 * address range reach me?" that decides whether BARs behind bridges are decoded.
 */
import type { AccessSize } from '../../src/memory/region.js';
import { PCI_FUNC_MAX, PCI_SECONDARY_BUS, PCI_SLOT_MAX, pciSwizzle } from '../../src/abi/pci.js';
import type { BarSpace } from './bars.js';
import type { PciToPciBridge } from './bridge.js';
import type { PciHost } from './host.js';
import { PciError, type PciDevfn } from './options.js';
import type { PciFunction } from './pci-function.js';

/** All-ones value of an access size: what a config read of nothing returns. */
export function allOnes(size: AccessSize): number {
  return size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
}

/** How a bus is created: a root bus belongs to a host, a secondary bus to a bridge. */
export interface PciBusOptions {
  /** qdev bus name ('pci.0', or the bridge's id). */
  name: string;
  /** The host, for a root bus. */
  host?: PciHost;
  /** The bridge above, for a secondary bus. */
  parentBridge?: PciToPciBridge;
}

/** One PCI bus. */
export class PciBus {
  /** qdev name (set by the host for buses behind bridges when they are plugged in). */
  name: string;
  /** The bridge whose secondary side this is (undefined for a root bus). */
  readonly parentBridge: PciToPciBridge | undefined;
  private readonly rootHost: PciHost | undefined;
  private readonly devices: (PciFunction | undefined)[] = new Array<PciFunction | undefined>(PCI_SLOT_MAX * PCI_FUNC_MAX).fill(undefined);

  /** Creates an empty bus. */
  constructor(opts: PciBusOptions) {
    this.name = opts.name;
    this.rootHost = opts.host;
    this.parentBridge = opts.parentBridge;
  }

  /** The host this bus reaches (undefined while its bridge is not plugged in). */
  get host(): PciHost | undefined {
    return this.rootHost ?? this.parentBridge?.bus?.host;
  }

  /** True for a host's root bus. */
  get isRoot(): boolean {
    return this.parentBridge === undefined;
  }

  /** Bus number: 0 for the root, the bridge's SECONDARY_BUS register otherwise (firmware assigns it). */
  get number(): number {
    return this.parentBridge ? this.parentBridge.config.get8(PCI_SECONDARY_BUS) : 0;
  }

  /**
   * Plugs `fn` in at `slot`.`func`; without a slot, uses the function's addr property or
   * the first slot whose function 0 is free. Throws PciError worded as QEMU does.
   */
  attach(fn: PciFunction, slot?: number, func?: number): PciDevfn {
    if (fn.bus) throw new PciError(`PCI: ${fn.typeName} is already plugged into bus '${fn.bus.name}'`);
    if (!this.host) throw new PciError(`PCI: bus '${this.name}' is not connected to a host bridge`);
    if (slot === undefined && fn.requestedDevfn) {
      slot = fn.requestedDevfn.slot;
      func = fn.requestedDevfn.fn;
    }
    if (slot === undefined) {
      const free = Array.from({ length: PCI_SLOT_MAX }, (_, s) => s).find((s) => !this.devices[s * PCI_FUNC_MAX]);
      if (free === undefined) throw new PciError(`PCI: no slot/function available for ${fn.typeName}, all in use or reserved`);
      slot = free;
      func = 0;
    }
    func ??= 0;
    if (!Number.isInteger(slot) || slot < 0 || slot >= PCI_SLOT_MAX || !Number.isInteger(func) || func < 0 || func >= PCI_FUNC_MAX) {
      throw new PciError(`PCI: slot ${slot} function ${func} does not exist`);
    }
    const devfn = slot * PCI_FUNC_MAX + func;
    const other = this.devices[devfn];
    if (other) {
      throw new PciError(`PCI: slot ${slot} function ${func} not available for ${fn.typeName}, in use by ${other.typeName},id=${other.qdevId || '(null)'}`);
    }
    this.checkMultifunction(fn, slot, func);
    this.devices[devfn] = fn;
    try {
      fn.plugInto(this, slot, func);
    } catch (e) {
      this.devices[devfn] = undefined;
      throw e;
    }
    const ctx = fn.context();
    ctx?.trace.emit(ctx.sched.now(), 'pci', fn.pciAddress(), `${fn.typeName}${fn.qdevId ? ` id=${fn.qdevId}` : ''} plugged into ${this.name}`);
    return { slot, fn: func };
  }

  /** Unplugs `fn` (its INTx is dropped and its BARs unmapped); a bridge takes everything behind it along. */
  detach(fn: PciFunction): void {
    const i = this.devices.indexOf(fn);
    if (i < 0) return;
    const below = fn.secondaryBus;
    if (below) for (const child of below.functions()) below.detach(child);
    const ctx = fn.context();
    const addr = fn.pciAddress();
    fn.unplug();
    this.devices[i] = undefined;
    ctx?.trace.emit(ctx.sched.now(), 'pci', addr, `${fn.typeName} unplugged from ${this.name}`);
  }

  /** The function at slot.func regardless of visibility. */
  functionAt(slot: number, func: number): PciFunction | undefined {
    return this.devices[slot * PCI_FUNC_MAX + func];
  }

  /** The function config cycles reach: a non-zero function is hidden while function 0 is absent. */
  visibleFunctionAt(slot: number, func: number): PciFunction | undefined {
    if (slot < 0 || slot >= PCI_SLOT_MAX || func < 0 || func >= PCI_FUNC_MAX) return undefined;
    if (func !== 0 && !this.devices[slot * PCI_FUNC_MAX]) return undefined;
    return this.devices[slot * PCI_FUNC_MAX + func];
  }

  /** Plugged functions in devfn order. */
  functions(): PciFunction[] {
    return this.devices.filter((d): d is PciFunction => d !== undefined);
  }

  /** Type 0 config read; absent functions read as all ones. */
  configRead(slot: number, func: number, reg: number, size: AccessSize): number {
    const f = this.visibleFunctionAt(slot, func);
    if (!f || reg >= f.config.size) return allOnes(size);
    return f.configRead(reg, size);
  }

  /** Type 0 config write; writes to absent functions are dropped. */
  configWrite(slot: number, func: number, reg: number, size: AccessSize, value: number): void {
    const f = this.visibleFunctionAt(slot, func);
    if (!f || reg >= f.config.size) return;
    f.configWrite(reg, size, value);
  }

  /** Whether accesses to [base, base+size) reach this bus from the host. */
  forwards(space: BarSpace, base: number, size: number): boolean {
    const br = this.parentBridge;
    if (!br) return true;
    return br.forwardsDownstream(space, base, size) && br.upstreamForwards(space, base, size);
  }

  /** INTx level change of pin0 from the device in `slot`; swizzled across each bridge up to the host. */
  intxChange(slot: number, pin0: number, delta: 1 | -1): void {
    const br = this.parentBridge;
    if (!br) {
      this.host?.rootIntxChange(slot, pin0, delta);
      return;
    }
    br.bus?.intxChange(br.slot, pciSwizzle(slot, pin0), delta);
  }

  /** Re-decodes the BARs of every function on this bus and below. */
  updateMappings(): void {
    for (const f of this.functions()) {
      f.updateMappings();
      f.secondaryBus?.updateMappings();
    }
  }

  /** Resets every function on this bus and below (RST# on the segment). */
  reset(): void {
    for (const f of this.functions()) {
      f.reset();
      f.secondaryBus?.reset();
    }
  }

  private checkMultifunction(fn: PciFunction, slot: number, func: number): void {
    const h = (n: number) => n.toString(16);
    if (func !== 0) {
      const f0 = this.devices[slot * PCI_FUNC_MAX];
      if (f0 && !f0.multifunction) throw new PciError(`PCI: single function device can't be populated in function ${h(slot)}.${h(func)}`);
      return;
    }
    if (fn.multifunction) return;
    for (let i = 1; i < PCI_FUNC_MAX; i++) {
      if (this.devices[slot * PCI_FUNC_MAX + i]) {
        throw new PciError(`PCI: ${h(slot)}.0 indicates single function, but ${h(slot)}.${h(i)} is already populated.`);
      }
    }
  }
}
