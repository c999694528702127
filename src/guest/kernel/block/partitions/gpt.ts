/**
 * The GPT parser (UEFI §5.3). A header is valid when its signature, size, CRC32, own LBA
 * and usable range check out and its entry array's CRC32 matches. As in Linux, the
 * primary header decides: the backup is read only to warn about disagreement, and is
 * used in its place only when the "gpt" boot option forces it.
 */
import { crc32 } from '../../../../core/crc32.js';
import {
  GPT_ENTRY_SIZE, GPT_ENT_FIRST_LBA, GPT_ENT_GUID, GPT_ENT_LAST_LBA, GPT_ENT_NAME, GPT_ENT_TYPE, GPT_HDR_ALTERNATE_LBA, GPT_HDR_CRC,
  GPT_HDR_DISK_GUID, GPT_HDR_ENTRIES_CRC, GPT_HDR_ENTRIES_LBA, GPT_HDR_ENTRY_COUNT, GPT_HDR_ENTRY_SIZE, GPT_HDR_FIRST_USABLE,
  GPT_HDR_LAST_USABLE, GPT_HDR_MY_LBA, GPT_HDR_SIZE, GPT_HEADER_SIZE, GPT_MAX_ENTRY_ARRAY_BYTES, GPT_NAME_UNITS,
  GPT_PRIMARY_HEADER_LBA, GPT_SIGNATURE, GPT_TYPE_UNUSED, GUID_SIZE, guidFromBytes,
} from '../../../../abi/partition.js';
import type { FoundPartition, PartitionScan, ScanDisk, ScanRead } from './types.js';

/** A header that passed every check, with its entry array. */
export interface GptHeader {
  /** LBA of the other copy. */
  alternateLba: number;
  /** First usable LBA. */
  firstUsable: number;
  /** Last usable LBA. */
  lastUsable: number;
  /** Disk GUID. */
  diskGuid: string;
  /** Number of entries. */
  entryCount: number;
  /** The entry array (entryCount * 128 bytes). */
  entries: Uint8Array;
}

type Reader<T> = Generator<ScanRead, T, Uint8Array | undefined>;

function u64(dv: DataView, off: number): number {
  const v = dv.getBigUint64(off, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Reads and validates the header at `lba` and its entries; undefined if anything is wrong. */
export function* readGptHeader(lba: number, disk: ScanDisk): Reader<GptHeader | undefined> {
  if (lba < GPT_PRIMARY_HEADER_LBA || lba > disk.lastLba) return undefined;
  const block = yield { lba, count: 1 };
  if (block === undefined || block.length < GPT_HEADER_SIZE) return undefined;
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (String.fromCharCode(...block.subarray(0, 8)) !== GPT_SIGNATURE) return undefined;
  const size = dv.getUint32(GPT_HDR_SIZE, true);
  if (size < GPT_HEADER_SIZE || size > disk.blockSize) return undefined;
  const copy = block.slice(0, size);
  new DataView(copy.buffer).setUint32(GPT_HDR_CRC, 0, true);
  if (crc32(copy) !== dv.getUint32(GPT_HDR_CRC, true)) return undefined;
  if (u64(dv, GPT_HDR_MY_LBA) !== lba) return undefined;
  const firstUsable = u64(dv, GPT_HDR_FIRST_USABLE);
  const lastUsable = u64(dv, GPT_HDR_LAST_USABLE);
  if (firstUsable > disk.lastLba || lastUsable > disk.lastLba || lastUsable < firstUsable) return undefined;
  if (dv.getUint32(GPT_HDR_ENTRY_SIZE, true) !== GPT_ENTRY_SIZE) return undefined;
  const entryCount = dv.getUint32(GPT_HDR_ENTRY_COUNT, true);
  const bytes = entryCount * GPT_ENTRY_SIZE;
  if (bytes > GPT_MAX_ENTRY_ARRAY_BYTES) return undefined;
  const entriesLba = u64(dv, GPT_HDR_ENTRIES_LBA);
  const blocks = Math.ceil(bytes / disk.blockSize);
  if (entriesLba + blocks - 1 > disk.lastLba) return undefined;
  const raw = blocks === 0 ? new Uint8Array(0) : yield { lba: entriesLba, count: blocks };
  if (raw === undefined) return undefined;
  const entries = raw.slice(0, bytes);
  if (crc32(entries) !== dv.getUint32(GPT_HDR_ENTRIES_CRC, true)) return undefined;
  return {
    alternateLba: u64(dv, GPT_HDR_ALTERNATE_LBA),
    firstUsable,
    lastUsable,
    diskGuid: guidFromBytes(block.subarray(GPT_HDR_DISK_GUID, GPT_HDR_DISK_GUID + GUID_SIZE)),
    entryCount,
    entries,
  };
}

// Linux keeps the low byte of each UTF-16 unit and shows unprintable ones as '!'.
function entryName(e: Uint8Array): string {
  let s = '';
  for (let i = 0; i < GPT_NAME_UNITS; i++) {
    const c = e[GPT_ENT_NAME + i * 2] ?? 0;
    const hi = e[GPT_ENT_NAME + i * 2 + 1] ?? 0;
    if (c === 0 && hi === 0) break;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '!';
  }
  return s;
}

/** The used entries of a valid header as partitions (numbers are entry index + 1). */
export function gptPartitions(h: GptHeader, disk: ScanDisk, maxPartno: number): FoundPartition[] {
  const ssf = disk.blockSize / 512;
  const out: FoundPartition[] = [];
  for (let i = 0; i < h.entryCount && i < maxPartno; i++) {
    const e = h.entries.subarray(i * GPT_ENTRY_SIZE, (i + 1) * GPT_ENTRY_SIZE);
    const type = guidFromBytes(e.subarray(GPT_ENT_TYPE, GPT_ENT_TYPE + GUID_SIZE));
    if (type === GPT_TYPE_UNUSED) continue;
    const dv = new DataView(e.buffer, e.byteOffset, e.byteLength);
    const first = u64(dv, GPT_ENT_FIRST_LBA);
    const last = u64(dv, GPT_ENT_LAST_LBA);
    if (first > disk.lastLba || last > disk.lastLba || last < first) continue;
    const name = entryName(e);
    out.push({
      number: i + 1,
      start: first * ssf,
      sectors: (last - first + 1) * ssf,
      uuid: guidFromBytes(e.subarray(GPT_ENT_GUID, GPT_ENT_GUID + GUID_SIZE)),
      type,
      ...(name !== '' ? { name } : {}),
    });
  }
  return out;
}

/** Parses the GPT of a disk whose protective MBR has been seen. */
export function* scanGpt(disk: ScanDisk, maxPartno: number): PartitionScan {
  const warnings: string[] = [];
  const primary = yield* readGptHeader(GPT_PRIMARY_HEADER_LBA, disk);
  let use = primary;
  if (primary !== undefined) {
    const alt = yield* readGptHeader(primary.alternateLba, disk);
    if (alt === undefined) warnings.push('Alternate GPT is invalid, using primary GPT.');
  } else if (disk.forceGpt) {
    use = yield* readGptHeader(disk.lastLba, disk);
    if (use !== undefined) warnings.push('Primary GPT is invalid, using alternate GPT.');
  }
  if (use === undefined) return undefined;
  return { kind: 'gpt', uuid: use.diskGuid, partitions: gptPartitions(use, disk, maxPartno), warnings };
}
