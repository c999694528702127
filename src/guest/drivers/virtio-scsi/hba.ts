/**
 * One virtio-scsi host adapter as Linux's virtio_scsi drives it: probe negotiates HOTPLUG
 * and CHANGE, sets cdb_size and sense_size, sets up the controlq, the eventq (kept full of
 * event buffers) and one request queue, and registers a SCSI host under the virtioN
 * directory. queueCommand puts each command in a DMA slot — virtio_scsi_cmd_req, data-out,
 * virtio_scsi_cmd_resp, data-in — and completes it from the request queue's interrupt.
 * A BAD_TARGET answer is what tells the scan that nothing is at an address.
 */
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBit, hasFeature } from '../../../abi/virtio.js';
import {
  VIRTIO_SCSI_CDB_DEFAULT_SIZE,
  VIRTIO_SCSI_CFG_CDB_SIZE,
  VIRTIO_SCSI_CFG_MAX_CHANNEL,
  VIRTIO_SCSI_CFG_MAX_LUN,
  VIRTIO_SCSI_CFG_MAX_SECTORS,
  VIRTIO_SCSI_CFG_MAX_TARGET,
  VIRTIO_SCSI_CFG_SENSE_SIZE,
  VIRTIO_SCSI_CONTROLQ,
  VIRTIO_SCSI_EVENTQ,
  VIRTIO_SCSI_EVENT_LUN,
  VIRTIO_SCSI_EVENT_REASON,
  VIRTIO_SCSI_EVENT_SIZE,
  VIRTIO_SCSI_F_CHANGE,
  VIRTIO_SCSI_F_HOTPLUG,
  VIRTIO_SCSI_REQUESTQ,
  VIRTIO_SCSI_REQ_CDB,
  VIRTIO_SCSI_REQ_HEADER_SIZE,
  VIRTIO_SCSI_REQ_LUN,
  VIRTIO_SCSI_REQ_TAG,
  VIRTIO_SCSI_REQ_TASK_ATTR,
  VIRTIO_SCSI_RESP_HEADER_SIZE,
  VIRTIO_SCSI_RESP_RESID,
  VIRTIO_SCSI_RESP_RESPONSE,
  VIRTIO_SCSI_RESP_SENSE,
  VIRTIO_SCSI_RESP_SENSE_LEN,
  VIRTIO_SCSI_RESP_STATUS,
  VIRTIO_SCSI_SENSE_DEFAULT_SIZE,
  VIRTIO_SCSI_S_BAD_TARGET,
  VIRTIO_SCSI_S_INCORRECT_LUN,
  VIRTIO_SCSI_S_OK,
  VIRTIO_SCSI_S_SIMPLE,
  VIRTIO_SCSI_T_EVENTS_MISSED,
  VIRTIO_SCSI_T_TRANSPORT_RESET,
  virtioScsiLun,
} from '../../../abi/virtio-scsi.js';
import type { Kernel } from '../../kernel/index.js';
import type { GuestPhysMemory } from '../../platform/phys-mem.js';
import type { GuestPlatform } from '../../platform/platform.js';
import type { VringSegment } from '../../virtio/vring.js';
import { DmaSlotPool, pageSegments, type DmaSlot } from '../dma-slots.js';
import { scsiAddHost, scanTarget, type ScsiCommand, type ScsiHost } from '../scsi/index.js';
import { platformVirtioDriver, sysfsLeaf, type VirtioPciDriver } from '../virtio-pci/index.js';

/** Linux's virtio_scsi feature table (without T10 PI), plus the ring features. */
export const VIRTIO_SCSI_DRIVER_FEATURES =
  featureBit(VIRTIO_SCSI_F_HOTPLUG) | featureBit(VIRTIO_SCSI_F_CHANGE) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);
/** Bounce buffer per command: the largest data phase this driver moves. */
export const VIRTIO_SCSI_SLOT_DATA_BYTES = 256 * 1024;
/** Commands in flight per adapter. */
export const VIRTIO_SCSI_MAX_SLOTS = 32;
/** Event buffers kept on the eventq (Linux's VIRTIO_SCSI_EVENT_LEN). */
export const VIRTIO_SCSI_EVENT_BUFFERS = 8;
/** Commands waiting for a slot before new ones fail with a host error. */
export const VIRTIO_SCSI_MAX_QUEUED = 4096;
/** Reason of a TRANSPORT_RESET event that announces a new LUN. */
export const VIRTIO_SCSI_EVT_RESET_RESCAN = 1;

/** Request header and response sizes with the sizes this driver sets. */
const REQ_SIZE = VIRTIO_SCSI_REQ_HEADER_SIZE + VIRTIO_SCSI_CDB_DEFAULT_SIZE;
const RESP_SIZE = VIRTIO_SCSI_RESP_HEADER_SIZE + VIRTIO_SCSI_SENSE_DEFAULT_SIZE;

