/**
 * Partition table on-disk formats shared by the host partitioning tool and the guest
 * kernel's partition parser: the MBR (the IBM PC layout, with EBR chains for logical
 * partitions) and GPT (UEFI 2.10 §5.2 protective MBR, §5.3 header and entry array).
 * All multi-byte fields are little-endian; LBAs count logical blocks of the disk.
 */

/** Bytes in the first sector that an MBR occupies. */
export const MBR_SIZE = 512;
/** Offset of the optional 32-bit disk signature. */
export const MBR_DISK_SIGNATURE_OFFSET = 440;
/** Offset of the four-entry partition table. */
export const MBR_TABLE_OFFSET = 446;
/** Size of one MBR partition entry. */
export const MBR_ENTRY_SIZE = 16;
/** Primary entries in an MBR (and in an EBR, of which only two are used). */
export const MBR_ENTRY_COUNT = 4;
/** Offset of the 0x55 0xAA boot signature. */
export const MBR_BOOT_SIGNATURE_OFFSET = 510;
/** The boot signature as a little-endian 16-bit value. */
export const MBR_BOOT_SIGNATURE = 0xaa55;

/** Entry offset: boot indicator (0x80 active). */
export const MBR_ENTRY_STATUS = 0;
/** Entry offset: CHS address of the first sector (3 bytes). */
export const MBR_ENTRY_CHS_FIRST = 1;
/** Entry offset: partition type byte. */
export const MBR_ENTRY_TYPE = 4;
/** Entry offset: CHS address of the last sector (3 bytes). */
export const MBR_ENTRY_CHS_LAST = 5;
/** Entry offset: le32 first LBA (relative, for EBR entries). */
export const MBR_ENTRY_LBA_START = 8;
/** Entry offset: le32 number of sectors. */
export const MBR_ENTRY_LBA_COUNT = 12;
/** Boot indicator of an active partition. */
export const MBR_STATUS_ACTIVE = 0x80;

/** Type: unused entry. */
export const MBR_TYPE_EMPTY = 0x00;
/** Type: extended partition (CHS). */
export const MBR_TYPE_EXTENDED = 0x05;
/** Type: extended partition (LBA). */
export const MBR_TYPE_EXTENDED_LBA = 0x0f;
/** Type: Linux swap. */
export const MBR_TYPE_LINUX_SWAP = 0x82;
/** Type: Linux native filesystem. */
export const MBR_TYPE_LINUX = 0x83;
/** Type: Linux extended partition. */
export const MBR_TYPE_LINUX_EXTENDED = 0x85;
/** Type: Linux LVM physical volume. */
export const MBR_TYPE_LINUX_LVM = 0x8e;
/** Type: EFI system partition. */
export const MBR_TYPE_EFI_SYSTEM = 0xef;
/** Type: GPT protective partition (UEFI §5.2.3). */
export const MBR_TYPE_GPT_PROTECTIVE = 0xee;
/** Type: Linux RAID autodetect. */
export const MBR_TYPE_LINUX_RAID = 0xfd;

/** True for the type bytes that mark an extended partition (a chain of EBRs). */
export function isMbrExtended(type: number): boolean {
  return type === MBR_TYPE_EXTENDED || type === MBR_TYPE_EXTENDED_LBA || type === MBR_TYPE_LINUX_EXTENDED;
}

/** Partition number of the first logical partition (numbers 1-4 belong to the primary slots). */
export const MBR_FIRST_LOGICAL = 5;
/** Longest EBR chain a parser follows (a loop in the chain must not hang the scan). */
export const MBR_MAX_LOGICAL = 60;

/** The GPT header signature "EFI PART". */
export const GPT_SIGNATURE = 'EFI PART';
/** Header revision 1.0. */
export const GPT_REVISION = 0x0001_0000;
/** Size of the header as defined by revision 1.0. */
export const GPT_HEADER_SIZE = 92;
/** LBA of the primary header. */
export const GPT_PRIMARY_HEADER_LBA = 1;
/** LBA of the primary entry array as written by common tools. */
export const GPT_PRIMARY_ENTRIES_LBA = 2;

