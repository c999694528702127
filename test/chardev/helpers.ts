/**
 * Shared helpers for chardev tests: bounded waits (no test may hang), temp dirs, and
 * raw socket clients playing the host side.
 */
import type { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Default bound on any single wait in these tests. */
export const WAIT_MS = 3000;

/** Rejects if `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, ms = WAIT_MS, what = 'operation'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The next emission of `event`, bounded. */
export function nextEvent<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, ms = WAIT_MS): Promise<T> {
  return within(
    new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))),
    ms,
    `event '${event}'`,
  );
}

/** Real-time sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` until true, bounded. */
export async function until(cond: () => boolean, ms = WAIT_MS, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A fresh private temp directory. */
export function makeTmpDir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'qga-chardev-'));
}

/** Removes a temp directory and everything in it. */
export function removeTmpDir(dir: string): Promise<void> {
  return fsp.rm(dir, { recursive: true, force: true });
}

/** Connects a raw stream client. */
export function connectTo(options: net.NetConnectOpts): Promise<net.Socket> {
  return within(
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(options);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    }),
    WAIT_MS,
    'client connect',
  );
}

/** Collects everything a socket receives, with a bounded wait for a byte count. */
export class Collector {
  private chunks: Buffer[] = [];
  /** Bytes received so far. */
  length = 0;

  /** Starts collecting from `socket`. */
  constructor(socket: net.Socket) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.length += b.length;
    });
  }

  /** Everything received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Everything received so far, as text. */
  get text(): string {
    return this.bytes.toString('utf8');
  }

  /** Waits until at least `n` bytes arrived. */
  async waitFor(n: number, ms = WAIT_MS): Promise<Buffer> {
    await until(() => this.length >= n, ms, `${n} bytes`);
    return this.bytes;
  }
}

/** UTF-8 bytes of a string. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A string from UTF-8 bytes. */
export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