type Token = { kind: 'cmd'; slot: DmaSlot; cmd: ScsiCommand; dataLen: number } | { kind: 'event'; addr: number };

/** Counters for tests. */
export interface VirtioScsiHbaStats {
  /** Commands completed. */
  commands: number;
  /** Commands answered BAD_TARGET / INCORRECT_LUN. */
  noConnect: number;
  /** Events received. */
  events: number;
  /** Device resets done to recover. */
  resets: number;
}

const hbasByKernel = new WeakMap<Kernel, VirtioScsiHba[]>();

/** The virtio-scsi adapters a kernel has bound, in probe order. */
export function virtioScsiHbas(kernel: Kernel): readonly VirtioScsiHba[] {
  return hbasByKernel.get(kernel) ?? [];
}

/** A bound virtio-scsi adapter. */
export class VirtioScsiHba {
  /** The transport driver. */
  readonly drv: VirtioPciDriver<Token>;
  /** The SCSI host (after start). */
  host: ScsiHost | undefined;
  private readonly kernel: Kernel;
  private readonly mem: GuestPhysMemory;
  private readonly slots: DmaSlotPool;
  private readonly pending: ScsiCommand[] = [];
  private readonly inFlight = new Set<Token & { kind: 'cmd' }>();
  private eventArea = 0;
  private tag = 0;
  private resetPending = false;
  private readonly counters: VirtioScsiHbaStats = { commands: 0, noConnect: 0, events: 0, resets: 0 };

  /** Finds the interface (throws when there is none); start() brings the adapter up. */
  constructor(
    private readonly platform: GuestPlatform,
    /** The PCI function it drives. */
    readonly fn: HandoffPciFunction,
    /** The virtioN directory in /sys the host hangs under. */
    readonly sysfsParent: string,
  ) {
    this.kernel = platform.kernel;
    this.mem = platform.mem;
    this.drv = platformVirtioDriver<Token>(platform, fn, VIRTIO_SCSI_DRIVER_FEATURES, 3, `guest ${sysfsLeaf(sysfsParent)}`);
    const pages = VIRTIO_SCSI_SLOT_DATA_BYTES / 4096;
    this.slots = new DmaSlotPool(platform.alloc, { headerBytes: REQ_SIZE, statusBytes: RESP_SIZE, tableEntries: pages + 2, dataBytes: VIRTIO_SCSI_SLOT_DATA_BYTES }, VIRTIO_SCSI_MAX_SLOTS);
    this.drv.onQueue(VIRTIO_SCSI_REQUESTQ, () => this.complete());
    this.drv.onQueue(VIRTIO_SCSI_EVENTQ, () => this.events());
    this.drv.onQueue(VIRTIO_SCSI_CONTROLQ, () => this.drainControl());
    this.drv.onNeedsReset(() => this.scheduleReset('device needs reset'));
  }

  /** Counters. */
  stats(): VirtioScsiHbaStats {
    return { ...this.counters };
  }

  /** Probe: device up, sizes set, eventq filled, SCSI host registered and scanned. */
  start(): void {
    this.bringUp();
    const d = this.drv;
    const maxSectors = d.readConfig(VIRTIO_SCSI_CFG_MAX_SECTORS, 4);
    this.host = scsiAddHost(this.platform, {
      procName: 'virtio_scsi',
      sysfsParent: this.sysfsParent,
      maxChannel: d.readConfig(VIRTIO_SCSI_CFG_MAX_CHANNEL, 2),
      maxId: d.readConfig(VIRTIO_SCSI_CFG_MAX_TARGET, 2),
      maxLun: d.readConfig(VIRTIO_SCSI_CFG_MAX_LUN, 4),
      maxTransferBytes: Math.min(VIRTIO_SCSI_SLOT_DATA_BYTES, maxSectors > 0 ? maxSectors * 512 : VIRTIO_SCSI_SLOT_DATA_BYTES),
      queueCommand: (cmd) => this.queueCommand(cmd),
    });
    const list = hbasByKernel.get(this.kernel) ?? [];
    list.push(this);
    hbasByKernel.set(this.kernel, list);
  }

  /** The host template's queueCommand. */
  queueCommand(cmd: ScsiCommand): void {
    const len = cmd.direction === 'none' ? 0 : (cmd.data?.length ?? 0);
    if (len > VIRTIO_SCSI_SLOT_DATA_BYTES || this.pending.length >= VIRTIO_SCSI_MAX_QUEUED) {
      this.kernel.sched.after(0, 'virtio_scsi fail', () => cmd.done({ status: 0, transferred: 0, hostError: 'error' }));
      return;
    }
    this.pending.push(cmd);
    this.pump();
  }

