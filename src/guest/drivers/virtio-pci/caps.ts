/**
 * Finding the virtio structures (VIRTIO 1.2 §4.1.4): walk the capability list, keep vendor
 * capabilities whose cfg_type the driver knows, and take the first usable one of each type,
 * as the spec tells drivers to (later ones are alternatives, not additions). A capability
 * naming a BAR the function does not have, or a window that leaves the BAR, is skipped.
 */
import type { HandoffBar } from '../../../abi/handoff.js';
import {
  PCI_CAP_ID_VNDR,
  VIRTIO_PCI_CAP_BAR,
  VIRTIO_PCI_CAP_CFG_TYPE,
  VIRTIO_PCI_CAP_COMMON_CFG,
  VIRTIO_PCI_CAP_DEVICE_CFG,
  VIRTIO_PCI_CAP_ISR_CFG,
  VIRTIO_PCI_CAP_LEN,
  VIRTIO_PCI_CAP_LENGTH,
  VIRTIO_PCI_CAP_NOTIFY_CFG,
  VIRTIO_PCI_CAP_OFFSET,
  VIRTIO_PCI_CAP_PCI_CFG,
  VIRTIO_PCI_CAP_SIZE,
  VIRTIO_PCI_NOTIFY_CAP_MULT,
  VIRTIO_PCI_NOTIFY_CAP_SIZE,
} from '../../../abi/virtio.js';
import type { GuestPciConfig } from '../pci/config.js';

/** One virtio structure located in a BAR. */
export interface VirtioStructure {
  /** Offset of the capability in config space. */
  capOffset: number;
  /** cfg_type. */
  cfgType: number;
  /** BAR index. */
  bar: number;
  /** Guest-physical (or port) address of the structure: BAR base + offset. */
  address: number;
  /** Offset inside the BAR. */
  offset: number;
  /** Length of the structure. */
  length: number;
  /** BAR kind (port I/O or memory). */
  space: 'io' | 'mem';
}

/** The structures a modern driver uses. */
export interface VirtioPciStructures {
  /** Common configuration. */
  common: VirtioStructure;
  /** Notification area, with its queue_notify_off multiplier. */
  notify: VirtioStructure & { multiplier: number };
  /** ISR status. */
  isr: VirtioStructure;
  /** Device-specific configuration (absent for devices without config). */
  device: VirtioStructure | undefined;
  /** Config-space offset of the PCI configuration access capability, if any. */
  pciCfgCap: number | undefined;
}

/** Every virtio vendor capability in list order (including unusable ones). */
export function listVirtioCapabilities(cfg: GuestPciConfig): { capOffset: number; cfgType: number; bar: number; offset: number; length: number; capLen: number }[] {
  return cfg.findCapabilities(PCI_CAP_ID_VNDR).map((at) => ({
    capOffset: at,
    capLen: cfg.read(at + VIRTIO_PCI_CAP_LEN, 1),
    cfgType: cfg.read(at + VIRTIO_PCI_CAP_CFG_TYPE, 1),
    bar: cfg.read(at + VIRTIO_PCI_CAP_BAR, 1),
    offset: cfg.read(at + VIRTIO_PCI_CAP_OFFSET, 4),
    length: cfg.read(at + VIRTIO_PCI_CAP_LENGTH, 4),
  }));
}

/**
 * The modern interface of a function, or undefined when it has none (a legacy-only device,
 * or capabilities that point nowhere usable). `bars` are the BARs firmware assigned.
 */
export function findVirtioStructures(cfg: GuestPciConfig, bars: readonly HandoffBar[]): VirtioPciStructures | undefined {
  const found = new Map<number, VirtioStructure & { multiplier: number }>();
  let pciCfgCap: number | undefined;
  for (const c of listVirtioCapabilities(cfg)) {
    if (c.cfgType === VIRTIO_PCI_CAP_PCI_CFG) {
      pciCfgCap ??= c.capOffset;
      continue;
    }
    if (found.has(c.cfgType) || c.capLen < VIRTIO_PCI_CAP_SIZE) continue;
    if (c.cfgType === VIRTIO_PCI_CAP_NOTIFY_CFG && c.capLen < VIRTIO_PCI_NOTIFY_CAP_SIZE) continue;
    const bar = bars.find((b) => b.index === c.bar);
    if (!bar || c.offset + c.length > bar.size) continue;
    const multiplier = c.cfgType === VIRTIO_PCI_CAP_NOTIFY_CFG ? cfg.read(c.capOffset + VIRTIO_PCI_NOTIFY_CAP_MULT, 4) : 0;
    found.set(c.cfgType, {
      capOffset: c.capOffset,
      cfgType: c.cfgType,
      bar: c.bar,
      address: bar.base + c.offset,
      offset: c.offset,
      length: c.length,
      space: bar.kind === 'io' ? 'io' : 'mem',
      multiplier,
    });
  }
  const common = found.get(VIRTIO_PCI_CAP_COMMON_CFG);
  const notify = found.get(VIRTIO_PCI_CAP_NOTIFY_CFG);
  const isr = found.get(VIRTIO_PCI_CAP_ISR_CFG);
  if (!common || !notify || !isr) return undefined;
  return { common, notify, isr, device: found.get(VIRTIO_PCI_CAP_DEVICE_CFG), pciCfgCap };
}
