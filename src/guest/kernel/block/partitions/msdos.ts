/**
 * The DOS (MBR) partition table parser: four primary slots, and for an extended
 * partition the chain of EBRs whose data partitions are numbered from 5. The extended
 * partition itself is registered with a two-sector size, as Linux does, so nobody
 * formats over the chain by accident.
 */
import {
  MBR_BOOT_SIGNATURE, MBR_BOOT_SIGNATURE_OFFSET, MBR_DISK_SIGNATURE_OFFSET, MBR_ENTRY_COUNT, MBR_ENTRY_LBA_COUNT,
  MBR_ENTRY_LBA_START, MBR_ENTRY_SIZE, MBR_ENTRY_STATUS, MBR_ENTRY_TYPE, MBR_FIRST_LOGICAL, MBR_MAX_LOGICAL, MBR_STATUS_ACTIVE,
  MBR_TABLE_OFFSET, MBR_TYPE_EMPTY, MBR_TYPE_GPT_PROTECTIVE, isMbrExtended,
} from '../../../../abi/partition.js';
import type { FoundPartition, PartitionScan, ScanDisk } from './types.js';

/** One decoded MBR/EBR slot (positions in the table's logical blocks). */
export interface MbrEntry {
  /** Boot indicator. */
  status: number;
  /** Type byte. */
  type: number;
  /** First LBA (relative to the table's base for EBR entries). */
  start: number;
  /** Length in logical blocks. */
  count: number;
}

/** True if the sector ends with the 0x55AA signature. */
export function hasBootSignature(sector: Uint8Array): boolean {
  if (sector.length < MBR_BOOT_SIGNATURE_OFFSET + 2) return false;
  return ((sector[MBR_BOOT_SIGNATURE_OFFSET] ?? 0) | ((sector[MBR_BOOT_SIGNATURE_OFFSET + 1] ?? 0) << 8)) === MBR_BOOT_SIGNATURE;
}

/** The four slots of an MBR or EBR. */
export function mbrEntries(sector: Uint8Array): MbrEntry[] {
  const dv = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const out: MbrEntry[] = [];
  for (let i = 0; i < MBR_ENTRY_COUNT; i++) {
    const off = MBR_TABLE_OFFSET + i * MBR_ENTRY_SIZE;
    out.push({
      status: sector[off + MBR_ENTRY_STATUS] ?? 0,
      type: sector[off + MBR_ENTRY_TYPE] ?? 0,
      start: dv.getUint32(off + MBR_ENTRY_LBA_START, true),
      count: dv.getUint32(off + MBR_ENTRY_LBA_COUNT, true),
    });
  }
  return out;
}

/** True for a protective MBR: a 0xEE slot starting at LBA 1 (hybrid MBRs included). */
export function isProtectiveMbr(sector: Uint8Array): boolean {
  return hasBootSignature(sector) && mbrEntries(sector).some((e) => e.type === MBR_TYPE_GPT_PROTECTIVE && e.start === 1);
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * Parses a DOS table whose first sector is `mbr`; undefined when the sector is not one
 * (no signature, boot indicators other than 0/0x80, or a GPT protective slot).
 */
export function* scanMsdos(mbr: Uint8Array, disk: ScanDisk, maxPartno: number): PartitionScan {
  if (!hasBootSignature(mbr)) return undefined;
  const slots = mbrEntries(mbr);
  // A FAT boot sector also ends in 55AA; its bytes here are rarely valid boot indicators.
  if (slots.some((e) => e.status !== 0 && e.status !== MBR_STATUS_ACTIVE)) return undefined;
  if (slots.some((e) => e.type === MBR_TYPE_GPT_PROTECTIVE)) return undefined;
  const ssf = disk.blockSize / 512;
  const sig = new DataView(mbr.buffer, mbr.byteOffset).getUint32(MBR_DISK_SIGNATURE_OFFSET, true).toString(16).padStart(8, '0');
  const parts: FoundPartition[] = [];
  const add = (number: number, start: number, sectors: number, type: number): void => {
    if (number <= maxPartno) parts.push({ number, start, sectors, uuid: `${sig}-${hex2(number)}`, type: hex2(type) });
  };
  const extended: { start: number; count: number }[] = [];
  slots.forEach((e, i) => {
    if (e.count === 0 || e.type === MBR_TYPE_EMPTY) return;
    if (isMbrExtended(e.type)) {
      add(i + 1, e.start * ssf, Math.min(e.count * ssf, Math.max(ssf, 2)), e.type);
      extended.push({ start: e.start, count: e.count });
    } else add(i + 1, e.start * ssf, e.count * ssf, e.type);
  });
  let next = MBR_FIRST_LOGICAL;
  for (const ext of extended) next = yield* scanExtended(ext.start, ext.count, ssf, sig, next, maxPartno, parts);
  parts.sort((a, b) => a.number - b.number);
  return { kind: 'dos', uuid: sig, partitions: parts, warnings: [] };
}

// Walks one EBR chain; returns the next free logical partition number.
function* scanExtended(
  first: number, firstSize: number, ssf: number, sig: string, nextNumber: number, maxPartno: number, parts: FoundPartition[],
): Generator<{ lba: number; count: number }, number, Uint8Array | undefined> {
  let next = nextNumber;
  let thisLba = first;
  let thisSize = firstSize;
  for (let hops = 0; hops < MBR_MAX_LOGICAL && next <= maxPartno; hops++) {
    const ebr = yield { lba: thisLba, count: 1 };
    if (ebr === undefined || !hasBootSignature(ebr)) break;
    const slots = mbrEntries(ebr);
    slots.forEach((e, i) => {
      if (e.count === 0 || isMbrExtended(e.type) || e.type === MBR_TYPE_EMPTY || next > maxPartno) return;
      const start = thisLba + e.start;
      // Slots 3 and 4 of an EBR are only trusted if they stay inside this EBR's range.
      if (i >= 2 && (e.start + e.count > thisSize || start < first || start + e.count > first + firstSize)) return;
      parts.push({ number: next, start: start * ssf, sectors: e.count * ssf, uuid: `${sig}-${hex2(next)}`, type: hex2(e.type) });
      next++;
    });
    const link = slots.find((e) => e.count !== 0 && isMbrExtended(e.type));
    if (link === undefined) break;
    thisLba = first + link.start;
    thisSize = link.count;
  }
  return next;
}