  // ---- bring-up -------------------------------------------------------------------------

  private bringUp(): void {
    this.drv.init();
    // Linux writes its CDB and sense sizes; the device takes them (or breaks on bad ones).
    this.drv.writeConfig(VIRTIO_SCSI_CFG_CDB_SIZE, 4, VIRTIO_SCSI_CDB_DEFAULT_SIZE);
    this.drv.writeConfig(VIRTIO_SCSI_CFG_SENSE_SIZE, 4, VIRTIO_SCSI_SENSE_DEFAULT_SIZE);
    if (this.eventArea === 0) this.eventArea = this.platform.alloc.alloc(VIRTIO_SCSI_EVENT_SIZE * VIRTIO_SCSI_EVENT_BUFFERS, 16);
    const ring = this.drv.queue(VIRTIO_SCSI_EVENTQ);
    for (let i = 0; i < VIRTIO_SCSI_EVENT_BUFFERS; i++) this.postEvent(ring, this.eventArea + i * VIRTIO_SCSI_EVENT_SIZE);
    this.drv.kick(VIRTIO_SCSI_EVENTQ);
  }

  private postEvent(ring: ReturnType<VirtioPciDriver<Token>['queue']>, addr: number): void {
    this.mem.fillBytes(addr, VIRTIO_SCSI_EVENT_SIZE, 0);
    ring.addBuffer([{ addr, len: VIRTIO_SCSI_EVENT_SIZE, dir: 'in' }], { kind: 'event', addr });
  }

  // ---- commands -------------------------------------------------------------------------

  private pump(): void {
    if (!this.drv.ready || this.resetPending) return;
    const ring = this.drv.queue(VIRTIO_SCSI_REQUESTQ);
    let added = 0;
    while (this.pending.length > 0) {
      const slot = this.slots.take();
      if (!slot) break;
      const cmd = this.pending[0]!;
      const dataLen = cmd.direction === 'none' ? 0 : (cmd.data?.length ?? 0);
      const segs = this.build(slot, cmd, dataLen);
      const token = { kind: 'cmd' as const, slot, cmd, dataLen };
      const indirect = hasFeature(this.drv.features, VIRTIO_RING_F_INDIRECT_DESC) ? slot.table : undefined;
      if (ring.addBuffer(segs, token, indirect) === null) {
        this.slots.give(slot);
        break;
      }
      this.pending.shift();
      this.inFlight.add(token);
      added++;
    }
    if (added > 0) this.drv.kick(VIRTIO_SCSI_REQUESTQ);
  }

  private build(slot: DmaSlot, cmd: ScsiCommand, dataLen: number): VringSegment[] {
    const req = new Uint8Array(REQ_SIZE);
    req.set(virtioScsiLun(cmd.id, cmd.lun), VIRTIO_SCSI_REQ_LUN);
    new DataView(req.buffer).setBigUint64(VIRTIO_SCSI_REQ_TAG, BigInt(++this.tag), true);
    req[VIRTIO_SCSI_REQ_TASK_ATTR] = VIRTIO_SCSI_S_SIMPLE;
    req.set(cmd.cdb.subarray(0, VIRTIO_SCSI_CDB_DEFAULT_SIZE), VIRTIO_SCSI_REQ_CDB);
    this.mem.writeBytes(slot.header, req);
    this.mem.fillBytes(slot.status, RESP_SIZE, 0);
    const segs: VringSegment[] = [{ addr: slot.header, len: REQ_SIZE, dir: 'out' }];
    if (cmd.direction === 'to-device' && dataLen > 0) {
      this.mem.writeBytes(slot.data, cmd.data!.subarray(0, dataLen));
      for (const s of pageSegments(slot.data, dataLen)) segs.push({ ...s, dir: 'out' });
    }
    segs.push({ addr: slot.status, len: RESP_SIZE, dir: 'in' });
    if (cmd.direction === 'from-device' && dataLen > 0) for (const s of pageSegments(slot.data, dataLen)) segs.push({ ...s, dir: 'in' });
    return segs;
  }

  /** Request queue interrupt. */
  private complete(): void {
    const ring = this.drv.queue(VIRTIO_SCSI_REQUESTQ);
    for (let u = ring.getUsed(); u; u = ring.getUsed()) {
      const t = u.token;
      if (t.kind !== 'cmd') continue;
      this.inFlight.delete(t);
      this.finish(t);
      this.slots.give(t.slot);
    }
    if (ring.broken) {
      this.scheduleReset(`request queue broken: ${ring.broken}`);
      return;
    }
    this.pump();
  }

