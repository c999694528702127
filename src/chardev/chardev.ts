/**
 * The host side of a character device: the one place where real time and real I/O meet
 * the deterministic machine. A device model (the frontend) subscribes to a chardev's
 * events and writes to it; it never sees a socket, a file or a timer.
 *
 * Contract for frontends:
 * - `open`/`close` say whether something is attached on the host side (QEMU's
 *   CHR_EVENT_OPENED/CLOSED). Backends that are open from the start (file, null) emit
 *   `open` inside `open()`, possibly before the frontend subscribes, so a frontend
 *   checks `connected` when it attaches instead of waiting for the event.
 * - `write()` takes what the host side can buffer right now and returns that count;
 *   when it returned less than asked, `drain` follows once there is room again.
 * - `pause()`/`resume()` stop and restart delivery of `data` (QEMU's can_read == 0).
 *   Nothing is dropped while paused: the backend stops reading its source and whatever
 *   had already been read waits here, in order with any `open`/`close` behind it.
 */
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { ChardevError } from './errors.js';

/**
 * Bytes the host side may hold unsent before `write()` starts refusing. Large enough
 * that ordinary agent replies (guest-file-read chunks, big guest-get-* lists) stream to
 * a live client without stalling the guest; small enough that a client which stopped
 * reading cannot make the simulator's memory grow without bound.
 */
export const CHARDEV_WRITE_HIGH_WATER = 1024 * 1024;

/** Events a chardev emits towards its frontend. */
export type ChardevEvents = {
  /** The host side connected (CHR_EVENT_OPENED). */
  open: () => void;
  /** The host side went away (CHR_EVENT_CLOSED). */
  close: () => void;
  /** Bytes from the host, in order; the array is the frontend's to keep. */
  data: (data: Uint8Array) => void;
  /** The host side can take more after `write()` returned less than asked. */
  drain: () => void;
  /** A non-fatal problem worth reporting, worded like QEMU's error_report(). */
  warning: (message: string) => void;
};

/** Options every backend accepts through the library API. */
export interface ChardevBaseOptions {
  /** Host-side buffer limit for `write()`; defaults to CHARDEV_WRITE_HIGH_WATER. */
  highWater?: number;
}

/** Traffic and connection counters of one chardev. */
export interface ChardevStats {
  /** Bytes received from the host side. */
  bytesIn: number;
  /** Bytes accepted by `write()`. */
  bytesOut: number;
  /** Times the host side connected. */
  connects: number;
  /** Times the host side disconnected. */
  disconnects: number;
}

type Inbound = { kind: 'data'; bytes: Uint8Array } | { kind: 'open' } | { kind: 'close' };

/** Base of all backends: events, write accounting, backpressure and read pausing. */
export abstract class Chardev extends (EventEmitter as new () => TypedEmitter<ChardevEvents>) {
  /** The chardev id (`-chardev ...,id=`), unique within a machine. */
  readonly id: string;
  /** QEMU's label, which is the id; kept separate so callers can use QEMU's name. */
  readonly label: string;
  /** Backend name as written on the command line ("socket", "file", ...). */
  abstract readonly backend: string;

  /** Bytes of host-side buffering at which `write()` stops accepting. */
  protected readonly highWater: number;

  private isConnected = false;
  private isClosed = false;
  private isPaused = false;
  private needDrain = false;
  private inbox: Inbound[] = [];
  private flushQueued = false;
  private openPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private counters: ChardevStats = { bytesIn: 0, bytesOut: 0, connects: 0, disconnects: 0 };

  /** Creates the chardev; nothing is opened until `open()`. */
  constructor(id: string, options: ChardevBaseOptions = {}) {
    super();
    this.id = id;
    this.label = id;
    this.highWater = options.highWater ?? CHARDEV_WRITE_HIGH_WATER;
    if (!(this.highWater > 0)) throw new RangeError('highWater must be positive');
  }

  /** Whether the host side is attached (QEMU's be_open). */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether the frontend has paused delivery of `data`. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Bytes received from the host side. */
  get bytesIn(): number {
    return this.counters.bytesIn;
  }

  /** Bytes accepted by `write()`. */
  get bytesOut(): number {
    return this.counters.bytesOut;
  }

  /** Times the host side connected. */
  get connects(): number {
    return this.counters.connects;
  }

  /** Times the host side disconnected. */
  get disconnects(): number {
    return this.counters.disconnects;
  }

  /** A snapshot of the counters. */
  stats(): ChardevStats {
    return { ...this.counters };
  }

  /** QEMU's "filename" of the chardev, as query-chardev reports it. */
  get filename(): string {
    return this.backend;
  }

  /**
   * Opens the backend (binds, connects, opens files). Idempotent. For a socket server
   * with wait=on it resolves only once the first client is connected, as QEMU blocks.
   * On failure the chardev is closed, so nothing half-open is left behind.
   */
  open(): Promise<void> {
    if (this.isClosed) return Promise.reject(new ChardevError(`chardev '${this.id}' is closed`));
    this.openPromise ??= this.doOpen().catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    return this.openPromise;
  }

