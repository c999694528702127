/**
 * What a CDB asks for before it runs (QEMU's scsi_req_parse_cdb): the direction and length
 * of its data phase, which a host adapter compares with the buffers the initiator gave, and
 * the LBA and block count of the read/write family.
 */
import {
  INQUIRY,
  MODE_SELECT_10,
  MODE_SELECT_6,
  MODE_SENSE_10,
  MODE_SENSE_6,
  READ_10,
  READ_12,
  READ_16,
  READ_6,
  READ_CAPACITY_10,
  READ_CAPACITY_10_SIZE,
  REPORT_LUNS,
  REQUEST_SENSE,
  SERVICE_ACTION_IN_16,
  UNMAP,
  WRITE_10,
  WRITE_12,
  WRITE_16,
  WRITE_6,
  WRITE_SAME_10,
  WRITE_SAME_16,
  getBe,
  getBe64,
} from '../../src/abi/scsi.js';
import type { ScsiXferMode } from './types.js';

/** LBA and block count of a READ/WRITE(6/10/12/16), or undefined for other opcodes. */
export function rwRange(cdb: Uint8Array): { lba: number; blocks: number } | undefined {
  switch (cdb[0]) {
    case READ_6:
    case WRITE_6: {
      // A zero transfer length in the 6-byte form means 256 blocks.
      const n = cdb[4] ?? 0;
      return { lba: getBe(cdb, 1, 3) & 0x1f_ffff, blocks: n === 0 ? 256 : n };
    }
    case READ_10:
    case WRITE_10:
      return { lba: getBe(cdb, 2, 4), blocks: getBe(cdb, 7, 2) };
    case READ_12:
    case WRITE_12:
      return { lba: getBe(cdb, 2, 4), blocks: getBe(cdb, 6, 4) };
    case READ_16:
    case WRITE_16:
      return { lba: getBe64(cdb, 2), blocks: getBe(cdb, 10, 4) };
    default:
      return undefined;
  }
}

/** Whether the opcode is one of the WRITE family. */
export function isWriteOpcode(op: number): boolean {
  return op === WRITE_6 || op === WRITE_10 || op === WRITE_12 || op === WRITE_16;
}

/** Direction and byte length of the data phase the CDB describes. */
export function cdbTransfer(cdb: Uint8Array, blockSize: number): { mode: ScsiXferMode; length: number } {
  const op = cdb[0] ?? 0;
  const from = (length: number) => ({ mode: length === 0 ? ('none' as const) : ('from-device' as const), length });
  const to = (length: number) => ({ mode: length === 0 ? ('none' as const) : ('to-device' as const), length });
  const rw = rwRange(cdb);
  if (rw) return isWriteOpcode(op) ? to(rw.blocks * blockSize) : from(rw.blocks * blockSize);
  switch (op) {
    case REQUEST_SENSE:
    case MODE_SENSE_6:
      return from(cdb[4] ?? 0);
    case INQUIRY:
      return from(getBe(cdb, 3, 2));
    case MODE_SENSE_10:
      return from(getBe(cdb, 7, 2));
    case MODE_SELECT_6:
      return to(cdb[4] ?? 0);
    case MODE_SELECT_10:
    case UNMAP:
      return to(getBe(cdb, 7, 2));
    case READ_CAPACITY_10:
      return from(READ_CAPACITY_10_SIZE);
    case SERVICE_ACTION_IN_16:
      return from(getBe(cdb, 10, 4));
    case REPORT_LUNS:
      return from(getBe(cdb, 6, 4));
    case WRITE_SAME_10:
    case WRITE_SAME_16:
      // NDOB (no data-out buffer) in byte 1 bit 0 of WRITE SAME(16).
      return op === WRITE_SAME_16 && (cdb[1]! & 0x01) !== 0 ? to(0) : to(blockSize);
    default:
      return { mode: 'none', length: 0 };
  }
}
