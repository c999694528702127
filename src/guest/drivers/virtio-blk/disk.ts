/**
 * One virtio-blk disk as Linux's virtio_blk drives it: probe negotiates the block features,
 * reads capacity and limits from the device configuration, sets up one request queue and
 * registers the disk (vda, vdb, ... in probe order) with the kernel's block layer. Each
 * request lives in a DMA slot — header, page-sized data segments, status byte — and
 * completes from the queue interrupt. A bio larger than a slot goes out as several requests.
 * GET_ID fetches the serial shown in /sys/block/vdX/serial. A device that needs a reset is
 * reset and brought up again; requests it held fail with EIO.
 */
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBit, hasFeature } from '../../../abi/virtio.js';
import {
  VIRTIO_BLK_CFG_BLK_SIZE,
  VIRTIO_BLK_CFG_CAPACITY,
  VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
  VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
  VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP,
  VIRTIO_BLK_CFG_SEG_MAX,
  VIRTIO_BLK_CFG_WRITEBACK,
  VIRTIO_BLK_DWZ_NUM_SECTORS,
  VIRTIO_BLK_DWZ_SECTOR,
  VIRTIO_BLK_DWZ_SEGMENT_SIZE,
  VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_CONFIG_WCE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_GEOMETRY,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_SIZE_MAX,
  VIRTIO_BLK_F_TOPOLOGY,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_OUTHDR_SECTOR,
  VIRTIO_BLK_OUTHDR_SIZE,
  VIRTIO_BLK_OUTHDR_TYPE,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
} from '../../../abi/virtio-blk.js';
import type { ErrnoCode } from '../../kernel/errno.js';
import type { Kernel } from '../../kernel/index.js';
import type { Bio, BlockDriver, GendiskSpec } from '../../kernel/block/types.js';
import type { GuestPhysMemory } from '../../platform/phys-mem.js';
import type { GuestPlatform } from '../../platform/platform.js';
import type { VringSegment } from '../../virtio/vring.js';
import { DmaSlotPool, pageSegments, type DmaSlot } from '../dma-slots.js';
import { diskName, KernelCounters } from '../disk-names.js';
import { platformVirtioDriver, sysfsLeaf, type VirtioPciDriver } from '../virtio-pci/index.js';
import { formatDiskSize, registerDisk } from '../block-port.js';

/** Linux's virtio_blk feature table (without MQ, WRITE_ZEROES and lifetime), plus the ring features. */
export const VIRTIO_BLK_DRIVER_FEATURES = [
  VIRTIO_BLK_F_SIZE_MAX,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_GEOMETRY,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_TOPOLOGY,
  VIRTIO_BLK_F_CONFIG_WCE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
].reduce((f, b) => f | featureBit(b), 0n);

/** Bounce buffer per request: the most data one device request carries. */
export const VIRTIO_BLK_SLOT_DATA_BYTES = 256 * 1024;
/** Requests in flight per disk. */
export const VIRTIO_BLK_MAX_SLOTS = 16;
/** Bios waiting for a slot before new ones are refused with EIO. */
export const VIRTIO_BLK_MAX_QUEUED_PARTS = 4096;
/** Minors per disk: the disk and 15 partitions (Linux's PART_BITS = 4). */
export const VIRTIO_BLK_MINORS = 16;
/** Name of the block major in /proc/devices. */
export const VIRTIO_BLK_MAJOR_NAME = 'virtblk';
/** Status byte value a request holds until the device writes its own. */
const STATUS_UNSET = 0xff;

type Op = 'read' | 'write' | 'flush' | 'discard' | 'get-id';

/** A bio being served, possibly as several device requests. */
interface BioState {
  bio: Bio;
  remaining: number;
  error: ErrnoCode | undefined;
}

/** One device request. */
interface Part {
  op: Op;
  sector: number;
  count: number;
  /** Byte offset of this part's data in the bio's buffer. */
  offset: number;
  owner: BioState | undefined;
}

/** A request on the ring. */
interface InFlight {
  slot: DmaSlot;
  part: Part;
}

