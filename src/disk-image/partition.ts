/**
 * Host-side partitioning of disk images, what sfdisk/sgdisk do before a VM boots: an MBR
 * (primary partitions, plus an extended partition with an EBR chain when there are more
 * than four) or a GPT with protective MBR, primary and backup headers. GUIDs come from a
 * seed, so the same inputs always produce the same bytes.
 */
import { DISK_SECTOR_SIZE, type DiskImage } from '../../devices/block/disk-image.js';
import { Prng } from '../core/prng.js';
import { crc32 } from '../core/crc32.js';
import {
  GPT_DEFAULT_ENTRY_COUNT, GPT_ENTRY_SIZE, GPT_ENT_ATTRIBUTES, GPT_ENT_FIRST_LBA, GPT_ENT_GUID, GPT_ENT_LAST_LBA, GPT_ENT_NAME,
  GPT_ENT_TYPE, GPT_HDR_ALTERNATE_LBA, GPT_HDR_CRC, GPT_HDR_DISK_GUID, GPT_HDR_ENTRIES_CRC, GPT_HDR_ENTRIES_LBA, GPT_HDR_ENTRY_COUNT,
  GPT_HDR_ENTRY_SIZE, GPT_HDR_FIRST_USABLE, GPT_HDR_LAST_USABLE, GPT_HDR_MY_LBA, GPT_HDR_REVISION, GPT_HDR_SIZE, GPT_HEADER_SIZE,
  GPT_MIN_ENTRY_ARRAY_BYTES, GPT_NAME_UNITS, GPT_PRIMARY_ENTRIES_LBA, GPT_PRIMARY_HEADER_LBA, GPT_REVISION, GPT_SIGNATURE,
  GPT_TYPE_BIOS_BOOT, GPT_TYPE_EFI_SYSTEM, GPT_TYPE_LINUX_FS, GPT_TYPE_LINUX_LVM, GPT_TYPE_LINUX_RAID, GPT_TYPE_LINUX_SWAP,
  MBR_BOOT_SIGNATURE, MBR_BOOT_SIGNATURE_OFFSET, MBR_DISK_SIGNATURE_OFFSET, MBR_ENTRY_CHS_FIRST, MBR_ENTRY_CHS_LAST, MBR_ENTRY_COUNT,
  MBR_ENTRY_LBA_COUNT, MBR_ENTRY_LBA_START, MBR_ENTRY_SIZE, MBR_ENTRY_STATUS, MBR_ENTRY_TYPE, MBR_STATUS_ACTIVE, MBR_TABLE_OFFSET,
  MBR_TYPE_EFI_SYSTEM, MBR_TYPE_EXTENDED, MBR_TYPE_GPT_PROTECTIVE, MBR_TYPE_LINUX, MBR_TYPE_LINUX_LVM, MBR_TYPE_LINUX_RAID,
  MBR_TYPE_LINUX_SWAP, MBR_MAX_LOGICAL, guidToBytes, isGuid,
} from '../abi/partition.js';

/** Partition starts are aligned to 1 MiB, as fdisk, sfdisk and parted do by default. */
export const PARTITION_ALIGN_SECTORS = 2048;
/** Largest value an MBR's 32-bit LBA fields hold. */
const MBR_MAX_LBA = 0xffff_ffff;
/** Sectors per track and heads of the fake geometry CHS fields are computed with. */
const CHS_SECTORS = 63;
const CHS_HEADS = 255;
/** Largest cylinder a CHS field can name. */
const CHS_MAX_CYLINDER = 1023;

/** What a partition is for. */
export type PartitionKind = 'linux' | 'swap' | 'lvm' | 'raid' | 'efi' | 'bios-boot';

const KIND_GPT: Record<PartitionKind, string> = {
  linux: GPT_TYPE_LINUX_FS,
  swap: GPT_TYPE_LINUX_SWAP,
  lvm: GPT_TYPE_LINUX_LVM,
  raid: GPT_TYPE_LINUX_RAID,
  efi: GPT_TYPE_EFI_SYSTEM,
  'bios-boot': GPT_TYPE_BIOS_BOOT,
};

const KIND_MBR: Record<PartitionKind, number> = {
  linux: MBR_TYPE_LINUX,
  swap: MBR_TYPE_LINUX_SWAP,
  lvm: MBR_TYPE_LINUX_LVM,
  raid: MBR_TYPE_LINUX_RAID,
  efi: MBR_TYPE_EFI_SYSTEM,
  'bios-boot': MBR_TYPE_LINUX,
};

