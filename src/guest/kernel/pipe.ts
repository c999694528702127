/**
 * Anonymous pipes with Linux's behaviour: 64 KiB of buffer, writes of up to PIPE_BUF bytes
 * are atomic, a reader sees EOF once every writer has closed, and a writer with no reader
 * left gets EPIPE (the write syscall then raises SIGPIPE).
 */
import { Errno, WouldBlock } from './errno.js';
import { O_RDONLY, O_WRONLY, PIPE_BUF, PIPE_CAPACITY, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFIFO } from './constants.js';
import { WaitQueue, type PollTable } from './waitqueue.js';
import { OpenFile } from './vfs/file.js';
import type { AnonFs } from './vfs/anonfs.js';
import type { FileOps, FsCaller, Inode } from './vfs/types.js';

/** The shared state of one pipe. */
export class Pipe {
  /** Woken on every change either end may care about. */
  readonly wq: WaitQueue;
  private chunks: Uint8Array[] = [];
  private length = 0;
  /** Open read ends. */
  readers = 1;
  /** Open write ends. */
  writers = 1;

  constructor(
    /** The pipe's anonymous inode. */
    readonly inode: Inode,
  ) {
    this.wq = new WaitQueue(`pipe:[${inode.ino}]`);
  }

  /** Bytes buffered. */
  get buffered(): number {
    return this.length;
  }

  /** Free space. */
  get space(): number {
    return PIPE_CAPACITY - this.length;
  }

  /** Takes up to `count` bytes; empty at EOF; WouldBlock while empty with writers left. */
  take(count: number): Uint8Array {
    if (this.length === 0) {
      if (this.writers === 0) return new Uint8Array(0);
      throw new WouldBlock(this.wq);
    }
    const n = Math.min(count, this.length);
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0] as Uint8Array;
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.length -= n;
    this.wq.wakeAll();
    return out;
  }

  /** Appends as much of `data` as fits (all or nothing up to PIPE_BUF); EPIPE without readers. */
  put(data: Uint8Array): number {
    if (this.readers === 0) throw new Errno('EPIPE');
    if (data.length === 0) return 0;
    const free = this.space;
    if (free === 0 || (data.length <= PIPE_BUF && free < data.length)) throw new WouldBlock(this.wq);
    const n = Math.min(free, data.length);
    this.chunks.push(data.slice(0, n));
    this.length += n;
    this.wq.wakeAll();
    return n;
  }
}

const pipes = new WeakMap<OpenFile, Pipe>();

function pipeOf(file: OpenFile): Pipe {
  const p = pipes.get(file);
  if (p === undefined) throw new Errno('EBADF');
  return p;
}

const READ_END: FileOps = {
  stream: true,
  read: (file, count) => pipeOf(file).take(count),
  poll(file: OpenFile, pt: PollTable): number {
    const p = pipeOf(file);
    pt.wait(p.wq);
    return (p.buffered > 0 ? POLLIN | POLLRDNORM : 0) | (p.writers === 0 ? POLLHUP : 0);
  },
  release(file: OpenFile): void {
    const p = pipeOf(file);
    p.readers--;
    p.wq.wakeAll();
  },
};

const WRITE_END: FileOps = {
  stream: true,
  writeAll: true,
  write: (file, data) => pipeOf(file).put(data),
  poll(file: OpenFile, pt: PollTable): number {
    const p = pipeOf(file);
    pt.wait(p.wq);
    return (p.space >= PIPE_BUF ? POLLOUT | POLLWRNORM : 0) | (p.readers === 0 ? POLLERR : 0);
  },
  release(file: OpenFile): void {
    const p = pipeOf(file);
    p.writers--;
    p.wq.wakeAll();
  },
};

/** Creates a pipe: [read end, write end], each with one reference. */
export function createPipe(pipefs: AnonFs, caller: FsCaller, extraFlags = 0): [OpenFile, OpenFile] {
  const inode = pipefs.newInode(S_IFIFO | 0o600, caller.cred.euid, caller.cred.egid);
  const pipe = new Pipe(inode);
  const name = `pipe:[${inode.ino}]`;
  const r = new OpenFile(inode, undefined, name, O_RDONLY | extraFlags, READ_END, caller);
  const w = new OpenFile(inode, undefined, name, O_WRONLY | extraFlags, WRITE_END, caller);
  pipes.set(r, pipe);
  pipes.set(w, pipe);
  return [r, w];
}

/** The pipe behind an open pipe end, if it is one. */
export function pipeOfFile(file: OpenFile): Pipe | undefined {
  return pipes.get(file);
}
