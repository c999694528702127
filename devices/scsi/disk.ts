/**
 * `scsi-hd`: a direct-access logical unit over a drive (SBC-3 subset, as QEMU's scsi-disk
 * emulates it). Identification and capacity come from disk-pages.ts; this file runs the
 * commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, MODE SENSE(6/10), READ CAPACITY(10/16),
 * READ/WRITE(6/10/12/16), VERIFY, SYNCHRONIZE CACHE(10/16), UNMAP, WRITE SAME(10/16),
 * START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL. Anything else is CHECK CONDITION,
 * ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE.
 */
import {
  INQUIRY,
  INQUIRY_EVPD,
  MODE_PAGE_ALL,
  MODE_PAGE_CODE_MASK,
  MODE_PC_SAVED,
  MODE_PC_SHIFT,
  MODE_SENSE_10,
  MODE_SENSE_6,
  MODE_SENSE_DBD,
  PREVENT_ALLOW_MEDIUM_REMOVAL,
  READ_10,
  READ_12,
  READ_16,
  READ_6,
  READ_CAPACITY_10,
  REQUEST_SENSE,
  SAI_READ_CAPACITY_16,
  SENSE,
  SERVICE_ACTION_IN_16,
  START_STOP_UNIT,
  SYNCHRONIZE_CACHE_10,
  SYNCHRONIZE_CACHE_16,
  TEST_UNIT_READY,
  TYPE_DISK,
  UNMAP,
  UNMAP_DESCRIPTOR_SIZE,
  UNMAP_HEADER_SIZE,
  VERIFY_10,
  WRITE_10,
  WRITE_12,
  WRITE_16,
  WRITE_6,
  WRITE_SAME_10,
  WRITE_SAME_16,
  encodeFixedSense,
  encodeModeSense,
  getBe,
  getBe64,
  type SenseCode,
} from '../../src/abi/scsi.js';
import type { BlockBackend, BlockError } from '../block/backend.js';
import { isWriteOpcode, rwRange } from './cdb.js';
import {
  MODE_PAGES_ALL,
  modeBlockDescriptor,
  modeDeviceSpecific,
  modePage,
  readCapacity10,
  readCapacity16,
  standardInquiry,
  vpdPage,
  type DiskDescription,
} from './disk-pages.js';
import { checkCondition, good } from './sense.js';
import type { ScsiCommandResult, ScsiDataPhase, ScsiLogicalUnit } from './types.js';

/** Logical block size of every SCSI disk here. */
export const SCSI_DISK_BLOCK_SIZE = 512;
/** Largest READ/WRITE/WRITE SAME in blocks (32 MiB): bounds what one command can make the host hold. */
export const SCSI_DISK_MAX_TRANSFER_BLOCKS = 65536;
/** Blocks moved between the image and the initiator's buffers per step. */
export const SCSI_DISK_IO_CHUNK_BLOCKS = 2048;
/** QEMU's default discard_granularity for SCSI disks (4 KiB). */
export const SCSI_DISK_DEFAULT_DISCARD_GRANULARITY = 4096;
/** QEMU's default max_unmap_size (1 GiB). */
export const SCSI_DISK_DEFAULT_MAX_UNMAP_BYTES = 1024 ** 3;
/** QEMU's product revision for every machine type since 2.5. */
export const SCSI_DISK_DEFAULT_REVISION = '2.5+';

/** Properties of `-device scsi-hd`. */
export interface ScsiDiskOptions {
  /** Address on the bus. */
  channel: number;
  /** Target id. */
  id: number;
  /** LUN. */
  lun: number;
  /** qdev id. */
  qdevId?: string;
  /** The drive. */
  backend: BlockBackend;
  /** `serial`. */
  serial?: string;
  /** `vendor` (default QEMU). */
  vendor?: string;
  /** `product` (default "QEMU HARDDISK"). */
  product?: string;
  /** `ver` (default 2.5+). */
  revision?: string;
  /** `device_id` (default: serial, else the drive id). */
  deviceId?: string;
  /** `removable`. */
  removable?: boolean;
  /** `discard_granularity` in bytes (default 4096; 0 turns logical block provisioning off). */
  discardGranularity?: number;
  /** The host adapter queues tagged commands (CMDQUE in INQUIRY). */
  tcq?: boolean;
}

