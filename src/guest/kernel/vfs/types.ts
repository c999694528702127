/**
 * The contracts between the VFS and the things that plug into it: filesystems (tmpfs now;
 * disk-backed, proc and sys later), their inodes, and the operations of an open file
 * (regular files, device drivers, pipes).
 *
 * Operations are synchronous. One that must wait (no data yet, a disk read in flight)
 * throws `WouldBlock`; the kernel sleeps the caller and calls it again from scratch, so
 * it must throw before changing anything visible. Permission checks, O_NONBLOCK and file
 * positions are the VFS's business, never an operation's.
 */
import type { Cred } from '../cred.js';
import type { Timespec } from '../time.js';
import type { PollTable } from '../waitqueue.js';
import type { OpenFile } from './file.js';

/** Who is calling: operations whose answer depends on it (procfs's "self") look here. */
export interface FsCaller {
  /** Calling process id (0 for the kernel itself). */
  pid: number;
  /** Its credentials. */
  cred: Cred;
}

/** One directory entry, as readdir()/getdents report it. */
export interface DirEntry {
  /** Entry name (never "." or ".."). */
  name: string;
  /** Inode number. */
  ino: number;
  /** DT_* type. */
  type: number;
}

/** Attribute changes passed to Inode.setattr (the VFS has already checked permission). */
export interface SetAttr {
  /** New permission bits (07777; the type bits are kept). */
  mode?: number;
  /** New owner. */
  uid?: number;
  /** New group. */
  gid?: number;
  /** New size (truncate/extend a regular file). */
  size?: number;
  /** New access time. */
  atime?: Timespec;
  /** New modification time. */
  mtime?: Timespec;
}

/** What stat() returns. */
export interface Stat {
  /** Device of the filesystem (encoded dev_t). */
  dev: number;
  /** Inode number. */
  ino: number;
  /** Type and permission bits. */
  mode: number;
  /** Link count. */
  nlink: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Device number for device nodes. */
  rdev: number;
  /** Size in bytes. */
  size: number;
  /** Preferred I/O size. */
  blksize: number;
  /** 512-byte blocks allocated. */
  blocks: number;
  /** Last access. */
  atime: Timespec;
  /** Last modification. */
  mtime: Timespec;
  /** Last status change. */
  ctime: Timespec;
}

/** What statfs() returns (struct statfs). */
export interface StatFs {
  /** Filesystem magic number (TMPFS_MAGIC, EXT4_SUPER_MAGIC, ...). */
  type: number;
  /** Block size. */
  bsize: number;
  /** Total blocks. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks for unprivileged users. */
  bavail: number;
  /** Total inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
  /** Longest name. */
  namelen: number;
  /** Fragment size. */
  frsize: number;
  /** ST_* mount flags. */
  flags: number;
}

/** The argument of ioctl(): a number, or a buffer/object the driver reads and fills in. */
export type IoctlArg = number | bigint | Uint8Array | Record<string, unknown> | undefined;

/** Operations of an open file (struct file_operations). Missing ones get Linux's defaults. */
export interface FileOps {
  /** Up to `count` bytes at `pos`; empty means end of file. Missing: EINVAL. */
  read?(file: OpenFile, count: number, pos: number): Uint8Array;
  /** Writes `data` at `pos`, returns bytes taken (> 0 unless data is empty). Missing: EINVAL. */
  write?(file: OpenFile, data: Uint8Array, pos: number): number;
  /** Current POLL* readiness; registers the queues readiness changes are announced on. Missing: always ready. */
  poll?(file: OpenFile, pt: PollTable): number;
  /** Device-specific control; returns ioctl()'s non-negative result. Missing: ENOTTY. */
  ioctl?(file: OpenFile, request: number, arg: IoctlArg): number;
  /** Computes a new position. Missing: generic (SEEK_END from the inode size), or ESPIPE for streams. */
  llseek?(file: OpenFile, offset: number, whence: number): number;
  /** Makes written data durable. Missing: succeeds. */
  fsync?(file: OpenFile): void;
  /** O_ASYNC turned on or off by F_SETFL (or off at the last close): join or leave the SIGIO list. */
  fasync?(file: OpenFile, on: boolean): void;
  /** Last reference closed; must not block. */
  release?(file: OpenFile): void;
  /** A stream has no position: lseek/pread/pwrite fail with ESPIPE. */
  readonly stream?: boolean;
  /** Blocking writes continue until all data is taken (pipes); otherwise a short write returns. */
  readonly writeAll?: boolean;
}

