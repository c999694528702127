/**
 * One live host connection of a socket chardev, over a plain stream socket or a
 * WebSocket. The chardev only ever talks to this interface, so accept/connect logic,
 * one-client-at-a-time and reconnection are written once for both transports.
 */
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';

/** Callbacks a link reports to its chardev. */
export interface LinkHandlers {
  /** Bytes arrived from the peer. */
  data(bytes: Uint8Array): void;
  /** The connection is gone (peer closed, error, or destroy()); called once. */
  closed(): void;
  /** A written chunk reached the kernel (or failed); buffered output shrank. */
  drained(): void;
}

/** A connected host peer. */
export interface HostLink {
  /** Queues bytes for the peer. */
  write(chunk: Buffer): void;
  /** Bytes queued but not yet handed to the kernel. */
  readonly buffered: number;
  /** Stops reading from the peer (data stays in the kernel). */
  pause(): void;
  /** Restarts reading. */
  resume(): void;
  /** Drops the connection at once; `closed` follows. */
  destroy(): void;
}

/** A link over a stream socket (unix or TCP). */
export class NetLink implements HostLink {
  private readonly socket: Socket;
  private readonly handlers: LinkHandlers;

  /** Takes over `socket`, which should still be paused. */
  constructor(socket: Socket, handlers: LinkHandlers) {
    this.socket = socket;
    this.handlers = handlers;
    let done = false;
    socket.on('data', (b: Buffer) => handlers.data(b));
    // Errors always end in 'close'; that is where the chardev learns about them.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (done) return;
      done = true;
      handlers.closed();
    });
  }

  /**
   * Queues bytes. The socket's own high-water mark is irrelevant (the chardev bounds
   * buffering); each chunk's completion is reported rather than 'drain', which only
   * fires after a write the socket considered over its own limit.
   */
  write(chunk: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(chunk, () => this.handlers.drained());
  }

  /** Bytes queued in Node, not yet in the kernel. */
  get buffered(): number {
    return this.socket.writableLength;
  }

  /** Stops reading. */
  pause(): void {
    this.socket.pause();
  }

  /** Restarts reading. */
  resume(): void {
    this.socket.resume();
  }

  /** Drops the connection. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Converts whatever `ws` hands over into one byte array. */
export function rawDataBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * A link over a WebSocket. Output goes as binary frames; input is taken from binary and
 * text frames alike (text as its UTF-8 bytes), which lets browser tools type JSON.
 */
export class WsLink implements HostLink {
  private readonly ws: WebSocket;
  private readonly handlers: LinkHandlers;

  /** Takes over an open WebSocket. */
  constructor(ws: WebSocket, handlers: LinkHandlers) {
    this.ws = ws;
    this.handlers = handlers;
    let done = false;
    ws.on('message', (data: RawData) => handlers.data(rawDataBytes(data)));
    ws.on('error', () => undefined);
    ws.once('close', () => {
      if (done) return;
      done = true;
      handlers.closed();
    });
  }

  /** Sends one binary frame; its completion is what can end backpressure. */
  write(chunk: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(chunk, { binary: true }, () => this.handlers.drained());
  }

  /** Bytes queued in `ws` and in the socket under it. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** Stops reading; a few already-parsed frames may still arrive (the chardev holds them). */
  pause(): void {
    this.ws.pause();
  }

  /** Restarts reading. */
  resume(): void {
    this.ws.resume();
  }

  /** Drops the connection without a closing handshake. */
  destroy(): void {
    this.ws.terminate();
  }
}
