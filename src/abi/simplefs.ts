/**
 * The on-disk format of the simulator's disk filesystem, which the guest reports as ext4
 * or xfs. The host-side mkfs (machine builder) and the guest driver and mkfs programs all
 * read and write it through this one module.
 *
 * Layout, in 4 KiB blocks from the start of the partition:
 *   0                      superblock (first SFS_SUPERBLOCK_SIZE bytes, CRC-protected)
 *   blockBitmapStart       one bit per block, set = in use (metadata blocks included)
 *   inodeBitmapStart       one bit per inode slot, set = in use
 *   inodeTableStart        SFS_INODE_SIZE-byte inodes, slot i has inode number inoBase + i
 *   firstDataBlock ...     directory, symlink, indirect and file data blocks
 *
 * An inode maps file blocks through 12 direct pointers, one single-indirect and one
 * double-indirect block of u32 pointers (0 = hole). Directories are files of
 * SFS_BLOCK_SIZE records: u32 ino, u16 record length, u8 name length, u8 DT_* type, name,
 * padded to 4 bytes; a record never crosses a block and ino 0 marks a free record. "." and
 * ".." are stored. Symlink targets are the link's file data. All integers little-endian.
 */
import { crc32 } from '../core/crc32.js';

/** Filesystem block size in bytes. */
export const SFS_BLOCK_SIZE = 4096;
/** 512-byte sectors per block. */
export const SFS_SECTORS_PER_BLOCK = 8;
/** Our own superblock magic ("SFS1" read as a little-endian u32 spells "1SFS"). */
export const SFS_MAGIC = 0x53465331;
/** Format version this code reads and writes. */
export const SFS_VERSION = 1;
/** Bytes of the superblock record inside block 0 (the last four are its CRC-32). */
export const SFS_SUPERBLOCK_SIZE = 256;
/** Bytes per inode. */
export const SFS_INODE_SIZE = 128;
/** Inodes per inode-table block. */
export const SFS_INODES_PER_BLOCK = SFS_BLOCK_SIZE / SFS_INODE_SIZE;
/** Direct block pointers per inode. */
export const SFS_DIRECT_BLOCKS = 12;
/** Block pointers per indirect block. */
export const SFS_PTRS_PER_BLOCK = SFS_BLOCK_SIZE / 4;
/** Largest file, in blocks: direct + single-indirect + double-indirect reach. */
export const SFS_MAX_FILE_BLOCKS = SFS_DIRECT_BLOCKS + SFS_PTRS_PER_BLOCK + SFS_PTRS_PER_BLOCK * SFS_PTRS_PER_BLOCK;
/** Largest file size in bytes. */
export const SFS_MAX_FILE_SIZE = SFS_MAX_FILE_BLOCKS * SFS_BLOCK_SIZE;
/** Bits of bitmap per bitmap block. */
export const SFS_BITS_PER_BLOCK = SFS_BLOCK_SIZE * 8;
/** Longest directory entry name. */
export const SFS_NAME_MAX = 255;
/** Longest symlink target (PATH_MAX less its NUL, as Linux allows). */
export const SFS_SYMLINK_MAX = 4095;
/** Fixed part of a directory record before the name. */
export const SFS_DIRENT_HEADER = 8;
/** Smallest filesystem mkfs accepts, in blocks (room for metadata and a few files). */
export const SFS_MIN_BLOCKS = 64;
/** Largest filesystem, in blocks (u32 block pointers; keeps bitmaps a sane size): 16 TiB. */
export const SFS_MAX_BLOCKS = 0xffff_fff0;

/** statfs f_type ext4 reports. */
export const EXT4_SUPER_MAGIC = 0xef53;
/** statfs f_type xfs reports. */
export const XFS_SUPER_MAGIC = 0x58465342;

/** Which Linux filesystem a volume presents itself as. */
export type SfsFlavor = 'ext4' | 'xfs';

