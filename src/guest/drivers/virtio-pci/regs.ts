/**
 * The two register interfaces a virtio-pci driver may speak, behind one shape: the modern
 * structures found through capabilities (VIRTIO 1.2 §4.1.4.3-4.1.4.7) and the legacy I/O
 * BAR (§4.1.4.10). The driver logic above never needs to know which one it has, except that
 * legacy has no FEATURES_OK step, no config generation and places rings by page number.
 */
import {
  VIRTIO_LEGACY_VRING_ALIGN,
  VIRTIO_MSI_CONFIG_VECTOR,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_MSI_QUEUE_VECTOR,
  VIRTIO_PCI_COMMON_CFGGENERATION,
  VIRTIO_PCI_COMMON_DF,
  VIRTIO_PCI_COMMON_DFSELECT,
  VIRTIO_PCI_COMMON_GF,
  VIRTIO_PCI_COMMON_GFSELECT,
  VIRTIO_PCI_COMMON_MSIX,
  VIRTIO_PCI_COMMON_NUMQ,
  VIRTIO_PCI_COMMON_Q_AVAILHI,
  VIRTIO_PCI_COMMON_Q_AVAILLO,
  VIRTIO_PCI_COMMON_Q_DESCHI,
  VIRTIO_PCI_COMMON_Q_DESCLO,
  VIRTIO_PCI_COMMON_Q_ENABLE,
  VIRTIO_PCI_COMMON_Q_MSIX,
  VIRTIO_PCI_COMMON_Q_NOFF,
  VIRTIO_PCI_COMMON_Q_SELECT,
  VIRTIO_PCI_COMMON_Q_SIZE,
  VIRTIO_PCI_COMMON_Q_USEDHI,
  VIRTIO_PCI_COMMON_Q_USEDLO,
  VIRTIO_PCI_COMMON_STATUS,
  VIRTIO_PCI_GUEST_FEATURES,
  VIRTIO_PCI_HOST_FEATURES,
  VIRTIO_PCI_ISR,
  VIRTIO_PCI_QUEUE_ADDR_SHIFT,
  VIRTIO_PCI_QUEUE_NOTIFY,
  VIRTIO_PCI_QUEUE_NUM,
  VIRTIO_PCI_QUEUE_PFN,
  VIRTIO_PCI_QUEUE_SEL,
  VIRTIO_PCI_STATUS,
  legacyRingBytes,
  legacyRingLayout,
  splitRingLayout,
  virtioPciLegacyConfigOffset,
  vringUsedSize,
  type SplitRingLayout,
} from '../../../abi/virtio.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';
import type { AccessSize } from '../../../memory/region.js';
import type { VirtioPciStructures, VirtioStructure } from './caps.js';
import type { PhysAllocator } from '../../platform/resources.js';

/** Page size rings are allocated at: the legacy interface needs page-aligned rings. */
export const RING_ALIGN = 4096;

/** What the driver does to the device's registers. */
export interface VirtioPciRegs {
  /** Which interface this is. */
  readonly kind: 'modern' | 'legacy';
  /** device_status. */
  getStatus(): number;
  /** Writes device_status. */
  setStatus(value: number): void;
  /** All 64 offered feature bits (legacy: bits 0-31). */
  deviceFeatures(): bigint;
  /** Writes the accepted features (legacy: bits 0-31). */
  setDriverFeatures(features: bigint): void;
  /** Reads (and thereby clears) the ISR byte. */
  readIsr(): number;
  /** Writes the config-change vector and returns what the device kept. */
  setConfigVector(vector: number): number;
  /** num_queues (modern), or undefined when the interface cannot tell (legacy). */
  numQueues(): number | undefined;
  /** Selects queue `index` and returns its size (0 = no such queue). */
  queueSize(index: number): number;
  /** Reserves ring memory for a queue of `size` entries in the layout this interface needs. */
  allocRing(size: number, alloc: PhysAllocator): SplitRingLayout;
  /** Gives the device queue `index`'s rings and vector (and enables it); returns the vector the device kept. */
  setupQueue(index: number, layout: SplitRingLayout, vector: number): number;
  /** Notifies the device about new buffers in queue `index`. */
  notify(index: number): void;
  /** config_generation (always 0 on legacy, which has none). */
  configGeneration(): number;
  /** Device-specific config read. */
  readConfig(offset: number, size: AccessSize): number;
  /** Device-specific config write. */
  writeConfig(offset: number, size: AccessSize, value: number): void;
}

/** Register access in a BAR of either space. */
function window(bus: CpuBus, space: 'io' | 'mem', base: number): { r(off: number, size: AccessSize): number; w(off: number, size: AccessSize, v: number): void } {
  return space === 'io'
    ? { r: (off, size) => bus.in(base + off, size), w: (off, size, v) => bus.out(base + off, size, v) }
    : { r: (off, size) => bus.load(base + off, size), w: (off, size, v) => bus.store(base + off, size, v) };
}

