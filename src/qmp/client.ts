/**
 * A small QMP client for the host side (tests, scripts, the library): connects to a
 * unix socket or TCP port, reads the greeting, negotiates, runs commands and collects
 * events. It runs in host time, outside the machine.
 */
import { connect, type Socket } from 'node:net';
import { QmpError, type QmpErrorClass } from './errors.js';

/** Bound on how long a reply may take before the client gives up, in host milliseconds. */
export const QMP_CLIENT_TIMEOUT_MS = 10_000;

/** A received QMP event. */
export interface QmpClientEvent {
  /** Event name. */
  event: string;
  /** Event data. */
  data?: Record<string, unknown>;
  /** Timestamp. */
  timestamp: { seconds: number; microseconds: number };
}

type Waiter = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** A connected QMP client. */
export class QmpClient {
  /** Events received so far, in order. */
  readonly events: QmpClientEvent[] = [];
  /** The greeting object. */
  greeting: Record<string, unknown> | undefined;
  private buf = '';
  private waiters: Waiter[] = [];
  private eventWaiters: { name: string; resolve: (e: QmpClientEvent) => void }[] = [];
  private readonly subscribers = new Set<(e: QmpClientEvent) => void>();

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('close', () => this.failAll(new Error('QMP connection closed')));
    sock.on('error', (e) => this.failAll(e));
  }

  /** Connects to a unix socket path (or `host:port`) and reads the greeting; negotiates unless told not to. */
  static async connect(address: string, opts: { negotiate?: boolean } = {}): Promise<QmpClient> {
    const m = /^([^/:]+):(\d+)$/.exec(address);
    const sock = m ? connect(Number(m[2]), m[1]) : connect(address);
    await new Promise<void>((ok, fail) => {
      sock.once('connect', ok);
      sock.once('error', fail);
    });
    const c = new QmpClient(sock);
    c.greeting = await c.next();
    if (opts.negotiate !== false) await c.execute('qmp_capabilities');
    return c;
  }

  /** Sends a raw line (for protocol tests) and returns the next non-event reply. */
  raw(text: string): Promise<Record<string, unknown>> {
    const p = this.next();
    this.sock.write(text);
    return p;
  }

  /** Runs a command; resolves with `return`, rejects with QmpError carrying QEMU's class and desc. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = await this.raw(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }));
    if ('error' in reply) {
      const e = reply['error'] as { class: QmpErrorClass; desc: string };
      throw new QmpError(e.desc, e.class);
    }
    return reply['return'];
  }

  /** Resolves with the next event of this name (or one already received and not yet taken). */
  waitEvent(name: string): Promise<QmpClientEvent> {
    const i = this.events.findIndex((e) => e.event === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return new Promise((resolve) => this.eventWaiters.push({ name, resolve }));
  }

  /**
   * Calls `listener` with every event received from now on (none from the backlog), in
   * addition to waitEvent's delivery; returns the function that unsubscribes it.
   */
  subscribe(listener: (e: QmpClientEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => void this.subscribers.delete(listener);
  }

  /** Closes the connection. */
  close(): void {
    this.sock.end();
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('QMP reply timed out')), QMP_CLIENT_TIMEOUT_MS);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  private onData(d: string): void {
    this.buf += d;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onLine(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private onLine(obj: Record<string, unknown>): void {
    if (typeof obj['event'] === 'string') {
      const ev = obj as unknown as QmpClientEvent;
      for (const l of [...this.subscribers]) l(ev);
      const w = this.eventWaiters.findIndex((x) => x.name === ev.event);
      if (w >= 0) this.eventWaiters.splice(w, 1)[0]!.resolve(ev);
      else this.events.push(ev);
      return;
    }
    const w = this.waiters.shift();
    if (!w) return;
    clearTimeout(w.timer);
    w.resolve(obj);
  }

  private failAll(e: Error): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }
}
