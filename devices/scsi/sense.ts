/** Fixed-format sense data (SPC-4 §4.5.3) and the CHECK CONDITION results that carry it. */
import {
  SAM_STAT_CHECK_CONDITION,
  SAM_STAT_GOOD,
  SENSE_ADDITIONAL_LENGTH_OFFSET,
  SENSE_ASCQ_OFFSET,
  SENSE_ASC_OFFSET,
  SENSE_FIXED_CURRENT,
  SENSE_FIXED_SIZE,
  SENSE_KEY_OFFSET,
  type SenseCode,
} from '../../src/abi/scsi.js';
import type { ScsiCommandResult } from './types.js';

/** 18 bytes of current fixed-format sense for `code`. */
export function fixedSense(code: SenseCode): Uint8Array {
  const b = new Uint8Array(SENSE_FIXED_SIZE);
  b[0] = SENSE_FIXED_CURRENT;
  b[SENSE_KEY_OFFSET] = code.key & 0x0f;
  b[SENSE_ADDITIONAL_LENGTH_OFFSET] = SENSE_FIXED_SIZE - 8;
  b[SENSE_ASC_OFFSET] = code.asc;
  b[SENSE_ASCQ_OFFSET] = code.ascq;
  return b;
}

/** CHECK CONDITION with `code`; nothing transferred. */
export function checkCondition(code: SenseCode, transferred = 0): ScsiCommandResult {
  return { status: SAM_STAT_CHECK_CONDITION, sense: fixedSense(code), transferred };
}

/** GOOD after `transferred` bytes. */
export function good(transferred = 0): ScsiCommandResult {
  return { status: SAM_STAT_GOOD, transferred };
}

/** The sense key, ASC and ASCQ of fixed or descriptor sense bytes (undefined when too short). */
export function parseSense(b: Uint8Array): SenseCode | undefined {
  const fmt = (b[0] ?? 0) & 0x7f;
  if (fmt === 0x72 || fmt === 0x73) return b.length >= 4 ? { key: b[1]! & 0x0f, asc: b[2]!, ascq: b[3]! } : undefined;
  return b.length > SENSE_ASCQ_OFFSET ? { key: b[SENSE_KEY_OFFSET]! & 0x0f, asc: b[SENSE_ASC_OFFSET]!, ascq: b[SENSE_ASCQ_OFFSET]! } : undefined;
}
