/**
 * Building a fresh filesystem image in the simplefs format: superblock, bitmaps, the root
 * directory (plus ext4's lost+found) and an optional tree of preinstalled files. It only
 * computes blocks and hands them to a sink, so the host-side mkfs (writing a DiskImage)
 * and the guest's mkfs.ext4/mkfs.xfs (writing a block device file) share every byte.
 */
import {
  SFS_BITS_PER_BLOCK,
  SFS_BLOCK_SIZE,
  SFS_DIRECT_BLOCKS,
  SFS_FLAVORS,
  SFS_INODES_PER_BLOCK,
  SFS_INODE_SIZE,
  SFS_MAX_FILE_BLOCKS,
  SFS_NAME_MAX,
  SFS_PTRS_PER_BLOCK,
  SFS_SYMLINK_MAX,
  computeLayout,
  encodeDirectory,
  encodeInode,
  encodeSuperblock,
  type SfsDirent,
  type SfsFlavor,
  type SfsInodeRecord,
  type SfsSuperblock,
} from '../abi/simplefs.js';
import { Prng } from '../core/prng.js';

/** A preinstalled directory. */
export interface MkfsDir {
  /** Node kind. */
  kind: 'dir';
  /** Permission bits (default 0755). */
  mode?: number;
  /** Owner (default 0). */
  uid?: number;
  /** Group (default 0). */
  gid?: number;
  /** Children by name. */
  entries?: Readonly<Record<string, MkfsNode>>;
}

/** A preinstalled regular file. */
export interface MkfsFile {
  /** Node kind. */
  kind: 'file';
  /** Contents (strings are written as UTF-8). */
  data: string | Uint8Array;
  /** Permission bits (default 0644). */
  mode?: number;
  /** Owner (default 0). */
  uid?: number;
  /** Group (default 0). */
  gid?: number;
}

/** A preinstalled symlink. */
export interface MkfsSymlink {
  /** Node kind. */
  kind: 'symlink';
  /** Link target. */
  target: string;
  /** Owner (default 0). */
  uid?: number;
  /** Group (default 0). */
  gid?: number;
}

/** A preinstalled device node, FIFO or socket. */
export interface MkfsSpecial {
  /** Node kind. */
  kind: 'special';
  /** Full st_mode (type and permission bits). */
  mode: number;
  /** Encoded dev_t for device nodes. */
  rdev?: number;
  /** Owner (default 0). */
  uid?: number;
  /** Group (default 0). */
  gid?: number;
}

/** Anything mkfs can preinstall. */
export type MkfsNode = MkfsDir | MkfsFile | MkfsSymlink | MkfsSpecial;

/** How to format. */
export interface MkfsOptions {
  /** Filesystem type to present. */
  type: SfsFlavor;
  /** Volume label (truncated to the type's limit). */
  label?: string;
  /** Seed the UUID is derived from (same seed, same UUID). */
  uuidSeed?: string | number;
  /** Explicit 16-byte UUID (wins over the seed). */
  uuid?: Uint8Array;
  /** Files to preinstall under the root directory. */
  files?: Readonly<Record<string, MkfsNode>>;
  /** Inode slots (default: one per 16 KiB). */
  inodes?: number;
  /** Percentage of blocks reserved for root (default: ext4 5, xfs 0). */
  reservedPercent?: number;
  /** Creation time in seconds since the epoch, for the superblock and the inodes (default 0). */
  timeSec?: number;
  /** Root directory permission bits (default 0755). */
  rootMode?: number;
}

/** Where built blocks go. Blocks never written are left as they were. */
export interface BlockSink {
  /** Stores one SFS_BLOCK_SIZE block. */
  writeBlock(block: number, data: Uint8Array): void;
}

/** What was built. */
export interface MkfsResult {
  /** The superblock as written. */
  superblock: SfsSuperblock;
  /** Blocks handed to the sink. */
  blocksWritten: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFMT = 0o170000;

/** Why a format request cannot be met (the mkfs program prints it). */
export class MkfsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MkfsError';
  }
}

