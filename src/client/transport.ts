/**
 * How the client reaches the agent: anything that moves bytes both ways. Adapters for a
 * unix socket path, a TCP address (e.g. QEMU's `-chardev socket,...,server=on`) and the
 * host end of an in-memory chardev pipe; or bring your own QgaTransport.
 */
import { connect, type Socket } from 'node:net';
import { ChardevPipeHost } from '../chardev/pipe.js';
import { QgaConnectionError } from './errors.js';

/** A byte stream to the agent. Listeners are set once, by the client. */
export interface QgaTransport {
  /** Sends bytes; throws (or closes) when the stream is gone. */
  write(bytes: Uint8Array): void;
  /** Sets the listener for incoming bytes. */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Sets the listener for the end of the stream. */
  onClose(listener: (error?: Error) => void): void;
  /** Ends the stream. */
  close(): void;
}

/** Where to find the agent: a unix socket path, "host:port", {path}, {host, port}, a pipe host end, or a transport. */
export type QgaTarget = string | { path: string } | { host: string; port: number } | ChardevPipeHost | QgaTransport;

function isTransport(t: QgaTarget): t is QgaTransport {
  return typeof t === 'object' && 'onData' in t && typeof t.onData === 'function';
}

/** Opens a transport to `target`. */
export async function openQgaTransport(target: QgaTarget): Promise<QgaTransport> {
  if (target instanceof ChardevPipeHost) return pipeTransport(target);
  if (typeof target === 'object' && isTransport(target)) return target;
  if (typeof target === 'string') {
    const m = /^([^/:]+):(\d+)$/.exec(target);
    return socketTransport(m ? { host: m[1]!, port: Number(m[2]) } : { path: target });
  }
  return socketTransport(target);
}

/** The host end of an in-memory chardev pipe as a transport (connecting it if needed). */
export function pipeTransport(host: ChardevPipeHost): QgaTransport {
  let dataListener: ((bytes: Uint8Array) => void) | undefined;
  let closeListener: ((error?: Error) => void) | undefined;
  const onData = (b: Uint8Array) => dataListener?.(b);
  const onClose = () => {
    detach();
    closeListener?.();
  };
  const detach = () => {
    host.off('data', onData);
    host.off('close', onClose);
  };
  host.on('data', onData);
  host.on('close', onClose);
  host.connect();
  return {
    write: (bytes) => {
      try {
        host.write(bytes);
      } catch (e) {
        throw new QgaConnectionError('the pipe is not connected', { cause: e });
      }
    },
    onData: (l) => {
      dataListener = l;
    },
    onClose: (l) => {
      closeListener = l;
    },
    close: () => {
      detach();
      host.disconnect();
    },
  };
}

/** A unix or TCP socket as a transport; resolves once connected. */
export async function socketTransport(address: { path: string } | { host: string; port: number }): Promise<QgaTransport> {
  const sock: Socket = 'path' in address ? connect(address.path) : connect(address.port, address.host);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e) => reject(new QgaConnectionError(`cannot connect to qemu-ga: ${e.message}`, { cause: e })));
  });
  let closeListener: ((error?: Error) => void) | undefined;
  let lastError: Error | undefined;
  sock.on('error', (e) => {
    lastError = e;
  });
  sock.on('close', () => closeListener?.(lastError));
  return {
    write: (bytes) => {
      if (sock.destroyed) throw new QgaConnectionError('the socket is closed');
      sock.write(bytes);
    },
    onData: (l) => {
      sock.on('data', (b: Buffer) => l(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    },
    onClose: (l) => {
      closeListener = l;
    },
    close: () => {
      sock.destroy();
    },
  };
}
