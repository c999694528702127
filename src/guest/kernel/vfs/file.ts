/**
 * An open file description (Linux's struct file): what descriptors point at. Several
 * descriptors, in one process or across a spawn, may share one, and with it the position
 * and status flags.
 */
import { O_ACCMODE, O_ASYNC, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from '../constants.js';
import type { FileOps, FsCaller, Inode } from './types.js';
import type { Mount } from './mounts.js';

/** Who gets SIGIO for a file (F_SETOWN), with the means to signal it. */
export interface FileOwner {
  /** As F_GETOWN reports it: a pid, or minus a process group id. */
  readonly pid: number;
  /** Sends `sig` to the owner (quietly nothing if it is gone). */
  signal(sig: number): void;
}

/** One open file description. */
export class OpenFile {
  /** Current position (unused by streams). */
  pos = 0;
  /** Number of descriptors (and kernel holders) referring to it. */
  refs = 1;
  /** State a driver or filesystem keeps per open (its "private_data"). */
  driverData: unknown = undefined;
  /** The SIGIO recipient set by F_SETOWN (struct fown_struct). */
  owner: FileOwner | undefined = undefined;

  constructor(
    /** The inode opened (pipes have an anonymous one). */
    readonly inode: Inode,
    /** Mount it was reached through (undefined for pipes); pins the mount against umount. */
    readonly mount: Mount | undefined,
    /** Path it was opened by, or "pipe:[ino]": what /proc/<pid>/fd links will show. */
    readonly path: string,
    /** Access mode plus status flags (O_APPEND, O_NONBLOCK, ...). */
    public flags: number,
    /** Operations; a driver's open() may replace them. */
    public ops: FileOps,
    /** Who opened it. */
    readonly opener: FsCaller,
  ) {}

  /** Opened for reading. */
  get readable(): boolean {
    const a = this.flags & O_ACCMODE;
    return a === O_RDONLY || a === O_RDWR;
  }

  /** Opened for writing. */
  get writable(): boolean {
    const a = this.flags & O_ACCMODE;
    return a === O_WRONLY || a === O_RDWR;
  }

  /** O_NONBLOCK is set. */
  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }
}

/** Takes another reference to an open file (dup, spawn inheritance). */
export function fileGet(file: OpenFile): OpenFile {
  file.refs++;
  return file;
}

/** Drops a reference; the last one calls the release operation and unpins the mount. */
export function filePut(file: OpenFile): void {
  if (file.refs <= 0) throw new Error(`kernel: ${file.path} released twice`);
  if (--file.refs > 0) return;
  try {
    // As Linux's __fput: leave the driver's async list before release.
    if ((file.flags & O_ASYNC) !== 0) file.ops.fasync?.(file, false);
    file.ops.release?.(file);
  } finally {
    if (file.mount !== undefined) file.mount.refs--;
  }
}