/** The UUID a seed gives (random-version layout, as mkfs prints). */
export function uuidFromSeed(seed: string | number): Uint8Array {
  const prng = new Prng(typeof seed === 'number' ? seed : `uuid:${seed}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) new DataView(out.buffer).setUint32(i, prng.nextU32(), true);
  out[6] = ((out[6] as number) & 0x0f) | 0x40;
  out[8] = ((out[8] as number) & 0x3f) | 0x80;
  return out;
}

interface PendingInode {
  slot: number;
  rec: SfsInodeRecord;
}

// Builds everything in memory with bump allocation: a fresh filesystem has no holes.
class Builder {
  readonly layout;
  readonly blockBits: Uint8Array;
  readonly inodeBits: Uint8Array;
  private nextBlock: number;
  private nextSlot = 0;
  readonly inodes: PendingInode[] = [];
  readonly dataBlocks = new Map<number, Uint8Array>();
  readonly info;

  constructor(
    readonly blockCount: number,
    readonly inodeCount: number,
    readonly opts: MkfsOptions,
  ) {
    const layout = computeLayout(blockCount, inodeCount);
    if (layout === undefined) throw new MkfsError(`device too small for a filesystem (${blockCount} blocks of ${SFS_BLOCK_SIZE} bytes)`);
    this.layout = layout;
    this.info = SFS_FLAVORS[opts.type];
    this.blockBits = new Uint8Array(layout.blockBitmapBlocks * SFS_BLOCK_SIZE);
    this.inodeBits = new Uint8Array(layout.inodeBitmapBlocks * SFS_BLOCK_SIZE);
    for (let b = 0; b < layout.firstDataBlock; b++) setBit(this.blockBits, b);
    // Bits past the end stand for blocks that do not exist: never free.
    for (let b = blockCount; b < layout.blockBitmapBlocks * SFS_BITS_PER_BLOCK; b++) setBit(this.blockBits, b);
    for (let s = inodeCount; s < layout.inodeBitmapBlocks * SFS_BITS_PER_BLOCK; s++) setBit(this.inodeBits, s);
    this.nextBlock = layout.firstDataBlock;
  }

  allocBlock(): number {
    if (this.nextBlock >= this.blockCount) throw new MkfsError('not enough space for the preinstalled files');
    const b = this.nextBlock++;
    setBit(this.blockBits, b);
    return b;
  }

  allocSlot(): number {
    if (this.nextSlot >= this.inodeCount) throw new MkfsError('not enough inodes for the preinstalled files');
    const s = this.nextSlot++;
    setBit(this.inodeBits, s);
    return s;
  }

  newInode(mode: number, uid: number, gid: number, slot = this.allocSlot()): PendingInode {
    const t = this.opts.timeSec ?? 0;
    const rec: SfsInodeRecord = {
      mode, uid, gid, nlink: 1, size: 0, atimeSec: t, atimeNsec: 0, mtimeSec: t, mtimeNsec: 0, ctimeSec: t, ctimeNsec: 0,
      rdev: 0, blocks: 0, ptrs: new Array<number>(SFS_DIRECT_BLOCKS + 2).fill(0),
    };
    const p = { slot, rec };
    this.inodes.push(p);
    return p;
  }

  ino(p: PendingInode): number {
    return this.info.inoBase + p.slot;
  }

  // Lays `data` out as the inode's blocks, with indirect blocks as needed.
  setData(p: PendingInode, data: Uint8Array): void {
    const n = Math.ceil(data.length / SFS_BLOCK_SIZE);
    if (n > SFS_MAX_FILE_BLOCKS) throw new MkfsError('preinstalled file too large');
    p.rec.size = data.length;
    let single: Uint32Array | undefined;
    let double: Uint32Array | undefined;
    const doubleChildren = new Map<number, Uint32Array>();
    for (let i = 0; i < n; i++) {
      const b = this.allocBlock();
      p.rec.blocks++;
      const chunk = new Uint8Array(SFS_BLOCK_SIZE);
      chunk.set(data.subarray(i * SFS_BLOCK_SIZE, (i + 1) * SFS_BLOCK_SIZE));
      this.dataBlocks.set(b, chunk);
      if (i < SFS_DIRECT_BLOCKS) {
        p.rec.ptrs[i] = b;
        continue;
      }
      const j = i - SFS_DIRECT_BLOCKS;
      if (j < SFS_PTRS_PER_BLOCK) {
        if (single === undefined) single = this.pointerBlock(p, SFS_DIRECT_BLOCKS);
        single[j] = b;
        continue;
      }
      const k = j - SFS_PTRS_PER_BLOCK;
      if (double === undefined) double = this.pointerBlock(p, SFS_DIRECT_BLOCKS + 1);
      const hi = Math.floor(k / SFS_PTRS_PER_BLOCK);
      let child = doubleChildren.get(hi);
      if (child === undefined) {
        const cb = this.allocBlock();
        p.rec.blocks++;
        const bytes = new Uint8Array(SFS_BLOCK_SIZE);
        this.dataBlocks.set(cb, bytes);
        child = new Uint32Array(bytes.buffer);
        double[hi] = cb;
        doubleChildren.set(hi, child);
      }
      child[k % SFS_PTRS_PER_BLOCK] = b;
    }
  }

  private pointerBlock(p: PendingInode, ptr: number): Uint32Array {
    const b = this.allocBlock();
    p.rec.blocks++;
    p.rec.ptrs[ptr] = b;
    const bytes = new Uint8Array(SFS_BLOCK_SIZE);
    this.dataBlocks.set(b, bytes);
    // Pointers are little-endian u32; Uint32Array is host order, which is little-endian on every platform Node runs on.
    return new Uint32Array(bytes.buffer);
  }
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
}

const encoder = new TextEncoder();

function dtype(mode: number): number {
  return ((mode & S_IFMT) >>> 12) & 0xf;
}

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || encoder.encode(name).length > SFS_NAME_MAX) {
    throw new MkfsError(`bad file name '${name}'`);
  }
}

// Creates a directory's children depth-first, then its own records.
function buildDir(b: Builder, dir: PendingInode, parentIno: number, entries: Readonly<Record<string, MkfsNode>>, extra: SfsDirent[]): void {
  const records: SfsDirent[] = [
    { ino: b.ino(dir), type: dtype(S_IFDIR), name: '.' },
    { ino: parentIno, type: dtype(S_IFDIR), name: '..' },
    ...extra,
  ];
  for (const name of Object.keys(entries).sort()) {
    checkName(name);
    const node = entries[name] as MkfsNode;
    const uid = node.uid ?? 0;
    const gid = node.gid ?? 0;
    let child: PendingInode;
    switch (node.kind) {
      case 'dir':
        child = b.newInode(S_IFDIR | ((node.mode ?? 0o755) & 0o7777), uid, gid);
        child.rec.nlink = 2;
        dir.rec.nlink++;
        buildDir(b, child, b.ino(dir), node.entries ?? {}, []);
        break;
      case 'file':
        child = b.newInode(S_IFREG | ((node.mode ?? 0o644) & 0o7777), uid, gid);
        b.setData(child, typeof node.data === 'string' ? encoder.encode(node.data) : node.data);
        break;
      case 'symlink': {
        const t = encoder.encode(node.target);
        if (t.length === 0 || t.length > SFS_SYMLINK_MAX) throw new MkfsError(`bad symlink target for '${name}'`);
        child = b.newInode(S_IFLNK | 0o777, uid, gid);
        b.setData(child, t);
        break;
      }
      case 'special': {
        const type = node.mode & S_IFMT;
        if (type === 0 || type === S_IFDIR || type === S_IFREG || type === S_IFLNK) throw new MkfsError(`bad special file mode for '${name}'`);
        child = b.newInode(node.mode, uid, gid);
        child.rec.rdev = node.rdev ?? 0;
        break;
      }
    }
    records.push({ ino: b.ino(child), type: dtype(child.rec.mode), name });
  }
  const blocks = encodeDirectory(records);
  const bytes = new Uint8Array(blocks.length * SFS_BLOCK_SIZE);
  blocks.forEach((blk, i) => bytes.set(blk, i * SFS_BLOCK_SIZE));
  b.setData(dir, bytes);
}

/** Formats a filesystem of `blockCount` blocks, handing every block it defines to `sink`. */
export function buildFilesystem(blockCount: number, opts: MkfsOptions, sink: BlockSink): MkfsResult {
  const info = SFS_FLAVORS[opts.type];
  const label = opts.label ?? '';
  if (encoder.encode(label).length > info.labelMax) throw new MkfsError(`label '${label}' is longer than ${info.labelMax} bytes`);
  const inodeCount = opts.inodes ?? Math.max(64, Math.min(0xffff_ff00, Math.floor((blockCount * SFS_BLOCK_SIZE) / info.bytesPerInode)));
  const b = new Builder(blockCount, inodeCount, opts);

  // ext4 keeps inodes 1..10 for itself (the root is 2); xfs starts with its root.
  const rootSlot = info.rootIno - info.inoBase;
  for (let s = Math.max(info.reservedSlots, rootSlot + 1); s > 0; s--) b.allocSlot();
  const root = b.newInode(S_IFDIR | ((opts.rootMode ?? 0o755) & 0o7777), 0, 0, rootSlot);
  root.rec.nlink = 2;
  const extra: SfsDirent[] = [];
  if (info.lostFound) {
    const lf = b.newInode(S_IFDIR | 0o700, 0, 0);
    lf.rec.nlink = 2;
    root.rec.nlink++;
    buildDir(b, lf, b.ino(root), {}, []);
    extra.push({ ino: b.ino(lf), type: dtype(S_IFDIR), name: 'lost+found' });
  }
  buildDir(b, root, b.ino(root), opts.files ?? {}, extra);

  const usedBlocks = countBits(b.blockBits, blockCount);
  const usedSlots = countBits(b.inodeBits, inodeCount);
  const reservedPercent = opts.reservedPercent ?? info.reservedPercent;
  const t = opts.timeSec ?? 0;
  const sb: SfsSuperblock = {
    flavor: opts.type,
    blockCount,
    inodeCount,
    freeBlocks: blockCount - usedBlocks,
    freeInodes: inodeCount - usedSlots,
    reservedBlocks: Math.floor((blockCount * Math.max(0, Math.min(50, reservedPercent))) / 100),
    ...b.layout,
    inoBase: info.inoBase,
    rootIno: info.rootIno,
    mountCount: 0,
    createdSec: t,
    mountedSec: 0,
    writtenSec: t,
    uuid: opts.uuid?.slice(0, 16) ?? uuidFromSeed(opts.uuidSeed ?? `${opts.type}:${label}:${blockCount}`),
    label,
  };

  let written = 0;
  const put = (block: number, data: Uint8Array): void => {
    sink.writeBlock(block, data);
    written++;
  };
  const sbBlock = new Uint8Array(SFS_BLOCK_SIZE);
  encodeSuperblock(sb, sbBlock);
  put(0, sbBlock);
  for (let i = 0; i < b.layout.blockBitmapBlocks; i++) put(b.layout.blockBitmapStart + i, b.blockBits.slice(i * SFS_BLOCK_SIZE, (i + 1) * SFS_BLOCK_SIZE));
  for (let i = 0; i < b.layout.inodeBitmapBlocks; i++) put(b.layout.inodeBitmapStart + i, b.inodeBits.slice(i * SFS_BLOCK_SIZE, (i + 1) * SFS_BLOCK_SIZE));
  // Only inode-table blocks holding live inodes are written: the bitmap says which slots are real.
  const tableBlocks = new Map<number, Uint8Array>();
  for (const p of b.inodes) {
    const tb = b.layout.inodeTableStart + Math.floor(p.slot / SFS_INODES_PER_BLOCK);
    let blk = tableBlocks.get(tb);
    if (blk === undefined) tableBlocks.set(tb, (blk = new Uint8Array(SFS_BLOCK_SIZE)));
    encodeInode(p.rec, blk, (p.slot % SFS_INODES_PER_BLOCK) * SFS_INODE_SIZE);
  }
  for (const [tb, blk] of [...tableBlocks].sort((x, y) => x[0] - y[0])) put(tb, blk);
  for (const [db, blk] of [...b.dataBlocks].sort((x, y) => x[0] - y[0])) put(db, blk);
  return { superblock: sb, blocksWritten: written };
}

function isBitSet(bits: Uint8Array, i: number): boolean {
  return (((bits[i >> 3] as number) >> (i & 7)) & 1) === 1;
}

function countBits(bits: Uint8Array, limit: number): number {
  let n = 0;
  for (let i = 0; i < limit; i++) if (isBitSet(bits, i)) n++;
  return n;
}
