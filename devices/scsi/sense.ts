/** The GOOD and CHECK CONDITION results of a target (the sense bytes come from the SCSI ABI). */
import { SAM_STAT_CHECK_CONDITION, SAM_STAT_GOOD, encodeFixedSense, type SenseCode } from '../../src/abi/scsi.js';
import type { ScsiCommandResult } from './types.js';

/** CHECK CONDITION with `code`; nothing transferred. */
export function checkCondition(code: SenseCode, transferred = 0): ScsiCommandResult {
  return { status: SAM_STAT_CHECK_CONDITION, sense: encodeFixedSense(code), transferred };
}

/** GOOD after `transferred` bytes. */
export function good(transferred = 0): ScsiCommandResult {
  return { status: SAM_STAT_GOOD, transferred };
}