function lo32(v: number): number {
  return v >>> 0;
}

function hi32(v: number): number {
  return Math.floor(v / 2 ** 32) >>> 0;
}

/** The modern interface through the structures the capabilities named. */
export class ModernRegs implements VirtioPciRegs {
  /** Modern. */
  readonly kind = 'modern' as const;
  private readonly common: ReturnType<typeof window>;
  private readonly isr: ReturnType<typeof window>;
  private readonly notifyArea: ReturnType<typeof window>;
  private readonly device: ReturnType<typeof window> | undefined;
  private readonly deviceLength: number;
  private readonly notifyOff = new Map<number, number>();

  /** Uses the structures in `s`. */
  constructor(
    bus: CpuBus,
    private readonly s: VirtioPciStructures,
  ) {
    const at = (x: VirtioStructure) => window(bus, x.space, x.address);
    this.common = at(s.common);
    this.isr = at(s.isr);
    this.notifyArea = at(s.notify);
    this.device = s.device ? at(s.device) : undefined;
    this.deviceLength = s.device?.length ?? 0;
  }

  /** device_status. */
  getStatus(): number {
    return this.common.r(VIRTIO_PCI_COMMON_STATUS, 1);
  }

  /** Writes device_status. */
  setStatus(value: number): void {
    this.common.w(VIRTIO_PCI_COMMON_STATUS, 1, value);
  }

