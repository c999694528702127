/**
 * The virtio-scsi device (VIRTIO 1.2 §5.6; QEMU's virtio-scsi-device): a controlq, an
 * eventq and request queues in front of a SCSI bus, with QEMU's configuration values and
 * its driver-writable sense_size / cdb_size (bad values break the device).
 */
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_ID_SCSI,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VIRTQUEUE_MAX_SIZE,
  featureBit,
} from '../../src/abi/virtio.js';
import {
  VIRTIO_SCSI_CDB_DEFAULT_SIZE,
  VIRTIO_SCSI_CFG_CDB_SIZE,
  VIRTIO_SCSI_CFG_CMD_PER_LUN,
  VIRTIO_SCSI_CFG_EVENT_INFO_SIZE,
  VIRTIO_SCSI_CFG_MAX_CHANNEL,
  VIRTIO_SCSI_CFG_MAX_LUN,
  VIRTIO_SCSI_CFG_MAX_SECTORS,
  VIRTIO_SCSI_CFG_MAX_TARGET,
  VIRTIO_SCSI_CFG_NUM_QUEUES,
  VIRTIO_SCSI_CFG_SEG_MAX,
  VIRTIO_SCSI_CFG_SENSE_SIZE,
  VIRTIO_SCSI_CONFIG_SIZE,
  VIRTIO_SCSI_EVENT_SIZE,
  VIRTIO_SCSI_F_CHANGE,
  VIRTIO_SCSI_F_HOTPLUG,
  VIRTIO_SCSI_SENSE_DEFAULT_SIZE,
  VIRTIO_SCSI_T_NO_EVENT,
} from '../../src/abi/virtio-scsi.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { StorageError } from '../block/errors.js';
import { ScsiBus } from '../scsi/bus.js';
import { VirtioDevice } from '../virtio/virtio-device.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import { handleScsiControl, writeScsiEvent, type ScsiEvent } from './control.js';
import { handleScsiCommand, type ScsiCmdContext } from './request.js';

/** Ring features QEMU's virtio core offers for every device (VERSION_1 comes from the transport). */
const RING_FEATURES =
  featureBit(VIRTIO_RING_F_INDIRECT_DESC) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_F_NOTIFY_ON_EMPTY) | featureBit(VIRTIO_F_ANY_LAYOUT);

/** Size of the controlq and eventq (QEMU's VIRTIO_SCSI_VQ_SIZE). */
export const VIRTIO_SCSI_CTRL_QUEUE_SIZE = 128;
/** Default request queue size (`virtqueue_size`). */
export const VIRTIO_SCSI_DEFAULT_QUEUE_SIZE = 256;
/** QEMU's VIRTIO_SCSI_MAX_CHANNEL. */
export const VIRTIO_SCSI_MAX_CHANNEL = 0;
/** QEMU's VIRTIO_SCSI_MAX_TARGET. */
export const VIRTIO_SCSI_MAX_TARGET = 255;
/** QEMU's VIRTIO_SCSI_MAX_LUN. */
export const VIRTIO_SCSI_MAX_LUN = 16383;
/** Request queues fit beside the controlq and eventq in the transport's 1024 queues. */
export const VIRTIO_SCSI_MAX_REQUEST_QUEUES = 1024 - 2 - 1;
/** Largest sense_size a driver may write (QEMU's check). */
export const VIRTIO_SCSI_SENSE_SIZE_LIMIT = 65536;
/** Largest cdb_size a driver may write. */
export const VIRTIO_SCSI_CDB_SIZE_LIMIT = 256;
/** QEMU's virtio_error text for a bad sense_size / cdb_size write. */
export const VIRTIO_SCSI_BAD_CONFIG = 'bad data written to virtio-scsi configuration space';

/** Properties of the device, as `-device virtio-scsi-pci,...` gives them. */
export interface VirtioScsiOptions {
  /** Guest memory. */
  mem: AddressSpace;
  /** Name of the SCSI bus ("scsi0.0"). */
  busName: string;
  /** `num_queues` (request queues, default 1). */
  numQueues?: number;
  /** `virtqueue_size` (default 256). */
  queueSize?: number;
  /** `max_sectors` (default 0xFFFF). */
  maxSectors?: number;
  /** `cmd_per_lun` (default 128). */
  cmdPerLun?: number;
  /** `hotplug` (default on). */
  hotplug?: boolean;
  /** `param_change` (default on). */
  paramChange?: boolean;
  /** Readable trace sink. */
  trace?: (line: string) => void;
}

