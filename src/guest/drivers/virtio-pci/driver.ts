/**
 * The guest's virtio-pci driver core (what Linux splits over virtio_pci_common/modern/legacy
 * and virtio_ring): it finds the interface, brings the device up in the order of VIRTIO 1.2
 * §3.1.1, sets up the queues with rings from the kernel's allocator, routes interrupts (two
 * MSI-X vectors, config and "all queues", as Linux falls back to with two vectors; INTx with
 * an ISR read otherwise) to per-queue and config-change callbacks, and notices NEEDS_RESET.
 * Device drivers (virtio-console and friends) sit on top and speak only to this.
 *
 * It reaches hardware through the CPU bus only; rings live in guest RAM, which the Vring
 * reads and writes directly (the kernel's direct map).
 */
import type { Handoff, HandoffPciFunction } from '../../../abi/handoff.js';
import { PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from '../../../abi/pci.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_VERSION_1,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_ISR_CONFIG,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  featureBit,
  hasFeature,
  type SplitRingLayout,
} from '../../../abi/virtio.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';
import type { GuestPhysMemory } from '../../platform/phys-mem.js';
import type { AccessSize } from '../../../memory/region.js';
import { Vring } from '../../virtio/vring.js';
import { GuestPciConfig } from '../pci/config.js';
import { findVirtioStructures, type VirtioPciStructures } from './caps.js';
import { GuestMsix } from './msix.js';
import { LegacyRegs, ModernRegs, type VirtioPciRegs } from './regs.js';
import type { GuestInterrupts, PhysAllocator } from '../../platform/resources.js';

/** MSI-X table entry (and device vector number) for config changes. */
export const CONFIG_VECTOR_ENTRY = 0;
/** MSI-X table entry shared by every queue. */
export const QUEUES_VECTOR_ENTRY = 1;
/** Reads of a config field retried while config_generation moves under them. */
export const CONFIG_GENERATION_RETRIES = 16;
/** Status reads after writing 0 before giving up on a device that does not reset. */
export const RESET_POLL_LIMIT = 1000;

/** The driver could not bring the device up (or lost it). */
export class VirtioDriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtioDriverError';
  }
}

/** What the driver needs from its kernel and its device driver. */
export interface VirtioPciDriverOptions {
  /** The CPU bus (all register access). */
  bus: CpuBus;
  /** Guest-physical memory, where the rings are. */
  mem: GuestPhysMemory;
  /** The function, as firmware handed it over. */
  fn: HandoffPciFunction;
  /** The hand-off's root complexes (ECAM for domains other than 0). */
  pciRoots: Handoff['pciRoots'];
  /** Ring memory. */
  alloc: PhysAllocator;
  /** Vectors and GSIs. */
  interrupts: GuestInterrupts;
  /** Feature bits the device driver understands (ring features included; VERSION_1 is added on modern). */
  features: bigint;
  /** Queues to set up: a count, or a function of the negotiated features and device config. */
  queues: number | ((drv: VirtioPciDriverView) => number);
  /** Use the legacy interface even when the modern one exists (default false). */
  legacy?: boolean;
  /** Use MSI-X when the function has at least two vectors (default true). */
  msix?: boolean;
  /** Readable trace sink. */
  trace?: (line: string) => void;
}

/** What a queue-count function may look at. */
export interface VirtioPciDriverView {
  /** Negotiated features. */
  readonly features: bigint;
  /** Device config read with generation retry. */
  readConfig(offset: number, size: AccessSize): number;
}

/** Counters for tests and diagnostics. */
export interface VirtioPciDriverStats {
  /** Config-change interrupts handled (MSI-X config vector or ISR bit 1). */
  configInterrupts: number;
  /** Queue interrupts handled (MSI-X queue vector or INTx with ISR set). */
  queueInterrupts: number;
  /** INTx interrupts with a non-zero ISR. */
  intxInterrupts: number;
  /** INTx interrupts whose ISR read 0 (another device on a shared line). */
  intxNotOurs: number;
  /** Device resets written. */
  resets: number;
}

