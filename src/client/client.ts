/**
 * The host side of the agent protocol, as management software speaks it. The channel
 * to qemu-ga has no session: whatever a previous client left half-sent, or a reply that
 * came after its command timed out, may still be in the pipe. So before its first
 * command, and after anything that leaves the stream in doubt (a timeout, a command
 * that sends no reply), the client resynchronises: it sends 0xFF (making the agent drop
 * any partial request) and guest-sync-delimited with a fresh id, throws away every byte
 * up to the agent's 0xFF sentinel, and every reply after it whose return is not that id.
 *
 * Commands run one at a time, in call order. Ids come from a seeded Prng, so a run is
 * reproducible; timeouts are host milliseconds (this side lives in real time).
 */
import { Buffer } from 'node:buffer';
import { Prng } from '../core/prng.js';
import {
  JsonStreamParser,
  QDict,
  QNum,
  qdict,
  toQemuJson,
  type JsonMessage,
  type QInputObject,
} from '../qobject/index.js';
import { qgaProfile, type QgaProfileName } from '../agent/schema/profiles.js';
import type { QapiSchema } from '../agent/schema/qapi.js';
import type { QgaCommandArgs, QgaCommandName, QgaCommandReturn } from '../agent/schema/types.js';
import { decodeReturn } from './decode.js';
import { QgaClientError, QgaConnectionError, QgaTimeoutError } from './errors.js';
import type { QgaTransport } from './transport.js';

/** Default bound on a command's reply, in host milliseconds. */
export const QGA_CLIENT_TIMEOUT_MS = 10_000;
/** Default bound on a resync (libvirt allows the agent 5 s to answer its sync). */
export const QGA_CLIENT_SYNC_TIMEOUT_MS = 5_000;
/** Default wait for an error reply to a command that sends none on success. */
export const QGA_CLIENT_NO_RESPONSE_TIMEOUT_MS = 5_000;

/** Client options. */
export interface QgaClientOptions {
  /** Seed of the sync-id generator (default 1), if no `prng` is given. */
  seed?: number | string;
  /** The sync-id generator itself. */
  prng?: Prng;
  /** Default per-command timeout. */
  timeoutMs?: number;
  /** Timeout of a resync. */
  syncTimeoutMs?: number;
  /** Default wait for an error reply to a no-reply command. */
  noResponseTimeoutMs?: number;
  /** Whose schema decodes replies (default 7.2); any profile's agent can be talked to. */
  profile?: QgaProfileName;
  /** Resync before every command, as libvirt does, not only when in doubt. */
  syncEveryCommand?: boolean;
  /**
   * The VM's QMP events (a QmpClient). With it, guest-shutdown and guest-suspend-*
   * complete as libvirt completes them: when the event the command causes arrives
   * (RESET for a reboot, SHUTDOWN for the other modes, SUSPEND or SUSPEND_DISK), and
   * fail if neither it nor an error reply came in time.
   */
  qmp?: QgaEventSource;
}

/** Where QMP events come from; QmpClient is one. */
export interface QgaEventSource {
  /** Calls `listener` for each event from now on; returns the unsubscribe function. */
  subscribe(listener: (e: { event: string }) => void): () => void;
}

/** The QMP events that tell a no-reply command took effect, as libvirt awaits them. */
export const QGA_COMPLETION_EVENTS: Readonly<Record<string, readonly string[]>> = {
  'guest-shutdown': ['SHUTDOWN'],
  'guest-shutdown:reboot': ['RESET'],
  'guest-suspend-ram': ['SUSPEND'],
  'guest-suspend-hybrid': ['SUSPEND'],
  'guest-suspend-disk': ['SUSPEND_DISK', 'SUSPEND'],
};

/** Per-call options. */
export interface QgaCallOptions {
  /** This call's timeout, in host milliseconds. */
  timeoutMs?: number;
}

/**
 * Options of commands that send no reply on success (guest-shutdown, guest-suspend-*).
 * Such a call fails only on an error reply. It succeeds as soon as `waitFor` resolves
 * (e.g. when the host saw the SHUTDOWN or SUSPEND QMP event, as libvirt waits for
 * them), when `timeoutMs` passes without an error reply, or when the connection closes
 * (the VM went away). A rejection of `waitFor` fails the call.
 */
export interface QgaNoResponseOptions {
  /** How long an error reply (or, with `qmp`, the completion event) may take. */
  timeoutMs?: number;
  /**
   * Resolves when the command is known to have taken effect; called before the command
   * is sent, so it can subscribe first. `done` aborts once the call has finished.
   */
  waitFor?: (done: AbortSignal) => Promise<void>;
}

interface Waiter {
  /** Whether this waiter takes the message; a refused one is skipped. */
  accept(msg: JsonMessage): boolean;
  /** Takes a reply (or an unparsable one). */
  deliver(msg: JsonMessage): void;
  /** The connection ended. */
  closed(error: Error): void;
}