/** Counters for tests. */
export interface VirtioScsiStats {
  /** Commands completed (any response). */
  commands: number;
  /** Control requests completed. */
  controls: number;
  /** Events delivered. */
  events: number;
  /** Events dropped for want of an eventq buffer. */
  eventsDropped: number;
}

/** A virtio SCSI host adapter. */
export class VirtioScsi extends VirtioDevice implements ScsiCmdContext {
  /** The SCSI bus. */
  readonly bus: ScsiBus;
  /** Current cdb_size. */
  cdbSize = VIRTIO_SCSI_CDB_DEFAULT_SIZE;
  /** Current sense_size. */
  senseSize = VIRTIO_SCSI_SENSE_DEFAULT_SIZE;
  private readonly queueSize: number;
  private readonly maxSectors: number;
  private readonly cmdPerLun: number;
  private readonly numRequestQueues: number;
  private eventsDroppedFlag = false;
  private readonly counters: VirtioScsiStats = { commands: 0, controls: 0, events: 0, eventsDropped: 0 };

  /** Realizes the device; throws StorageError with QEMU's texts. */
  constructor(opts: VirtioScsiOptions) {
    const nq = opts.numQueues ?? 1;
    const qs = opts.queueSize ?? VIRTIO_SCSI_DEFAULT_QUEUE_SIZE;
    if (!Number.isInteger(nq) || nq < 1 || nq > VIRTIO_SCSI_MAX_REQUEST_QUEUES) {
      throw new StorageError(`Invalid number of queues (= ${nq}), must be a positive integer less than ${VIRTIO_SCSI_MAX_REQUEST_QUEUES + 1}.`);
    }
    if (qs <= 2) throw new StorageError(`invalid virtqueue_size property (= ${qs}), must be > 2`);
    // QEMU aborts on this one; here it is an error like the others.
    if (qs > VIRTQUEUE_MAX_SIZE) throw new StorageError(`invalid virtqueue_size property (= ${qs}), must be at most ${VIRTQUEUE_MAX_SIZE}`);
    let features = RING_FEATURES;
    if (opts.hotplug ?? true) features |= featureBit(VIRTIO_SCSI_F_HOTPLUG);
    if (opts.paramChange ?? true) features |= featureBit(VIRTIO_SCSI_F_CHANGE);
    super({ name: 'virtio-scsi', deviceId: VIRTIO_ID_SCSI, mem: opts.mem, hostFeatures: features, configSize: VIRTIO_SCSI_CONFIG_SIZE, trace: opts.trace });
    this.queueSize = qs;
    this.maxSectors = opts.maxSectors ?? 0xffff;
    this.cmdPerLun = opts.cmdPerLun ?? 128;
    this.numRequestQueues = nq;
    this.bus = new ScsiBus(opts.busName, { maxChannel: VIRTIO_SCSI_MAX_CHANNEL, maxTarget: VIRTIO_SCSI_MAX_TARGET, maxLun: VIRTIO_SCSI_MAX_LUN, tcq: true });
    this.addQueue(VIRTIO_SCSI_CTRL_QUEUE_SIZE, (q) => this.handleControlQueue(q));
    this.addQueue(VIRTIO_SCSI_CTRL_QUEUE_SIZE, () => this.handleEventQueue());
    for (let i = 0; i < nq; i++) this.addQueue(qs, (q) => this.handleRequestQueue(q));
    this.refreshConfig();
  }

  /** ANY_LAYOUT negotiated (VERSION_1 drivers always have it). */
  get anyLayout(): boolean {
    return this.hasGuestFeature(VIRTIO_F_ANY_LAYOUT);
  }

  /** Counters. */
  stats(): VirtioScsiStats {
    return { ...this.counters };
  }

