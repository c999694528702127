/**
 * One connection to an agent's unix socket for sending raw bytes and collecting exactly
 * the replies they caused. After each probe the session sends 0xFF and
 * guest-sync-delimited with a fresh id and reads up to that sentinel reply: the bytes
 * before it are the probe's replies (plus the agent's complaint about the 0xFF, which
 * is identical for identical agents), and the agent's parser is clean for the next probe.
 */
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';

/** One agent connection. */
export class WireSession {
  private got = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closed = false;
  private nextId = 1000;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.got = Buffer.concat([this.got, d]);
      this.waiter?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    sock.on('error', () => undefined);
  }

  /** Connects to `path`. */
  static open(path: string): Promise<WireSession> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new WireSession(s)));
      s.once('error', reject);
    });
  }

  /** Sends `probe`, then the resync; resolves with every byte before the sentinel reply. */
  async exchange(probe: Uint8Array, timeoutMs = 30_000): Promise<Buffer> {
    const id = this.nextId++;
    const marker = Buffer.from(`\xff{"return": ${id}}\n`, 'latin1');
    const sync = Buffer.from(`\xff{"execute":"guest-sync-delimited","arguments":{"id":${id}}}`, 'latin1');
    await this.write(Buffer.concat([Buffer.from(probe), sync]));
    await this.waitFor(() => this.got.indexOf(marker) >= 0, timeoutMs, `the sentinel reply ${id}`);
    const at = this.got.indexOf(marker);
    const out = this.got.subarray(0, at);
    this.got = this.got.subarray(at + marker.length);
    return Buffer.from(out);
  }

  /** Sends bytes and waits until `predicate` holds for what arrived; takes it all. */
  async request(bytes: Uint8Array | string, predicate: (got: Buffer) => boolean, timeoutMs = 30_000): Promise<Buffer> {
    await this.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
    await this.waitFor(() => predicate(this.got), timeoutMs, 'a reply');
    const out = this.got;
    this.got = Buffer.alloc(0);
    return out;
  }

  /** Ends the connection. */
  close(): void {
    this.sock.destroy();
  }

  private write(b: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.sock.write(b, (e) => (e ? reject(e) : resolve())));
  }

  private waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out waiting for ${what}; have ${JSON.stringify(this.got.subarray(0, 300).toString('latin1'))}`));
      }, timeoutMs);
      this.waiter = () => {
        if (cond()) {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        } else if (this.closed) {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(new Error(`connection closed waiting for ${what}`));
        }
      };
    });
  }
}
