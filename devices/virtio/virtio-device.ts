/**
 * The transport-independent virtio device core (QEMU's VirtIODevice): feature negotiation,
 * the status register, ISR and config generation, device-specific config space, the queue
 * array with per-queue kick handlers, and the "broken device" state a bad ring puts it in.
 *
 * A transport (virtio-pci, and possibly others) owns the registers and interrupts; it calls in
 * through the public methods here and is called back only through VirtioTransport.
 */
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_VERSION_1,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_ISR_CONFIG,
  VIRTIO_PCI_ISR_QUEUE,
  VIRTIO_RING_F_EVENT_IDX,
  hasFeature,
} from '../../src/abi/virtio.js';
import type { AccessSize } from '../../src/memory/region.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { QueueHost } from './queue-host.js';
import { SplitQueue } from './split-queue.js';
import type { VirtqueueError } from './virtqueue-error.js';

/**
 * What the device core needs from its transport: two ways to interrupt the driver. The core
 * has already updated the ISR byte; the transport picks MSI-X vector or INTx and delivers.
 */
export interface VirtioTransport {
  /** Used-buffer notification for queue `index` (ISR bit 0 set; vector is queues[index].vector). */
  notifyQueue(index: number): void;
  /** Configuration-change notification (ISR bits 0 and 1 set; vector is configVector). */
  notifyConfig(): void;
}

/** Called when the driver kicks a queue. */
export type QueueHandler = (queue: SplitQueue) => void;

/** Construction parameters of a device core. */
export interface VirtioDeviceOptions {
  /** Name used in trace lines and error reports (e.g. "virtio-serial"). */
  name: string;
  /** Virtio device id (VIRTIO_ID_*). */
  deviceId: number;
  /** Guest-physical memory for rings and buffers. */
  mem: AddressSpace;
  /** Features the device offers before the transport adds its own (e.g. VERSION_1). */
  hostFeatures: bigint;
  /** Size of the device-specific configuration space in bytes. */
  configSize: number;
  /** Optional trace sink for readable lines (the transport prefixes time and source). */
  trace?: (line: string) => void;
}

/** A virtio device independent of its transport; concrete devices subclass it. */
export abstract class VirtioDevice implements QueueHost {
  /** Name for traces and errors. */
  readonly name: string;
  /** Virtio device id. */
  readonly deviceId: number;
  /** Guest-physical memory. */
  readonly mem: AddressSpace;
  /** Features offered to the driver. */
  hostFeatures: bigint;
  /** Features the driver accepted (always a subset of hostFeatures). */
  guestFeatures = 0n;
  /** The device status byte. */
  status = 0;
  /** ISR byte: bit 0 queue interrupt, bit 1 config change. */
  isr = 0;
  /** Bumped on every configuration change notification (read as a byte by the driver). */
  configGeneration = 0;
  /** MSI-X vector for config changes (the transport interprets it). */
  configVector = VIRTIO_MSI_NO_VECTOR;
  /** Set by markBroken; the device then ignores its queues until reset. */
  broken = false;
  /** The message of the error that broke the device, kept until reset. */
  lastError: string | null = null;
  /** The queues, by index. */
  readonly queues: SplitQueue[] = [];
  /** Device-specific configuration bytes (little-endian fields). */
  protected readonly config: Uint8Array;
  /** DataView over config. */
  protected readonly configView: DataView;
  /** Queue trace sink handed to the queues (undefined when not tracing). */
  readonly traceQueue: ((queue: number, line: string) => void) | undefined;
  private readonly handlers: QueueHandler[] = [];
  private transport: VirtioTransport | null = null;
  private readonly traceSink: ((line: string) => void) | undefined;

  /** Creates the core; subclasses add queues and fill config. */
  constructor(opts: VirtioDeviceOptions) {
    this.name = opts.name;
    this.deviceId = opts.deviceId;
    this.mem = opts.mem;
    this.hostFeatures = opts.hostFeatures;
    this.config = new Uint8Array(opts.configSize);
    this.configView = new DataView(this.config.buffer);
    const sink = opts.trace;
    this.traceSink = sink;
    this.traceQueue = sink ? (q, line) => sink(`vq${q}: ${line}`) : undefined;
  }