/** Counters for tests. */
export interface VirtioBlkDiskStats {
  /** Device requests completed. */
  requests: number;
  /** Completed with a status other than OK. */
  errors: number;
  /** Device resets done to recover. */
  resets: number;
}

const disksByKernel = new WeakMap<Kernel, VirtioBlkDisk[]>();
const counters = new KernelCounters();
const majors = new WeakMap<Kernel, number>();

/** The virtio-blk disks a kernel has bound, in probe order (index 0 is vda). */
export function virtioBlkDisks(kernel: Kernel): readonly VirtioBlkDisk[] {
  return disksByKernel.get(kernel) ?? [];
}

/** A bound virtio-blk disk. */
export class VirtioBlkDisk implements BlockDriver {
  /** The transport driver. */
  readonly drv: VirtioPciDriver<InFlight>;
  /** Kernel name (vda). */
  readonly name: string;
  /** The disk's major. */
  readonly major: number;
  /** First minor. */
  readonly firstMinor: number;
  /** Capacity in 512-byte sectors (from config). */
  capacity = 0;
  /** Logical block size. */
  blockSize = VIRTIO_BLK_SECTOR_SIZE;
  /** VIRTIO_BLK_F_RO. */
  readOnly = false;
  /** Write-back cache as the device reports it. */
  writeCache = false;
  /** Discard limits when DISCARD was negotiated. */
  discard: { maxSectors: number; granularity: number } | undefined;
  /** The device's serial (GET_ID), '' until it answers. */
  serial = '';
  /** The PCI function it is bound to. */
  readonly fn: HandoffPciFunction;
  private readonly kernel: Kernel;
  private readonly mem: GuestPhysMemory;
  private readonly slots: DmaSlotPool;
  private readonly pending: Part[] = [];
  private readonly inFlight = new Set<InFlight>();
  private partBytes = VIRTIO_BLK_SLOT_DATA_BYTES;
  private resetPending = false;
  private readonly counters: VirtioBlkDiskStats = { requests: 0, errors: 0, resets: 0 };

  /** Finds the interface (throws when there is none); start() brings the disk up. */
  constructor(
    platform: GuestPlatform,
    fn: HandoffPciFunction,
    /** The virtioN directory in /sys the disk hangs under. */
    readonly sysfsParent: string,
  ) {
    this.kernel = platform.kernel;
    this.fn = fn;
    this.mem = platform.mem;
    const index = counters.next(this.kernel, 'vd');
    this.name = diskName('vd', index);
    let major = majors.get(this.kernel);
    if (major === undefined) majors.set(this.kernel, (major = this.kernel.allocBlockMajor(VIRTIO_BLK_MAJOR_NAME)));
    this.major = major;
    this.firstMinor = index * VIRTIO_BLK_MINORS;
    this.drv = platformVirtioDriver<InFlight>(platform, fn, VIRTIO_BLK_DRIVER_FEATURES, 1, `guest ${sysfsLeaf(sysfsParent)}`);
    const pages = VIRTIO_BLK_SLOT_DATA_BYTES / 4096;
    this.slots = new DmaSlotPool(platform.alloc, { headerBytes: VIRTIO_BLK_OUTHDR_SIZE, statusBytes: 1, tableEntries: pages + 2, dataBytes: VIRTIO_BLK_SLOT_DATA_BYTES }, VIRTIO_BLK_MAX_SLOTS);
    this.drv.onQueue(0, () => this.complete());
    this.drv.onNeedsReset(() => this.scheduleReset('device needs reset'));
  }

  /** Counters. */
  stats(): VirtioBlkDiskStats {
    return { ...this.counters };
  }

