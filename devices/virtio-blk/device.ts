/**
 * The virtio-blk device (VIRTIO 1.2 §5.2; QEMU's virtio-blk-device): request queues whose
 * kicks run every available request against the drive, the configuration space with
 * capacity and limits, QEMU's feature set and its write-cache rules (the writeback byte with
 * CONFIG_WCE, otherwise "write-back iff the driver took FLUSH" at DRIVER_OK). Completion is
 * immediate: the interrupt the transport raises reaches the guest as a later event.
 */
import {
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_ID_BLOCK,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTQUEUE_MAX_SIZE,
  featureBit,
} from '../../src/abi/virtio.js';
import {
  VIRTIO_BLK_CFG_WRITEBACK,
  VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_CONFIG_WCE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_GEOMETRY,
  VIRTIO_BLK_F_MQ,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_TOPOLOGY,
  VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
} from '../../src/abi/virtio-blk.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { BlockBackend } from '../block/backend.js';
import { STORAGE_ERR, StorageError } from '../block/errors.js';
import { VirtioDevice } from '../virtio/virtio-device.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import { fillVirtioBlkConfig, virtioBlkConfigSize } from './config.js';
import { VIRTIO_BLK_MAX_REQUEST_SECTORS, blkStatusName, handleBlkRequest, type BlkRequestContext } from './request.js';

/** Ring features QEMU's virtio core offers for every device (VERSION_1 comes from the transport). */
const RING_FEATURES =
  featureBit(VIRTIO_RING_F_INDIRECT_DESC) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_F_NOTIFY_ON_EMPTY) | featureBit(VIRTIO_F_ANY_LAYOUT);

/** QEMU's default queue-size. */
export const VIRTIO_BLK_DEFAULT_QUEUE_SIZE = 256;
/** Logical (and physical) block size of every disk here. */
export const VIRTIO_BLK_BLOCK_SIZE = VIRTIO_BLK_SECTOR_SIZE;

/** Properties of the device, as `-device virtio-blk-pci,...` gives them. */
export interface VirtioBlkOptions {
  /** Guest memory. */
  mem: AddressSpace;
  /** The drive (`drive=`). */
  backend: BlockBackend;
  /** `serial=` (GET_ID answer). */
  serial?: string;
  /** `queue-size` (default 256, a power of two, 4..1024). */
  queueSize?: number;
  /** `num-queues` (default 1; QEMU defaults to the vCPU count, this machine to one queue). */
  numQueues?: number;
  /** `discard` feature (default on). */
  discard?: boolean;
  /** `write-zeroes` feature (default on). */
  writeZeroes?: boolean;
  /** `config-wce` (default on). */
  configWce?: boolean;
  /** `max-discard-sectors` (default QEMU's 4194303). */
  maxDiscardSectors?: number;
  /** `max-write-zeroes-sectors` (default 4194303). */
  maxWriteZeroesSectors?: number;
  /** Readable trace sink. */
  trace?: (line: string) => void;
}

/** Requests by outcome, for tests and `info`-style reports. */
export interface VirtioBlkStats {
  /** Requests completed (any status). */
  requests: number;
  /** Completed with OK. */
  ok: number;
  /** Completed with IOERR. */
  ioErrors: number;
  /** Completed with UNSUPP. */
  unsupported: number;
}

/** A virtio block device. */
export class VirtioBlk extends VirtioDevice implements BlkRequestContext {
  /** The drive. */
  readonly backend: BlockBackend;
  /** GET_ID answer. */
  readonly serial: string;
  /** Logical block size. */
  readonly blockSize = VIRTIO_BLK_BLOCK_SIZE;
  /** DISCARD limit (undefined when not offered). */
  readonly maxDiscardSectors: number | undefined;
  /** WRITE_ZEROES limit (undefined when not offered). */
  readonly maxWriteZeroesSectors: number | undefined;
  /** queue-size. */
  readonly queueSize: number;
  private readonly originalWce: boolean;
  private readonly counters: VirtioBlkStats = { requests: 0, ok: 0, ioErrors: 0, unsupported: 0 };

  /** Realizes the device; throws StorageError with QEMU's texts. */
  constructor(opts: VirtioBlkOptions) {
    const discard = opts.discard ?? true;
    const writeZeroes = opts.writeZeroes ?? true;
    super({ name: 'virtio-blk', deviceId: VIRTIO_ID_BLOCK, mem: opts.mem, hostFeatures: VirtioBlk.features(opts), configSize: virtioBlkConfigSize(discard, writeZeroes), trace: opts.trace });
    this.backend = opts.backend;
    this.serial = opts.serial ?? '';
    this.queueSize = opts.queueSize ?? VIRTIO_BLK_DEFAULT_QUEUE_SIZE;
    this.maxDiscardSectors = discard ? (opts.maxDiscardSectors ?? VIRTIO_BLK_MAX_REQUEST_SECTORS) : undefined;
    this.maxWriteZeroesSectors = writeZeroes ? (opts.maxWriteZeroesSectors ?? VIRTIO_BLK_MAX_REQUEST_SECTORS) : undefined;
    this.originalWce = this.backend.writeCacheEnabled;
    for (let i = 0; i < (opts.numQueues ?? 1); i++) this.addQueue(this.queueSize, (q) => this.handleQueue(q));
    this.refreshConfig();
  }