/** Per-flavour facts: statfs magic, inode numbering, label limit, reserved space. */
export interface SfsFlavorInfo {
  /** statfs f_type. */
  readonly magic: number;
  /** Inode number of table slot 0. */
  readonly inoBase: number;
  /** Root directory inode number. */
  readonly rootIno: number;
  /** Table slots mkfs marks in use besides the root (ext4's reserved inodes 1..10). */
  readonly reservedSlots: number;
  /** Longest label in bytes (e2label 16, xfs_admin 12). */
  readonly labelMax: number;
  /** Default percentage of blocks reserved for root (mke2fs -m 5; xfs none). */
  readonly reservedPercent: number;
  /** Bytes of filesystem per inode slot mkfs provides. */
  readonly bytesPerInode: number;
  /** Whether mkfs creates /lost+found. */
  readonly lostFound: boolean;
}

/** Facts for each flavour. xfs numbers its root 128, as a default mkfs.xfs does. */
export const SFS_FLAVORS: Readonly<Record<SfsFlavor, SfsFlavorInfo>> = {
  ext4: { magic: EXT4_SUPER_MAGIC, inoBase: 1, rootIno: 2, reservedSlots: 10, labelMax: 16, reservedPercent: 5, bytesPerInode: 16384, lostFound: true },
  xfs: { magic: XFS_SUPER_MAGIC, inoBase: 128, rootIno: 128, reservedSlots: 0, labelMax: 12, reservedPercent: 0, bytesPerInode: 16384, lostFound: false },
};

/** True for a flavour name this format knows. */
export function isSfsFlavor(s: string): s is SfsFlavor {
  return s === 'ext4' || s === 'xfs';
}

/** The superblock's fields (the fixed layout it records included). */
export interface SfsSuperblock extends SfsLayout {
  /** Presented filesystem type. */
  flavor: SfsFlavor;
  /** Filesystem size in blocks. */
  blockCount: number;
  /** Inode table slots. */
  inodeCount: number;
  /** Free blocks. */
  freeBlocks: number;
  /** Free inode slots. */
  freeInodes: number;
  /** Blocks only root may allocate. */
  reservedBlocks: number;
  /** Inode number of slot 0. */
  inoBase: number;
  /** Root directory inode number. */
  rootIno: number;
  /** Times mounted. */
  mountCount: number;
  /** Creation time (seconds since the epoch). */
  createdSec: number;
  /** Last mount time. */
  mountedSec: number;
  /** Last superblock write. */
  writtenSec: number;
  /** 16-byte UUID. */
  uuid: Uint8Array;
  /** Volume label. */
  label: string;
}

/** One inode's fields. */
export interface SfsInodeRecord {
  /** Type and permission bits (0 = unused slot). */
  mode: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Hard links. */
  nlink: number;
  /** Size in bytes. */
  size: number;
  /** Access time seconds / nanoseconds. */
  atimeSec: number;
  /** Access time nanoseconds. */
  atimeNsec: number;
  /** Modification time seconds. */
  mtimeSec: number;
  /** Modification time nanoseconds. */
  mtimeNsec: number;
  /** Change time seconds. */
  ctimeSec: number;
  /** Change time nanoseconds. */
  ctimeNsec: number;
  /** Device number of a device node (encoded dev_t). */
  rdev: number;
  /** Blocks allocated to the inode (data and indirect). */
  blocks: number;
  /** 12 direct pointers, then single- and double-indirect. */
  ptrs: number[];
}

/** Pointer slots per inode: the direct ones plus single- and double-indirect. */
export const SFS_INODE_PTRS = SFS_DIRECT_BLOCKS + 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function setU64(v: DataView, off: number, n: number): void {
  v.setUint32(off, n >>> 0, true);
  v.setUint32(off + 4, Math.floor(n / 0x1_0000_0000) >>> 0, true);
}

function getU64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x1_0000_0000;
}