  /** Probe: device up, limits read, disk registered, serial asked for. */
  start(): void {
    this.drv.init();
    this.readConfig();
    const spec: GendiskSpec = {
      name: this.name,
      major: this.major,
      firstMinor: this.firstMinor,
      minors: VIRTIO_BLK_MINORS,
      capacity: this.capacity,
      limits: {
        logicalBlockSize: this.blockSize,
        maxSectors: this.partBytes / VIRTIO_BLK_SECTOR_SIZE,
        discard: this.discard,
        writeCache: this.writeCache,
      },
      readOnly: this.readOnly,
      sysfsParent: this.sysfsParent,
      driver: this,
      driverName: VIRTIO_BLK_MAJOR_NAME,
    };
    registerDisk(this.kernel, spec);
    const dir = `${this.sysfsParent}/block/${this.name}`;
    this.kernel.sysfs.value(`${dir}/serial`, () => this.serial);
    this.kernel.sysfs.value(`${dir}/cache_type`, () => (this.writeCache ? 'write back' : 'write through'));
    const list = disksByKernel.get(this.kernel) ?? [];
    list.push(this);
    disksByKernel.set(this.kernel, list);
    this.log(`[${this.name}] ${this.capacity} ${this.blockSize}-byte logical blocks (${formatDiskSize(this.capacity * VIRTIO_BLK_SECTOR_SIZE)})`);
    this.enqueue({ op: 'get-id', sector: 0, count: 0, offset: 0, owner: undefined });
    this.pump();
  }

  /** BlockDriver: queues a bio; it completes from the queue interrupt. */
  submit(bio: Bio): void {
    const state: BioState = { bio, remaining: 0, error: undefined };
    const parts: Part[] = [];
    if (bio.op === 'flush') parts.push({ op: 'flush', sector: 0, count: 0, offset: 0, owner: state });
    else if (bio.op === 'discard') {
      if (!this.discard) return this.endLater(bio, 'EOPNOTSUPP');
      for (let done = 0; done < bio.count; done += this.discard.maxSectors) {
        parts.push({ op: 'discard', sector: bio.sector + done, count: Math.min(this.discard.maxSectors, bio.count - done), offset: 0, owner: state });
      }
    } else {
      const per = this.partBytes / VIRTIO_BLK_SECTOR_SIZE;
      if (!bio.data || bio.data.length < bio.count * VIRTIO_BLK_SECTOR_SIZE) return this.endLater(bio, 'EINVAL');
      for (let done = 0; done < bio.count; done += per) {
        parts.push({ op: bio.op, sector: bio.sector + done, count: Math.min(per, bio.count - done), offset: done * VIRTIO_BLK_SECTOR_SIZE, owner: state });
      }
    }
    if (parts.length === 0) return this.endLater(bio, undefined);
    if (this.pending.length + parts.length > VIRTIO_BLK_MAX_QUEUED_PARTS) return this.endLater(bio, 'EIO');
    state.remaining = parts.length;
    for (const p of parts) this.enqueue(p);
    this.pump();
  }

  // ---- bring-up -------------------------------------------------------------------------

  private readConfig(): void {
    const d = this.drv;
    const f = d.features;
    this.capacity = Number(BigInt(d.readConfig(VIRTIO_BLK_CFG_CAPACITY, 4)) | (BigInt(d.readConfig(VIRTIO_BLK_CFG_CAPACITY + 4, 4)) << 32n));
    if (hasFeature(f, VIRTIO_BLK_F_BLK_SIZE)) {
      const bs = d.readConfig(VIRTIO_BLK_CFG_BLK_SIZE, 4);
      // Linux ignores a block size that is not a power of two between 512 and the page size.
      if (bs >= VIRTIO_BLK_SECTOR_SIZE && bs <= 4096 && (bs & (bs - 1)) === 0) this.blockSize = bs;
    }
    if (hasFeature(f, VIRTIO_BLK_F_TOPOLOGY)) void d.readConfig(VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP, 1);
    this.readOnly = hasFeature(f, VIRTIO_BLK_F_RO);
    this.writeCache = hasFeature(f, VIRTIO_BLK_F_CONFIG_WCE) ? d.readConfig(VIRTIO_BLK_CFG_WRITEBACK, 1) !== 0 : hasFeature(f, VIRTIO_BLK_F_FLUSH);
    let segMax = VIRTIO_BLK_SLOT_DATA_BYTES / 4096;
    if (hasFeature(f, VIRTIO_BLK_F_SEG_MAX)) {
      const sm = d.readConfig(VIRTIO_BLK_CFG_SEG_MAX, 4);
      if (sm > 0) segMax = Math.min(segMax, sm);
    }
    // Without indirect descriptors a request takes header + data + status ring slots.
    if (!hasFeature(f, VIRTIO_RING_F_INDIRECT_DESC)) segMax = Math.min(segMax, d.queue(0).size - 2);
    this.partBytes = Math.max(1, segMax) * 4096;
    if (hasFeature(f, VIRTIO_BLK_F_DISCARD)) {
      const max = d.readConfig(VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4);
      const align = d.readConfig(VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 4);
      this.discard = max > 0 ? { maxSectors: max, granularity: Math.max(align * VIRTIO_BLK_SECTOR_SIZE, this.blockSize) } : undefined;
    }
  }

