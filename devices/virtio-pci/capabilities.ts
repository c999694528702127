/**
 * The virtio structure capabilities (VIRTIO 1.2 §4.1.4): vendor-specific capabilities that
 * tell the driver which BAR window holds the common configuration, ISR, device config and
 * notification area, plus the PCI configuration access capability, a window through config
 * space into those BAR regions for drivers that cannot map BARs (§4.1.4.9).
 *
 * They are added in QEMU's order (common, ISR, device, notify, pci-cfg), each at the first
 * free dword-aligned space from 0x40 and prepended to the list, so the list runs newest first.
 */
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
  VIRTIO_PCI_CFG_CAP_DATA,
  VIRTIO_PCI_CFG_CAP_SIZE,
  VIRTIO_PCI_NOTIFY_CAP_MULT,
  VIRTIO_PCI_NOTIFY_CAP_SIZE,
} from '../../src/abi/virtio.js';
import type { AccessSize } from '../../src/memory/region.js';
import type { ConfigSpace } from '../pci/config-space.js';
import type { BarRegionSet } from '../pci/region-set.js';
import { hx } from './core.js';
import {
  VIRTIO_PCI_COMMON_OFFSET,
  VIRTIO_PCI_DEVICE_OFFSET,
  VIRTIO_PCI_ISR_OFFSET,
  VIRTIO_PCI_NOTIFY_MULTIPLIER,
  VIRTIO_PCI_NOTIFY_OFFSET,
  VIRTIO_PCI_NOTIFY_SIZE,
  VIRTIO_PCI_REGION_SIZE,
} from './layout.js';

/** Config-space offsets of the five virtio capabilities. */
export interface VirtioCapabilityOffsets {
  /** Common configuration capability. */
  common: number;
  /** ISR capability. */
  isr: number;
  /** Device configuration capability. */
  device: number;
  /** Notification capability. */
  notify: number;
  /** PCI configuration access capability. */
  pciCfg: number;
}

function addVendorCap(config: ConfigSpace, cfgType: number, capLen: number, bar: number, offset: number, length: number): number {
  const at = config.addCapability(PCI_CAP_ID_VNDR, capLen);
  config.set8(at + VIRTIO_PCI_CAP_LEN, capLen);
  config.set8(at + VIRTIO_PCI_CAP_CFG_TYPE, cfgType);
  config.set8(at + VIRTIO_PCI_CAP_BAR, bar);
  config.set32(at + VIRTIO_PCI_CAP_OFFSET, offset);
  config.set32(at + VIRTIO_PCI_CAP_LENGTH, length);
  return at;
}

/** Adds the capabilities describing the modern BAR `bar`, in QEMU's order. */
export function addVirtioCapabilities(config: ConfigSpace, bar: number): VirtioCapabilityOffsets {
  const common = addVendorCap(config, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_SIZE, bar, VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_REGION_SIZE);
  const isr = addVendorCap(config, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_SIZE, bar, VIRTIO_PCI_ISR_OFFSET, VIRTIO_PCI_REGION_SIZE);
  const device = addVendorCap(config, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_SIZE, bar, VIRTIO_PCI_DEVICE_OFFSET, VIRTIO_PCI_REGION_SIZE);
  const notify = addVendorCap(config, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_CAP_SIZE, bar, VIRTIO_PCI_NOTIFY_OFFSET, VIRTIO_PCI_NOTIFY_SIZE);
  config.set32(notify + VIRTIO_PCI_NOTIFY_CAP_MULT, VIRTIO_PCI_NOTIFY_MULTIPLIER);
  // The access window starts out pointing nowhere; the driver programs bar/offset/length.
  const pciCfg = addVendorCap(config, VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_SIZE, 0, 0, 0);
  config.setWmask(pciCfg + VIRTIO_PCI_CAP_BAR, 1, 0xff);
  config.setWmask(pciCfg + VIRTIO_PCI_CAP_OFFSET, 4, 0xffff_ffff);
  config.setWmask(pciCfg + VIRTIO_PCI_CAP_LENGTH, 4, 0xffff_ffff);
  config.setWmask(pciCfg + VIRTIO_PCI_CFG_CAP_DATA, 4, 0xffff_ffff);
  return { common, isr, device, notify, pciCfg };
}

/**
 * The VIRTIO_PCI_CAP_PCI_CFG window (1.2 §4.1.4.9). A config access that touches pci_cfg_data
 * becomes a BAR access of `length` (1, 2 or 4) bytes at `offset`: a read fills pci_cfg_data
 * from the BAR before config space answers, a write sends pci_cfg_data to the BAR after it
 * was stored. Like QEMU, the target is looked up by offset among the modern BAR's regions
 * (the bar field is not consulted), other lengths and offsets outside a region do nothing.
 */
export class PciCfgWindow {
  /** Wires the capability at `capOffset` of `config` to the modern BAR's regions. */
  constructor(
    private readonly config: ConfigSpace,
    private readonly capOffset: number,
    private readonly bar: BarRegionSet,
    private readonly trace: (line: string) => void,
  ) {}

  /** Whether a config access [reg, reg+size) touches pci_cfg_data. */
  touchesData(reg: number, size: number): boolean {
    const data = this.capOffset + VIRTIO_PCI_CFG_CAP_DATA;
    return reg < data + 4 && data < reg + size;
  }

  /** Before a config read of pci_cfg_data: performs the BAR read into it. */
  beforeRead(): void {
    const t = this.target();
    if (!t) return;
    const v = t.read();
    const data = this.capOffset + VIRTIO_PCI_CFG_CAP_DATA;
    for (let i = 0; i < t.len; i++) this.config.set8(data + i, (v >>> (8 * i)) & 0xff);
    this.trace(`pci-cfg window: read ${t.len} bytes at BAR offset ${hx(t.offset)} = ${hx(v)}`);
  }

  /** After a config write of pci_cfg_data: performs the BAR write from it. */
  afterWrite(): void {
    const t = this.target();
    if (!t) return;
    const data = this.capOffset + VIRTIO_PCI_CFG_CAP_DATA;
    let v = 0;
    for (let i = t.len - 1; i >= 0; i--) v = v * 256 + this.config.get8(data + i);
    this.trace(`pci-cfg window: write ${t.len} bytes at BAR offset ${hx(t.offset)} = ${hx(v)}`);
    t.write(v);
  }

  private target(): { offset: number; len: AccessSize; read(): number; write(v: number): void } | undefined {
    const offset = this.config.get32(this.capOffset + VIRTIO_PCI_CAP_OFFSET);
    const len = this.config.get32(this.capOffset + VIRTIO_PCI_CAP_LENGTH);
    if (len !== 1 && len !== 2 && len !== 4) return undefined;
    const block = this.bar.list().find((b) => offset >= b.offset && offset + len <= b.offset + b.size);
    if (!block) return undefined;
    const rel = offset - block.offset;
    return { offset, len, read: () => block.ops.read(rel, len), write: (v) => block.ops.write(rel, len, v) };
  }
}
