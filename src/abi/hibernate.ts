/**
 * The hibernation image on a swap area. Linux rewrites the tail of the swap header page
 * (struct swsusp_header): the "SWAPSPACE2" magic is saved as orig_sig and replaced by
 * "S1SUSPEND", and `image` names the sector where the image starts; a boot kernel told to
 * resume from that area finds the signature, puts the old one back at once, and loads the
 * image. qga-sim keeps the same header; the image itself is one page naming the parked
 * kernel (see src/guest/hibernate.ts for why it cannot hold the memory).
 */
import { SWAP_MAGIC_OFFSET, SWAP_PAGE_SIZE } from './swap.js';

/** The signature of a swap area holding an image. */
export const HIBERNATE_SIG = 'S1SUSPEND';
/** Bytes of each signature field (the magic is ten bytes; S1SUSPEND is NUL-padded). */
export const SWSUSP_SIG_SIZE = 10;
/** Offset of sig (where the swap magic lives). */
export const SWSUSP_OFF_SIG = SWAP_MAGIC_OFFSET;
/** Offset of orig_sig: the swap magic saved while the image is there. */
export const SWSUSP_OFF_ORIG_SIG = SWSUSP_OFF_SIG - SWSUSP_SIG_SIZE;
/** Offset of le32 flags for the boot kernel. */
export const SWSUSP_OFF_FLAGS = SWSUSP_OFF_ORIG_SIG - 4;
/** Offset of le64 image: first sector of the image. */
export const SWSUSP_OFF_IMAGE = SWSUSP_OFF_FLAGS - 8;
/** Offset of le32 crc32 of the image. */
export const SWSUSP_OFF_CRC32 = SWSUSP_OFF_IMAGE - 4;
/** Offset of le32 hardware signature (the FACS's, on ACPI systems). */
export const SWSUSP_OFF_HW_SIG = SWSUSP_OFF_CRC32 - 4;
/** swsusp flag: the image has a CRC32. */
export const SF_CRC32_MODE = 4;

/** Magic of qga-sim's image page. */
export const HIBERNATE_IMAGE_MAGIC = 'QSIMHIBR';
/** Layout version of the image page. */
export const HIBERNATE_IMAGE_VERSION = 1;
/** Longest parked-kernel id the image page holds. */
export const HIBERNATE_ID_MAX = 64;
/** Offset of le32 version in the image page. */
const IMG_OFF_VERSION = 8;
/** Offset of le32 id length. */
const IMG_OFF_ID_LEN = 12;
/** Offset of the id bytes. */
const IMG_OFF_ID = 16;
/** Offset of the le32 CRC-32 over everything before it. */
const IMG_OFF_CRC = SWAP_PAGE_SIZE - 4;

const enc = new TextEncoder();
const dec = new TextDecoder();

function sigAt(page: Uint8Array, off: number): string {
  const raw = page.subarray(off, off + SWSUSP_SIG_SIZE);
  const end = raw.indexOf(0);
  return dec.decode(end < 0 ? raw : raw.subarray(0, end));
}

/** The signature at the swap magic position ("SWAPSPACE2", "S1SUSPEND", ...). */
export function swapSignature(page: Uint8Array): string {
  return page.length >= SWAP_PAGE_SIZE ? sigAt(page, SWSUSP_OFF_SIG) : '';
}

/** The header page with the image signature written in (a copy; the swap fields are kept). */
export function markHibernated(header: Uint8Array, imageSector: number, crc: number): Uint8Array {
  const page = header.slice(0, SWAP_PAGE_SIZE);
  const dv = new DataView(page.buffer);
  page.copyWithin(SWSUSP_OFF_ORIG_SIG, SWSUSP_OFF_SIG, SWSUSP_OFF_SIG + SWSUSP_SIG_SIZE);
  page.fill(0, SWSUSP_OFF_SIG, SWSUSP_OFF_SIG + SWSUSP_SIG_SIZE);
  page.set(enc.encode(HIBERNATE_SIG), SWSUSP_OFF_SIG);
  dv.setUint32(SWSUSP_OFF_FLAGS, SF_CRC32_MODE, true);
  dv.setBigUint64(SWSUSP_OFF_IMAGE, BigInt(imageSector), true);
  dv.setUint32(SWSUSP_OFF_CRC32, crc >>> 0, true);
  return page;
}