  // ---- requests -------------------------------------------------------------------------

  private enqueue(p: Part): void {
    this.pending.push(p);
  }

  /** Moves waiting parts onto the ring while slots and descriptors last, then kicks once. */
  private pump(): void {
    if (!this.drv.ready || this.resetPending) return;
    const ring = this.drv.queue(0);
    let added = 0;
    while (this.pending.length > 0) {
      const slot = this.slots.take();
      if (!slot) break;
      const part = this.pending[0]!;
      const segs = this.build(slot, part);
      const indirect = hasFeature(this.drv.features, VIRTIO_RING_F_INDIRECT_DESC) && segs.length > 1 ? slot.table : undefined;
      const item: InFlight = { slot, part };
      if (ring.addBuffer(segs, item, indirect) === null) {
        this.slots.give(slot);
        break;
      }
      this.pending.shift();
      this.inFlight.add(item);
      added++;
    }
    if (added > 0) this.drv.kick(0);
  }

  /** Writes the request into `slot` and returns its segments. */
  private build(slot: DmaSlot, p: Part): VringSegment[] {
    const type = p.op === 'read' ? VIRTIO_BLK_T_IN : p.op === 'write' ? VIRTIO_BLK_T_OUT : p.op === 'flush' ? VIRTIO_BLK_T_FLUSH : p.op === 'discard' ? VIRTIO_BLK_T_DISCARD : VIRTIO_BLK_T_GET_ID;
    const hdr = new DataView(new ArrayBuffer(VIRTIO_BLK_OUTHDR_SIZE));
    hdr.setUint32(VIRTIO_BLK_OUTHDR_TYPE, type, true);
    hdr.setBigUint64(VIRTIO_BLK_OUTHDR_SECTOR, BigInt(p.op === 'read' || p.op === 'write' ? p.sector : 0), true);
    this.mem.writeBytes(slot.header, new Uint8Array(hdr.buffer));
    this.mem.write(slot.status, 1, STATUS_UNSET);
    const segs: VringSegment[] = [{ addr: slot.header, len: VIRTIO_BLK_OUTHDR_SIZE, dir: 'out' }];
    const bytes = p.count * VIRTIO_BLK_SECTOR_SIZE;
    if (p.op === 'write') {
      const data = p.owner!.bio.data!;
      this.mem.writeBytes(slot.data, data.subarray(p.offset, p.offset + bytes));
      for (const s of pageSegments(slot.data, bytes)) segs.push({ ...s, dir: 'out' });
    } else if (p.op === 'read') {
      for (const s of pageSegments(slot.data, bytes)) segs.push({ ...s, dir: 'in' });
    } else if (p.op === 'discard') {
      const seg = new DataView(new ArrayBuffer(VIRTIO_BLK_DWZ_SEGMENT_SIZE));
      seg.setBigUint64(VIRTIO_BLK_DWZ_SECTOR, BigInt(p.sector), true);
      seg.setUint32(VIRTIO_BLK_DWZ_NUM_SECTORS, p.count, true);
      this.mem.writeBytes(slot.data, new Uint8Array(seg.buffer));
      segs.push({ addr: slot.data, len: VIRTIO_BLK_DWZ_SEGMENT_SIZE, dir: 'out' });
    } else if (p.op === 'get-id') {
      this.mem.fillBytes(slot.data, VIRTIO_BLK_ID_BYTES, 0);
      segs.push({ addr: slot.data, len: VIRTIO_BLK_ID_BYTES, dir: 'in' });
    }
    segs.push({ addr: slot.status, len: 1, dir: 'in' });
    return segs;
  }