  /**
   * Reports an event (hotplug, parameter change) through the eventq; dropped (and flagged
   * for the next one) when the driver has no buffer there. Nothing before DRIVER_OK.
   */
  pushEvent(ev: ScsiEvent): void {
    if (!(this.status & VIRTIO_CONFIG_S_DRIVER_OK) || this.broken) return;
    const q = this.queues[1]!;
    const chain = q.pop();
    if (!chain) {
      this.eventsDroppedFlag = true;
      this.counters.eventsDropped++;
      return;
    }
    const missed = this.eventsDroppedFlag;
    this.eventsDroppedFlag = false;
    const n = writeScsiEvent(this.mem, chain, ev, missed);
    if (n === undefined) {
      this.markBroken(`wrong size for virtio-scsi headers`, q.index);
      return;
    }
    this.counters.events++;
    this.traceQueue?.(q.index, `event ${ev.event}${missed ? ' (events missed)' : ''} reason ${ev.reason}`);
    q.push(chain, VIRTIO_SCSI_EVENT_SIZE);
    this.notify(q);
  }

  private handleRequestQueue(q: SplitQueue): void {
    let pushed = 0;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const out = handleScsiCommand(this, chain);
      if (out.kind === 'broken') {
        if (pushed > 0) this.notify(q);
        this.markBroken(out.message, q.index);
        return;
      }
      this.counters.commands++;
      this.traceQueue?.(q.index, out.what);
      q.push(chain, out.usedLen);
      pushed++;
    }
    if (pushed > 0) this.notify(q);
  }

  private handleControlQueue(q: SplitQueue): void {
    let pushed = 0;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const out = handleScsiControl(this.mem, this.bus, chain);
      if (out.kind === 'broken') {
        if (pushed > 0) this.notify(q);
        this.markBroken(out.message, q.index);
        return;
      }
      this.counters.controls++;
      this.traceQueue?.(q.index, out.what);
      q.push(chain, out.usedLen);
      pushed++;
    }
    if (pushed > 0) this.notify(q);
  }

  /** New eventq buffers: if events were lost meanwhile, say so at once. */
  private handleEventQueue(): void {
    if (this.eventsDroppedFlag) this.pushEvent({ event: VIRTIO_SCSI_T_NO_EVENT, reason: 0 });
  }

  protected override refreshConfig(): void {
    const v = this.configView;
    v.setUint32(VIRTIO_SCSI_CFG_NUM_QUEUES, this.numRequestQueues, true);
    v.setUint32(VIRTIO_SCSI_CFG_SEG_MAX, this.queueSize - 2, true);
    v.setUint32(VIRTIO_SCSI_CFG_MAX_SECTORS, this.maxSectors, true);
    v.setUint32(VIRTIO_SCSI_CFG_CMD_PER_LUN, this.cmdPerLun, true);
    v.setUint32(VIRTIO_SCSI_CFG_EVENT_INFO_SIZE, VIRTIO_SCSI_EVENT_SIZE, true);
    v.setUint32(VIRTIO_SCSI_CFG_SENSE_SIZE, this.senseSize, true);
    v.setUint32(VIRTIO_SCSI_CFG_CDB_SIZE, this.cdbSize, true);
    v.setUint16(VIRTIO_SCSI_CFG_MAX_CHANNEL, VIRTIO_SCSI_MAX_CHANNEL, true);
    v.setUint16(VIRTIO_SCSI_CFG_MAX_TARGET, VIRTIO_SCSI_MAX_TARGET, true);
    v.setUint32(VIRTIO_SCSI_CFG_MAX_LUN, VIRTIO_SCSI_MAX_LUN, true);
  }

  protected override configWritten(): void {
    const sense = this.configView.getUint32(VIRTIO_SCSI_CFG_SENSE_SIZE, true);
    const cdb = this.configView.getUint32(VIRTIO_SCSI_CFG_CDB_SIZE, true);
    if (sense >= VIRTIO_SCSI_SENSE_SIZE_LIMIT || cdb >= VIRTIO_SCSI_CDB_SIZE_LIMIT) {
      this.markBroken(VIRTIO_SCSI_BAD_CONFIG);
      this.refreshConfig();
      return;
    }
    this.senseSize = sense;
    this.cdbSize = cdb;
  }

  protected override onReset(): void {
    this.senseSize = VIRTIO_SCSI_SENSE_DEFAULT_SIZE;
    this.cdbSize = VIRTIO_SCSI_CDB_DEFAULT_SIZE;
    this.eventsDroppedFlag = false;
    this.bus.reset();
    this.refreshConfig();
  }
}