  /**
   * Queues bytes for the host and returns how many were taken (0..length); a single call
   * never takes more than the high-water mark. Takes none while nothing is attached on
   * a socket-like backend; the frontend decides whether that means discarding. The
   * bytes are copied, so the caller may reuse its buffer (e.g. a view of guest RAM).
   */
  write(data: Uint8Array): number {
    if (this.isClosed || data.length === 0 || !this.writable()) return 0;
    const room = this.highWater - this.hostBuffered();
    const n = room > 0 ? Math.min(room, data.length) : 0;
    if (n > 0) {
      this.hostWrite(Buffer.from(data.subarray(0, n)));
      this.counters.bytesOut += n;
    }
    if (n < data.length) {
      this.needDrain = true;
      // The backend may already have room again (it flushed synchronously, or it never
      // buffers at all); backends that still hold bytes call hostDrained() as they flush.
      queueMicrotask(() => this.hostDrained());
    }
    return n;
  }

  /** Stops `data` delivery until `resume()`; the backend stops reading its source. */
  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    if (!this.isClosed) this.pauseSource();
  }

  /** Restarts `data` delivery: held items go out first (asynchronously), then the source. */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.scheduleFlush();
  }

  /** Drops the current host connection, if the backend has one (qemu_chr_fe_disconnect). */
  disconnect(): void {
    // Files and null have nothing to drop; socket-like backends override this.
  }

  /** Releases everything (listeners, connections, timers, files). Idempotent. */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.isClosed = true;
      this.inbox = [];
      this.closePromise = this.doClose().finally(() => this.hostDisconnected());
    }
    return this.closePromise;
  }

  /** Same as `close()`, under the name Node streams use. */
  destroy(): Promise<void> {
    return this.close();
  }

  // --- for backends -------------------------------------------------------------

  /** Opens the backend's resources; rejects with a ChardevError on failure. */
  protected abstract doOpen(): Promise<void>;
  /** Releases the backend's resources. */
  protected abstract doClose(): Promise<void>;
  /** Hands already-bounded bytes to the host side. */
  protected abstract hostWrite(chunk: Buffer): void;
  /** Bytes written but not yet taken by the host side. */
  protected abstract hostBuffered(): number;

  /** Whether `write()` may accept bytes now; socket-like backends need a connection. */
  protected writable(): boolean {
    return this.isConnected;
  }

  /** Stops reading from the source; data already read is held by the base class. */
  protected pauseSource(): void {
    // Sources that cannot be paused (the memory pipe) rely on the base-class queue.
  }

  /** Restarts reading from the source. */
  protected resumeSource(): void {
    // See pauseSource().
  }

  /** Reports bytes from the host. */
  protected hostData(bytes: Uint8Array): void {
    if (this.isClosed || bytes.length === 0) return;
    this.counters.bytesIn += bytes.length;
    if (!this.isPaused && this.inbox.length === 0) this.emit('data', bytes);
    else this.inbox.push({ kind: 'data', bytes });
  }

  /** Reports that the host side attached. */
  protected hostConnected(): void {
    if (this.isConnected || this.isClosed) return;
    this.isConnected = true;
    this.needDrain = false;
    this.counters.connects++;
    this.signal({ kind: 'open' });
  }

  /** Reports that the host side went away. */
  protected hostDisconnected(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.needDrain = false;
    this.counters.disconnects++;
    this.signal({ kind: 'close' });
  }

  /** Reports that the host side took buffered bytes; emits `drain` if one is owed. */
  protected hostDrained(): void {
    if (!this.needDrain || this.isClosed || this.hostBuffered() >= this.highWater) return;
    this.needDrain = false;
    this.emit('drain');
  }

  /** Reports a non-fatal problem; unlike 'error', an unheard 'warning' is harmless. */
  protected warn(message: string): void {
    this.emit('warning', message);
  }

  // --- internals ----------------------------------------------------------------

  // open/close are not held back by pause (the guest must learn about them even with
  // no buffers posted), only by data that is still waiting ahead of them.
  private signal(item: Inbound): void {
    if (this.inbox.length === 0) this.dispatch(item);
    else this.inbox.push(item);
  }

  private dispatch(item: Inbound): void {
    if (item.kind === 'data') this.emit('data', item.bytes);
    else this.emit(item.kind);
  }

  // Asynchronous so that a frontend calling resume() from inside its own code path
  // is never re-entered with data.
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      while (this.inbox.length > 0) {
        const head = this.inbox[0]!;
        if (head.kind === 'data' && this.isPaused) return;
        this.inbox.shift();
        this.dispatch(head);
      }
      if (!this.isPaused && !this.isClosed) this.resumeSource();
    });
  }
}