  /** Queue interrupt: finish every returned request, then refill the ring. */
  private complete(): void {
    const ring = this.drv.queue(0);
    for (let u = ring.getUsed(); u; u = ring.getUsed()) {
      const item = u.token;
      this.inFlight.delete(item);
      const status = this.mem.read(item.slot.status, 1);
      this.finish(item, status);
      this.slots.give(item.slot);
    }
    if (ring.broken) {
      this.scheduleReset(`vq0 broken: ${ring.broken}`);
      return;
    }
    this.pump();
  }

  private finish(item: InFlight, status: number): void {
    const p = item.part;
    this.counters.requests++;
    if (status !== VIRTIO_BLK_S_OK) this.counters.errors++;
    if (p.op === 'get-id') {
      if (status === VIRTIO_BLK_S_OK) this.serial = decodeId(this.mem.readBytes(item.slot.data, VIRTIO_BLK_ID_BYTES));
      return;
    }
    if (status === VIRTIO_BLK_S_OK && p.op === 'read') {
      const bytes = p.count * VIRTIO_BLK_SECTOR_SIZE;
      p.owner!.bio.data!.set(this.mem.readBytes(item.slot.data, bytes), p.offset);
    }
    this.partDone(p, status === VIRTIO_BLK_S_OK ? undefined : status === VIRTIO_BLK_S_UNSUPP ? 'EOPNOTSUPP' : 'EIO');
  }

  private partDone(p: Part, error: ErrnoCode | undefined): void {
    const st = p.owner;
    if (!st) return;
    st.error ??= error;
    if (--st.remaining === 0) st.bio.end(st.error);
  }

  /** A bio that fails (or has nothing to do) before reaching the device still ends after submit returns. */
  private endLater(bio: Bio, error: ErrnoCode | undefined): void {
    this.kernel.sched.after(0, 'virtio_blk end', () => bio.end(error));
  }

  // ---- recovery -------------------------------------------------------------------------

  /**
   * Firmware reset the device behind the driver (resume from S3 or from a hibernation
   * image): bring it up again and re-issue what it held, as Linux's virtblk_restore does
   * after its freeze (the reset device has forgotten them, so nothing runs twice).
   */
  restore(): void {
    const held = [...this.inFlight];
    this.inFlight.clear();
    for (const item of held) this.slots.give(item.slot);
    this.pending.unshift(...held.map((i) => i.part));
    try {
      this.drv.reinitialize();
    } catch (e) {
      this.log(`restore failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const p of this.pending.splice(0)) if (p.op !== 'get-id') this.partDone(p, 'EIO');
      return;
    }
    this.resetPending = false;
    this.log('restored after system resume');
    this.pump();
  }

  private scheduleReset(reason: string): void {
    if (this.resetPending) return;
    this.resetPending = true;
    this.log(`${reason}: resetting`);
    this.kernel.sched.after(0, 'virtio_blk reset', () => this.recover());
  }

  /** Fails what the device held (it may or may not have run) and brings the device up again. */
  private recover(): void {
    for (const item of this.inFlight) {
      this.slots.give(item.slot);
      if (item.part.op !== 'get-id') this.partDone(item.part, 'EIO');
    }
    this.inFlight.clear();
    try {
      this.drv.reinitialize();
    } catch (e) {
      this.log(`re-initialisation failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const p of this.pending.splice(0)) this.partDone(p, 'EIO');
      return;
    }
    this.counters.resets++;
    this.resetPending = false;
    this.pump();
  }

  private log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', `virtio_blk ${sysfsLeaf(this.sysfsParent)}: ${line}`);
  }
}

/** GET_ID bytes: the serial, NUL-terminated only when shorter than 20 bytes. */
function decodeId(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
}