  /** QEMU's realize checks and get_features, in its order. */
  private static features(opts: VirtioBlkOptions): bigint {
    const b = opts.backend;
    if (!b.inserted) throw new StorageError(STORAGE_ERR.needsMedia());
    const nq = opts.numQueues ?? 1;
    if (!Number.isInteger(nq) || nq < 1) throw new StorageError(STORAGE_ERR.numQueuesZero());
    const qs = opts.queueSize ?? VIRTIO_BLK_DEFAULT_QUEUE_SIZE;
    if (qs <= 2) throw new StorageError(STORAGE_ERR.queueSizeTooSmall(qs));
    if (!Number.isInteger(qs) || (qs & (qs - 1)) !== 0 || qs > VIRTQUEUE_MAX_SIZE) throw new StorageError(STORAGE_ERR.queueSizeNotPow2(qs, VIRTQUEUE_MAX_SIZE));
    const discard = opts.discard ?? true;
    const mds = opts.maxDiscardSectors ?? VIRTIO_BLK_MAX_REQUEST_SECTORS;
    if (discard && (mds < 1 || mds > VIRTIO_BLK_MAX_REQUEST_SECTORS)) throw new StorageError(STORAGE_ERR.maxDiscardSectors(mds, VIRTIO_BLK_MAX_REQUEST_SECTORS));
    const writeZeroes = opts.writeZeroes ?? true;
    const mwz = opts.maxWriteZeroesSectors ?? VIRTIO_BLK_MAX_REQUEST_SECTORS;
    if (writeZeroes && (mwz < 1 || mwz > VIRTIO_BLK_MAX_REQUEST_SECTORS)) throw new StorageError(STORAGE_ERR.maxWriteZeroesSectors(mwz, VIRTIO_BLK_MAX_REQUEST_SECTORS));
    const configWce = opts.configWce ?? true;
    let f = RING_FEATURES | featureBit(VIRTIO_BLK_F_SEG_MAX) | featureBit(VIRTIO_BLK_F_GEOMETRY) | featureBit(VIRTIO_BLK_F_TOPOLOGY) | featureBit(VIRTIO_BLK_F_BLK_SIZE);
    if (configWce) f |= featureBit(VIRTIO_BLK_F_CONFIG_WCE);
    // QEMU offers FLUSH with a write-back cache, or whenever CONFIG_WCE lets the driver turn one on.
    if (b.writeCacheEnabled || configWce) f |= featureBit(VIRTIO_BLK_F_FLUSH);
    if (b.readOnly) f |= featureBit(VIRTIO_BLK_F_RO);
    if (nq > 1) f |= featureBit(VIRTIO_BLK_F_MQ);
    if (discard) f |= featureBit(VIRTIO_BLK_F_DISCARD);
    if (writeZeroes) f |= featureBit(VIRTIO_BLK_F_WRITE_ZEROES);
    return f;
  }

  /** Counters. */
  stats(): VirtioBlkStats {
    return { ...this.counters };
  }

  /** Runs every available request of `q`, then interrupts once for the batch. */
  private handleQueue(q: SplitQueue): void {
    let pushed = 0;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const out = handleBlkRequest(this, chain);
      if (out.kind === 'broken') {
        if (pushed > 0) this.notify(q);
        this.markBroken(out.message, q.index);
        return;
      }
      this.counters.requests++;
      if (out.status === VIRTIO_BLK_S_OK) this.counters.ok++;
      else if (out.status === VIRTIO_BLK_S_IOERR) this.counters.ioErrors++;
      else this.counters.unsupported++;
      this.traceQueue?.(q.index, `${out.what} -> ${blkStatusName(out.status)}`);
      q.push(chain, out.usedLen);
      pushed++;
    }
    if (pushed > 0) this.notify(q);
  }

  protected override refreshConfig(): void {
    fillVirtioBlkConfig(this.configView, {
      capacity: this.backend.sectors,
      segMax: this.queueSize - 2,
      blockSize: this.blockSize,
      numQueues: this.queues.length,
      writeback: this.backend.writeCacheEnabled,
      discard: this.maxDiscardSectors === undefined ? undefined : { maxSectors: this.maxDiscardSectors, alignmentSectors: this.blockSize / VIRTIO_BLK_SECTOR_SIZE },
      writeZeroes: this.maxWriteZeroesSectors === undefined ? undefined : { maxSectors: this.maxWriteZeroesSectors },
    });
  }

  protected override configWritten(offset: number, size: number): void {
    if (offset > VIRTIO_BLK_CFG_WRITEBACK || offset + size <= VIRTIO_BLK_CFG_WRITEBACK) return;
    if ((this.hostFeatures & featureBit(VIRTIO_BLK_F_CONFIG_WCE)) === 0n) return;
    this.backend.writeCacheEnabled = this.config[VIRTIO_BLK_CFG_WRITEBACK] !== 0;
    this.trace(`write cache ${this.backend.writeCacheEnabled ? 'on (write-back)' : 'off (write-through)'} by the driver`);
  }

  protected override onStatusChange(_old: number, val: number): void {
    // A driver without CONFIG_WCE gets write-back exactly when it can flush.
    if (val & VIRTIO_CONFIG_S_DRIVER_OK && !this.hasGuestFeature(VIRTIO_BLK_F_CONFIG_WCE)) {
      this.backend.writeCacheEnabled = this.hasGuestFeature(VIRTIO_BLK_F_FLUSH);
    }
  }

  protected override onReset(): void {
    this.backend.writeCacheEnabled = this.originalWce;
  }
}
