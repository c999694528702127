/**
 * One simplefs inode in memory: its fields (written through to the pinned inode-table
 * block on every change), and the Inode operations the VFS calls, which hand directory
 * work to dir.ts and file data to file.ts.
 */
import { SFS_INODE_PTRS, type SfsInodeRecord } from '../../../abi/simplefs.js';
import { Errno } from '../../kernel/errno.js';
import { S_IALLUGO, S_IFMT, S_ISLNK, S_ISREG } from '../../kernel/constants.js';
import type { Timespec } from '../../kernel/time.js';
import type { OpenFile } from '../../kernel/vfs/file.js';
import type { DirEntry, FileOps, FsCaller, Inode, SetAttr } from '../../kernel/vfs/types.js';
import { addNode, dirLink, dirLookup, dirReaddir, dirRename, dirRmdir, dirUnlink, type DirRecord } from './dir.js';
import { FILE_OPS, readSymlink, truncateTo } from './file.js';
import type { SimpleFs } from './fs.js';

/** A fresh inode record: one link, empty, every time set to `now`. */
export function newInodeRecord(mode: number, uid: number, gid: number, now: Timespec): SfsInodeRecord {
  return {
    mode, uid, gid, nlink: 1, size: 0,
    atimeSec: now.sec, atimeNsec: now.nsec, mtimeSec: now.sec, mtimeNsec: now.nsec, ctimeSec: now.sec, ctimeNsec: now.nsec,
    rdev: 0, blocks: 0, ptrs: new Array<number>(SFS_INODE_PTRS).fill(0),
  };
}

/** An inode of a mounted simplefs volume. */
export class SfInode implements Inode {
  /** Type and permission bits. */
  mode: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Hard links. */
  nlink: number;
  /** Size in bytes (directories: whole blocks). */
  size: number;
  /** Device number of a device node. */
  rdev: number;
  /** Last access. */
  atime: Timespec;
  /** Last modification. */
  mtime: Timespec;
  /** Last status change. */
  ctime: Timespec;
  /** Block pointers (12 direct, single-indirect, double-indirect). */
  ptrs: number[];
  /** Blocks allocated (data and indirect). */
  blockCount: number;
  /** Directory: entries by name, once read. */
  entries: Map<string, DirRecord> | undefined;
  /** Directory: the ".." inode number, once read. */
  parentIno: number;
  /** Symlink: the target, once read. */
  linkTarget: string | undefined;
  /** Open files on it (an unlinked inode is freed when the last one closes). */
  openCount = 0;
  /** Freed: its slot and blocks are gone. */
  dead = false;

  constructor(
    /** The volume. */
    readonly fs: SimpleFs,
    /** Inode number. */
    readonly ino: number,
    rec: SfsInodeRecord,
  ) {
    this.mode = rec.mode;
    this.uid = rec.uid;
    this.gid = rec.gid;
    this.nlink = rec.nlink;
    this.size = rec.size;
    this.rdev = rec.rdev;
    this.atime = { sec: rec.atimeSec, nsec: rec.atimeNsec };
    this.mtime = { sec: rec.mtimeSec, nsec: rec.mtimeNsec };
    this.ctime = { sec: rec.ctimeSec, nsec: rec.ctimeNsec };
    this.ptrs = [...rec.ptrs];
    this.blockCount = rec.blocks;
    this.parentIno = ino;
  }

  /** The on-disk form of the current fields. */
  record(): SfsInodeRecord {
    return {
      mode: this.mode, uid: this.uid, gid: this.gid, nlink: this.nlink, size: this.size,
      atimeSec: this.atime.sec, atimeNsec: this.atime.nsec, mtimeSec: this.mtime.sec, mtimeNsec: this.mtime.nsec,
      ctimeSec: this.ctime.sec, ctimeNsec: this.ctime.nsec, rdev: this.rdev, blocks: this.blockCount, ptrs: this.ptrs,
    };
  }

  /** Writes the fields to the inode table (dirtying its block). */
  save(): void {
    if (!this.dead) this.fs.writeInode(this);
  }

  /** Sets mtime and ctime to now. */
  touch(): void {
    const t = this.fs.now();
    this.mtime = t;
    this.ctime = t;
  }

  /** Child `name`, or undefined. */
  lookup(name: string): Inode | undefined {
    return dirLookup(this, name);
  }

  /** Entries without "." and "..". */
  readdir(): DirEntry[] {
    return dirReaddir(this);
  }

  /** Creates a regular file. */
  create(name: string, mode: number, caller: FsCaller): Inode {
    return addNode(this, name, (mode & S_IALLUGO) | 0o100000, caller, {});
  }

  /** Creates a directory. */
  mkdir(name: string, mode: number, caller: FsCaller): Inode {
    return addNode(this, name, (mode & S_IALLUGO) | 0o040000, caller, {});
  }

  /** Creates a device node, FIFO or socket. */
  mknod(name: string, mode: number, rdev: number, caller: FsCaller): Inode {
    return addNode(this, name, mode, caller, { rdev });
  }

  /** Creates a symlink. */
  symlink(name: string, target: string, caller: FsCaller): Inode {
    return addNode(this, name, 0o120777, caller, { target });
  }

  /** Adds a hard link to `target`. */
  link(name: string, target: Inode): void {
    dirLink(this, name, target);
  }

  /** Removes a non-directory entry. */
  unlink(name: string): void {
    dirUnlink(this, name);
  }

  /** Removes an empty subdirectory. */
  rmdir(name: string): void {
    dirRmdir(this, name);
  }

  /** Moves an entry, replacing what is at the destination. */
  rename(name: string, newDir: Inode, newName: string): void {
    dirRename(this, name, newDir, newName);
  }

  /** A symlink's target. */
  readlink(): string {
    if (!S_ISLNK(this.mode)) throw new Errno('EINVAL');
    return readSymlink(this);
  }

  /** chmod, chown, truncate, utimes. */
  setattr(attr: SetAttr): void {
    this.fs.writeBegin();
    if (attr.size !== undefined) {
      if (!S_ISREG(this.mode)) throw new Errno('EINVAL');
      truncateTo(this, attr.size);
    }
    if (attr.mode !== undefined) this.mode = (this.mode & S_IFMT) | (attr.mode & S_IALLUGO);
    if (attr.uid !== undefined) this.uid = attr.uid;
    if (attr.gid !== undefined) this.gid = attr.gid;
    if (attr.atime !== undefined) this.atime = attr.atime;
    if (attr.mtime !== undefined) this.mtime = attr.mtime;
    this.ctime = this.fs.now();
    this.save();
  }

  /** Opens a regular file. */
  open(_file: OpenFile): FileOps {
    this.openCount++;
    return FILE_OPS;
  }
}