/** How the device interrupts this driver. */
export type InterruptMode = 'msix' | 'intx';

/** A virtio device on PCI as the guest drives it; T is the per-buffer token of its rings. */
export class VirtioPciDriver<T = unknown> implements VirtioPciDriverView {
  /** The function's config space. */
  readonly cfg: GuestPciConfig;
  /** The register interface in use. */
  readonly regs: VirtioPciRegs;
  /** The modern structures (undefined on a legacy-only function). */
  readonly structures: VirtioPciStructures | undefined;
  /** Negotiated features (valid after init). */
  features = 0n;
  /** Interrupt routing chosen by init. */
  interruptMode: InterruptMode | undefined;
  /** Set when a config interrupt showed NEEDS_RESET; cleared by reset. */
  needsReset = false;
  /** Counters. */
  readonly stats: VirtioPciDriverStats = { configInterrupts: 0, queueInterrupts: 0, intxInterrupts: 0, intxNotOurs: 0, resets: 0 };
  private readonly msix: GuestMsix | undefined;
  private msixOn = false;
  private vectors: [number, number] | undefined;
  private gsiHooked = false;
  private live = false;
  private vrings: (Vring<T> | undefined)[] = [];
  private readonly layouts: (SplitRingLayout | undefined)[] = [];
  private readonly queueCallbacks = new Map<number, (index: number) => void>();
  private configCallback: (() => void) | undefined;
  private needsResetCallback: (() => void) | undefined;

