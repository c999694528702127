/**
 * An in-memory chardev with its host end in the same process: the library's way to
 * drive a guest agent without sockets, and the tests' way to play the host. It is not
 * a QEMU backend and has no -chardev name (QEMU's `memory` is an alias of ringbuf).
 *
 * Everything crossing the pipe, in either direction, is delivered in a microtask, in
 * order: neither side is ever re-entered from inside its own write(), and connect,
 * data and disconnect arrive in the order they were issued.
 */
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { Chardev, type ChardevBaseOptions } from './chardev.js';
import { ChardevError } from './errors.js';

/** Default bound, in real milliseconds, on the host end's read helpers. */
export const PIPE_READ_TIMEOUT_MS = 5000;

/** Events of the host end. */
export type ChardevPipeHostEvents = {
  /** Bytes the device wrote (only while listeners exist and the host is not paused). */
  data: (bytes: Uint8Array) => void;
  /** The host end connected. */
  open: () => void;
  /** The connection ended, from either side. */
  close: () => void;
};

/** How the host end reaches the chardev's protected hooks. */
interface ChardevSide {
  connected(): void;
  disconnected(): void;
  data(bytes: Uint8Array): void;
  drained(): void;
}

// Module-private keys: the chardev drives these, users of the host end cannot.
const DELIVER = Symbol('deliver');
const DETACH = Symbol('detach');

const EMPTY = Buffer.alloc(0);
const UTF8 = new TextDecoder();

interface Reader {
  attempt(): void;
}

/**
 * The host end of a pipe. Bytes from the device go to `data` listeners when there are
 * any and the host is not paused; otherwise they wait here for `read()`, `readUntil()`,
 * `readBytes()` or `readLine()`, and count towards the chardev's backpressure.
 */
export class ChardevPipeHost extends (EventEmitter as new () => TypedEmitter<ChardevPipeHostEvents>) {
  private attached = false;
  private isPaused = false;
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private pumpQueued = false;
  private readers: Reader[] = [];
  private readonly side: ChardevSide;

  /** Made by createChardevPipe(); not useful on its own. */
  constructor(side: ChardevSide) {
    super();
    this.side = side;
  }

  /** Whether this end is connected. */
  get connected(): boolean {
    return this.attached;
  }

  /** Bytes from the device not yet taken by this end. */
  get buffered(): number {
    return this.inboxBytes;
  }

  /** Connects; the chardev emits `open`. Unread bytes of an earlier connection are dropped. */
  connect(): void {
    if (this.attached) return;
    this.attached = true;
    this.inbox = [];
    this.inboxBytes = 0;
    queueMicrotask(() => {
      this.side.connected();
      this.emit('open');
    });
  }

  /** Disconnects; the chardev emits `close` after any bytes already written by this end. */
  disconnect(): void {
    if (!this.attached) return;
    this.attached = false;
    queueMicrotask(() => {
      this.side.disconnected();
      this.emit('close');
    });
  }

  /** Sends bytes (or a UTF-8 string) to the device; throws while disconnected. */
  write(data: Uint8Array | string): void {
    if (!this.attached) throw new ChardevError('pipe host end is not connected');
    const copy = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    queueMicrotask(() => this.side.data(copy));
  }

  /** Holds device bytes here instead of emitting `data` (a host that stopped reading). */
  pause(): void {
    this.isPaused = true;
  }

  /** Emits held bytes to `data` listeners again. */
  resume(): void {
    this.isPaused = false;
    this.schedulePump();
  }

  /** Takes every buffered byte. */
  read(): Uint8Array {
    return this.consume(this.inboxBytes);
  }

  /** Waits until `predicate(buffered)` holds, then takes every buffered byte. */
  readUntil(predicate: (buffered: Uint8Array) => boolean, timeoutMs = PIPE_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.waitFor(() => (predicate(this.flat()) ? this.consume(this.inboxBytes) : undefined), timeoutMs, 'a matching read');
  }