/** Counters for tests. */
export interface ScsiDiskStats {
  /** Commands run. */
  commands: number;
  /** Commands that ended in CHECK CONDITION. */
  checkConditions: number;
  /** UNMAP block descriptors acted on. */
  unmapDescriptors: number;
}

/** A SCSI disk logical unit. */
export class ScsiDisk implements ScsiLogicalUnit {
  /** Channel. */
  readonly channel: number;
  /** Target id. */
  readonly id: number;
  /** LUN. */
  readonly lun: number;
  /** qdev id. */
  readonly qdevId: string;
  /** The drive. */
  readonly backend: BlockBackend;
  /** What the disk says about itself (capacity and cache state are refreshed per command). */
  readonly description: DiskDescription;
  private readonly counters: ScsiDiskStats = { commands: 0, checkConditions: 0, unmapDescriptors: 0 };

  /** A disk at (channel, id, lun) on `backend`. */
  constructor(opts: ScsiDiskOptions) {
    this.channel = opts.channel;
    this.id = opts.id;
    this.lun = opts.lun;
    this.qdevId = opts.qdevId ?? '';
    this.backend = opts.backend;
    const gran = opts.discardGranularity ?? SCSI_DISK_DEFAULT_DISCARD_GRANULARITY;
    const serial = opts.serial;
    this.description = {
      type: TYPE_DISK,
      removable: opts.removable ?? false,
      vendor: opts.vendor ?? 'QEMU',
      product: opts.product ?? 'QEMU HARDDISK',
      revision: opts.revision ?? SCSI_DISK_DEFAULT_REVISION,
      serial,
      deviceId: opts.deviceId ?? serial ?? (opts.backend.id || undefined),
      tcq: opts.tcq ?? true,
      blockSize: SCSI_DISK_BLOCK_SIZE,
      blocks: 0,
      readOnly: opts.backend.readOnly,
      writeCache: opts.backend.writeCacheEnabled,
      unmapGranularity: Math.floor(gran / SCSI_DISK_BLOCK_SIZE),
      maxUnmapBlocks: SCSI_DISK_DEFAULT_MAX_UNMAP_BYTES / SCSI_DISK_BLOCK_SIZE,
      unmapZeroes: opts.backend.discardMode === 'unmap',
      maxTransferBlocks: SCSI_DISK_MAX_TRANSFER_BLOCKS,
    };
  }

  /** Counters. */
  stats(): ScsiDiskStats {
    return { ...this.counters };
  }

  /** Nothing is queued, so a reset has nothing to abort. */
  reset(): void {}

  /** Runs one command. */
  execute(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    this.counters.commands++;
    this.description.blocks = Math.floor((this.backend.sectors * 512) / SCSI_DISK_BLOCK_SIZE);
    this.description.writeCache = this.backend.writeCacheEnabled;
    const r = this.dispatch(cdb, data);
    if (r.sense) this.counters.checkConditions++;
    return r;
  }

  private dispatch(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const op = cdb[0] ?? 0;
    switch (op) {
      case TEST_UNIT_READY:
      case START_STOP_UNIT:
      case PREVENT_ALLOW_MEDIUM_REMOVAL:
      case VERIFY_10:
        return good();
      case REQUEST_SENSE:
        // Sense is reported with the failing command (autosense), so nothing is pending.
        return reply(data, encodeFixedSense(SENSE.noSense), cdb[4] ?? 0);
      case INQUIRY:
        return this.inquiry(cdb, data);
      case MODE_SENSE_6:
      case MODE_SENSE_10:
        return this.modeSense(cdb, data);
      case READ_CAPACITY_10:
        return reply(data, readCapacity10(this.description), Infinity);
      case SERVICE_ACTION_IN_16:
        if (((cdb[1] ?? 0) & 0x1f) !== SAI_READ_CAPACITY_16) return checkCondition(SENSE.invalidField);
        return reply(data, readCapacity16(this.description), getBe(cdb, 10, 4));
      case READ_6:
      case READ_10:
      case READ_12:
      case READ_16:
      case WRITE_6:
      case WRITE_10:
      case WRITE_12:
      case WRITE_16:
        return this.readWrite(cdb, data);
      case SYNCHRONIZE_CACHE_10:
      case SYNCHRONIZE_CACHE_16: {
        const r = this.backend.flush();
        return r.ok ? good() : checkCondition(senseFor(r.error, true));
      }
      case UNMAP:
        return this.unmap(cdb, data);
      case WRITE_SAME_10:
      case WRITE_SAME_16:
        return this.writeSame(cdb, data);
      default:
        return checkCondition(SENSE.invalidOpcode);
    }
  }