  /** Size of the device-specific configuration space (the transport sizes its window from it). */
  get configSize(): number {
    return this.config.length;
  }

  /** Connects the transport that delivers interrupts. */
  attachTransport(t: VirtioTransport): void {
    this.transport = t;
  }

  /** Adds queue number queues.length with default size `size` and its kick handler. */
  protected addQueue(size: number, handler: QueueHandler): SplitQueue {
    const q = new SplitQueue(this, this.queues.length, size);
    this.queues.push(q);
    this.handlers.push(handler);
    return q;
  }

  /** Adds feature bits to the offer (virtio-pci adds VERSION_1 when modern is enabled). */
  offerFeatures(mask: bigint): void {
    this.hostFeatures |= mask;
  }

  /** True when the driver accepted feature `bit`. */
  hasGuestFeature(bit: number): boolean {
    return hasFeature(this.guestFeatures, bit);
  }

  /**
   * The driver writes its accepted features. Refused after FEATURES_OK; bits not offered are
   * dropped. Returns false when refused or when unoffered bits were asked for.
   */
  setGuestFeatures(value: bigint): boolean {
    if (this.status & VIRTIO_CONFIG_S_FEATURES_OK) {
      this.trace(`features 0x${value.toString(16)} refused after FEATURES_OK`);
      return false;
    }
    const accepted = value & this.hostFeatures;
    this.onFeaturesSet(accepted);
    this.guestFeatures = accepted;
    this.trace(`guest features 0x${accepted.toString(16)}`);
    // EVENT_IDX grows the rings by the event fields, so already-set rings are checked again.
    if (hasFeature(accepted, VIRTIO_RING_F_EVENT_IDX)) {
      for (const q of this.queues) if (q.descAddr !== 0) q.setRings(q.descAddr, q.availAddr, q.usedAddr);
    }
    return accepted === value;
  }

  /**
   * The driver writes the status byte. 0 resets the device. Setting FEATURES_OK with VERSION_1
   * negotiated validates the features; on failure the write is dropped (FEATURES_OK reads back
   * clear, which is how the driver learns). Returns whether the write took effect.
   */
  setStatus(value: number): boolean {
    const val = value & 0xff;
    if (this.hasGuestFeature(VIRTIO_F_VERSION_1) && !(this.status & VIRTIO_CONFIG_S_FEATURES_OK) && val & VIRTIO_CONFIG_S_FEATURES_OK) {
      if (!this.featuresAcceptable()) {
        this.trace(`status 0x${val.toString(16)} refused: features 0x${this.guestFeatures.toString(16)} not acceptable`);
        return false;
      }
    }
    const old = this.status;
    this.onStatusChange(old, val);
    this.status = val;
    this.trace(`status 0x${old.toString(16)} -> 0x${val.toString(16)}`);
    if (val === 0) this.reset();
    return true;
  }

  /** Device reset: status, features, ISR, queues and broken state back to power-on values. */
  reset(): void {
    this.onReset();
    this.broken = false;
    this.lastError = null;
    this.guestFeatures = 0n;
    this.status = 0;
    this.isr = 0;
    this.configVector = VIRTIO_MSI_NO_VECTOR;
    for (const q of this.queues) q.reset();
    this.trace('reset');
  }

  /** Reads the ISR byte and clears it (the transport deasserts INTx). */
  takeIsr(): number {
    const v = this.isr;
    this.isr = 0;
    return v;
  }

  /** Reads device config; out-of-range reads return all ones, like QEMU. */
  readConfig(offset: number, size: AccessSize): number {
    if (offset < 0 || offset + size > this.config.length) return size === 4 ? 0xffff_ffff : (1 << (8 * size)) - 1;
    this.refreshConfig();
    return this.peekConfig(offset, size);
  }