/** An inode. Directory, symlink and regular-file operations are present as the type needs. */
export interface Inode {
  /** The filesystem instance it belongs to. */
  readonly fs: FileSystem;
  /** Inode number, unique within the filesystem. */
  readonly ino: number;
  /** Type and permission bits. */
  mode: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Hard link count. */
  nlink: number;
  /** Size in bytes (symlinks: target length). */
  size: number;
  /** Device number of a device node, 0 otherwise. */
  rdev: number;
  /** Last access. */
  atime: Timespec;
  /** Last modification. */
  mtime: Timespec;
  /** Last status change. */
  ctime: Timespec;

  /** Directory: the child called `name` (never "." or ".."), or undefined. */
  lookup?(name: string, caller: FsCaller): Inode | undefined;
  /** Directory: its entries, excluding "." and "..". */
  readdir?(caller: FsCaller): DirEntry[];
  /** Directory: creates a regular file. */
  create?(name: string, mode: number, caller: FsCaller): Inode;
  /** Directory: creates a subdirectory. */
  mkdir?(name: string, mode: number, caller: FsCaller): Inode;
  /** Directory: creates a device node, FIFO or socket (mode carries the type). */
  mknod?(name: string, mode: number, rdev: number, caller: FsCaller): Inode;
  /** Directory: creates a symlink. */
  symlink?(name: string, target: string, caller: FsCaller): Inode;
  /** Directory: adds a hard link to `target` (same filesystem, not a directory). */
  link?(name: string, target: Inode): void;
  /** Directory: removes a non-directory entry. */
  unlink?(name: string): void;
  /** Directory: removes an empty subdirectory (ENOTEMPTY otherwise). */
  rmdir?(name: string): void;
  /** Directory: moves `name` to `newName` in `newDir` (same filesystem), replacing what is there. */
  rename?(name: string, newDir: Inode, newName: string): void;
  /** Symlink: its target. */
  readlink?(caller: FsCaller): string;
  /** Applies attribute changes. Missing: EPERM. */
  setattr?(attr: SetAttr): void;
  /** Regular file: the operations for a new open file (may keep state in file.driverData). */
  open?(file: OpenFile, caller: FsCaller): FileOps;
}

/** A mounted (or mountable) filesystem instance: Linux's super_block. */
export interface FileSystem {
  /** Type name as in /proc/mounts ("tmpfs", "devtmpfs", "ext4", "proc"). */
  readonly type: string;
  /** What was mounted ("tmpfs", "/dev/vda1"), as the mount table's source column. */
  readonly source: string;
  /** st_dev of its inodes (anonymous 0:N for virtual filesystems). */
  readonly dev: number;
  /** Root directory. */
  readonly root: Inode;
  /** True if the filesystem itself cannot be written (EROFS whatever the mount says). */
  readonly readOnly?: boolean;
  /** Options shown as mountinfo's super options ("rw,size=..."). */
  superOptions?(): string;
  /** Space and inode counts. */
  statfs?(): StatFs;
  /** Writes back everything dirty (sync, umount). */
  sync?(): void;
  /** FIFREEZE: writes everything back, then makes writers wait until thaw; EBUSY if already frozen. Missing: EOPNOTSUPP. */
  freeze?(): void;
  /** FITHAW: lets writers resume; EINVAL if not frozen. */
  thaw?(): void;
  /** Filesystem ioctls (FITRIM) for its regular files and directories; ENOTTY for unknown requests. */
  ioctl?(file: OpenFile, request: number, arg: IoctlArg, caller: FsCaller): number;
  /** Its last mount was detached (Linux's kill_sb): give back devices, stop timers. */
  unmounted?(): void;
}

/** Creates a filesystem for mount(2): source and data are mount's arguments. */
export type FileSystemFactory = (source: string, data: string, ctx: FsFactoryContext) => FileSystem;

/** What a filesystem factory gets from the kernel. */
export interface FsFactoryContext {
  /** Allocates an anonymous device number (0:N) for a virtual filesystem. */
  allocAnonDev(): number;
  /** Current wall-clock time for timestamps. */
  now(): Timespec;
}
