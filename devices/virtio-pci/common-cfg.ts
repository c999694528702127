/**
 * The common configuration structure (VIRTIO 1.2 §4.1.4.3) as QEMU decodes it: registers are
 * matched by their exact offset whatever the access width, reads of anything else return 0
 * and writes to it are dropped. Feature words are latched here and handed to the device as
 * one 64-bit value on every driver_feature write; ring addresses are latched per queue and
 * reach the queue only on queue_enable = 1.
 */
import {
  VIRTIO_LEGACY_FEATURES,
  VIRTIO_MSI_NO_VECTOR,
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
} from '../../src/abi/virtio.js';
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import { hx, maskToSize, type VirtioPciCore } from './core.js';
import { VIRTIO_QUEUE_MAX } from './layout.js';
import type { RingWord } from './queue-state.js';

const RING_WORDS: ReadonlyMap<number, RingWord> = new Map([
  [VIRTIO_PCI_COMMON_Q_DESCLO, 'descLo'],
  [VIRTIO_PCI_COMMON_Q_DESCHI, 'descHi'],
  [VIRTIO_PCI_COMMON_Q_AVAILLO, 'availLo'],
  [VIRTIO_PCI_COMMON_Q_AVAILHI, 'availHi'],
  [VIRTIO_PCI_COMMON_Q_USEDLO, 'usedLo'],
  [VIRTIO_PCI_COMMON_Q_USEDHI, 'usedHi'],
]);

/** QEMU's message when queue_enable is written with anything but 1. */
export function wrongQueueEnableMessage(value: number): string {
  return `wrong value for queue_enable ${value.toString(16)}`;
}

/** The common configuration window of the modern BAR. */
export class CommonConfig implements IoRegionOps {
  private dfselect = 0;
  private gfselect = 0;
  private readonly gf = [0, 0];

  /** Decodes into `core`. */
  constructor(private readonly core: VirtioPciCore) {}

  /** Selectors and feature latches back to 0 (device reset). */
  reset(): void {
    this.dfselect = 0;
    this.gfselect = 0;
    this.gf[0] = this.gf[1] = 0;
  }

  /** Register read (no side effects: the common structure has none). */
  read(offset: number, size: AccessSize): number {
    return maskToSize(this.value(offset), size);
  }