  /** Reads device config without refreshing it (debuggers, traces). */
  peekConfig(offset: number, size: AccessSize): number {
    if (offset < 0 || offset + size > this.config.length) return 0;
    if (size === 1) return this.configView.getUint8(offset);
    if (size === 2) return this.configView.getUint16(offset, true);
    return this.configView.getUint32(offset, true);
  }

  /** Writes device config; out-of-range writes are dropped. */
  writeConfig(offset: number, size: AccessSize, value: number): void {
    if (offset < 0 || offset + size > this.config.length) return;
    if (size === 1) this.configView.setUint8(offset, value & 0xff);
    else if (size === 2) this.configView.setUint16(offset, value & 0xffff, true);
    else this.configView.setUint32(offset, value >>> 0, true);
    this.configWritten(offset, size);
  }

  /** The driver kicked queue `index`: runs its handler unless broken or the queue has no rings. */
  handleKick(index: number): void {
    const q = this.queues[index];
    if (!q || this.broken || q.descAddr === 0) return;
    this.handlers[index]!(q);
  }

  /** After pushing used buffers: interrupts the driver if the ring's suppression allows it. */
  notify(queue: SplitQueue): void {
    if (this.broken) return;
    if (!queue.shouldNotify()) {
      this.traceQueue?.(queue.index, 'interrupt suppressed');
      return;
    }
    this.isr |= VIRTIO_PCI_ISR_QUEUE;
    this.traceQueue?.(queue.index, 'interrupt');
    this.transport?.notifyQueue(queue.index);
  }

  /** Configuration change notification; nothing happens before DRIVER_OK. */
  notifyConfig(): void {
    if (!(this.status & VIRTIO_CONFIG_S_DRIVER_OK)) return;
    this.isr |= VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG;
    this.configGeneration = (this.configGeneration + 1) & 0xff;
    this.trace(`config interrupt (generation ${this.configGeneration})`);
    this.transport?.notifyConfig();
  }

  /**
   * QEMU's virtio_error: report, set NEEDS_RESET and raise a config interrupt if the driver is
   * modern, and stop all queue processing until the driver resets the device.
   */
  markBroken(message: string, queue?: number): void {
    this.trace(`${queue === undefined ? '' : `vq${queue}: `}error: ${message}`);
    this.lastError = message;
    if (this.hasGuestFeature(VIRTIO_F_VERSION_1)) {
      this.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
      this.notifyConfig();
    }
    this.broken = true;
  }

  /** QueueHost: a queue found the ring invalid. */
  queueError(err: VirtqueueError): void {
    this.markBroken(err.message, err.queue);
  }

  /** Subclass hook: extra feature validation at FEATURES_OK (QEMU's validate_features). */
  protected validateFeatures(_features: bigint): boolean {
    return true;
  }

  /** Subclass hook: the driver wrote features (already masked to the offer). */
  protected onFeaturesSet(_features: bigint): void {}

  /** Subclass hook: status about to change from `old` to `val` (QEMU's set_status). */
  protected onStatusChange(_old: number, _val: number): void {}

  /** Subclass hook: device reset, before the core clears its own state. */
  protected onReset(): void {}

  /** Subclass hook: bring config bytes up to date before a driver read (QEMU's get_config). */
  protected refreshConfig(): void {}

  /** Subclass hook: the driver wrote config bytes [offset, offset+size) (QEMU's set_config). */
  protected configWritten(_offset: number, _size: number): void {}

  /** Emits a device-level trace line when tracing. */
  protected trace(line: string): void {
    this.traceSink?.(line);
  }

  private featuresAcceptable(): boolean {
    // A device behind an IOMMU cannot work with a driver that ignores it.
    if (hasFeature(this.hostFeatures, VIRTIO_F_ACCESS_PLATFORM) && !this.hasGuestFeature(VIRTIO_F_ACCESS_PLATFORM)) return false;
    return this.validateFeatures(this.guestFeatures);
  }
}
