/**
 * The part of a stdio FILE that guest-file-* can observe. qemu-ga wraps each guest file
 * in fdopen(), so writes sit in a user-space buffer (st_blksize bytes) until a flush, a
 * seek, a read (qemu-ga flushes when switching to reading), a close, or the buffer
 * filling; reads loop until the count is met, end of file (sets the EOF flag) or an error
 * (sets the error flag, keeping errno). Reads are not buffered here: for what the agent
 * returns this is the same, since qemu-ga seeks before writing after reading.
 */
import { Buffer } from 'node:buffer';
import { Errno, SEEK_CUR, type Syscalls } from '../../guest/kernel/index.js';
import type { QgaCall } from './common.js';

/** stdio's buffer size when the file reports no st_blksize (glibc BUFSIZ). */
export const STDIO_BUFSIZ = 8192;

/** A FILE over one descriptor. */
export class StdioStream {
  /** feof(). */
  eof = false;
  /** ferror(), with the errno that set it. */
  error: Errno | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closed = false;

  constructor(
    private readonly sys: Syscalls,
    /** The descriptor. */
    readonly fd: number,
    private readonly readable: boolean,
    private readonly writable: boolean,
    private readonly bufSize: number,
  ) {}

  /** clearerr(). */
  clearerr(): void {
    this.eof = false;
    this.error = undefined;
  }

  /** fread(): up to `count` bytes; the flags say why it stopped short. */
  *read(count: number): QgaCall<Uint8Array> {
    if (count === 0) return new Uint8Array(0);
    if (this.closed || !this.readable) {
      this.error = new Errno('EBADF');
      return new Uint8Array(0);
    }
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < count) {
      let d: Uint8Array;
      try {
        d = yield* this.sys.read(this.fd, count - got);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        this.error = e;
        break;
      }
      if (d.length === 0) {
        this.eof = true;
        break;
      }
      parts.push(d);
      got += d.length;
    }
    return parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts));
  }

  /** fwrite(): buffers, writing out whole buffers as they fill; returns bytes taken. */
  *write(data: Uint8Array): QgaCall<number> {
    if (this.closed || !this.writable) {
      this.error = new Errno('EBADF');
      return 0;
    }
    if (this.pendingBytes + data.length < this.bufSize) {
      this.pending.push(data.slice());
      this.pendingBytes += data.length;
      return data.length;
    }
    const before = this.pendingBytes;
    const all = new Uint8Array(Buffer.concat([...this.pending, data]));
    const whole = all.length - (all.length % this.bufSize);
    const r = yield* this.writeOut(all.subarray(0, whole));
    if (r.error !== undefined) {
      this.error = r.error;
      this.pending = [all.subarray(r.written, whole).slice()];
      this.pendingBytes = whole - r.written;
      return Math.max(0, r.written - before);
    }
    this.pending = whole < all.length ? [all.slice(whole)] : [];
    this.pendingBytes = all.length - whole;
    return data.length;
  }

  /** fflush(): writes out the buffer; throws the errno of a failed write. */
  *flush(): QgaCall<void> {
    if (this.pendingBytes === 0) return;
    const all = new Uint8Array(Buffer.concat(this.pending));
    const r = yield* this.writeOut(all);
    this.pending = r.written < all.length ? [all.slice(r.written)] : [];
    this.pendingBytes = all.length - r.written;
    if (r.error !== undefined) {
      this.error = r.error;
      throw r.error;
    }
  }

  /** fseek(): flushes, repositions, clears EOF; throws Errno. */
  *seek(offset: number, whence: number): QgaCall<void> {
    if (this.closed) throw new Errno('EBADF');
    yield* this.flush();
    this.sys.lseek(this.fd, offset, whence);
    this.eof = false;
  }

  /** ftell(). */
  tell(): number {
    return this.sys.lseek(this.fd, 0, SEEK_CUR) + this.pendingBytes;
  }

  /** fclose(): flushes and closes (the stream is gone even when that fails). */
  *close(): QgaCall<void> {
    if (this.closed) throw new Errno('EBADF');
    let err: Errno | undefined;
    try {
      yield* this.flush();
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      err = e;
    }
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.sys.close(this.fd);
    if (err !== undefined) throw err;
  }

  private *writeOut(bytes: Uint8Array): QgaCall<{ written: number; error?: Errno }> {
    let off = 0;
    while (off < bytes.length) {
      try {
        const n = yield* this.sys.write(this.fd, bytes.subarray(off));
        if (n === 0) return { written: off, error: new Errno('ENOSPC') };
        off += n;
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        return { written: off, error: e };
      }
    }
    return { written: off };
  }
}