  /** Same as read. */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }

  /** Register write. */
  write(offset: number, size: AccessSize, raw: number): void {
    const value = maskToSize(raw, size);
    const core = this.core;
    const dev = core.device;
    const sel = core.queueSel;
    switch (offset) {
      case VIRTIO_PCI_COMMON_DFSELECT:
        this.dfselect = value;
        return;
      case VIRTIO_PCI_COMMON_GFSELECT:
        this.gfselect = value;
        return;
      case VIRTIO_PCI_COMMON_GF: {
        if (this.gfselect > 1) return;
        this.gf[this.gfselect] = value;
        const features = (BigInt(this.gf[1]!) << 32n) | BigInt(this.gf[0]!);
        core.trace(`driver_feature[${this.gfselect}] = ${hx(value)}`);
        dev.setGuestFeatures(features);
        return;
      }
      case VIRTIO_PCI_COMMON_MSIX: {
        const got = core.setConfigVector(value);
        core.trace(`config_msix_vector = ${hx(value)}${got === value ? '' : ` (refused: reads ${hx(got)})`}`);
        return;
      }
      case VIRTIO_PCI_COMMON_STATUS:
        core.writeStatus(value & 0xff);
        return;
      case VIRTIO_PCI_COMMON_Q_SELECT:
        // Out-of-range selects are ignored, so the previous queue stays selected (QEMU).
        if (value < VIRTIO_QUEUE_MAX) core.queueSel = value;
        return;
      case VIRTIO_PCI_COMMON_Q_SIZE: {
        core.proxyQueues.get(sel).num = value;
        const q = dev.queues[sel];
        if (q && !q.setSize(value)) core.trace(`vq${sel}: queue_size ${value} ignored (stays ${q.size})`);
        return;
      }
      case VIRTIO_PCI_COMMON_Q_MSIX: {
        const got = core.setQueueVector(sel, value);
        core.trace(`vq${sel}: queue_msix_vector = ${hx(value)}${got === value ? '' : ` (refused: reads ${hx(got)})`}`);
        return;
      }
      case VIRTIO_PCI_COMMON_Q_ENABLE:
        this.enableQueue(sel, value);
        return;
      default: {
        const word = RING_WORDS.get(offset);
        if (word) core.proxyQueues.get(sel).words[word] = value >>> 0;
      }
    }
  }

  private value(offset: number): number {
    const core = this.core;
    const dev = core.device;
    const sel = core.queueSel;
    switch (offset) {
      case VIRTIO_PCI_COMMON_DFSELECT:
        return this.dfselect;
      case VIRTIO_PCI_COMMON_DF: {
        if (this.dfselect > 1) return 0;
        const visible = dev.hostFeatures & ~VIRTIO_LEGACY_FEATURES;
        return Number((visible >> BigInt(32 * this.dfselect)) & 0xffff_ffffn);
      }
      case VIRTIO_PCI_COMMON_GFSELECT:
        return this.gfselect;
      case VIRTIO_PCI_COMMON_GF:
        return this.gfselect > 1 ? 0 : this.gf[this.gfselect]!;
      case VIRTIO_PCI_COMMON_MSIX:
        return dev.configVector;
      case VIRTIO_PCI_COMMON_NUMQ:
        return numQueues(dev.queues.map((q) => q.size));
      case VIRTIO_PCI_COMMON_STATUS:
        return dev.status;
      case VIRTIO_PCI_COMMON_CFGGENERATION:
        return dev.configGeneration & 0xff;
      case VIRTIO_PCI_COMMON_Q_SELECT:
        return sel;
      case VIRTIO_PCI_COMMON_Q_SIZE:
        return dev.queues[sel]?.size ?? 0;
      case VIRTIO_PCI_COMMON_Q_MSIX:
        return core.queueVector(sel);
      case VIRTIO_PCI_COMMON_Q_ENABLE:
        return core.proxyQueues.peek(sel)?.enabled ? 1 : 0;
      case VIRTIO_PCI_COMMON_Q_NOFF:
        // Every queue gets its own notify slot: the offset is just the index.
        return sel;
      default: {
        const word = RING_WORDS.get(offset);
        return word ? (core.proxyQueues.peek(sel)?.words[word] ?? 0) : 0;
      }
    }
  }

  /** queue_enable: only 1 is legal; it hands the latched size and rings to the queue. */
  private enableQueue(sel: number, value: number): void {
    const core = this.core;
    const dev = core.device;
    if (value !== 1) {
      dev.markBroken(wrongQueueEnableMessage(value), sel);
      return;
    }
    const pq = core.proxyQueues.get(sel);
    const q = dev.queues[sel];
    if (q) {
      q.setSize(pq.num);
      q.setRings(pq.desc, pq.avail, pq.used);
      q.enabled = true;
    }
    pq.enabled = true;
    const vector = core.queueVector(sel);
    core.trace(
      q
        ? `vq${sel}: enabled, size ${q.size}, desc ${hx(pq.desc)} avail ${hx(pq.avail)} used ${hx(pq.used)}, vector ${vector === VIRTIO_MSI_NO_VECTOR ? 'none' : vector}`
        : `vq${sel}: enabled, but the device has no such queue`,
    );
  }
}

/** QEMU's num_queues: one past the highest index whose size is not 0. */
export function numQueues(sizes: readonly number[]): number {
  let n = 0;
  sizes.forEach((s, i) => {
    if (s !== 0) n = i + 1;
  });
  return n;
}
