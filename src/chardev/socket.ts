/**
 * The `socket` backend: a unix or TCP stream, as server or client, optionally carrying
 * WebSocket frames. Its behaviour follows QEMU's chardev/char-socket.c:
 *
 * - A server serves one client at a time. QEMU stops accepting while a client is
 *   attached and later connections wait in the listen backlog; here they are accepted
 *   by the kernel but not read from, and are served in arrival order once the current
 *   client leaves (up to SOCKET_PENDING_CLIENTS_MAX; extra ones are closed at once).
 *   A waiting client that gave up is noticed only when its turn comes, exactly as with
 *   QEMU's backlog: it produces an `open` immediately followed by a `close`.
 * - wait=on (the -chardev default for servers): `open()` resolves after the first
 *   client has connected, as QEMU blocks at startup.
 * - A client connects once; with reconnect it retries every N seconds after a failure
 *   or a disconnect, reporting the first failure in a row as a warning.
 * - Deliberate differences: an empty host binds/connects 127.0.0.1 rather than all
 *   interfaces; unix sockets are made owner-only (0600); an existing socket file is
 *   only removed when nothing listens on it.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { Chardev, type ChardevBaseOptions } from './chardev.js';
import { ChardevError, chardevErrno, isResolutionError, strerror } from './errors.js';
import { NetLink, WsLink, type HostLink, type LinkHandlers } from './links.js';
import {
  checkUnixPathLength,
  closeServer,
  listenOn,
  removeStaleSocket,
  secureUnixSocket,
  unlinkOwnSocket,
  type FileIdentity,
} from './listen.js';

/** Where a socket chardev listens or connects. */
export type SocketAddress = { type: 'unix'; path: string } | { type: 'inet'; host: string; port: number };

/** Options of the socket backend through the library API. */
export interface SocketChardevOptions extends ChardevBaseOptions {
  /** Unix path or TCP host/port; port 0 on a server picks a free port. */
  address: SocketAddress;
  /** Listen instead of connecting (default false, as for -chardev). */
  server?: boolean;
  /** Server only: make `open()` wait for the first client (default true). */
  wait?: boolean;
  /** Client only: retry interval in milliseconds after a failure or disconnect; 0 = never. */
  reconnectMs?: number;
  /** Server only: speak WebSocket (binary frames) instead of raw bytes. */
  websocket?: boolean;
  /** Disable Nagle's algorithm on TCP connections. */
  nodelay?: boolean;
}

/** Later clients a server keeps waiting while one is served (QEMU: the listen backlog). */
export const SOCKET_PENDING_CLIENTS_MAX = 4;

/** The address used when a TCP host is empty: loopback, not every interface. */
export const SOCKET_DEFAULT_HOST = '127.0.0.1';

type Pending =
  | { kind: 'net'; socket: net.Socket }
  | { kind: 'ws'; socket: Duplex; req: http.IncomingMessage; head: Buffer };

/** A client asked for sub-protocols and none of them is the binary one QEMU speaks. */
function refusesBinary(req: http.IncomingMessage): boolean {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return false;
  return !header.split(',').some((p) => p.trim() === 'binary');
}

function hostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A unix or TCP (optionally WebSocket) chardev. */
export class SocketChardev extends Chardev {
  /** Always "socket". */
  override readonly backend = 'socket';
  /** Whether this end listens. */
  readonly server: boolean;
  /** Whether `open()` waits for the first client (servers only). */
  readonly wait: boolean;
  /** Reconnect interval in ms (clients only; 0 = no reconnect). */
  readonly reconnectMs: number;
  /** Whether the server speaks WebSocket. */
  readonly websocket: boolean;
  /** Whether Nagle's algorithm is disabled. */
  readonly nodelay: boolean;

  private readonly configured: SocketAddress;
  private bound: SocketAddress | undefined;
  private listener: net.Server | undefined;
  private readonly serverSockets = new Set<net.Socket>();
  private wss: WebSocketServer | undefined;
  private link: HostLink | undefined;
  private peer = '';
  private handshaking: Duplex | undefined;
  private pending: Pending[] = [];
  private connecting: net.Socket | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectErrorReported = false;
  private firstClient: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private unixIdentity: FileIdentity | undefined;