const SENTINEL = 0xff;

/** The protocol machinery; QgaClient adds a typed method per command. */
export class QgaClientBase {
  private readonly transport: QgaTransport;
  private readonly prng: Prng;
  private readonly schema: QapiSchema;
  private readonly parser: JsonStreamParser;
  private readonly timeoutMs: number;
  private readonly syncTimeoutMs: number;
  private readonly noResponseTimeoutMs: number;
  private readonly syncEveryCommand: boolean;
  private readonly qmp: QgaEventSource | undefined;
  private skipping = false;
  private waiter: Waiter | undefined;
  private needSync = true;
  private closeError: Error | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  /** Wraps an open transport; nothing is sent until the first call. */
  constructor(transport: QgaTransport, options: QgaClientOptions = {}) {
    this.transport = transport;
    this.prng = options.prng ?? new Prng(options.seed ?? 1);
    this.schema = qgaProfile(options.profile ?? '7.2').schema;
    this.timeoutMs = options.timeoutMs ?? QGA_CLIENT_TIMEOUT_MS;
    this.syncTimeoutMs = options.syncTimeoutMs ?? QGA_CLIENT_SYNC_TIMEOUT_MS;
    this.noResponseTimeoutMs = options.noResponseTimeoutMs ?? QGA_CLIENT_NO_RESPONSE_TIMEOUT_MS;
    this.syncEveryCommand = options.syncEveryCommand ?? false;
    this.qmp = options.qmp;
    this.parser = new JsonStreamParser((m) => this.onMessage(m));
    transport.onData((b) => this.onBytes(b));
    transport.onClose((e) => this.onClosed(e));
  }

  /** Whether the stream is known to be in step (no resync due). */
  get synced(): boolean {
    return !this.needSync;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.closeError !== undefined;
  }

  /** Resynchronises now (queued behind calls already made). */
  sync(options: QgaCallOptions = {}): Promise<void> {
    return this.run(() => this.doSync(options.timeoutMs ?? this.syncTimeoutMs));
  }

  /**
   * Runs any command and resolves with its decoded `return` (undefined for commands
   * without one); rejects with QgaClientError for an error reply, QgaTimeoutError, or
   * QgaConnectionError.
   */
  execute(name: string, args?: object, options: QgaCallOptions = {}): Promise<unknown> {
    return this.run(async () => {
      if (this.needSync || this.syncEveryCommand) await this.doSync(this.syncTimeoutMs);
      return this.doCommand(name, args, options.timeoutMs ?? this.timeoutMs);
    });
  }

  /**
   * Runs a command that sends no reply on success; see QgaNoResponseOptions. With the
   * `qmp` option and no `waitFor` of its own, a known command waits for its QMP event
   * (QGA_COMPLETION_EVENTS) and a timeout without it is a QgaTimeoutError.
   */
  executeNoResponse(name: string, args?: object, options: QgaNoResponseOptions = {}): Promise<void> {
    const mode = (args as { mode?: unknown } | undefined)?.mode;
    const events = QGA_COMPLETION_EVENTS[name === 'guest-shutdown' && mode === 'reboot' ? 'guest-shutdown:reboot' : name];
    const viaQmp = options.waitFor === undefined && this.qmp !== undefined && events !== undefined;
    const opts: QgaNoResponseOptions = viaQmp ? { ...options, waitFor: (done) => this.qmpEvent(events, done) } : options;
    return this.run(async () => {
      if (this.needSync || this.syncEveryCommand) await this.doSync(this.syncTimeoutMs);
      return this.doNoResponse(name, args, opts, viaQmp);
    });
  }

  /** Resolves on the first of `events` from the QMP source; unsubscribes when `done` aborts. */
  private qmpEvent(events: readonly string[], done: AbortSignal): Promise<void> {
    const src = this.qmp!;
    return new Promise<void>((resolve) => {
      const off = src.subscribe((e) => {
        if (!events.includes(e.event)) return;
        off();
        resolve();
      });
      done.addEventListener('abort', off, { once: true });
    });
  }

  /** Ends the connection; pending and later calls fail with QgaConnectionError. */
  close(): void {
    this.transport.close();
    this.onClosed(undefined);
  }

