/**
 * A filesystem that is never mounted, for inodes that exist without a name: pipes now,
 * eventfds and the like later. It gives them an st_dev and inode numbers, as pipefs does.
 */
import { Errno } from '../errno.js';
import { S_IALLUGO, S_IFDIR } from '../constants.js';
import type { Timespec } from '../time.js';
import type { FileSystem, Inode, SetAttr } from './types.js';

class AnonInode implements Inode {
  nlink = 1;
  size = 0;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;

  constructor(
    readonly fs: AnonFs,
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
  ) {
    const t = fs.now();
    this.atime = t;
    this.mtime = t;
    this.ctime = t;
  }

  setattr(attr: SetAttr): void {
    if (attr.size !== undefined) throw new Errno('EINVAL');
    if (attr.mode !== undefined) this.mode = (this.mode & ~S_IALLUGO) | (attr.mode & S_IALLUGO);
    if (attr.uid !== undefined) this.uid = attr.uid;
    if (attr.gid !== undefined) this.gid = attr.gid;
    this.ctime = this.fs.now();
  }
}

/** An unmounted filesystem handing out nameless inodes. */
export class AnonFs implements FileSystem {
  /** Root directory. */
  readonly root: Inode;
  private nextIno = 1;

  constructor(
    /** Type name ("pipefs"). */
    readonly type: string,
    /** Anonymous device number. */
    readonly dev: number,
    /** Wall clock for timestamps. */
    readonly now: () => Timespec,
  ) {
    this.root = new AnonInode(this, this.nextIno++, S_IFDIR | 0o500, 0, 0);
  }

  /** Mount source (never shown: the filesystem is not mounted). */
  get source(): string {
    return this.type;
  }

  /** A new nameless inode. */
  newInode(mode: number, uid: number, gid: number): Inode {
    return new AnonInode(this, this.nextIno++, mode, uid, gid);
  }
}