  /** Finds the interface and turns on decoding and bus mastering; throws when there is none. */
  constructor(private readonly opts: VirtioPciDriverOptions) {
    const { bus, fn } = opts;
    this.cfg = new GuestPciConfig(bus, opts.pciRoots, fn);
    this.cfg.setCommand(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    this.structures = findVirtioStructures(this.cfg, fn.bars);
    this.msix = GuestMsix.find(bus, this.cfg, fn.bars);
    const bar0 = fn.bars.find((b) => b.index === 0 && b.kind === 'io');
    if (this.structures && !opts.legacy) {
      this.regs = new ModernRegs(bus, this.structures);
    } else if (bar0) {
      this.regs = new LegacyRegs(bus, bar0.base, () => this.msixOn);
    } else {
      throw new VirtioDriverError(`${this.name}: no usable virtio interface (no capabilities${opts.legacy ? ' wanted' : ''}, no legacy I/O BAR)`);
    }
    this.trace(`${this.regs.kind} interface${this.structures ? ` (common at ${hex(this.structures.common.address)}, notify multiplier ${this.structures.notify.multiplier})` : ''}`);
  }

  /** `0000:00:02.0`-style name. */
  get name(): string {
    const { domain, bus, slot, fn } = this.opts.fn;
    const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
    return `${h(domain, 4)}:${h(bus, 2)}:${h(slot, 2)}.${fn}`;
  }

  /** Whether init completed and no reset happened since. */
  get ready(): boolean {
    return this.live;
  }

  /** Number of queues set up by the last init. */
  get queueCount(): number {
    return this.vrings.length;
  }

  /** Current device_status. */
  status(): number {
    return this.regs.getStatus();
  }

  /**
   * 1.2 §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (modern), interrupts and
   * queues, DRIVER_OK. On failure FAILED is set and VirtioDriverError thrown.
   */
  init(): void {
    const r = this.regs;
    this.cfg.setCommand(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    this.reset();
    r.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    r.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    this.negotiate();
    this.setupInterrupts();
    const count = typeof this.opts.queues === 'number' ? this.opts.queues : this.opts.queues(this);
    const max = r.numQueues();
    if (max !== undefined && count > max) this.fail(`${count} queues wanted, the device has ${max}`);
    this.vrings = [];
    for (let i = 0; i < count; i++) this.setupQueue(i);
    r.setStatus(r.getStatus() | VIRTIO_CONFIG_S_DRIVER_OK);
    this.live = true;
    this.trace(`DRIVER_OK (status ${hex(r.getStatus())})`);
  }

  /** Writes status 0 and waits for the device to finish resetting (1.2 §4.1.4.3.2). */
  reset(): void {
    this.live = false;
    this.regs.setStatus(0);
    for (let i = 0; this.regs.getStatus() !== 0; i++) {
      if (i >= RESET_POLL_LIMIT) throw new VirtioDriverError(`${this.name}: device did not reset`);
    }
    this.needsReset = false;
    this.vrings = [];
    this.stats.resets++;
    this.trace('reset');
  }

  /** Reset and bring the device up again (what recovers a device that needs a reset). */
  reinitialize(): void {
    this.init();
  }

  /** The driver side of queue `index`. */
  queue(index: number): Vring<T> {
    const v = this.vrings[index];
    if (!v) throw new VirtioDriverError(`${this.name}: queue ${index} is not set up`);
    return v;
  }

  /** Notifies the device about queue `index` unconditionally. */
  notify(index: number): void {
    this.regs.notify(index);
  }

  /** Notifies queue `index` if its suppression state asks for it; returns whether it did. */
  kick(index: number): boolean {
    if (!this.queue(index).kickNeeded()) return false;
    this.notify(index);
    return true;
  }

  /** Called (in interrupt context) when queue `index` has used buffers. */
  onQueue(index: number, cb: (index: number) => void): void {
    this.queueCallbacks.set(index, cb);
  }

  /** Called on every config-change interrupt. */
  onConfigChange(cb: () => void): void {
    this.configCallback = cb;
  }

  /** Called once when a config interrupt reveals NEEDS_RESET. */
  onNeedsReset(cb: () => void): void {
    this.needsResetCallback = cb;
  }

  /** Device config read, retried until config_generation is stable around it (1.2 §4.1.4.3.2). */
  readConfig(offset: number, size: AccessSize): number {
    return this.stableRead(() => this.regs.readConfig(offset, size));
  }

  /** `length` config bytes as one consistent snapshot. */
  readConfigBytes(offset: number, length: number): Uint8Array {
    return this.stableRead(() => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = this.regs.readConfig(offset + i, 1);
      return out;
    });
  }

  /** Device config write. */
  writeConfig(offset: number, size: AccessSize, value: number): void {
    this.regs.writeConfig(offset, size, value);
  }

  // ---- bring-up -------------------------------------------------------------------------

  private negotiate(): void {
    const r = this.regs;
    const offered = r.deviceFeatures();
    let wanted = this.opts.features;
    if (r.kind === 'modern') {
      if (!hasFeature(offered, VIRTIO_F_VERSION_1)) this.fail('modern interface without VERSION_1');
      wanted |= featureBit(VIRTIO_F_VERSION_1);
    } else {
      wanted &= 0xffff_ffffn;
    }
    this.features = offered & wanted;
    r.setDriverFeatures(this.features);
    this.trace(`features offered ${hex(offered)}, accepted ${hex(this.features)}`);
    if (!hasFeature(this.features, VIRTIO_F_VERSION_1)) return;
    r.setStatus(r.getStatus() | VIRTIO_CONFIG_S_FEATURES_OK);
    if (!(r.getStatus() & VIRTIO_CONFIG_S_FEATURES_OK)) this.fail(`device refused features ${hex(this.features)}`);
  }

  private setupInterrupts(): void {
    const irq = this.opts.interrupts;
    const msix = this.msix;
    if (this.opts.msix !== false && msix && msix.tableSize >= 2) {
      this.vectors ??= [irq.requestVector(() => this.configInterrupt()), irq.requestVector(() => this.queueInterrupt())];
      msix.enable(this.vectors.map((v) => irq.msiMessage(v)));
      this.msixOn = true;
      if (this.regs.setConfigVector(CONFIG_VECTOR_ENTRY) !== VIRTIO_MSI_NO_VECTOR) {
        this.interruptMode = 'msix';
        this.cfg.setCommand(PCI_COMMAND_INTX_DISABLE);
        this.trace(`MSI-X: config -> vector ${hex(this.vectors[0])}, queues -> vector ${hex(this.vectors[1])}`);
        return;
      }
      this.trace('device refused the MSI-X config vector: using INTx');
    }
    msix?.disable();
    this.msixOn = false;
    const gsi = this.opts.fn.irqLine;
    if (gsi === 0xff || this.opts.fn.irqPin === 0) this.fail('no MSI-X and no INTx line');
    if (!this.gsiHooked) {
      irq.requestGsi(gsi, () => this.intxInterrupt());
      this.gsiHooked = true;
    }
    this.cfg.clearCommand(PCI_COMMAND_INTX_DISABLE);
    this.interruptMode = 'intx';
    this.trace(`INTx on GSI ${gsi}`);
  }

  private setupQueue(i: number): void {
    const r = this.regs;
    const size = r.queueSize(i);
    if (size === 0) this.fail(`queue ${i} does not exist`);
    let layout = this.layouts[i];
    if (!layout || layout.size !== size) {
      layout = r.allocRing(size, this.opts.alloc);
      this.layouts[i] = layout;
    }
    const ring = new Vring<T>(this.opts.mem, layout, {
      eventIdx: hasFeature(this.features, VIRTIO_RING_F_EVENT_IDX),
      indirect: hasFeature(this.features, VIRTIO_RING_F_INDIRECT_DESC),
    });
    ring.init();
    this.vrings[i] = ring;
    const want = this.interruptMode === 'msix' ? QUEUES_VECTOR_ENTRY : VIRTIO_MSI_NO_VECTOR;
    const kept = r.setupQueue(i, layout, want);
    if (want !== VIRTIO_MSI_NO_VECTOR && kept !== want) this.fail(`queue ${i} refused MSI-X vector ${want}`);
  }

  private fail(message: string): never {
    this.regs.setStatus(this.regs.getStatus() | VIRTIO_CONFIG_S_FAILED);
    this.trace(`failed: ${message}`);
    throw new VirtioDriverError(`${this.name}: ${message}`);
  }

  // ---- interrupts -----------------------------------------------------------------------

  private configInterrupt(): void {
    this.stats.configInterrupts++;
    const st = this.regs.getStatus();
    if (st & VIRTIO_CONFIG_S_NEEDS_RESET && !this.needsReset) {
      this.needsReset = true;
      this.trace(`device needs reset (status ${hex(st)})`);
      this.needsResetCallback?.();
    }
    this.configCallback?.();
  }

  private queueInterrupt(): void {
    this.stats.queueInterrupts++;
    if (!this.live) return;
    this.vrings.forEach((ring, i) => {
      if (ring?.hasUsed()) this.queueCallbacks.get(i)?.(i);
    });
  }

  private intxInterrupt(): void {
    const isr = this.regs.readIsr();
    if (isr === 0) {
      this.stats.intxNotOurs++;
      return;
    }
    this.stats.intxInterrupts++;
    if (isr & VIRTIO_PCI_ISR_CONFIG) this.configInterrupt();
    this.queueInterrupt();
  }

  private stableRead<R>(read: () => R): R {
    for (let i = 0; i < CONFIG_GENERATION_RETRIES; i++) {
      const before = this.regs.configGeneration();
      const v = read();
      if (this.regs.configGeneration() === before) return v;
    }
    throw new VirtioDriverError(`${this.name}: config generation kept changing`);
  }

  private trace(line: string): void {
    this.opts.trace?.(`${this.name}: ${line}`);
  }
}

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