/** One partition to create. */
export interface PartitionSpec {
  /** Purpose (default 'linux'); picks the type GUID or type byte. */
  kind?: PartitionKind;
  /** First sector (default: the next 1 MiB boundary after the previous partition). */
  start?: number;
  /** Length in sectors (default: up to the end of the usable space). */
  sectors?: number;
  /** GPT partition name (at most 36 UTF-16 units). */
  name?: string;
  /** GPT unique partition GUID (default: derived from the seed). */
  guid?: string;
  /** GPT type GUID, overriding `kind`. */
  typeGuid?: string;
  /** MBR type byte, overriding `kind`. */
  mbrType?: number;
  /** MBR active (boot) flag; GPT legacy-BIOS-bootable attribute. */
  bootable?: boolean;
}

/** A partition as written. */
export interface PlacedPartition {
  /** Partition number as Linux names it (vda1 = 1; MBR logical partitions from 5). */
  number: number;
  /** First sector. */
  start: number;
  /** Length in sectors. */
  sectors: number;
  /** GPT type GUID or MBR type byte. */
  type: string | number;
  /** GPT unique GUID. */
  guid?: string;
  /** GPT name. */
  name?: string;
}

/** Options for writeMbr. */
export interface MbrOptions {
  /** Disk signature (default: derived from the seed). */
  diskSignature?: number;
  /** Seed for the signature (default "mbr"). */
  seed?: string;
}

/** Options for writeGpt. */
export interface GptOptions {
  /** Disk GUID (default: derived from the seed). */
  diskGuid?: string;
  /** Seed for the disk and partition GUIDs (default "gpt"). */
  seed?: string;
  /** Entries in the array (default 128; the array always spans at least 16 KiB). */
  entryCount?: number;
}