  private inquiry(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const alloc = getBe(cdb, 3, 2);
    const page = cdb[2] ?? 0;
    if (((cdb[1] ?? 0) & INQUIRY_EVPD) === 0) {
      if (page !== 0) return checkCondition(SENSE.invalidField);
      return reply(data, standardInquiry(this.description, alloc), alloc);
    }
    const vpd = vpdPage(this.description, page);
    return vpd ? reply(data, vpd, alloc) : checkCondition(SENSE.invalidField);
  }

  private modeSense(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const ten = cdb[0] === MODE_SENSE_10;
    const dbd = ((cdb[1] ?? 0) & MODE_SENSE_DBD) !== 0;
    const pc = (cdb[2] ?? 0) >> MODE_PC_SHIFT;
    const page = (cdb[2] ?? 0) & MODE_PAGE_CODE_MASK;
    if (pc === MODE_PC_SAVED) return checkCondition(SENSE.savingParamsNotSupported);
    if ((cdb[3] ?? 0) !== 0) return checkCondition(SENSE.invalidField);
    const pages: Uint8Array[] = [];
    for (const code of page === MODE_PAGE_ALL ? MODE_PAGES_ALL : [page]) {
      const p = modePage(this.description, code, pc);
      if (!p) return checkCondition(SENSE.invalidField);
      pages.push(p);
    }
    const bd = dbd ? new Uint8Array(0) : modeBlockDescriptor(this.description);
    const out = encodeModeSense(ten, pages, modeDeviceSpecific(this.description), bd);
    return reply(data, out, ten ? getBe(cdb, 7, 2) : (cdb[4] ?? 0));
  }

  private readWrite(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    const rw = rwRange(cdb)!;
    const write = isWriteOpcode(cdb[0]!);
    if (write && this.backend.readOnly) return checkCondition(SENSE.writeProtected);
    if (rw.lba + rw.blocks > this.description.blocks) return checkCondition(SENSE.lbaOutOfRange);
    if (rw.blocks > SCSI_DISK_MAX_TRANSFER_BLOCKS) return checkCondition(SENSE.invalidField);
    let moved = 0;
    for (let done = 0; done < rw.blocks; done += SCSI_DISK_IO_CHUNK_BLOCKS) {
      const n = Math.min(SCSI_DISK_IO_CHUNK_BLOCKS, rw.blocks - done);
      const lba = rw.lba + done;
      if (write) {
        const buf = data.mode === 'to-device' ? data.readOut(n * SCSI_DISK_BLOCK_SIZE) : new Uint8Array(0);
        if (buf.length < n * SCSI_DISK_BLOCK_SIZE) return checkCondition(SENSE.invalidParamLength, moved);
        const r = this.backend.write(lba, buf);
        if (!r.ok) return checkCondition(senseFor(r.error, true), moved);
        moved += buf.length;
      } else {
        const r = this.backend.read(lba, n);
        if (!r.ok) return checkCondition(senseFor(r.error, false), moved);
        moved += data.mode === 'from-device' ? data.writeIn(r.data) : 0;
      }
    }
    return good(moved);
  }

