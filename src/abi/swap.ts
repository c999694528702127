/**
 * The Linux swap area header (version 1, "SWAPSPACE2"), shared by the host mkswap, the
 * guest mkswap program and the kernel's swapon: the first page of the area holds 1 KiB of
 * boot-sector room, then the info block, and ends with the magic.
 */
import { isGuid } from './partition.js';

/** Page size the header is laid out for (x86_64). */
export const SWAP_PAGE_SIZE = 4096;
/** The version-1 magic. */
export const SWAP_MAGIC = 'SWAPSPACE2';
/** The obsolete version-0 magic (refused by swapon). */
export const SWAP_MAGIC_V0 = 'SWAP-SPACE';
/** Offset of the magic: the last ten bytes of the first page. */
export const SWAP_MAGIC_OFFSET = SWAP_PAGE_SIZE - SWAP_MAGIC.length;
/** Header version written and accepted. */
export const SWAP_VERSION = 1;
/** Offset of le32 version (after the 1 KiB boot-bits area). */
export const SWAP_OFF_VERSION = 1024;
/** Offset of le32 last_page: index of the last usable page. */
export const SWAP_OFF_LAST_PAGE = 1028;
/** Offset of le32 nr_badpages. */
export const SWAP_OFF_NR_BADPAGES = 1032;
/** Offset of the 16-byte UUID. */
export const SWAP_OFF_UUID = 1036;
/** Offset of the 16-byte volume label. */
export const SWAP_OFF_LABEL = 1052;
/** Label length. */
export const SWAP_LABEL_SIZE = 16;
/** Offset of the bad-page list (le32 each). */
export const SWAP_OFF_BADPAGES = 1536;
/** Bad pages the first page has room for. */
export const SWAP_MAX_BADPAGES = (SWAP_MAGIC_OFFSET - SWAP_OFF_BADPAGES) / 4;
/** Smallest area mkswap accepts: ten pages. */
export const SWAP_MIN_PAGES = 10;

/** A decoded swap header. */
export interface SwapHeader {
  /** Header version. */
  version: number;
  /** Last usable page index. */
  lastPage: number;
  /** Number of bad pages listed. */
  nrBadPages: number;
  /** UUID in the textual form (byte order as written, RFC 4122 text). */
  uuid: string;
  /** Volume label ("" when none). */
  label: string;
}

// The swap UUID is stored as plain bytes in text order, unlike GPT's mixed-endian GUIDs.
function uuidBytes(uuid: string): Uint8Array {
  if (!isGuid(uuid)) throw new RangeError(`not a UUID: ${uuid}`);
  const hex = uuid.replace(/-/g, '');
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

function uuidText(b: Uint8Array): string {
  const hex = [...b.subarray(0, 16)].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Builds the first page of a swap area of `pages` pages (the area's size, header included). */
export function encodeSwapHeader(pages: number, uuid: string, label = ''): Uint8Array {
  if (!Number.isInteger(pages) || pages < SWAP_MIN_PAGES || pages > 0xffff_ffff) throw new RangeError(`swap area of ${pages} pages`);
  const page = new Uint8Array(SWAP_PAGE_SIZE);
  const dv = new DataView(page.buffer);
  dv.setUint32(SWAP_OFF_VERSION, SWAP_VERSION, true);
  dv.setUint32(SWAP_OFF_LAST_PAGE, pages - 1, true);
  dv.setUint32(SWAP_OFF_NR_BADPAGES, 0, true);
  page.set(uuidBytes(uuid), SWAP_OFF_UUID);
  page.set(new TextEncoder().encode(label).subarray(0, SWAP_LABEL_SIZE - 1), SWAP_OFF_LABEL);
  page.set(new TextEncoder().encode(SWAP_MAGIC), SWAP_MAGIC_OFFSET);
  return page;
}

/** The magic found at the end of a first page: 'v1', 'v0' or undefined. */
export function swapMagic(page: Uint8Array): 'v1' | 'v0' | undefined {
  if (page.length < SWAP_PAGE_SIZE) return undefined;
  const m = String.fromCharCode(...page.subarray(SWAP_MAGIC_OFFSET, SWAP_PAGE_SIZE));
  return m === SWAP_MAGIC ? 'v1' : m === SWAP_MAGIC_V0 ? 'v0' : undefined;
}

/** Decodes the info block of a first page carrying the version-1 magic; undefined otherwise. */
export function decodeSwapHeader(page: Uint8Array): SwapHeader | undefined {
  if (swapMagic(page) !== 'v1') return undefined;
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const rawLabel = page.subarray(SWAP_OFF_LABEL, SWAP_OFF_LABEL + SWAP_LABEL_SIZE);
  const end = rawLabel.indexOf(0);
  return {
    version: dv.getUint32(SWAP_OFF_VERSION, true),
    lastPage: dv.getUint32(SWAP_OFF_LAST_PAGE, true),
    nrBadPages: dv.getUint32(SWAP_OFF_NR_BADPAGES, true),
    uuid: uuidText(page.subarray(SWAP_OFF_UUID, SWAP_OFF_UUID + 16)),
    label: new TextDecoder().decode(end < 0 ? rawLabel : rawLabel.subarray(0, end)),
  };
}