  /** execute() with the command's types. */
  protected call<K extends QgaCommandName>(
    name: K,
    args: QgaCommandArgs<K> | undefined,
    options?: QgaCallOptions,
  ): Promise<QgaCommandReturn<K>> {
    return this.execute(name, args, options) as Promise<QgaCommandReturn<K>>;
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(() => {
      if (this.closeError !== undefined) throw new QgaConnectionError('the connection to qemu-ga is closed', { cause: this.closeError });
      return op();
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async doSync(timeoutMs: number): Promise<void> {
    const id = this.prng.nextU32();
    const want = BigInt(id);
    this.needSync = true;
    this.skipping = true;
    await this.exchange(
      request('guest-sync-delimited', { id }),
      true,
      (m) => {
        const r = m.value instanceof QDict ? m.value.get('return') : undefined;
        if (r instanceof QNum && r.isInteger && r.value === want) return true;
        // Stale (or garbled): the reply we want comes behind another sentinel.
        this.skipping = true;
        return false;
      },
      timeoutMs,
      'guest-sync-delimited',
    );
    this.needSync = false;
  }

  private async doCommand(name: string, args: object | undefined, timeoutMs: number): Promise<unknown> {
    const m = await this.exchange(request(name, args), false, () => true, timeoutMs, name);
    const v = m.value;
    if (v instanceof QDict) {
      const err = v.get('error');
      if (err instanceof QDict) throw new QgaClientError(name, String(err.get('class')), String(err.get('desc')));
      const ret = v.get('return');
      if (ret !== undefined) return decodeReturn(this.schema, name, ret);
    }
    this.needSync = true;
    throw new QgaConnectionError(`unexpected reply to ${name}: ${m.error ?? toQemuJson(v ?? null)}`);
  }

  private doNoResponse(name: string, args: object | undefined, options: QgaNoResponseOptions, eventRequired: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finished = new AbortController();
      // inStep: false when we stop listening with the outcome of the command unknown.
      const finish = (error: Error | undefined, inStep: boolean) => {
        if (done) return;
        done = true;
        finished.abort();
        clearTimeout(timer);
        if (this.waiter === waiter) this.waiter = undefined;
        if (!inStep) this.needSync = true;
        if (error !== undefined) reject(error);
        else resolve();
      };
      const waiter: Waiter = {
        accept: () => true,
        deliver: (m) => {
          const err = m.value instanceof QDict ? m.value.get('error') : undefined;
          if (err instanceof QDict) finish(new QgaClientError(name, String(err.get('class')), String(err.get('desc'))), true);
          else finish(undefined, m.value instanceof QDict && m.value.has('return'));
        },
        closed: () => finish(undefined, false),
      };
      this.waiter = waiter;
      const timeoutMs = options.timeoutMs ?? this.noResponseTimeoutMs;
      const timer = setTimeout(() => finish(eventRequired ? new QgaTimeoutError(name, timeoutMs) : undefined, false), timeoutMs);
      options.waitFor?.(finished.signal).then(
        () => finish(undefined, false),
        (e: unknown) => finish(e instanceof Error ? e : new Error(String(e)), false),
      );
      try {
        this.send(request(name, args), false);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)), false);
      }
    });
  }

  /**
   * Sends `text` and waits for the next message `accept` takes. The waiter is in place
   * before the write, so a transport that answers from inside write() is no problem.
   */
  private exchange(
    text: string,
    withSentinel: boolean,
    accept: (m: JsonMessage) => boolean,
    timeoutMs: number,
    command: string,
  ): Promise<JsonMessage> {
    return new Promise<JsonMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiter === waiter) this.waiter = undefined;
        this.needSync = true;
        reject(new QgaTimeoutError(command, timeoutMs));
      }, timeoutMs);
      const waiter: Waiter = {
        accept,
        deliver: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        closed: (e) => {
          clearTimeout(timer);
          reject(new QgaConnectionError(`the connection to qemu-ga closed during ${command}`, { cause: e }));
        },
      };
      this.waiter = waiter;
      try {
        this.send(text, withSentinel);
      } catch (e) {
        clearTimeout(timer);
        if (this.waiter === waiter) this.waiter = undefined;
        this.needSync = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private send(text: string, withSentinel: boolean): void {
    const body = Buffer.from(text, 'latin1');
    this.transport.write(new Uint8Array(withSentinel ? Buffer.concat([Buffer.from([SENTINEL]), body]) : body));
  }

  private onBytes(bytes: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== SENTINEL) continue;
      this.feed(bytes.subarray(start, i));
      // The sentinel says: forget any partial reply, the next one starts here.
      this.parser.reset();
      this.skipping = false;
      start = i + 1;
    }
    this.feed(bytes.subarray(start));
  }

  private feed(segment: Uint8Array): void {
    if (!this.skipping && segment.length > 0) this.parser.feed(segment);
  }

  private onMessage(m: JsonMessage): void {
    const w = this.waiter;
    if (w === undefined) return;
    if (!w.accept(m)) return;
    this.waiter = undefined;
    w.deliver(m);
  }

  private onClosed(error: Error | undefined): void {
    if (this.closeError !== undefined) return;
    this.closeError = error ?? new QgaConnectionError('connection closed');
    const w = this.waiter;
    this.waiter = undefined;
    w?.closed(this.closeError);
  }
}

/** A request's text: `{"execute": name, "arguments": args}` (arguments left out if absent). */
function request(name: string, args: object | undefined): string {
  return toQemuJson(qdict([
    ['execute', name],
    ['arguments', args === undefined ? undefined : qdict(args as QInputObject)],
  ]));
}