function putString(dst: Uint8Array, off: number, len: number, s: string): void {
  const b = encoder.encode(s).subarray(0, len);
  dst.fill(0, off, off + len);
  dst.set(b, off);
}

function getString(src: Uint8Array, off: number, len: number): string {
  const raw = src.subarray(off, off + len);
  const end = raw.indexOf(0);
  return decoder.decode(end < 0 ? raw : raw.subarray(0, end));
}

/** Writes a superblock into the first SFS_SUPERBLOCK_SIZE bytes of `block`, with its CRC. */
export function encodeSuperblock(sb: SfsSuperblock, block: Uint8Array): void {
  const v = new DataView(block.buffer, block.byteOffset, SFS_SUPERBLOCK_SIZE);
  block.fill(0, 0, SFS_SUPERBLOCK_SIZE);
  const u32 = [
    SFS_MAGIC, SFS_VERSION, SFS_FLAVORS[sb.flavor].magic, SFS_BLOCK_SIZE, sb.blockCount, sb.inodeCount, sb.freeBlocks, sb.freeInodes,
    sb.reservedBlocks, sb.blockBitmapStart, sb.blockBitmapBlocks, sb.inodeBitmapStart, sb.inodeBitmapBlocks, sb.inodeTableStart,
    sb.inodeTableBlocks, sb.firstDataBlock, sb.inoBase, sb.rootIno, sb.mountCount, SFS_INODE_SIZE,
  ];
  u32.forEach((n, i) => v.setUint32(i * 4, n >>> 0, true));
  setU64(v, 80, sb.createdSec);
  setU64(v, 88, sb.mountedSec);
  setU64(v, 96, sb.writtenSec);
  block.set(sb.uuid.subarray(0, 16), 104);
  putString(block, 120, 8, sb.flavor);
  putString(block, 128, 64, sb.label);
  v.setUint32(SFS_SUPERBLOCK_SIZE - 4, crc32(block.subarray(0, SFS_SUPERBLOCK_SIZE - 4)), true);
}

/** Why a superblock was refused. */
export type SuperblockProblem = 'magic' | 'checksum' | 'version' | 'geometry';

/** Reads a superblock from block 0, or says why it is not one we can mount. */
export function decodeSuperblock(block: Uint8Array): SfsSuperblock | SuperblockProblem {
  if (block.length < SFS_SUPERBLOCK_SIZE) return 'magic';
  const v = new DataView(block.buffer, block.byteOffset, SFS_SUPERBLOCK_SIZE);
  const u = (i: number): number => v.getUint32(i * 4, true);
  if (u(0) !== SFS_MAGIC) return 'magic';
  if (v.getUint32(SFS_SUPERBLOCK_SIZE - 4, true) !== crc32(block.subarray(0, SFS_SUPERBLOCK_SIZE - 4))) return 'checksum';
  if (u(1) !== SFS_VERSION || u(3) !== SFS_BLOCK_SIZE || u(19) !== SFS_INODE_SIZE) return 'version';
  const flavor = getString(block, 120, 8);
  if (!isSfsFlavor(flavor)) return 'version';
  const sb: SfsSuperblock = {
    flavor,
    blockCount: u(4),
    inodeCount: u(5),
    freeBlocks: u(6),
    freeInodes: u(7),
    reservedBlocks: u(8),
    blockBitmapStart: u(9),
    blockBitmapBlocks: u(10),
    inodeBitmapStart: u(11),
    inodeBitmapBlocks: u(12),
    inodeTableStart: u(13),
    inodeTableBlocks: u(14),
    firstDataBlock: u(15),
    inoBase: u(16),
    rootIno: u(17),
    mountCount: u(18),
    createdSec: getU64(v, 80),
    mountedSec: getU64(v, 88),
    writtenSec: getU64(v, 96),
    uuid: block.slice(104, 120),
    label: getString(block, 128, 64),
  };
  return geometryOk(sb) ? sb : 'geometry';
}