/** What an image-signature header says. */
export interface SwsuspHeader {
  /** First sector of the image (relative to the swap area). */
  imageSector: number;
  /** CRC-32 of the image page. */
  crc: number;
  /** The header with the original signature back in place. */
  restored: Uint8Array;
}

/** Decodes a header page carrying the image signature; undefined for anything else. */
export function decodeSwsuspHeader(page: Uint8Array): SwsuspHeader | undefined {
  if (swapSignature(page) !== HIBERNATE_SIG) return undefined;
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const restored = page.slice(0, SWAP_PAGE_SIZE);
  restored.copyWithin(SWSUSP_OFF_SIG, SWSUSP_OFF_ORIG_SIG, SWSUSP_OFF_ORIG_SIG + SWSUSP_SIG_SIZE);
  const rdv = new DataView(restored.buffer);
  rdv.setUint32(SWSUSP_OFF_FLAGS, 0, true);
  rdv.setBigUint64(SWSUSP_OFF_IMAGE, 0n, true);
  rdv.setUint32(SWSUSP_OFF_CRC32, 0, true);
  restored.fill(0, SWSUSP_OFF_ORIG_SIG, SWSUSP_OFF_ORIG_SIG + SWSUSP_SIG_SIZE);
  return { imageSector: Number(dv.getBigUint64(SWSUSP_OFF_IMAGE, true)), crc: dv.getUint32(SWSUSP_OFF_CRC32, true), restored };
}

/** Builds the image page for parked kernel `id`. */
export function encodeImagePage(id: string, crc32: (b: Uint8Array) => number): Uint8Array {
  const idBytes = enc.encode(id);
  if (idBytes.length > HIBERNATE_ID_MAX) throw new RangeError(`image id longer than ${HIBERNATE_ID_MAX} bytes`);
  const page = new Uint8Array(SWAP_PAGE_SIZE);
  const dv = new DataView(page.buffer);
  page.set(enc.encode(HIBERNATE_IMAGE_MAGIC), 0);
  dv.setUint32(IMG_OFF_VERSION, HIBERNATE_IMAGE_VERSION, true);
  dv.setUint32(IMG_OFF_ID_LEN, idBytes.length, true);
  page.set(idBytes, IMG_OFF_ID);
  dv.setUint32(IMG_OFF_CRC, crc32(page.subarray(0, IMG_OFF_CRC)), true);
  return page;
}

/** The parked-kernel id in an image page, or an error text (bad magic, version, CRC). */
export function decodeImagePage(page: Uint8Array, crc32: (b: Uint8Array) => number): { id: string } | { error: string } {
  if (page.length < SWAP_PAGE_SIZE) return { error: 'short image page' };
  if (dec.decode(page.subarray(0, 8)) !== HIBERNATE_IMAGE_MAGIC) return { error: 'bad image magic' };
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (dv.getUint32(IMG_OFF_VERSION, true) !== HIBERNATE_IMAGE_VERSION) return { error: 'unsupported image version' };
  if (dv.getUint32(IMG_OFF_CRC, true) !== crc32(page.subarray(0, IMG_OFF_CRC))) return { error: 'image CRC mismatch' };
  const len = dv.getUint32(IMG_OFF_ID_LEN, true);
  if (len > HIBERNATE_ID_MAX) return { error: 'bad image id length' };
  return { id: dec.decode(page.subarray(IMG_OFF_ID, IMG_OFF_ID + len)) };
}
