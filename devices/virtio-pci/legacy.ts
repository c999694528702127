/**
 * The legacy register block in I/O BAR0 (VIRTIO 1.2 §4.1.4.10, QEMU's virtio_ioport_*): a
 * 20-byte header, 24 while MSI-X is enabled (the two vector registers appear and the
 * device-specific config moves up by 4), then the device config. Header registers match by
 * exact offset whatever the access width. Legacy drivers negotiate only feature bits 0-31,
 * place each queue with one page frame number, and never see FEATURES_OK or VERSION_1.
 */
import {
  VIRTIO_F_BAD_FEATURE,
  VIRTIO_LEGACY_VRING_ALIGN,
  VIRTIO_MSI_CONFIG_VECTOR,
  VIRTIO_MSI_QUEUE_VECTOR,
  VIRTIO_PCI_GUEST_FEATURES,
  VIRTIO_PCI_HOST_FEATURES,
  VIRTIO_PCI_ISR,
  VIRTIO_PCI_QUEUE_ADDR_SHIFT,
  VIRTIO_PCI_QUEUE_NOTIFY,
  VIRTIO_PCI_QUEUE_NUM,
  VIRTIO_PCI_QUEUE_PFN,
  VIRTIO_PCI_QUEUE_SEL,
  VIRTIO_PCI_STATUS,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  hasFeature,
  virtioPciLegacyConfigOffset,
} from '../../src/abi/virtio.js';
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import { hx, maskToSize, type VirtioPciCore } from './core.js';
import { VIRTIO_QUEUE_MAX } from './layout.js';

/** The legacy I/O window. */
export class LegacyRegisters implements IoRegionOps {
  /** Decodes into `core`. */
  constructor(private readonly core: VirtioPciCore) {}

  /** Where the device config starts right now (moves with the MSI-X enable bit). */
  configOffset(): number {
    return virtioPciLegacyConfigOffset(this.core.msixEnabled());
  }

  /** Register read; ISR reads clear it. */
  read(offset: number, size: AccessSize): number {
    const cfg = this.configOffset();
    if (offset >= cfg) return this.core.device.readConfig(offset - cfg, size);
    if (offset === VIRTIO_PCI_ISR) return this.core.takeIsr();
    return maskToSize(this.header(offset), size);
  }

  /** Read without side effects (ISR is not cleared, config is not refreshed). */
  peek(offset: number, size: AccessSize): number {
    const cfg = this.configOffset();
    if (offset >= cfg) return this.core.device.peekConfig(offset - cfg, size);
    if (offset === VIRTIO_PCI_ISR) return this.core.device.isr;
    return maskToSize(this.header(offset), size);
  }

  /** Register write. */
  write(offset: number, size: AccessSize, raw: number): void {
    const cfg = this.configOffset();
    const core = this.core;
    const dev = core.device;
    if (offset >= cfg) {
      dev.writeConfig(offset - cfg, size, raw);
      return;
    }
    const value = maskToSize(raw, size);
    const sel = core.queueSel;
    switch (offset) {
      case VIRTIO_PCI_GUEST_FEATURES: {
        // A driver that acks BAD_FEATURE does not negotiate properly: it gets the device's
        // minimal "bad features" set, which is empty for the devices modelled here.
        const features = hasFeature(BigInt(value), VIRTIO_F_BAD_FEATURE) ? 0n : BigInt(value);
        core.trace(`legacy guest features = ${hx(value)}${features === BigInt(value) ? '' : ' (BAD_FEATURE acked: using none)'}`);
        dev.setGuestFeatures(features);
        return;
      }
      case VIRTIO_PCI_QUEUE_PFN:
        this.setPfn(sel, value);
        return;
      case VIRTIO_PCI_QUEUE_SEL:
        if (value < VIRTIO_QUEUE_MAX) core.queueSel = value;
        return;
      case VIRTIO_PCI_QUEUE_NOTIFY:
        if (value < VIRTIO_QUEUE_MAX) core.kick(value);
        return;
      case VIRTIO_PCI_STATUS:
        core.writeStatus(value & 0xff);
        // Linux before 2.6.34 drove legacy devices without setting bus mastering; QEMU sets it
        // for them at ACKNOWLEDGE|DRIVER (a spec violation that makes their DMA work).
        if ((value & 0xff) === (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)) core.forceBusMaster();
        return;
      case VIRTIO_MSI_CONFIG_VECTOR: {
        const got = core.setConfigVector(value);
        core.trace(`legacy config vector = ${hx(value)}${got === value ? '' : ` (refused: reads ${hx(got)})`}`);
        return;
      }
      case VIRTIO_MSI_QUEUE_VECTOR: {
        const got = core.setQueueVector(sel, value);
        core.trace(`vq${sel}: legacy queue vector = ${hx(value)}${got === value ? '' : ` (refused: reads ${hx(got)})`}`);
        return;
      }
      default:
        core.trace(`legacy write to unexpected offset ${hx(offset)} value ${hx(value)} ignored`);
    }
  }

  private header(offset: number): number {
    const dev = this.core.device;
    const sel = this.core.queueSel;
    switch (offset) {
      case VIRTIO_PCI_HOST_FEATURES:
        return Number(dev.hostFeatures & 0xffff_ffffn);
      case VIRTIO_PCI_GUEST_FEATURES:
        return Number(dev.guestFeatures & 0xffff_ffffn);
      case VIRTIO_PCI_QUEUE_PFN:
        return Math.floor((dev.queues[sel]?.descAddr ?? 0) / 2 ** VIRTIO_PCI_QUEUE_ADDR_SHIFT);
      case VIRTIO_PCI_QUEUE_NUM:
        return dev.queues[sel]?.size ?? 0;
      case VIRTIO_PCI_QUEUE_SEL:
        return sel;
      case VIRTIO_PCI_STATUS:
        return dev.status;
      case VIRTIO_MSI_CONFIG_VECTOR:
        return dev.configVector;
      case VIRTIO_MSI_QUEUE_VECTOR:
        return this.core.queueVector(sel);
      default:
        return 0;
    }
  }

  /** QUEUE_PFN: 0 resets the whole device (what legacy drivers do on removal), else places the rings. */
  private setPfn(sel: number, pfn: number): void {
    const core = this.core;
    const addr = pfn * 2 ** VIRTIO_PCI_QUEUE_ADDR_SHIFT;
    if (addr === 0) {
      core.trace(`vq${sel}: legacy QUEUE_PFN 0: device reset`);
      core.resetTransport();
      return;
    }
    const q = core.device.queues[sel];
    if (!q || q.size === 0) return;
    core.trace(`vq${sel}: legacy QUEUE_PFN ${hx(pfn)}: rings at ${hx(addr)}, size ${q.size}`);
    q.setLegacyAddress(addr, VIRTIO_LEGACY_VRING_ALIGN);
  }
}