/** A random-looking but reproducible version-4 GUID for `label` under `seed`. */
export function seededGuid(seed: string, label: string): string {
  const b = new Prng(`${seed}\u0000${label}`).fill(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const alignUp = (n: number): number => Math.ceil(n / PARTITION_ALIGN_SECTORS) * PARTITION_ALIGN_SECTORS;

// Lays partitions out in order inside [first, last]; `gap` sectors are kept free in front
// of each one that needs room for an EBR.
function place(parts: readonly PartitionSpec[], first: number, last: number, needsGap: (i: number) => boolean): { start: number; sectors: number }[] {
  const out: { start: number; sectors: number }[] = [];
  let next = first;
  parts.forEach((p, i) => {
    const minStart = next + (needsGap(i) ? 1 : 0);
    const start = p.start ?? alignUp(Math.max(minStart, PARTITION_ALIGN_SECTORS));
    if (!Number.isInteger(start) || start < minStart) throw new RangeError(`partition ${i + 1} starts at ${start}, before sector ${minStart}`);
    const sectors = p.sectors ?? last + 1 - start;
    if (!Number.isInteger(sectors) || sectors <= 0 || start + sectors - 1 > last) {
      throw new RangeError(`partition ${i + 1} (${start}+${sectors}) does not fit below sector ${last + 1}`);
    }
    out.push({ start, sectors });
    next = start + sectors;
  });
  return out;
}

function chs(lba: number): [number, number, number] {
  const c = Math.floor(lba / (CHS_HEADS * CHS_SECTORS));
  if (c > CHS_MAX_CYLINDER) return [0xfe, 0xff, 0xff];
  const h = Math.floor(lba / CHS_SECTORS) % CHS_HEADS;
  const s = (lba % CHS_SECTORS) + 1;
  return [h, ((c >> 2) & 0xc0) | s, c & 0xff];
}

function mbrEntry(sector: Uint8Array, slot: number, type: number, start: number, count: number, active: boolean, chsStart = start): void {
  if (start > MBR_MAX_LBA || count > MBR_MAX_LBA) throw new RangeError('partition beyond the 2 TiB an MBR can address');
  const off = MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE;
  const dv = new DataView(sector.buffer, sector.byteOffset);
  sector[off + MBR_ENTRY_STATUS] = active ? MBR_STATUS_ACTIVE : 0;
  sector.set(chs(chsStart), off + MBR_ENTRY_CHS_FIRST);
  sector[off + MBR_ENTRY_TYPE] = type;
  sector.set(chs(chsStart + count - 1), off + MBR_ENTRY_CHS_LAST);
  dv.setUint32(off + MBR_ENTRY_LBA_START, start, true);
  dv.setUint32(off + MBR_ENTRY_LBA_COUNT, count, true);
}

function bootSector(existing: Uint8Array | undefined): Uint8Array {
  const s = new Uint8Array(DISK_SECTOR_SIZE);
  // Keep the boot code a bootloader may already have put there.
  if (existing !== undefined) s.set(existing.subarray(0, MBR_DISK_SIGNATURE_OFFSET));
  new DataView(s.buffer).setUint16(MBR_BOOT_SIGNATURE_OFFSET, MBR_BOOT_SIGNATURE, true);
  return s;
}

/**
 * Writes a DOS partition table. Up to four partitions are primary; with more, the first
 * three are primary and the rest logical partitions in an extended partition (numbered
 * from 5), each preceded by its EBR in the sector before it.
 */
export function writeMbr(image: DiskImage, parts: readonly PartitionSpec[], opts: MbrOptions = {}): PlacedPartition[] {
  if (parts.length - 3 > MBR_MAX_LOGICAL) throw new RangeError('too many logical partitions');
  const last = Math.min(image.sectors - 1, MBR_MAX_LBA);
  const logicalFrom = parts.length > MBR_ENTRY_COUNT ? MBR_ENTRY_COUNT - 1 : MBR_ENTRY_COUNT;
  const layout = place(parts, 1, last, (i) => i >= logicalFrom);
  const mbr = bootSector(image.read(0, 1));
  const sig = opts.diskSignature ?? new Prng(opts.seed ?? 'mbr').nextU32();
  new DataView(mbr.buffer).setUint32(MBR_DISK_SIGNATURE_OFFSET, sig >>> 0, true);
  const out: PlacedPartition[] = [];
  const typeOf = (p: PartitionSpec): number => p.mbrType ?? KIND_MBR[p.kind ?? 'linux'];
  layout.forEach((l, i) => {
    if (i >= logicalFrom) return;
    const p = parts[i] as PartitionSpec;
    mbrEntry(mbr, i, typeOf(p), l.start, l.sectors, p.bootable === true);
    out.push({ number: i + 1, start: l.start, sectors: l.sectors, type: typeOf(p) });
  });
  if (logicalFrom < parts.length) {
    const logical = layout.slice(logicalFrom);
    const extStart = (logical[0]?.start ?? 1) - 1;
    const tail = logical[logical.length - 1];
    const extEnd = tail === undefined ? extStart : tail.start + tail.sectors;
    mbrEntry(mbr, logicalFrom, MBR_TYPE_EXTENDED, extStart, extEnd - extStart, false);
    logical.forEach((l, j) => {
      const p = parts[logicalFrom + j] as PartitionSpec;
      const ebrLba = l.start - 1;
      const ebr = bootSector(undefined);
      mbrEntry(ebr, 0, typeOf(p), 1, l.sectors, p.bootable === true, l.start);
      const next = logical[j + 1];
      if (next !== undefined) mbrEntry(ebr, 1, MBR_TYPE_EXTENDED, next.start - 1 - extStart, next.sectors + 1, false, next.start - 1);
      image.write(ebrLba, ebr);
      out.push({ number: 5 + j, start: l.start, sectors: l.sectors, type: typeOf(p) });
    });
  }
  image.write(0, mbr);
  return out;
}

function encodeName(name: string): Uint8Array {
  const out = new Uint8Array(GPT_NAME_UNITS * 2);
  if (name.length > GPT_NAME_UNITS) throw new RangeError(`GPT name longer than ${GPT_NAME_UNITS} units: ${name}`);
  for (let i = 0; i < name.length; i++) new DataView(out.buffer).setUint16(i * 2, name.charCodeAt(i), true);
  return out;
}

function gptHeader(myLba: number, altLba: number, firstUsable: number, lastUsable: number, diskGuid: string, entriesLba: number, count: number, entriesCrc: number): Uint8Array {
  const h = new Uint8Array(DISK_SECTOR_SIZE);
  const dv = new DataView(h.buffer);
  h.set(new TextEncoder().encode(GPT_SIGNATURE), 0);
  dv.setUint32(GPT_HDR_REVISION, GPT_REVISION, true);
  dv.setUint32(GPT_HDR_SIZE, GPT_HEADER_SIZE, true);
  dv.setBigUint64(GPT_HDR_MY_LBA, BigInt(myLba), true);
  dv.setBigUint64(GPT_HDR_ALTERNATE_LBA, BigInt(altLba), true);
  dv.setBigUint64(GPT_HDR_FIRST_USABLE, BigInt(firstUsable), true);
  dv.setBigUint64(GPT_HDR_LAST_USABLE, BigInt(lastUsable), true);
  h.set(guidToBytes(diskGuid), GPT_HDR_DISK_GUID);
  dv.setBigUint64(GPT_HDR_ENTRIES_LBA, BigInt(entriesLba), true);
  dv.setUint32(GPT_HDR_ENTRY_COUNT, count, true);
  dv.setUint32(GPT_HDR_ENTRY_SIZE, GPT_ENTRY_SIZE, true);
  dv.setUint32(GPT_HDR_ENTRIES_CRC, entriesCrc, true);
  dv.setUint32(GPT_HDR_CRC, crc32(h.subarray(0, GPT_HEADER_SIZE)), true);
  return h;
}

/** Legacy BIOS bootable attribute bit (UEFI §5.3.3 table 5-8). */
const GPT_ATTR_LEGACY_BIOS_BOOTABLE = 1n << 2n;

/**
 * Writes a GPT: protective MBR, primary header and entry array at LBA 1 and 2, backup
 * array and header at the end of the disk. Partition numbers are entry indexes + 1.
 */
export function writeGpt(image: DiskImage, parts: readonly PartitionSpec[], opts: GptOptions = {}): PlacedPartition[] {
  const seed = opts.seed ?? 'gpt';
  const count = Math.max(opts.entryCount ?? GPT_DEFAULT_ENTRY_COUNT, GPT_MIN_ENTRY_ARRAY_BYTES / GPT_ENTRY_SIZE);
  if (parts.length > count) throw new RangeError(`${parts.length} partitions do not fit ${count} entries`);
  const arraySectors = Math.ceil((count * GPT_ENTRY_SIZE) / DISK_SECTOR_SIZE);
  const lastLba = image.sectors - 1;
  const firstUsable = GPT_PRIMARY_ENTRIES_LBA + arraySectors;
  const lastUsable = lastLba - 1 - arraySectors;
  if (lastUsable < firstUsable) throw new RangeError('disk too small for a GPT');
  const diskGuid = opts.diskGuid ?? seededGuid(seed, 'disk');
  if (!isGuid(diskGuid)) throw new RangeError(`bad disk GUID ${diskGuid}`);
  const layout = place(parts, firstUsable, lastUsable, () => false);

  const entries = new Uint8Array(arraySectors * DISK_SECTOR_SIZE);
  const dv = new DataView(entries.buffer);
  const out: PlacedPartition[] = [];
  layout.forEach((l, i) => {
    const p = parts[i] as PartitionSpec;
    const off = i * GPT_ENTRY_SIZE;
    const type = p.typeGuid ?? KIND_GPT[p.kind ?? 'linux'];
    const guid = p.guid ?? seededGuid(seed, `part${i + 1}`);
    entries.set(guidToBytes(type), off + GPT_ENT_TYPE);
    entries.set(guidToBytes(guid), off + GPT_ENT_GUID);
    dv.setBigUint64(off + GPT_ENT_FIRST_LBA, BigInt(l.start), true);
    dv.setBigUint64(off + GPT_ENT_LAST_LBA, BigInt(l.start + l.sectors - 1), true);
    dv.setBigUint64(off + GPT_ENT_ATTRIBUTES, p.bootable === true ? GPT_ATTR_LEGACY_BIOS_BOOTABLE : 0n, true);
    entries.set(encodeName(p.name ?? ''), off + GPT_ENT_NAME);
    out.push({ number: i + 1, start: l.start, sectors: l.sectors, type, guid, ...(p.name !== undefined ? { name: p.name } : {}) });
  });
  const entriesCrc = crc32(entries.subarray(0, count * GPT_ENTRY_SIZE));
  const backupEntriesLba = lastLba - arraySectors;

  const pmbr = bootSector(image.read(0, 1));
  pmbr.fill(0, MBR_DISK_SIGNATURE_OFFSET, MBR_BOOT_SIGNATURE_OFFSET);
  mbrEntry(pmbr, 0, MBR_TYPE_GPT_PROTECTIVE, GPT_PRIMARY_HEADER_LBA, Math.min(lastLba, MBR_MAX_LBA), false);
  image.write(0, pmbr);
  image.write(GPT_PRIMARY_HEADER_LBA, gptHeader(GPT_PRIMARY_HEADER_LBA, lastLba, firstUsable, lastUsable, diskGuid, GPT_PRIMARY_ENTRIES_LBA, count, entriesCrc));
  image.write(GPT_PRIMARY_ENTRIES_LBA, entries);
  image.write(backupEntriesLba, entries);
  image.write(lastLba, gptHeader(lastLba, GPT_PRIMARY_HEADER_LBA, firstUsable, lastUsable, diskGuid, backupEntriesLba, count, entriesCrc));
  return out;
}
