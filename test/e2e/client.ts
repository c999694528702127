/**
 * A unix-socket client as an agent client would use it: connect, write, read back exactly
 * N bytes, pause reading, disconnect. Received bytes are collected in order; waits are bounded
 * in real time so a stuck machine fails the test instead of hanging it.
 */
import * as net from 'node:net';

/** Default bound on any one wait, in real milliseconds. */
export const CLIENT_TIMEOUT_MS = 20_000;

/** One connection. */
export class SocketClient {
  private chunks: Buffer[] = [];
  private have = 0;
  private waiter: (() => void) | undefined;
  private closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.have += d.length;
      this.waiter?.();
    });
    this.closedPromise = new Promise((resolve) => {
      sock.on('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      });
    });
    sock.on('error', () => undefined);
  }

  /** Connects to `path`. */
  static connect(path: string): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new SocketClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Bytes received and not yet taken. */
  get buffered(): number {
    return this.have;
  }

  /** Writes and resolves once the bytes are handed to the kernel. */
  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.sock.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Stops reading from the socket (the guest side then sees backpressure). */
  pause(): void {
    this.sock.pause();
  }

  /** Reads again. */
  resume(): void {
    this.sock.resume();
  }

  /** Waits for exactly `n` bytes and takes them. */
  async read(n: number, timeoutMs = CLIENT_TIMEOUT_MS): Promise<Buffer> {
    await this.waitFor(() => this.have >= n, timeoutMs, `${n} bytes`);
    return this.take(n);
  }

  /** Waits until `cond` holds (checked on every arrival). */
  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out waiting for ${what} (${this.have} bytes buffered)`));
      }, timeoutMs);
      this.waiter = () => {
        if (!cond() && !this.closed) return;
        clearTimeout(timer);
        this.waiter = undefined;
        if (cond()) resolve();
        else reject(new Error(`connection closed while waiting for ${what} (${this.have} bytes buffered)`));
      };
    });
  }

  /** Half-closes and waits for the socket to close. */
  async close(): Promise<void> {
    this.sock.end();
    this.sock.resume();
    await this.closedPromise;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.have -= n;
    return out;
  }
}