// A superblock whose regions overlap or overrun the filesystem would send the driver out
// of bounds; refuse it as Linux refuses a corrupt one.
function geometryOk(sb: SfsSuperblock): boolean {
  const l = computeLayout(sb.blockCount, sb.inodeCount);
  return (
    l !== undefined &&
    (Object.keys(l) as (keyof SfsLayout)[]).every((k) => sb[k] === l[k]) &&
    sb.freeBlocks <= sb.blockCount && sb.freeInodes <= sb.inodeCount &&
    sb.rootIno >= sb.inoBase && sb.rootIno - sb.inoBase < sb.inodeCount
  );
}

/** Where the fixed regions go for a filesystem of `blockCount` blocks and `inodeCount` inodes. */
export interface SfsLayout {
  /** First block bitmap block. */
  blockBitmapStart: number;
  /** Block bitmap blocks. */
  blockBitmapBlocks: number;
  /** First inode bitmap block. */
  inodeBitmapStart: number;
  /** Inode bitmap blocks. */
  inodeBitmapBlocks: number;
  /** First inode table block. */
  inodeTableStart: number;
  /** Inode table blocks. */
  inodeTableBlocks: number;
  /** First data block. */
  firstDataBlock: number;
}

/** The fixed layout, or undefined if the sizes cannot hold a filesystem. */
export function computeLayout(blockCount: number, inodeCount: number): SfsLayout | undefined {
  if (!Number.isInteger(blockCount) || blockCount < SFS_MIN_BLOCKS || blockCount > SFS_MAX_BLOCKS) return undefined;
  if (!Number.isInteger(inodeCount) || inodeCount < 16 || inodeCount > 0xffff_ffff) return undefined;
  const blockBitmapBlocks = Math.ceil(blockCount / SFS_BITS_PER_BLOCK);
  const inodeBitmapBlocks = Math.ceil(inodeCount / SFS_BITS_PER_BLOCK);
  const inodeTableBlocks = Math.ceil(inodeCount / SFS_INODES_PER_BLOCK);
  const blockBitmapStart = 1;
  const inodeBitmapStart = blockBitmapStart + blockBitmapBlocks;
  const inodeTableStart = inodeBitmapStart + inodeBitmapBlocks;
  const firstDataBlock = inodeTableStart + inodeTableBlocks;
  if (firstDataBlock + 8 > blockCount) return undefined;
  return { blockBitmapStart, blockBitmapBlocks, inodeBitmapStart, inodeBitmapBlocks, inodeTableStart, inodeTableBlocks, firstDataBlock };
}

/** Encodes an inode at `off` of an inode-table block. */
export function encodeInode(rec: SfsInodeRecord, block: Uint8Array, off: number): void {
  const v = new DataView(block.buffer, block.byteOffset + off, SFS_INODE_SIZE);
  block.fill(0, off, off + SFS_INODE_SIZE);
  v.setUint32(0, rec.mode >>> 0, true);
  v.setUint32(4, rec.uid >>> 0, true);
  v.setUint32(8, rec.gid >>> 0, true);
  v.setUint32(12, rec.nlink >>> 0, true);
  setU64(v, 16, rec.size);
  setU64(v, 24, Math.max(0, rec.atimeSec));
  v.setUint32(32, rec.atimeNsec >>> 0, true);
  setU64(v, 36, Math.max(0, rec.mtimeSec));
  v.setUint32(44, rec.mtimeNsec >>> 0, true);
  setU64(v, 48, Math.max(0, rec.ctimeSec));
  v.setUint32(56, rec.ctimeNsec >>> 0, true);
  v.setUint32(60, rec.rdev >>> 0, true);
  v.setUint32(64, rec.blocks >>> 0, true);
  for (let i = 0; i < SFS_INODE_PTRS; i++) v.setUint32(72 + i * 4, (rec.ptrs[i] ?? 0) >>> 0, true);
}