  private finish(t: Token & { kind: 'cmd' }): void {
    this.counters.commands++;
    const resp = this.mem.readBytes(t.slot.status, RESP_SIZE);
    const v = new DataView(resp.buffer);
    const response = resp[VIRTIO_SCSI_RESP_RESPONSE]!;
    if (response === VIRTIO_SCSI_S_BAD_TARGET || response === VIRTIO_SCSI_S_INCORRECT_LUN) {
      this.counters.noConnect++;
      t.cmd.done({ status: 0, transferred: 0, hostError: 'no-connect' });
      return;
    }
    if (response !== VIRTIO_SCSI_S_OK) {
      t.cmd.done({ status: 0, transferred: 0, hostError: 'error' });
      return;
    }
    const resid = Math.min(v.getUint32(VIRTIO_SCSI_RESP_RESID, true), t.dataLen);
    const transferred = t.dataLen - resid;
    if (t.cmd.direction === 'from-device' && transferred > 0) t.cmd.data!.set(this.mem.readBytes(t.slot.data, transferred));
    const senseLen = Math.min(v.getUint32(VIRTIO_SCSI_RESP_SENSE_LEN, true), VIRTIO_SCSI_SENSE_DEFAULT_SIZE);
    const status = resp[VIRTIO_SCSI_RESP_STATUS]!;
    t.cmd.done(senseLen > 0 ? { status, transferred, sense: resp.slice(VIRTIO_SCSI_RESP_SENSE, VIRTIO_SCSI_RESP_SENSE + senseLen) } : { status, transferred });
  }

  // ---- events -------------------------------------------------------------------------

  /** Event queue interrupt: a hotplugged LUN is scanned; every buffer goes back on the ring. */
  private events(): void {
    const ring = this.drv.queue(VIRTIO_SCSI_EVENTQ);
    const back: number[] = [];
    for (let u = ring.getUsed(); u; u = ring.getUsed()) {
      const t = u.token;
      if (t.kind !== 'event') continue;
      this.counters.events++;
      const b = this.mem.readBytes(t.addr, VIRTIO_SCSI_EVENT_SIZE);
      const v = new DataView(b.buffer);
      const event = v.getUint32(0, true);
      const target = b[VIRTIO_SCSI_EVENT_LUN + 1]!;
      const reason = v.getUint32(VIRTIO_SCSI_EVENT_REASON, true);
      if (event & VIRTIO_SCSI_T_EVENTS_MISSED) this.log('events missed');
      if ((event & ~VIRTIO_SCSI_T_EVENTS_MISSED) === VIRTIO_SCSI_T_TRANSPORT_RESET && reason === VIRTIO_SCSI_EVT_RESET_RESCAN && this.host) {
        scanTarget(this.host, 0, target, () => undefined);
      }
      back.push(t.addr);
    }
    for (const addr of back) this.postEvent(ring, addr);
    if (back.length > 0) this.drv.kick(VIRTIO_SCSI_EVENTQ);
  }

  /** Nothing is sent on the controlq; anything returned there is dropped. */
  private drainControl(): void {
    const ring = this.drv.queue(VIRTIO_SCSI_CONTROLQ);
    while (ring.getUsed()) {
      /* no control requests are outstanding */
    }
  }

  // ---- recovery -------------------------------------------------------------------------

  private scheduleReset(reason: string): void {
    if (this.resetPending) return;
    this.resetPending = true;
    this.log(`${reason}: resetting`);
    this.kernel.sched.after(0, 'virtio_scsi reset', () => this.recover());
  }

  /**
   * Firmware reset the adapter (resume from S3 or from a hibernation image): bring it up
   * again and re-issue what it held, since the reset device has forgotten those commands.
   */
  restore(): void {
    const held = [...this.inFlight];
    this.inFlight.clear();
    for (const t of held) this.slots.give(t.slot);
    this.pending.unshift(...held.map((t) => t.cmd));
    try {
      this.bringUp();
    } catch (e) {
      this.log(`restore failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const c of this.pending.splice(0)) c.done({ status: 0, transferred: 0, hostError: 'error' });
      return;
    }
    this.resetPending = false;
    this.log('restored after system resume');
    this.pump();
  }

  /** Fails what the device held with a host error and brings the adapter up again. */
  private recover(): void {
    const lost = [...this.inFlight];
    this.inFlight.clear();
    for (const t of lost) this.slots.give(t.slot);
    try {
      this.bringUp();
    } catch (e) {
      this.log(`re-initialisation failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const c of this.pending.splice(0)) c.done({ status: 0, transferred: 0, hostError: 'error' });
      for (const t of lost) t.cmd.done({ status: 0, transferred: 0, hostError: 'error' });
      return;
    }
    this.counters.resets++;
    this.resetPending = false;
    for (const t of lost) t.cmd.done({ status: 0, transferred: 0, hostError: 'error' });
    this.pump();
  }

  private log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', `virtio_scsi ${sysfsLeaf(this.sysfsParent)}: ${line}`);
  }
}
