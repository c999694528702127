/**
 * The host's ends of a process's standard streams: a reader that drains what a process
 * writes (so a test or the machine can look at its output) and a writer that feeds its
 * input. Both work through the file operations like any reader or writer, and resume
 * from scheduler events when the pipe wakes them.
 */
import type { SchedulerView } from '../../core/scheduler.js';
import { Errno, WouldBlock } from './errno.js';
import { PollTable, type WaitQueue, type Waiter } from './waitqueue.js';
import { filePut, type OpenFile } from './vfs/file.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Arms one waiter on several queues; the first wake-up disarms it everywhere and runs
// `fn` from a new scheduler event.
class Rearm {
  private armed: { waiter: Waiter; queues: readonly WaitQueue[] } | undefined;

  constructor(
    private readonly sched: SchedulerView,
    private readonly label: string,
    private readonly fn: () => void,
  ) {}

  arm(file: OpenFile, e: WouldBlock): void {
    if (this.armed !== undefined) return;
    let queues = e.queues;
    if (queues.length === 0) {
      const pt = new PollTable();
      file.ops.poll?.(file, pt);
      queues = pt.queues;
    }
    const waiter: Waiter = {
      wake: () => {
        this.disarm();
        this.sched.after(0, this.label, this.fn);
      },
    };
    for (const q of queues) q.add(waiter);
    this.armed = { waiter, queues };
  }

  disarm(): void {
    const a = this.armed;
    if (a === undefined) return;
    for (const q of a.queues) q.remove(a.waiter);
    this.armed = undefined;
  }
}

/** Collects everything a process writes to a stream until end of file. */
export class HostReader {
  private readonly chunks: Uint8Array[] = [];
  private done = false;
  private readonly rearm: Rearm;
  private readonly listeners: ((data: Uint8Array | null) => void)[] = [];

  constructor(
    sched: SchedulerView,
    private readonly file: OpenFile,
  ) {
    this.rearm = new Rearm(sched, `host read ${file.path}`, () => this.pump());
    this.pump();
  }

  /** True once end of file was seen (or the reader was closed). */
  get ended(): boolean {
    return this.done;
  }

  /** Everything read so far. */
  bytes(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** Everything read so far, as UTF-8 text. */
  text(): string {
    return decoder.decode(this.bytes());
  }

  /** Calls `cb` with each chunk as it arrives and with null at end of file. */
  onData(cb: (data: Uint8Array | null) => void): void {
    this.listeners.push(cb);
  }

  /** Stops reading and closes the host's end (a writer then gets EPIPE). */
  close(): void {
    if (this.done) return;
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.rearm.disarm();
    filePut(this.file);
    for (const l of this.listeners) l(null);
  }

  private pump(): void {
    const read = this.file.ops.read;
    while (!this.done) {
      let d: Uint8Array;
      try {
        if (read === undefined) throw new Errno('EINVAL');
        d = read(this.file, 65536, this.file.pos);
      } catch (e) {
        if (e instanceof WouldBlock) this.rearm.arm(this.file, e);
        else this.finish();
        return;
      }
      if (d.length === 0) {
        this.finish();
        return;
      }
      this.chunks.push(d);
      for (const l of this.listeners) l(d);
    }
  }
}

/** Feeds data into a process's input stream, holding what does not fit yet. */
export class HostWriter {
  private readonly queue: Uint8Array[] = [];
  private ending = false;
  private closed = false;
  private brokenPipe = false;
  private readonly rearm: Rearm;

  constructor(
    sched: SchedulerView,
    private readonly file: OpenFile,
  ) {
    this.rearm = new Rearm(sched, `host write ${file.path}`, () => this.pump());
  }

  /** True if the reading side went away (EPIPE); queued data was dropped. */
  get broken(): boolean {
    return this.brokenPipe;
  }

  /** Bytes queued but not yet taken by the stream. */
  get pending(): number {
    return this.queue.reduce((n, c) => n + c.length, 0);
  }

  /** Queues data for the process. */
  write(data: string | Uint8Array): void {
    if (this.ending || this.closed) throw new Error('host writer already ended');
    const bytes = typeof data === 'string' ? encoder.encode(data) : data.slice();
    if (bytes.length > 0) this.queue.push(bytes);
    this.pump();
  }

  /** Closes the stream once everything queued has been written (the reader then sees EOF). */
  end(): void {
    this.ending = true;
    this.pump();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rearm.disarm();
    filePut(this.file);
  }

  private pump(): void {
    const write = this.file.ops.write;
    while (!this.closed && this.queue.length > 0) {
      const head = this.queue[0] as Uint8Array;
      let n: number;
      try {
        if (write === undefined) throw new Errno('EINVAL');
        n = write(this.file, head, this.file.pos);
      } catch (e) {
        if (e instanceof WouldBlock) {
          this.rearm.arm(this.file, e);
          return;
        }
        this.brokenPipe = true;
        this.queue.length = 0;
        this.close();
        return;
      }
      if (n >= head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.ending && this.queue.length === 0) this.close();
  }
}
