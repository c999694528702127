/**
 * Partition table detection, in Linux's order: a protective MBR means GPT (and nothing
 * else, even if the GPT turns out invalid); otherwise a DOS table.
 */
import { scanGpt } from './gpt.js';
import { isProtectiveMbr, scanMsdos } from './msdos.js';
import type { PartitionScan, ScanDisk } from './types.js';

/** Scans a disk for a partition table; partitions numbered above `maxPartno` are left out. */
export function* scanPartitions(disk: ScanDisk, maxPartno: number): PartitionScan {
  if (disk.lastLba < 0 || maxPartno < 1) return undefined;
  const first = yield { lba: 0, count: 1 };
  if (first === undefined) return undefined;
  if (isProtectiveMbr(first)) return yield* scanGpt(disk, maxPartno);
  return yield* scanMsdos(first, disk, maxPartno);
}
