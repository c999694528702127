/**
 * Listening-socket chores for server chardevs: owner-only unix sockets, stale socket
 * files, and a promise around `server.listen()`.
 */
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import { ChardevError, errnoCode } from './errors.js';

/** Size of sockaddr_un.sun_path on Linux; libuv needs room for the terminating NUL. */
export const UNIX_PATH_MAX = 108;

/** How long to wait when probing whether an existing socket file still has a listener. */
const STALE_PROBE_TIMEOUT_MS = 1000;

/** Rejects paths the kernel cannot bind, with QEMU's wording. */
export function checkUnixPathLength(path: string): void {
  if (Buffer.byteLength(path) >= UNIX_PATH_MAX) {
    throw new ChardevError(`UNIX socket path '${path}' is too long`, 'ENAMETOOLONG');
  }
}

/** Whether something accepts connections on the unix socket at `path`. */
function unixSocketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    const finish = (live: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(live);
    };
    // A full backlog or a hung peer still means "in use": never steal the path then.
    const timer = setTimeout(() => finish(true), STALE_PROBE_TIMEOUT_MS);
    probe.once('connect', () => finish(true));
    probe.once('error', (err) => {
      const code = errnoCode(err);
      finish(!(code === 'ECONNREFUSED' || code === 'ENOENT'));
    });
  });
}

/**
 * Removes a socket file left behind by a dead process. QEMU unlinks whatever is at the
 * path before binding; we only remove a socket nobody listens on, so a typo cannot
 * delete a regular file and a second simulator cannot steal a live agent's socket.
 * Anything else left in place makes bind fail, which is reported as QEMU reports it.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await fsp.lstat(path)).isSocket();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) return;
  if (await unixSocketIsLive(path)) {
    throw new ChardevError(`Failed to bind socket to ${path}: Address already in use`, 'EADDRINUSE');
  }
  try {
    await fsp.unlink(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

// Binding a unix socket creates its file with the process umask; tightening the umask
// around the synchronous bind closes the window in which another user could connect
// before the chmod. Worker threads may not change the umask, so chmod stays the backstop.
function withUmask(mask: number, fn: () => void): void {
  let previous: number | undefined;
  try {
    previous = process.umask(mask);
  } catch {
    previous = undefined;
  }
  try {
    fn();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

/** Starts listening and settles on 'listening' or on the bind error. */
export function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (options.path !== undefined) withUmask(0o177, () => server.listen(options));
    else server.listen(options);
  });
}

/** Identity of a file, to unlink a socket on close only if it is still ours. */
export interface FileIdentity {
  /** Device number. */
  dev: number;
  /** Inode number. */
  ino: number;
}

/** Makes a freshly bound unix socket owner-only and returns its identity. */
export async function secureUnixSocket(path: string): Promise<FileIdentity> {
  await fsp.chmod(path, 0o600);
  const st = await fsp.lstat(path);
  return { dev: st.dev, ino: st.ino };
}

/** Unlinks `path` if it is still the socket we bound; silent otherwise. */
export async function unlinkOwnSocket(path: string, identity: FileIdentity): Promise<void> {
  try {
    const st = await fsp.lstat(path);
    if (st.dev === identity.dev && st.ino === identity.ino) await fsp.unlink(path);
  } catch {
    // Already gone (libuv unlinks on close) or replaced: nothing of ours to remove.
  }
}

/** Closes a listener and every connection it still tracks; never rejects. */
export function closeServer(server: net.Server, sockets: Iterable<net.Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
