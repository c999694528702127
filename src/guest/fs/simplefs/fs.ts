/**
 * A mounted simplefs volume (Linux's super_block for our ext4/xfs): the superblock and
 * allocation bitmaps, the inode cache, space accounting, write-back (periodic, sync,
 * umount), freeze/thaw, and the filesystem-wide ioctls.
 */
import { NS_PER_SEC, type SchedulerView, type TimerHandle } from '../../../core/scheduler.js';
import {
  SFS_BITS_PER_BLOCK,
  SFS_BLOCK_SIZE,
  SFS_FLAVORS,
  SFS_INODES_PER_BLOCK,
  SFS_INODE_SIZE,
  SFS_NAME_MAX,
  decodeInode,
  encodeInode,
  encodeSuperblock,
  type SfsFlavor,
  type SfsSuperblock,
} from '../../../abi/simplefs.js';
import { Errno, WouldBlock } from '../../kernel/errno.js';
import { FITRIM, S_ISDIR } from '../../kernel/constants.js';
import { isRoot, type Cred } from '../../kernel/cred.js';
import type { Timespec } from '../../kernel/time.js';
import { WaitQueue, wakeOnce } from '../../kernel/waitqueue.js';
import type { OpenFile } from '../../kernel/vfs/file.js';
import type { FileSystem, FsCaller, IoctlArg, StatFs } from '../../kernel/vfs/types.js';
import { DiskBitmap } from './bitmap.js';
import { BlockMap } from './blockmap.js';
import type { BlockDeviceLike } from './block-device.js';
import type { BufferCache } from './buffer-cache.js';
import { SfInode, newInodeRecord } from './inode.js';
import type { MountOptions } from './options.js';
import { fitrim } from './trim.js';

/** Delay between a buffer going dirty and its periodic write-back (the kernel's flusher wakes every 5 s). */
export const WRITEBACK_DELAY_NS = 5 * NS_PER_SEC;

/** Freeze state: writers run, writers wait while everything is written out, or writers wait until thaw. */
export type FreezeState = 'thawed' | 'freezing' | 'frozen';

/** What a mounted volume is built from. */
export interface SimpleFsParams {
  /** The type it was mounted as (always the superblock's flavour). */
  type: SfsFlavor;
  /** Mount source ("/dev/vda1"). */
  source: string;
  /** The block device. */
  device: BlockDeviceLike;
  /** Its buffer cache, with superblock, bitmaps and the root inode's table block cached. */
  cache: BufferCache;
  /** The superblock as read. */
  sb: SfsSuperblock;
  /** Scheduler for write-back and deferred work. */
  sched: SchedulerView;
  /** Wall clock for timestamps. */
  now: () => Timespec;
  /** Parsed filesystem-specific mount options. */
  options: MountOptions;
  /** Kernel log. */
  log: (msg: string) => void;
}

/** A mounted volume. */
export class SimpleFs implements FileSystem {
  /** Type name ("ext4", "xfs"). */
  readonly type: SfsFlavor;
  /** Mount source. */
  readonly source: string;
  /** st_dev: the block device's number. */
  readonly dev: number;
  /** Root directory. */
  readonly root: SfInode;
  /** The block device. */
  readonly device: BlockDeviceLike;
  /** Buffer cache. */
  readonly cache: BufferCache;
  /** Block mapping helper. */
  readonly map: BlockMap;
  /** In-memory superblock (counters are current; written back on sync). */
  readonly sb: SfsSuperblock;
  /** Block allocation bitmap. */
  readonly blockBitmap: DiskBitmap;
  /** Inode allocation bitmap. */
  readonly inodeBitmap: DiskBitmap;
  /** Writers sleep here while the volume is frozen. */
  readonly thawWait = new WaitQueue('sfs-thaw');
  /** Free blocks with a discard in flight: not handed out until it completes. */
  readonly busy = new Set<number>();
  /** ext4 remembers block groups trimmed since their last free (group → minimum length used). */
  readonly trimmedGroups = new Map<number, number>();
  /** Mount options. */
  readonly options: MountOptions;
  /** Wall clock. */
  readonly now: () => Timespec;
  /** Kernel log. */
  readonly log: (msg: string) => void;
  private readonly sched: SchedulerView;
  private readonly inodes = new Map<number, SfInode>();
  private freezeState: FreezeState = 'thawed';
  private sbDirty = false;
  private wbTimer: TimerHandle | undefined;
  private inWriteback = false;
  private blockCursor: number;
  private inodeCursor = 0;
  private released = false;

