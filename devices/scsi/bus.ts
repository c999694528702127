/**
 * A SCSI bus (QEMU's SCSIBus): the logical units of one host adapter by (channel, target,
 * LUN), QEMU's placement rules for new units, and the target-level answers for a LUN that
 * does not exist on a target that does (REPORT LUNS, an INQUIRY with "no device here", LUN
 * NOT SUPPORTED for the rest). A command for a target with no units at all is the host
 * adapter's business (virtio-scsi says BAD_TARGET).
 */
import {
  INQUIRY,
  INQUIRY_EVPD,
  INQUIRY_STANDARD_SIZE,
  REPORT_LUNS,
  REPORT_LUNS_ENTRY_SIZE,
  REPORT_LUNS_HEADER_SIZE,
  REQUEST_SENSE,
  SENSE,
  TEST_UNIT_READY,
  TYPE_NO_LUN,
  VPD_HEADER_SIZE,
  VPD_SUPPORTED_PAGES,
  encodeFixedSense,
  encodeScsiLun,
  getBe,
  putBe,
} from '../../src/abi/scsi.js';
import { STORAGE_ERR, StorageError } from '../block/errors.js';
import { SCSI_DISK_DEFAULT_REVISION } from './disk.js';
import { standardInquiry } from './disk-pages.js';
import { checkCondition, good } from './sense.js';
import type { ScsiCommandResult, ScsiDataPhase, ScsiLogicalUnit } from './types.js';

/** REPORT LUNS needs room for the header and one entry (SPC-4). */
export const REPORT_LUNS_MIN_ALLOCATION = 16;

/** Address limits and abilities of a bus, from its host adapter. */
export interface ScsiBusInfo {
  /** Highest channel. */
  maxChannel: number;
  /** Highest target id. */
  maxTarget: number;
  /** Highest LUN. */
  maxLun: number;
  /** Tagged command queuing (CMDQUE in INQUIRY answers). */
  tcq: boolean;
}

/** Where a new unit asked to go (undefined = let the bus choose, as QEMU's -1). */
export interface ScsiAddressRequest {
  /** `channel` (default 0). */
  channel?: number;
  /** `scsi-id`. */
  id?: number;
  /** `lun`. */
  lun?: number;
}

/** One SCSI bus. */
export class ScsiBus {
  private readonly list: ScsiLogicalUnit[] = [];

  /** A bus named `name` ("scsi0.0") with `info`'s limits. */
  constructor(
    readonly name: string,
    readonly info: ScsiBusInfo,
  ) {}

  /** Units in plug order. */
  get units(): readonly ScsiLogicalUnit[] {
    return this.list;
  }

  /** QEMU's address check and placement; throws StorageError with its texts. */
  place(req: ScsiAddressRequest): { channel: number; id: number; lun: number } {
    const channel = req.channel ?? 0;
    if (channel > this.info.maxChannel) throw new StorageError(STORAGE_ERR.badChannel(channel));
    if (req.id !== undefined && req.id > this.info.maxTarget) throw new StorageError(STORAGE_ERR.badTarget(req.id));
    if (req.lun !== undefined && req.lun > this.info.maxLun) throw new StorageError(STORAGE_ERR.badLun(req.lun));
    if (req.id !== undefined && req.lun !== undefined) {
      const taken = this.find(channel, req.id, req.lun);
      if (taken) throw new StorageError(STORAGE_ERR.lunInUse(taken.qdevId || '(null)'));
      return { channel, id: req.id, lun: req.lun };
    }
    if (req.id === undefined) {
      const lun = req.lun ?? 0;
      for (let id = 0; id <= this.info.maxTarget; id++) if (!this.find(channel, id, lun)) return { channel, id, lun };
      throw new StorageError(STORAGE_ERR.noFreeTarget());
    }
    for (let lun = 0; lun <= this.info.maxLun; lun++) if (!this.find(channel, req.id, lun)) return { channel, id: req.id, lun };
    throw new StorageError(STORAGE_ERR.noFreeLun());
  }

  /** Adds a unit (already placed). */
  attach(unit: ScsiLogicalUnit): void {
    this.list.push(unit);
  }