/** Decodes the inode at `off` of an inode-table block. */
export function decodeInode(block: Uint8Array, off: number): SfsInodeRecord {
  const v = new DataView(block.buffer, block.byteOffset + off, SFS_INODE_SIZE);
  const ptrs: number[] = [];
  for (let i = 0; i < SFS_INODE_PTRS; i++) ptrs.push(v.getUint32(72 + i * 4, true));
  return {
    mode: v.getUint32(0, true),
    uid: v.getUint32(4, true),
    gid: v.getUint32(8, true),
    nlink: v.getUint32(12, true),
    size: getU64(v, 16),
    atimeSec: getU64(v, 24),
    atimeNsec: v.getUint32(32, true) % 1_000_000_000,
    mtimeSec: getU64(v, 36),
    mtimeNsec: v.getUint32(44, true) % 1_000_000_000,
    ctimeSec: getU64(v, 48),
    ctimeNsec: v.getUint32(56, true) % 1_000_000_000,
    rdev: v.getUint32(60, true),
    blocks: v.getUint32(64, true),
    ptrs,
  };
}

/** One directory record as stored. */
export interface SfsDirent {
  /** Inode number. */
  ino: number;
  /** DT_* type. */
  type: number;
  /** Name ("." and ".." included). */
  name: string;
}

function recordLength(nameBytes: number): number {
  return (SFS_DIRENT_HEADER + nameBytes + 3) & ~3;
}

/** Packs directory records into whole blocks (a record never crosses a block). */
export function encodeDirectory(entries: readonly SfsDirent[]): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let cur = new Uint8Array(SFS_BLOCK_SIZE);
  let off = 0;
  let lastOff = -1;
  const finish = (): void => {
    // The last record of a block owns the rest of it, as ext2 does.
    if (lastOff >= 0) new DataView(cur.buffer).setUint16(lastOff + 4, SFS_BLOCK_SIZE - lastOff, true);
    blocks.push(cur);
  };
  for (const e of entries) {
    const name = encoder.encode(e.name);
    const len = recordLength(name.length);
    if (off + len > SFS_BLOCK_SIZE) {
      finish();
      cur = new Uint8Array(SFS_BLOCK_SIZE);
      off = 0;
      lastOff = -1;
    }
    const v = new DataView(cur.buffer);
    v.setUint32(off, e.ino >>> 0, true);
    v.setUint16(off + 4, len, true);
    cur[off + 6] = name.length;
    cur[off + 7] = e.type & 0xff;
    cur.set(name, off + SFS_DIRENT_HEADER);
    lastOff = off;
    off += len;
  }
  if (off > 0 || blocks.length === 0) finish();
  return blocks;
}

/** Reads the records of one directory block; undefined if the block is malformed. */
export function decodeDirectoryBlock(block: Uint8Array): SfsDirent[] | undefined {
  const out: SfsDirent[] = [];
  const v = new DataView(block.buffer, block.byteOffset, block.length);
  let off = 0;
  while (off < block.length) {
    if (off + SFS_DIRENT_HEADER > block.length) return undefined;
    const ino = v.getUint32(off, true);
    const len = v.getUint16(off + 4, true);
    const nameLen = block[off + 6] as number;
    if (len < SFS_DIRENT_HEADER || len % 4 !== 0 || off + len > block.length || SFS_DIRENT_HEADER + nameLen > len) return undefined;
    if (ino !== 0) {
      if (nameLen === 0) return undefined;
      out.push({ ino, type: block[off + 7] as number, name: decoder.decode(block.subarray(off + SFS_DIRENT_HEADER, off + SFS_DIRENT_HEADER + nameLen)) });
    }
    off += len;
  }
  return out;
}

/** Formats a 16-byte UUID as blkid prints it. */
export function formatUuid(u: Uint8Array): string {
  const h = [...u.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any case); undefined if malformed. */
export function parseUuid(s: string): Uint8Array | undefined {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