  constructor(p: SimpleFsParams) {
    this.type = p.type;
    this.source = p.source;
    this.device = p.device;
    this.dev = p.device.dev;
    this.cache = p.cache;
    this.sb = p.sb;
    this.sched = p.sched;
    this.now = p.now;
    this.options = p.options;
    this.log = p.log;
    this.map = new BlockMap(this.cache, this.sb.firstDataBlock);
    this.blockBitmap = new DiskBitmap(this.cache, this.sb.blockBitmapStart, this.sb.blockCount);
    this.inodeBitmap = new DiskBitmap(this.cache, this.sb.inodeBitmapStart, this.sb.inodeCount);
    this.blockCursor = this.sb.firstDataBlock;
    this.cache.pin(0);
    for (const b of [...this.blockBitmap.blocks(), ...this.inodeBitmap.blocks()]) this.cache.pin(b);
    this.cache.hooks = {
      onDirty: () => this.armWriteback(),
      onDiscardDone: (block, count) => {
        for (let i = 0; i < count; i++) this.busy.delete(block + i);
      },
    };
    const root = this.iget(this.sb.rootIno);
    if (!S_ISDIR(root.mode)) throw new Errno('EINVAL', 'root inode is not a directory');
    this.root = root;
    this.prefetchInodeSlot();
  }

  // Reads ahead the table block the next new inode will go in, so that creating a file
  // (even from kernel code that cannot wait) usually finds it cached.
  private prefetchInodeSlot(): void {
    if (this.sb.freeInodes === 0) return;
    const slot = this.inodeBitmap.findClear(this.inodeCursor);
    if (slot >= 0) this.cache.prefetch([this.tableBlock(slot)]);
  }

  /** Blocks of the fixed regions every mount needs cached: superblock, bitmaps, the root inode. */
  static bootBlocks(sb: SfsSuperblock): number[] {
    const out = [0];
    for (let i = 0; i < sb.blockBitmapBlocks; i++) out.push(sb.blockBitmapStart + i);
    for (let i = 0; i < sb.inodeBitmapBlocks; i++) out.push(sb.inodeBitmapStart + i);
    out.push(sb.inodeTableStart + Math.floor((sb.rootIno - sb.inoBase) / SFS_INODES_PER_BLOCK));
    return out;
  }

  // --- state checks ---------------------------------------------------------------

  /** Current freeze state. */
  get frozen(): FreezeState {
    return this.freezeState;
  }

  /** True when the device cannot be written. */
  get readOnly(): boolean {
    return this.device.readOnly === true;
  }

  /** Every change starts here: a frozen volume makes the writer wait (as sb_start_write does). */
  writeBegin(): void {
    if (this.readOnly) throw new Errno('EROFS');
    if (this.freezeState !== 'thawed') throw new WouldBlock(this.thawWait);
  }

  // --- inodes ---------------------------------------------------------------------

  private tableBlock(slot: number): number {
    return this.sb.inodeTableStart + Math.floor(slot / SFS_INODES_PER_BLOCK);
  }

