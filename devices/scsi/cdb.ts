/**
 * What a CDB asks for before it runs (QEMU's scsi_req_parse_cdb): the direction and length
 * of its data phase, which a host adapter compares with the buffers the initiator gave, and
 * the LBA and block count of the read/write family. Big-endian field access lives here too.
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
} from '../../src/abi/scsi.js';
import type { ScsiXferMode } from './types.js';

/** Unsigned big-endian field of `len` bytes (at most 6, so the result is exact). */
export function beField(cdb: Uint8Array, off: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + (cdb[off + i] ?? 0);
  return v;
}

/** Unsigned big-endian 64-bit field as a number (exact below 2^53; larger values are out of any range anyway). */
export function be64(cdb: Uint8Array, off: number): number {
  return beField(cdb, off, 4) * 2 ** 32 + beField(cdb, off + 4, 4);
}

/** Writes `v` as a big-endian field of `len` bytes. */
export function putBe(buf: Uint8Array, off: number, len: number, v: number): void {
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    buf[off + i] = x % 256;
    x = Math.floor(x / 256);
  }
}

/** LBA and block count of a READ/WRITE(6/10/12/16), or undefined for other opcodes. */
export function rwRange(cdb: Uint8Array): { lba: number; blocks: number } | undefined {
  switch (cdb[0]) {
    case READ_6:
    case WRITE_6: {
      // A zero transfer length in the 6-byte form means 256 blocks.
      const n = cdb[4] ?? 0;
      return { lba: beField(cdb, 1, 3) & 0x1f_ffff, blocks: n === 0 ? 256 : n };
    }
    case READ_10:
    case WRITE_10:
      return { lba: beField(cdb, 2, 4), blocks: beField(cdb, 7, 2) };
    case READ_12:
    case WRITE_12:
      return { lba: beField(cdb, 2, 4), blocks: beField(cdb, 6, 4) };
    case READ_16:
    case WRITE_16:
      return { lba: be64(cdb, 2), blocks: beField(cdb, 10, 4) };
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
      return from(beField(cdb, 3, 2));
    case MODE_SENSE_10:
      return from(beField(cdb, 7, 2));
    case MODE_SELECT_6:
      return to(cdb[4] ?? 0);
    case MODE_SELECT_10:
    case UNMAP:
      return to(beField(cdb, 7, 2));
    case READ_CAPACITY_10:
      return from(READ_CAPACITY_10_SIZE);
    case SERVICE_ACTION_IN_16:
      return from(beField(cdb, 10, 4));
    case REPORT_LUNS:
      return from(beField(cdb, 6, 4));
    case WRITE_SAME_10:
    case WRITE_SAME_16:
      // NDOB (no data-out buffer) in byte 1 bit 0 of WRITE SAME(16).
      return op === WRITE_SAME_16 && (cdb[1]! & 0x01) !== 0 ? to(0) : to(blockSize);
    default:
      return { mode: 'none', length: 0 };
  }
}