  /** Validates the combination of options the way QEMU does; opens nothing yet. */
  constructor(id: string, options: SocketChardevOptions) {
    super(id, options);
    this.configured = { ...options.address };
    this.server = options.server ?? false;
    this.wait = this.server && (options.wait ?? true);
    this.reconnectMs = options.reconnectMs ?? 0;
    this.websocket = options.websocket ?? false;
    this.nodelay = options.nodelay ?? false;
    if (this.configured.type === 'inet') {
      const port = this.configured.port;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid TCP port ${port}`);
    }
    if (!(this.reconnectMs >= 0)) throw new RangeError('reconnectMs must be >= 0');
    if (this.server && this.reconnectMs > 0) {
      throw new ChardevError("'reconnect' option is incompatible with socket in server listen mode");
    }
    if (!this.server && this.websocket) throw new ChardevError('Websocket client is not implemented');
  }

  /** The bound address once a server listens (with the real port), else the configured one. */
  get address(): SocketAddress {
    return { ...(this.bound ?? this.configured) };
  }

  /** Clients waiting for their turn on a server. */
  get pendingClients(): number {
    return this.pending.length;
  }

  override get filename(): string {
    if (this.connected && this.peer !== '') return this.peer;
    const a = this.bound ?? this.configured;
    const srv = this.server ? ',server=on' : '';
    if (a.type === 'unix') return `disconnected:unix:${a.path}${srv}`;
    return `disconnected:${this.protocol}:${hostPort(a.host, a.port)}${srv}`;
  }

  private get protocol(): string {
    return this.websocket ? 'websocket' : 'tcp';
  }

  /** Drops the current client; a server then serves the next one, a client may reconnect. */
  override disconnect(): void {
    this.link?.destroy();
  }

  protected override async doOpen(): Promise<void> {
    if (this.server) {
      await this.listen();
      if (this.wait && this.connects === 0) {
        await new Promise<void>((resolve, reject) => {
          this.firstClient = { resolve, reject };
        });
      }
      return;
    }
    if (this.reconnectMs > 0) {
      // QEMU connects in the background here and reports failures without failing startup.
      this.startConnect();
      return;
    }
    this.attachNet(await this.connectOnce());
  }

  protected override async doClose(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.connecting?.destroy();
    this.firstClient?.reject(new ChardevError(`chardev '${this.id}' was closed before a client connected`));
    this.firstClient = undefined;
    for (const p of this.pending.splice(0)) p.socket.destroy();
    this.handshaking?.destroy();
    this.handshaking = undefined;
    const link = this.link;
    this.link = undefined;
    link?.destroy();
    this.wss?.close();
    this.wss = undefined;
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) await closeServer(listener, this.serverSockets);
    if (this.unixIdentity !== undefined && this.configured.type === 'unix') {
      await unlinkOwnSocket(this.configured.path, this.unixIdentity);
      this.unixIdentity = undefined;
    }
  }

  protected override hostWrite(chunk: Buffer): void {
    this.link?.write(chunk);
  }

  protected override hostBuffered(): number {
    return this.link?.buffered ?? 0;
  }

  protected override pauseSource(): void {
    this.link?.pause();
  }

  protected override resumeSource(): void {
    this.link?.resume();
  }

  // --- server -------------------------------------------------------------------

  private async listen(): Promise<void> {
    const addr = this.configured;
    if (addr.type === 'unix') {
      checkUnixPathLength(addr.path);
      try {
        await removeStaleSocket(addr.path);
      } catch (err) {
        if (err instanceof ChardevError) throw err;
        throw chardevErrno(`Failed to unlink socket ${addr.path}`, err);
      }
    }
    if (this.closed) throw new ChardevError(`chardev '${this.id}' was closed while opening`);
    const server = this.websocket ? this.createWsListener() : this.createNetListener();
    server.on('connection', (s: net.Socket) => {
      this.serverSockets.add(s);
      s.once('close', () => this.serverSockets.delete(s));
    });
    const options: net.ListenOptions = addr.type === 'unix' ? { path: addr.path } : { host: addr.host || SOCKET_DEFAULT_HOST, port: addr.port };
    try {
      await listenOn(server, options);
    } catch (err) {
      this.wss = undefined;
      throw this.bindError(err);
    }
    server.on('error', (err) => this.warn(`chardev '${this.id}': listening socket error: ${strerror(err)}`));
    try {
      if (addr.type === 'unix') {
        this.unixIdentity = await secureUnixSocket(addr.path);
        this.bound = { ...addr };
      } else {
        const a = server.address() as net.AddressInfo;
        this.bound = { type: 'inet', host: a.address, port: a.port };
      }
      if (this.closed) throw new ChardevError(`chardev '${this.id}' was closed while opening`);
    } catch (err) {
      // close() may have run meanwhile without seeing this listener: release it here.
      await closeServer(server, this.serverSockets);
      if (this.unixIdentity !== undefined && addr.type === 'unix') await unlinkOwnSocket(addr.path, this.unixIdentity);
      this.unixIdentity = undefined;
      this.wss = undefined;
      if (err instanceof ChardevError) throw err;
      throw chardevErrno(`Failed to bind socket to ${addr.type === 'unix' ? addr.path : hostPort(addr.host, addr.port)}`, err);
    }
    this.listener = server;
  }

  private bindError(err: unknown): ChardevError {
    const addr = this.configured;
    if (addr.type === 'unix') return chardevErrno(`Failed to bind socket to ${addr.path}`, err);
    if (isResolutionError(err)) {
      return new ChardevError(`address resolution failed for ${addr.host}:${addr.port}: ${strerror(err)}`);
    }
    // QEMU walks the port range first and reports exhaustion, not the bind itself.
    if ((err as { code?: unknown }).code === 'EADDRINUSE') return chardevErrno('Failed to find an available port', err);
    return chardevErrno('Failed to bind socket', err);
  }

  private createNetListener(): net.Server {
    return net.createServer({ pauseOnConnect: true, noDelay: this.nodelay }, (socket) =>
      this.incoming({ kind: 'net', socket }),
    );
  }

  private createWsListener(): net.Server {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    });
    const server = http.createServer((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('WebSocket upgrade required\n');
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.incoming({ kind: 'ws', socket, req, head }),
    );
    if (this.nodelay) server.on('connection', (s: net.Socket) => s.setNoDelay(true));
    return server;
  }

  private incoming(p: Pending): void {
    p.socket.on('error', () => undefined);
    if (this.closed) {
      p.socket.destroy();
      return;
    }
    if (p.kind === 'ws' && refusesBinary(p.req)) {
      // QEMU answers a handshake without the "binary" sub-protocol with 400.
      p.socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.link === undefined && this.handshaking === undefined) {
      this.accept(p);
      return;
    }
    if (this.pending.length >= SOCKET_PENDING_CLIENTS_MAX) {
      p.socket.destroy();
      return;
    }
    this.pending.push(p);
    p.socket.once('close', () => {
      this.pending = this.pending.filter((q) => q !== p);
    });
  }

  private acceptNext(): void {
    while (this.link === undefined && this.handshaking === undefined && this.pending.length > 0) {
      const p = this.pending.shift()!;
      if (!p.socket.destroyed) this.accept(p);
    }
  }

  private accept(p: Pending): void {
    if (p.kind === 'net') {
      this.attachNet(p.socket);
      return;
    }
    const wss = this.wss;
    if (wss === undefined) {
      p.socket.destroy();
      return;
    }
    const socket = p.socket;
    const peer = socket instanceof net.Socket ? this.describe(socket) : '';
    this.handshaking = socket;
    let settled = false;
    // ws closes the socket itself on a bad handshake and never calls back.
    const onClose = () => {
      if (settled) return;
      settled = true;
      this.handshaking = undefined;
      this.acceptNext();
    };
    socket.once('close', onClose);
    wss.handleUpgrade(p.req, socket, p.head, (ws) => {
      if (settled) {
        ws.terminate();
        return;
      }
      settled = true;
      socket.off('close', onClose);
      this.handshaking = undefined;
      if (this.closed) {
        ws.terminate();
        return;
      }
      this.attach((h) => new WsLink(ws, h), peer);
    });
  }

  // --- client -------------------------------------------------------------------

  private connectOnce(): Promise<net.Socket> {
    const addr = this.configured;
    return new Promise((resolve, reject) => {
      const sock =
        addr.type === 'unix'
          ? net.connect({ path: addr.path })
          : net.connect({ host: addr.host || SOCKET_DEFAULT_HOST, port: addr.port, noDelay: this.nodelay });
      this.connecting = sock;
      const done = () => {
        if (this.connecting === sock) this.connecting = undefined;
        sock.off('error', onError);
        sock.off('close', onClose);
        sock.off('connect', onConnect);
      };
      const onError = (err: Error) => {
        done();
        sock.destroy();
        reject(this.connectError(err));
      };
      const onClose = () => {
        done();
        reject(new ChardevError(`chardev '${this.id}' was closed while connecting`));
      };
      const onConnect = () => {
        done();
        resolve(sock);
      };
      sock.once('error', onError);
      sock.once('close', onClose);
      sock.once('connect', onConnect);
    });
  }

  private connectError(err: unknown): ChardevError {
    const addr = this.configured;
    if (addr.type === 'unix') return chardevErrno(`Failed to connect to '${addr.path}'`, err);
    if (isResolutionError(err)) {
      return new ChardevError(`address resolution failed for ${addr.host}:${addr.port}: ${strerror(err)}`);
    }
    return chardevErrno(`Failed to connect to '${addr.host}:${addr.port}'`, err);
  }

  private startConnect(): void {
    if (this.closed || this.link !== undefined || this.connecting !== undefined) return;
    this.connectOnce().then(
      (sock) => {
        if (this.closed) {
          sock.destroy();
          return;
        }
        this.connectErrorReported = false;
        this.attachNet(sock);
      },
      (err: unknown) => {
        if (this.closed) return;
        if (!this.connectErrorReported) {
          this.connectErrorReported = true;
          this.warn(`Unable to connect character device ${this.label}: ${(err as Error).message}`);
        }
        this.scheduleReconnect();
      },
    );
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.startConnect();
    }, this.reconnectMs);
  }

  // --- connections --------------------------------------------------------------

  private describe(socket: net.Socket): string {
    const addr = this.configured;
    if (addr.type === 'unix') return this.server ? `unix:${addr.path},server=on` : `unix:${addr.path}`;
    const srv = this.server ? ',server=on' : '';
    const local = hostPort(socket.localAddress ?? '', socket.localPort ?? 0);
    const remote = hostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    return `${this.protocol}:${local}${srv} <-> ${remote}`;
  }

  private attachNet(socket: net.Socket): void {
    this.attach((h) => new NetLink(socket, h), this.describe(socket));
  }

  private attach(make: (handlers: LinkHandlers) => HostLink, peer: string): void {
    const handlers: LinkHandlers = {
      data: (bytes) => {
        if (this.link === link) this.hostData(bytes);
      },
      drained: () => {
        if (this.link === link) this.hostDrained();
      },
      closed: () => this.linkClosed(link),
    };
    const link = make(handlers);
    this.link = link;
    this.peer = peer;
    this.hostConnected();
    this.firstClient?.resolve();
    this.firstClient = undefined;
    // The 'open' handler may already have paused us, or even dropped the link.
    if (this.link !== link) return;
    if (this.paused) link.pause();
    else link.resume();
  }

  private linkClosed(link: HostLink): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.peer = '';
    this.hostDisconnected();
    if (this.closed) return;
    if (this.server) this.acceptNext();
    else if (this.reconnectMs > 0) this.scheduleReconnect();
  }
}