  private unmap(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    if (this.backend.readOnly) return checkCondition(SENSE.writeProtected);
    const len = getBe(cdb, 7, 2);
    if (len === 0) return good();
    const p = data.mode === 'to-device' ? data.readOut(len) : new Uint8Array(0);
    // Lengths inside the list must agree with the list (QEMU's checks).
    if (p.length < UNMAP_HEADER_SIZE || p.length < getBe(p, 0, 2) + 2 || p.length < getBe(p, 2, 2) + UNMAP_HEADER_SIZE || getBe(p, 2, 2) % UNMAP_DESCRIPTOR_SIZE !== 0) {
      return checkCondition(SENSE.invalidParamLength, p.length);
    }
    const n = getBe(p, 2, 2) / UNMAP_DESCRIPTOR_SIZE;
    const ranges: { lba: number; blocks: number }[] = [];
    for (let i = 0; i < n; i++) {
      const at = UNMAP_HEADER_SIZE + i * UNMAP_DESCRIPTOR_SIZE;
      const lba = getBe64(p, at);
      const blocks = getBe(p, at + 8, 4);
      if (lba + blocks > this.description.blocks) return checkCondition(SENSE.lbaOutOfRange, p.length);
      if (blocks > this.description.maxUnmapBlocks) return checkCondition(SENSE.invalidField, p.length);
      ranges.push({ lba, blocks });
    }
    for (const r of ranges) {
      const res = this.backend.discard(r.lba, r.blocks);
      if (!res.ok) return checkCondition(senseFor(res.error, true), p.length);
      this.counters.unmapDescriptors++;
    }
    return good(p.length);
  }

  private writeSame(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult {
    if (this.backend.readOnly) return checkCondition(SENSE.writeProtected);
    const sixteen = cdb[0] === WRITE_SAME_16;
    const lba = sixteen ? getBe64(cdb, 2) : getBe(cdb, 2, 4);
    const blocks = sixteen ? getBe(cdb, 10, 4) : getBe(cdb, 7, 2);
    const unmap = ((cdb[1] ?? 0) & 0x08) !== 0;
    const ndob = sixteen && ((cdb[1] ?? 0) & 0x01) !== 0;
    if (blocks === 0 || blocks > SCSI_DISK_MAX_TRANSFER_BLOCKS) return checkCondition(SENSE.invalidField);
    if (lba + blocks > this.description.blocks) return checkCondition(SENSE.lbaOutOfRange);
    const pattern = ndob ? new Uint8Array(SCSI_DISK_BLOCK_SIZE) : data.mode === 'to-device' ? data.readOut(SCSI_DISK_BLOCK_SIZE) : new Uint8Array(0);
    if (pattern.length < SCSI_DISK_BLOCK_SIZE) return checkCondition(SENSE.invalidParamLength, pattern.length);
    const moved = ndob ? 0 : SCSI_DISK_BLOCK_SIZE;
    if (pattern.every((b) => b === 0)) {
      const r = this.backend.writeZeroes(lba, blocks, unmap);
      return r.ok ? good(moved) : checkCondition(senseFor(r.error, true), moved);
    }
    for (let done = 0; done < blocks; done += SCSI_DISK_IO_CHUNK_BLOCKS) {
      const n = Math.min(SCSI_DISK_IO_CHUNK_BLOCKS, blocks - done);
      const buf = new Uint8Array(n * SCSI_DISK_BLOCK_SIZE);
      for (let i = 0; i < n; i++) buf.set(pattern, i * SCSI_DISK_BLOCK_SIZE);
      const r = this.backend.write(lba + done, buf);
      if (!r.ok) return checkCondition(senseFor(r.error, true), moved);
    }
    return good(moved);
  }
}

/** Sends `bytes` (cut to the allocation length and the initiator's buffer) as data-in. */
function reply(data: ScsiDataPhase, bytes: Uint8Array, alloc: number): ScsiCommandResult {
  const n = Math.min(bytes.length, alloc);
  if (n === 0 || data.mode !== 'from-device') return good();
  return good(data.writeIn(bytes.subarray(0, n)));
}

/** The sense a backend failure becomes. */
function senseFor(error: BlockError, write: boolean): SenseCode {
  if (error === 'read-only') return SENSE.writeProtected;
  if (error === 'out-of-range') return SENSE.lbaOutOfRange;
  return write ? SENSE.writeError : SENSE.readError;
}

/** Opcodes of the READ family (for hosts that count reads). */
export const SCSI_READ_OPCODES: readonly number[] = [READ_6, READ_10, READ_12, READ_16];
/** Opcodes of the WRITE family. */
export const SCSI_WRITE_OPCODES: readonly number[] = [WRITE_6, WRITE_10, WRITE_12, WRITE_16];