/** Header offset: signature (8 bytes). */
export const GPT_HDR_SIGNATURE = 0;
/** Header offset: le32 revision. */
export const GPT_HDR_REVISION = 8;
/** Header offset: le32 header size. */
export const GPT_HDR_SIZE = 12;
/** Header offset: le32 CRC32 of the header (computed with this field zero). */
export const GPT_HDR_CRC = 16;
/** Header offset: le64 LBA of this header. */
export const GPT_HDR_MY_LBA = 24;
/** Header offset: le64 LBA of the other header. */
export const GPT_HDR_ALTERNATE_LBA = 32;
/** Header offset: le64 first usable LBA. */
export const GPT_HDR_FIRST_USABLE = 40;
/** Header offset: le64 last usable LBA. */
export const GPT_HDR_LAST_USABLE = 48;
/** Header offset: disk GUID (16 bytes). */
export const GPT_HDR_DISK_GUID = 56;
/** Header offset: le64 starting LBA of the entry array. */
export const GPT_HDR_ENTRIES_LBA = 72;
/** Header offset: le32 number of entries. */
export const GPT_HDR_ENTRY_COUNT = 80;
/** Header offset: le32 size of one entry. */
export const GPT_HDR_ENTRY_SIZE = 84;
/** Header offset: le32 CRC32 of the entry array. */
export const GPT_HDR_ENTRIES_CRC = 88;

/** Size of one entry as every tool writes it (and the only size Linux accepts). */
export const GPT_ENTRY_SIZE = 128;
/** Entries tools reserve room for. */
export const GPT_DEFAULT_ENTRY_COUNT = 128;
/** Minimum bytes the entry array must span (UEFI §5.3.2). */
export const GPT_MIN_ENTRY_ARRAY_BYTES = 16384;
/** Largest entry array a parser reads (a corrupt count must not make it read the whole disk). */
export const GPT_MAX_ENTRY_ARRAY_BYTES = 1024 * 1024;

/** Entry offset: partition type GUID. */
export const GPT_ENT_TYPE = 0;
/** Entry offset: unique partition GUID. */
export const GPT_ENT_GUID = 16;
/** Entry offset: le64 first LBA. */
export const GPT_ENT_FIRST_LBA = 32;
/** Entry offset: le64 last LBA (inclusive). */
export const GPT_ENT_LAST_LBA = 40;
/** Entry offset: le64 attribute flags. */
export const GPT_ENT_ATTRIBUTES = 48;
/** Entry offset: name, UTF-16LE. */
export const GPT_ENT_NAME = 56;
/** Name length in UTF-16 code units. */
export const GPT_NAME_UNITS = 36;

/** Type GUID of an unused entry. */
export const GPT_TYPE_UNUSED = '00000000-0000-0000-0000-000000000000';
/** Type GUID: EFI system partition. */
export const GPT_TYPE_EFI_SYSTEM = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
/** Type GUID: BIOS boot partition (GRUB's core image). */
export const GPT_TYPE_BIOS_BOOT = '21686148-6449-6e6f-744e-656564454649';
/** Type GUID: Linux filesystem data. */
export const GPT_TYPE_LINUX_FS = '0fc63daf-8483-4772-8e79-3d69d8477de4';
/** Type GUID: Linux swap. */
export const GPT_TYPE_LINUX_SWAP = '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f';
/** Type GUID: Linux LVM. */
export const GPT_TYPE_LINUX_LVM = 'e6d6d379-f507-44c2-a23c-238f2a3df928';
/** Type GUID: Linux RAID. */
export const GPT_TYPE_LINUX_RAID = 'a19d880f-05fc-4d3b-a006-743f0f84911e';

/** Byte length of a GUID. */
export const GUID_SIZE = 16;

const GUID_RE = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

function hexBytes(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/** Encodes a textual GUID in GPT's mixed-endian layout (first three groups little-endian). */
export function guidToBytes(guid: string): Uint8Array {
  const m = GUID_RE.exec(guid);
  if (m === null) throw new RangeError(`not a GUID: ${guid}`);
  const [, a = '', b = '', c = '', d = '', e = ''] = m;
  return Uint8Array.from([...hexBytes(a).reverse(), ...hexBytes(b).reverse(), ...hexBytes(c).reverse(), ...hexBytes(d), ...hexBytes(e)]);
}

/** Decodes 16 mixed-endian bytes into the lower-case textual form Linux prints. */
export function guidFromBytes(b: Uint8Array): string {
  if (b.length < GUID_SIZE) throw new RangeError('GUID needs 16 bytes');
  const h = (from: number, to: number, reverse: boolean): string => {
    const part = [...b.subarray(from, to)];
    if (reverse) part.reverse();
    return part.map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}

/** True for a syntactically valid textual GUID. */
export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}