  /** The inode numbered `ino`, reading its table block if needed (WouldBlock meanwhile). */
  iget(ino: number): SfInode {
    const cached = this.inodes.get(ino);
    if (cached !== undefined) return cached;
    const slot = ino - this.sb.inoBase;
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.sb.inodeCount || !this.inodeBitmap.test(slot)) {
      throw new Errno('EIO', `directory entry names free inode ${ino}`);
    }
    const tb = this.tableBlock(slot);
    const data = this.cache.get(tb);
    this.cache.pin(tb);
    const rec = decodeInode(data, (slot % SFS_INODES_PER_BLOCK) * SFS_INODE_SIZE);
    if (rec.mode === 0) throw new Errno('EIO', `inode ${ino} is in use but empty`);
    const inode = new SfInode(this, ino, rec);
    this.inodes.set(ino, inode);
    return inode;
  }

  /** Picks a free inode slot and makes sure its table block is cached (WouldBlock meanwhile); nothing is allocated yet. */
  reserveInodeSlot(): number {
    if (this.sb.freeInodes === 0) throw new Errno('ENOSPC');
    const slot = this.inodeBitmap.findClear(this.inodeCursor);
    if (slot < 0) throw new Errno('ENOSPC');
    this.cache.need([this.tableBlock(slot)]);
    return slot;
  }

  /** Allocates a slot picked by reserveInodeSlot() as a new inode. */
  createInode(slot: number, mode: number, uid: number, gid: number): SfInode {
    if (this.inodeBitmap.test(slot)) throw new Error('simplefs: inode slot taken between reserve and create');
    this.inodeBitmap.assign(slot, true);
    this.sb.freeInodes--;
    this.sbDirty = true;
    this.inodeCursor = slot + 1;
    this.cache.pin(this.tableBlock(slot));
    const inode = new SfInode(this, this.sb.inoBase + slot, newInodeRecord(mode, uid, gid, this.now()));
    this.inodes.set(inode.ino, inode);
    inode.save();
    this.prefetchInodeSlot();
    return inode;
  }

  /** Writes an inode's fields into its (pinned) table block. */
  writeInode(inode: SfInode): void {
    const slot = inode.ino - this.sb.inoBase;
    const tb = this.tableBlock(slot);
    const data = this.cache.peek(tb);
    if (data === undefined) throw new Error(`simplefs: inode table block ${tb} not cached`);
    encodeInode(inode.record(), data, (slot % SFS_INODES_PER_BLOCK) * SFS_INODE_SIZE);
    this.cache.markDirty(tb);
  }

  /** Frees an inode and all its blocks (its whole block map must have been prepared). */
  destroyInode(inode: SfInode): void {
    if (inode.dead) return;
    const span = Math.ceil(inode.size / SFS_BLOCK_SIZE);
    this.map.truncate(inode.ptrs, 0, span, (b) => this.freeBlock(b));
    inode.blockCount = 0;
    inode.dead = true;
    inode.nlink = 0;
    const slot = inode.ino - this.sb.inoBase;
    const mode = inode.mode;
    inode.mode = 0;
    this.writeInode(inode);
    inode.mode = mode;
    this.inodeBitmap.assign(slot, false);
    this.sb.freeInodes++;
    this.sbDirty = true;
    this.inodes.delete(inode.ino);
  }

  /**
   * An unlinked inode's last open file was closed: free it. Release must not block, so
   * when its indirect blocks are not cached (or the volume is frozen) this retries after
   * the next wake-up.
   */
  reap(inode: SfInode): void {
    if (inode.dead || inode.nlink > 0 || inode.openCount > 0 || this.released) return;
    try {
      this.writeBegin();
      this.map.prepare(inode.ptrs, 0, Math.ceil(inode.size / SFS_BLOCK_SIZE));
      this.destroyInode(inode);
    } catch (e) {
      if (!(e instanceof WouldBlock)) {
        this.log(`simplefs ${this.source}: cannot free orphan inode ${inode.ino}: ${String(e)}`);
        return;
      }
      wakeOnce(e.queues, () => void this.sched.after(0, 'simplefs reap', () => this.reap(inode)));
    }
  }

  // --- blocks ---------------------------------------------------------------------

  /** Blocks the caller may still allocate (root may dip into the reserve). */
  available(cred: Cred | undefined): number {
    const reserve = cred !== undefined && isRoot(cred) ? 0 : this.sb.reservedBlocks;
    return Math.max(0, this.sb.freeBlocks - this.busy.size - reserve);
  }

  /** ENOSPC unless `n` more blocks fit for this caller. */
  checkSpace(n: number, cred: Cred | undefined): void {
    if (n > this.available(cred)) throw new Errno('ENOSPC');
  }

  /** Allocates a block near `goal` (space must have been checked). */
  allocBlock(goal = this.blockCursor): number {
    const busy = this.busy;
    const b = this.blockBitmap.findClear(goal, busy.size === 0 ? undefined : (i) => !busy.has(i));
    if (b < 0 || this.sb.freeBlocks === 0) throw new Errno('ENOSPC');
    this.blockBitmap.assign(b, true);
    this.sb.freeBlocks--;
    this.sbDirty = true;
    this.blockCursor = b + 1;
    return b;
  }

  /** Returns a block to the free pool. */
  freeBlock(b: number): void {
    if (b < this.sb.firstDataBlock || b >= this.sb.blockCount) {
      this.log(`simplefs ${this.source}: refusing to free metadata or out-of-range block ${b}`);
      return;
    }
    if (!this.blockBitmap.test(b)) return;
    this.blockBitmap.assign(b, false);
    this.sb.freeBlocks++;
    this.sbDirty = true;
    this.cache.forget(b);
    this.trimmedGroups.delete(Math.floor(b / SFS_BITS_PER_BLOCK));
  }

  // --- write-back -----------------------------------------------------------------

  private commitSuper(): void {
    if (!this.sbDirty) return;
    const data = this.cache.peek(0);
    if (data === undefined) throw new Error('simplefs: superblock not cached');
    this.sbDirty = false;
    this.sb.writtenSec = this.now().sec;
    encodeSuperblock(this.sb, data);
    this.cache.markDirty(0);
  }

  /** Marks the superblock changed (mount count, times). */
  touchSuper(): void {
    this.sbDirty = true;
    this.armWriteback();
  }

  private armWriteback(): void {
    if (this.inWriteback || this.released || this.wbTimer?.pending === true) return;
    this.wbTimer = this.sched.after(WRITEBACK_DELAY_NS, `simplefs ${this.source} writeback`, () => this.writebackNow());
  }

  /** What the periodic flusher does: send every dirty buffer to the device (no waiting, no cache flush). */
  writebackNow(): void {
    this.inWriteback = true;
    try {
      this.commitSuper();
      this.cache.writeback();
    } finally {
      this.inWriteback = false;
    }
  }

  /** sync(2), fsync(2), umount: everything written and the device cache flushed (WouldBlock until then). */
  sync(): void {
    this.inWriteback = true;
    try {
      this.commitSuper();
    } finally {
      this.inWriteback = false;
    }
    this.cache.sync();
  }

  /** The last mount went away: hand the device back (claimed at mount). */
  unmounted(): void {
    if (this.released) return;
    this.released = true;
    this.wbTimer?.cancel();
    // Nobody can thaw it any more; waiting writers retry, and their paths no longer lead here.
    if (this.freezeState !== 'thawed') {
      this.freezeState = 'thawed';
      this.thawWait.wakeAll();
    }
    this.device.release?.(`${this.type}:${this.source}`);
  }

  /** True once unmounted for good. */
  get isReleased(): boolean {
    return this.released;
  }

  // --- freeze, statfs, ioctl ------------------------------------------------------

  /** FIFREEZE: new writers wait, everything is written back, then the volume stays frozen until thaw. */
  freeze(): void {
    if (this.freezeState === 'frozen') throw new Errno('EBUSY');
    // A freeze whose caller was interrupted mid-sync is finished by the next FIFREEZE.
    this.freezeState = 'freezing';
    try {
      this.sync();
    } catch (e) {
      if (!(e instanceof WouldBlock)) {
        this.freezeState = 'thawed';
        this.thawWait.wakeAll();
      }
      throw e;
    }
    this.freezeState = 'frozen';
    this.log(`${this.type} ${this.source}: frozen`);
  }

  /** FITHAW: writers resume; EINVAL unless frozen. */
  thaw(): void {
    if (this.freezeState !== 'frozen') throw new Errno('EINVAL');
    this.freezeState = 'thawed';
    this.log(`${this.type} ${this.source}: thawed`);
    this.thawWait.wakeAll();
  }

  /** Filesystem ioctls reached from any of its open files: FITRIM. */
  ioctl(_file: OpenFile, request: number, arg: IoctlArg, caller: FsCaller): number {
    if (request === FITRIM) return fitrim(this, arg, caller);
    throw new Errno('ENOTTY');
  }

  /** Commits the superblock and waits for everything to reach the device (used before trimming). */
  syncForTrim(): void {
    this.sync();
  }

  /** statfs(2) figures. */
  statfs(): StatFs {
    const sb = this.sb;
    // Blocks waiting for their discard to finish are free all the same.
    const free = sb.freeBlocks;
    return {
      type: SFS_FLAVORS[this.type].magic,
      bsize: SFS_BLOCK_SIZE,
      // Like ext4's default (minixdf off), the fixed metadata is not counted as size.
      blocks: sb.blockCount - sb.firstDataBlock,
      bfree: free,
      bavail: Math.max(0, free - sb.reservedBlocks),
      files: sb.inodeCount,
      ffree: sb.freeInodes,
      namelen: SFS_NAME_MAX,
      frsize: SFS_BLOCK_SIZE,
      flags: 0,
    };
  }

  /** mountinfo super options, as ext4 and xfs print them. */
  superOptions(): string {
    return this.options.superOptions();
  }
}