  /** Removes a unit. */
  detach(unit: ScsiLogicalUnit): void {
    const i = this.list.indexOf(unit);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** The unit at exactly (channel, id, lun). */
  find(channel: number, id: number, lun: number): ScsiLogicalUnit | undefined {
    return this.list.find((u) => u.channel === channel && u.id === id && u.lun === lun);
  }

  /** Whether any unit answers at (channel, id). */
  hasTarget(channel: number, id: number): boolean {
    return this.list.some((u) => u.channel === channel && u.id === id);
  }

  /** Resets every unit of (channel, id) (I_T NEXUS RESET) or all of them. */
  reset(channel?: number, id?: number): void {
    for (const u of this.list) if ((channel === undefined || u.channel === channel) && (id === undefined || u.id === id)) u.reset();
  }

  /**
   * Runs `cdb` for (channel, id, lun). Undefined when the target has no unit at all;
   * REPORT LUNS and commands for an absent LUN are answered by the target itself.
   */
  execute(channel: number, id: number, lun: number, cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult | undefined {
    if (!this.hasTarget(channel, id)) return undefined;
    const unit = this.find(channel, id, lun);
    if (unit && cdb[0] !== REPORT_LUNS) return unit.execute(cdb, data);
    return this.targetCommand(channel, id, lun, cdb, data);
  }

  private targetCommand(channel: number, id: number, lun: number, cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const op = cdb[0] ?? 0;
    // SPC: only INQUIRY and REQUEST SENSE make sense for a LUN that is not there.
    if (lun !== 0 && op !== INQUIRY && op !== REQUEST_SENSE && op !== REPORT_LUNS) return checkCondition(SENSE.lunNotSupported);
    switch (op) {
      case REPORT_LUNS:
        return this.reportLuns(channel, id, cdb, data);
      case INQUIRY:
        return this.absentInquiry(cdb, data);
      case REQUEST_SENSE:
        return send(data, encodeFixedSense(SENSE.lunNotSupported), cdb[4] ?? 0);
      case TEST_UNIT_READY:
        return good();
      default:
        return checkCondition(SENSE.lunNotSupported);
    }
  }

  private reportLuns(channel: number, id: number, cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const alloc = getBe(cdb, 6, 4);
    if (alloc < REPORT_LUNS_MIN_ALLOCATION) return checkCondition(SENSE.invalidField);
    // LUN 0 is always listed: a target must answer there even when nothing is plugged.
    const luns = new Set<number>([0]);
    for (const u of this.list) if (u.channel === channel && u.id === id) luns.add(u.lun);
    const sorted = [...luns].sort((a, b) => a - b);
    const out = new Uint8Array(REPORT_LUNS_HEADER_SIZE + sorted.length * REPORT_LUNS_ENTRY_SIZE);
    putBe(out, 0, 4, sorted.length * REPORT_LUNS_ENTRY_SIZE);
    sorted.forEach((l, i) => out.set(encodeScsiLun(l), REPORT_LUNS_HEADER_SIZE + i * REPORT_LUNS_ENTRY_SIZE));
    return send(data, out, alloc);
  }

  private absentInquiry(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const alloc = getBe(cdb, 3, 2);
    if ((cdb[1] ?? 0) & INQUIRY_EVPD) {
      if (cdb[2] !== VPD_SUPPORTED_PAGES) return checkCondition(SENSE.invalidField);
      const page = new Uint8Array(VPD_HEADER_SIZE + 1);
      page[0] = TYPE_NO_LUN;
      page[3] = 1;
      return send(data, page, alloc);
    }
    if (cdb[2] !== 0) return checkCondition(SENSE.invalidField);
    const inq = standardInquiry(
      {
        type: 0,
        removable: false,
        vendor: 'QEMU',
        product: 'QEMU TARGET',
        revision: SCSI_DISK_DEFAULT_REVISION,
        serial: undefined,
        deviceId: undefined,
        tcq: this.info.tcq,
        blockSize: 0,
        blocks: 0,
        readOnly: false,
        writeCache: false,
        unmapGranularity: 0,
        maxUnmapBlocks: 0,
        unmapZeroes: false,
        maxTransferBlocks: 0,
      },
      Math.max(alloc, INQUIRY_STANDARD_SIZE),
    );
    // Peripheral qualifier 3, type 0x1f: nothing can be attached at this LUN.
    inq[0] = TYPE_NO_LUN;
    return send(data, inq, alloc);
  }
}

function send(data: ScsiDataPhase, bytes: Uint8Array, alloc: number): ScsiCommandResult {
  const n = Math.min(bytes.length, alloc);
  if (n === 0 || data.mode !== 'from-device') return good();
  return good(data.writeIn(bytes.subarray(0, n)));
}