  /** Waits for exactly `n` bytes and takes them. */
  readBytes(n: number, timeoutMs = PIPE_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.waitFor(() => (this.inboxBytes >= n ? this.consume(n) : undefined), timeoutMs, `${n} bytes`);
  }

  /** Waits for a '\n'-terminated line and returns it decoded, without the newline. */
  readLine(timeoutMs = PIPE_READ_TIMEOUT_MS): Promise<string> {
    return this.waitFor(
      () => {
        const nl = this.flat().indexOf(0x0a);
        if (nl < 0) return undefined;
        return UTF8.decode(this.consume(nl + 1).subarray(0, nl));
      },
      timeoutMs,
      'a line',
    );
  }

  /** Called by the chardev with bytes the device wrote. */
  [DELIVER](chunk: Buffer): void {
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    this.schedulePump();
  }

  /** Called by the chardev when it drops the connection or closes. */
  [DETACH](): void {
    this.disconnect();
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      if (this.inboxBytes === 0) return;
      if (!this.isPaused && this.listenerCount('data') > 0) {
        const chunks = this.inbox;
        this.inbox = [];
        this.inboxBytes = 0;
        for (const c of chunks) this.emit('data', c);
        this.side.drained();
        return;
      }
      for (const r of [...this.readers]) r.attempt();
    });
  }

  private flat(): Buffer {
    if (this.inbox.length > 1) this.inbox = [Buffer.concat(this.inbox)];
    return this.inbox[0] ?? EMPTY;
  }

  private consume(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const all = this.flat();
    const taken = new Uint8Array(all.subarray(0, n));
    const rest = all.subarray(n);
    this.inbox = rest.length > 0 ? [rest] : [];
    this.inboxBytes -= n;
    this.side.drained();
    return taken;
  }

  private waitFor<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = take();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const reader: Reader = {
        attempt: () => {
          const v = take();
          if (v === undefined) return;
          finish();
          resolve(v);
        },
      };
      const finish = () => {
        clearTimeout(timer);
        this.readers = this.readers.filter((r) => r !== reader);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.inboxBytes} bytes buffered)`));
      }, timeoutMs);
      this.readers.push(reader);
    });
  }
}

/** The device side of a pipe. */
export class MemoryChardev extends Chardev {
  /** Not a QEMU backend name, on purpose. */
  override readonly backend = 'memory-pipe';
  /** The host end. */
  readonly host: ChardevPipeHost;

  /** Creates both ends; the host end starts disconnected. */
  constructor(id: string, options: ChardevBaseOptions = {}) {
    super(id, options);
    this.host = new ChardevPipeHost({
      connected: () => this.hostConnected(),
      disconnected: () => this.hostDisconnected(),
      data: (bytes) => this.hostData(bytes),
      drained: () => this.hostDrained(),
    });
  }

  /** Drops the host end's connection from the device side. */
  override disconnect(): void {
    this.host[DETACH]();
  }

  protected override async doOpen(): Promise<void> {
    // Nothing to open: the host end connects when it likes.
  }

  protected override async doClose(): Promise<void> {
    this.host[DETACH]();
  }

  protected override hostWrite(chunk: Buffer): void {
    this.host[DELIVER](chunk);
  }

  protected override hostBuffered(): number {
    return this.host.buffered;
  }
}

/** Options of createChardevPipe(). */
export interface ChardevPipeOptions extends ChardevBaseOptions {
  /** Connect the host end right away (its `open` still arrives in a microtask). */
  connect?: boolean;
}

/** Creates an in-memory chardev and its host end. */
export function createChardevPipe(id: string, options: ChardevPipeOptions = {}): { chardev: MemoryChardev; host: ChardevPipeHost } {
  const chardev = new MemoryChardev(id, options);
  if (options.connect === true) chardev.host.connect();
  return { chardev, host: chardev.host };
}