  /** Both feature words through device_feature_select. */
  deviceFeatures(): bigint {
    this.common.w(VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
    const lo = this.common.r(VIRTIO_PCI_COMMON_DF, 4);
    this.common.w(VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    const hi = this.common.r(VIRTIO_PCI_COMMON_DF, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Both words through driver_feature_select. */
  setDriverFeatures(features: bigint): void {
    this.common.w(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    this.common.w(VIRTIO_PCI_COMMON_GF, 4, Number(features & 0xffff_ffffn));
    this.common.w(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    this.common.w(VIRTIO_PCI_COMMON_GF, 4, Number((features >> 32n) & 0xffff_ffffn));
  }

  /** ISR byte. */
  readIsr(): number {
    return this.isr.r(0, 1);
  }

  /** config_msix_vector, read back. */
  setConfigVector(vector: number): number {
    this.common.w(VIRTIO_PCI_COMMON_MSIX, 2, vector);
    return this.common.r(VIRTIO_PCI_COMMON_MSIX, 2);
  }

  /** num_queues. */
  numQueues(): number {
    return this.common.r(VIRTIO_PCI_COMMON_NUMQ, 2);
  }

  /** queue_size of `index`. */
  queueSize(index: number): number {
    this.common.w(VIRTIO_PCI_COMMON_Q_SELECT, 2, index);
    return this.common.r(VIRTIO_PCI_COMMON_Q_SIZE, 2);
  }

  /** Packed rings: descriptors, then driver area, then device area. */
  allocRing(size: number, alloc: PhysAllocator): SplitRingLayout {
    const probe = splitRingLayout(0, size);
    return splitRingLayout(alloc.alloc(probe.used + vringUsedSize(size), RING_ALIGN), size);
  }

  /** 1.2 §4.1.5.1.3: size, addresses, vector, notify offset, then queue_enable = 1. */
  setupQueue(index: number, layout: SplitRingLayout, vector: number): number {
    const c = this.common;
    c.w(VIRTIO_PCI_COMMON_Q_SELECT, 2, index);
    if (c.r(VIRTIO_PCI_COMMON_Q_SIZE, 2) !== layout.size) c.w(VIRTIO_PCI_COMMON_Q_SIZE, 2, layout.size);
    c.w(VIRTIO_PCI_COMMON_Q_DESCLO, 4, lo32(layout.desc));
    c.w(VIRTIO_PCI_COMMON_Q_DESCHI, 4, hi32(layout.desc));
    c.w(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, lo32(layout.avail));
    c.w(VIRTIO_PCI_COMMON_Q_AVAILHI, 4, hi32(layout.avail));
    c.w(VIRTIO_PCI_COMMON_Q_USEDLO, 4, lo32(layout.used));
    c.w(VIRTIO_PCI_COMMON_Q_USEDHI, 4, hi32(layout.used));
    c.w(VIRTIO_PCI_COMMON_Q_MSIX, 2, vector);
    const kept = c.r(VIRTIO_PCI_COMMON_Q_MSIX, 2);
    this.notifyOff.set(index, c.r(VIRTIO_PCI_COMMON_Q_NOFF, 2));
    c.w(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    return kept;
  }

  /** 1.2 §4.1.4.4: write the queue index at base + queue_notify_off × multiplier. */
  notify(index: number): void {
    const off = (this.notifyOff.get(index) ?? index) * this.s.notify.multiplier;
    this.notifyArea.w(off, 2, index);
  }

  /** config_generation. */
  configGeneration(): number {
    return this.common.r(VIRTIO_PCI_COMMON_CFGGENERATION, 1);
  }

  /** Device config read (all ones past the structure, like an unclaimed read). */
  readConfig(offset: number, size: AccessSize): number {
    if (!this.device || offset + size > this.deviceLength) return size === 4 ? 0xffff_ffff : (1 << (8 * size)) - 1;
    return this.device.r(offset, size);
  }

  /** Device config write. */
  writeConfig(offset: number, size: AccessSize, value: number): void {
    if (this.device && offset + size <= this.deviceLength) this.device.w(offset, size, value);
  }
}

/** The legacy interface in I/O BAR0. */
export class LegacyRegs implements VirtioPciRegs {
  /** Legacy. */
  readonly kind = 'legacy' as const;
  private readonly io: ReturnType<typeof window>;

  /** `base` is BAR0's port; `msixEnabled` tells where the device config currently starts. */
  constructor(
    bus: CpuBus,
    base: number,
    private readonly msixEnabled: () => boolean,
  ) {
    this.io = window(bus, 'io', base);
  }

  /** STATUS. */
  getStatus(): number {
    return this.io.r(VIRTIO_PCI_STATUS, 1);
  }

  /** Writes STATUS. */
  setStatus(value: number): void {
    this.io.w(VIRTIO_PCI_STATUS, 1, value);
  }

  /** HOST_FEATURES: bits 0-31 only. */
  deviceFeatures(): bigint {
    return BigInt(this.io.r(VIRTIO_PCI_HOST_FEATURES, 4));
  }

  /** GUEST_FEATURES: bits 0-31 only. */
  setDriverFeatures(features: bigint): void {
    this.io.w(VIRTIO_PCI_GUEST_FEATURES, 4, Number(features & 0xffff_ffffn));
  }

  /** ISR. */
  readIsr(): number {
    return this.io.r(VIRTIO_PCI_ISR, 1);
  }

  /** MSI_CONFIG_VECTOR, which exists only while MSI-X is enabled. */
  setConfigVector(vector: number): number {
    if (!this.msixEnabled()) return VIRTIO_MSI_NO_VECTOR;
    this.io.w(VIRTIO_MSI_CONFIG_VECTOR, 2, vector);
    return this.io.r(VIRTIO_MSI_CONFIG_VECTOR, 2);
  }

  /** Legacy has no num_queues register. */
  numQueues(): undefined {
    return undefined;
  }

  /** QUEUE_NUM of `index`. */
  queueSize(index: number): number {
    this.io.w(VIRTIO_PCI_QUEUE_SEL, 2, index);
    return this.io.r(VIRTIO_PCI_QUEUE_NUM, 2);
  }

  /** One contiguous page-aligned area with the used ring on its own page (1.2 §2.7.2). */
  allocRing(size: number, alloc: PhysAllocator): SplitRingLayout {
    return legacyRingLayout(alloc.alloc(legacyRingBytes(size), VIRTIO_LEGACY_VRING_ALIGN), size);
  }

  /** QUEUE_PFN, then (with MSI-X) the queue vector read back. */
  setupQueue(index: number, layout: SplitRingLayout, vector: number): number {
    this.io.w(VIRTIO_PCI_QUEUE_SEL, 2, index);
    this.io.w(VIRTIO_PCI_QUEUE_PFN, 4, Math.floor(layout.desc / 2 ** VIRTIO_PCI_QUEUE_ADDR_SHIFT));
    if (!this.msixEnabled()) return VIRTIO_MSI_NO_VECTOR;
    this.io.w(VIRTIO_MSI_QUEUE_VECTOR, 2, vector);
    return this.io.r(VIRTIO_MSI_QUEUE_VECTOR, 2);
  }

  /** QUEUE_NOTIFY with the index. */
  notify(index: number): void {
    this.io.w(VIRTIO_PCI_QUEUE_NOTIFY, 2, index);
  }

  /** Legacy devices have no generation counter. */
  configGeneration(): number {
    return 0;
  }

  /** Device config after the (MSI-X dependent) header. */
  readConfig(offset: number, size: AccessSize): number {
    return this.io.r(virtioPciLegacyConfigOffset(this.msixEnabled()) + offset, size);
  }

  /** Device config write. */
  writeConfig(offset: number, size: AccessSize, value: number): void {
    this.io.w(virtioPciLegacyConfigOffset(this.msixEnabled()) + offset, size, value);
  }
}
