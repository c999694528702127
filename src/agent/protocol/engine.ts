/**
 * The agent's request engine: bytes from the port in, response bytes out, everything in
 * between as qemu-ga does it — the JSON stream parser of the profile's dialect, the
 * envelope checks, the command table with its blocked and frozen states, argument
 * visiting, the handler, and the reply with QEMU's key order, newline and (after
 * guest-sync-delimited) 0xFF sentinel.
 *
 * The engine owns no I/O and no time. `feed()` only parses and queues; `drain()` is a
 * generator that works through the queue one request at a time, passing a handler's
 * yields (blocking syscalls) up to the program that drives it and writing each reply
 * before the next request starts, so replies leave in request order exactly as from
 * single-threaded qemu-ga. A driver without blocking handlers can use `process()`.
 */
import { Buffer } from 'node:buffer';
import { JsonStreamParser, QDict, toQemuJsonBytes, type JsonMessage, type QValue } from '../../qobject/index.js';
import { qgaProfile, type QgaProfile, type QgaProfileName } from '../schema/profiles.js';
import type { QgaCommandName } from '../schema/types.js';
import { builtinHandlers } from './builtins.js';
import { QgaCommandTable, checkRpcFilters, type QgaCommandEntry } from './commands.js';
import {
  QGA_ENVELOPE_2_5,
  QGA_ENVELOPE_7_2,
  QgaError,
  qgaCommandDisabled,
  qgaCommandNotFound,
  qgaGenericError,
  qgaUnsupported,
} from './errors.js';
import {
  isGenerator,
  type QgaAgentControl,
  type QgaAnyHandler,
  type QgaCommandContext,
  type QgaCommandInfo,
  type QgaHandler,
  type QgaHandlers,
} from './handler.js';
import { encodeValue } from './output.js';
import { visitArguments } from './visitor.js';

/** QGA_SENTINEL_BYTE. */
export const QGA_SENTINEL_BYTE = 0xff;

/** Where replies go: a plain callback, or a generator (a blocking write the driver runs). */
export type QgaResponseSink<Y> = (bytes: Uint8Array) => void | Generator<Y, void, unknown>;

/** Options of AgentProtocol. */
export interface AgentProtocolOptions<Y = unknown> {
  /** Which qemu-ga to be (default 7.2). */
  profile?: QgaProfileName | QgaProfile;
  /** guest-info's version string, if not the profile's. */
  version?: string;
  /** `-b`/`--blacklist`: commands to disable. */
  blockRpcs?: readonly string[];
  /** `--allow-rpcs`: refused, no modelled version has it (see checkRpcFilters). */
  allowRpcs?: readonly string[];
  /** Start in the frozen state (the state dir held qga.state.isfrozen). */
  frozen?: boolean;
  /** Command handlers; the built-in ones are added unless replaced here. */
  handlers?: QgaHandlers<Y>;
  /** Where replies go; without it they collect for takeOutput(). */
  write?: QgaResponseSink<Y>;
}

const NEWLINE = new Uint8Array([0x0a]);

/** The request engine of one agent. Y is what blocking handlers yield. */
export class AgentProtocol<Y = unknown> implements QgaAgentControl {
  /** The profile in force. */
  readonly profile: QgaProfile;
  /** guest-info's version string. */
  readonly version: string;
  private readonly table: QgaCommandTable;
  private readonly handlers = new Map<string, QgaAnyHandler<Y>>();
  private readonly parser: JsonStreamParser;
  private readonly queue: JsonMessage[] = [];
  private readonly sink: QgaResponseSink<Y> | undefined;
  private outbox: Uint8Array[] = [];
  private delimitNext = false;
  private draining = false;
  private running = false;

  /** Sets up the agent; throws QgaConfigError for options the profile's qemu-ga refuses. */
  constructor(options: AgentProtocolOptions<Y> = {}) {
    this.profile = typeof options.profile === 'object' ? options.profile : qgaProfile(options.profile);
    checkRpcFilters(this.profile, options.allowRpcs);
    this.version = options.version ?? this.profile.version;
    this.table = new QgaCommandTable(this.profile, options.blockRpcs);
    if (options.frozen === true) this.table.freeze();
    this.parser = new JsonStreamParser((m) => this.queue.push(m), { dialect: this.profile.dialect });
    this.sink = options.write;
    this.registerAll(builtinHandlers(() => this.version) as QgaHandlers<Y>);
    if (options.handlers !== undefined) this.registerAll(options.handlers);
  }

  /** Sets the handler of a command of the profile (replacing any). */
  register<K extends QgaCommandName>(name: K, handler: QgaHandler<K, Y>): this;
  /** Sets an untyped handler. */
  register(name: string, handler: QgaAnyHandler<Y>): this;
  register(name: string, handler: QgaAnyHandler<Y>): this {
    if (this.table.find(name) === undefined) throw new Error(`qga: '${name}' is not a command of profile ${this.profile.name}`);
    this.handlers.set(name, handler);
    return this;
  }

  /** Sets several handlers; commands the profile lacks are skipped (one set serves all profiles). */
  registerAll(handlers: QgaHandlers<Y>): this {
    for (const [name, h] of Object.entries(handlers)) {
      if (h !== undefined && this.table.find(name) !== undefined) this.handlers.set(name, h as QgaAnyHandler<Y>);
    }
    return this;
  }

  /** Command names in registration order (what `-b ?` lists). */
  commandNames(): string[] {
    return this.table.list().map((e) => e.name);
  }

  /** Each command as guest-info reports it, in registration order. */
  commandInfo(): QgaCommandInfo[] {
    return this.table.list().map((e) => ({ name: e.name, enabled: e.enabled, 'success-response': e.def.successResponse }));
  }

  /** Whether the agent is in the frozen state. */
  get frozen(): boolean {
    return this.table.frozen;
  }

  /** ga_set_frozen. */
  freeze(): void {
    this.table.freeze();
  }

  /** ga_unset_frozen. */
  thaw(): void {
    this.table.thaw();
  }

  /** Requests parsed and not yet answered (a running one included). */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Whether drain() is running (possibly suspended in a handler). */
  get busy(): boolean {
    return this.draining;
  }

  /** Bytes from the channel, with any boundaries; complete requests are queued. */
  feed(bytes: Uint8Array): void {
    this.parser.feed(bytes);
  }

  /** Forgets a partial request (a fresh parser, as after restarting the agent). */
  resetParser(): void {
    this.parser.reset();
  }

  /**
   * Answers every queued request in order, including ones fed while it runs, then
   * returns. Yields whatever blocking handlers and the response sink yield. Only one
   * drain may run at a time.
   */
  *drain(): Generator<Y, void, unknown> {
    if (this.draining) throw new Error('qga: drain() is already running');
    this.draining = true;
    try {
      for (let msg = this.queue.shift(); msg !== undefined; msg = this.queue.shift()) {
        this.running = true;
        const rsp = yield* this.handle(msg);
        if (rsp !== null) yield* this.send(rsp);
        this.running = false;
      }
    } finally {
      this.draining = false;
      this.running = false;
    }
  }

  /** Replies collected so far (when there is no `write` sink), concatenated; clears them. */
  takeOutput(): Uint8Array {
    const out = this.outbox.length === 1 ? this.outbox[0]! : new Uint8Array(Buffer.concat(this.outbox));
    this.outbox = [];
    return out;
  }

  /**
   * feed() + drain() + takeOutput() for handlers that never block; throws if one yields
   * (drive drain() yourself then).
   */
  process(bytes: Uint8Array): Uint8Array {
    this.feed(bytes);
    const gen = this.drain();
    const step = gen.next();
    if (step.done !== true) {
      gen.return(undefined);
      throw new Error('qga: a handler blocked; drive drain() instead of process()');
    }
    return this.takeOutput();
  }

  private *send(rsp: QDict): Generator<Y, void, unknown> {
    const json = toQemuJsonBytes(rsp, { dialect: this.profile.dialect });
    const parts: Uint8Array[] = [];
    if (this.delimitNext) {
      parts.push(new Uint8Array([QGA_SENTINEL_BYTE]));
      this.delimitNext = false;
    }
    parts.push(json, NEWLINE);
    const bytes = new Uint8Array(Buffer.concat(parts));
    if (this.sink === undefined) {
      this.outbox.push(bytes);
      return;
    }
    const r = this.sink(bytes);
    if (isGenerator(r)) yield* r as Generator<Y, void, unknown>;
  }

  /** One message to its reply (null: none, as after a successful no-reply command). */
  private *handle(msg: JsonMessage): Generator<Y, QDict | null, unknown> {
    if (msg.error !== undefined) return errorDict('GenericError', msg.error);
    return this.profile.wire === '2.5' ? yield* this.handleLegacy(msg.value) : yield* this.handleModern(msg.value);
  }

  /** 7.2: qmp_dispatch with allow_oob false. */
  private *handleModern(req: QValue): Generator<Y, QDict | null, unknown> {
    if (!(req instanceof QDict)) return errorResponse(qgaGenericError(QGA_ENVELOPE_7_2.notObject));
    const id = req.get('id');
    let rsp: QDict | null;
    try {
      for (const [key, value] of req) {
        if (key === 'execute') {
          if (typeof value !== 'string') throw qgaGenericError(QGA_ENVELOPE_7_2.memberNotString(key));
        } else if (key === 'arguments') {
          if (!(value instanceof QDict)) throw qgaGenericError(QGA_ENVELOPE_7_2.argumentsNotObject);
        } else if (key !== 'id') {
          throw qgaGenericError(QGA_ENVELOPE_7_2.unexpected(key));
        }
      }
      const name = req.get('execute');
      if (typeof name !== 'string') throw qgaGenericError(QGA_ENVELOPE_7_2.lacksExecute);
      const args = req.get('arguments');
      rsp = yield* this.dispatch(name, args instanceof QDict ? args : new QDict(), id);
      if (rsp === null) return null;
    } catch (e) {
      if (!(e instanceof QgaError)) throw e;
      rsp = errorResponse(e);
    }
    if (id !== undefined) rsp.set('id', id);
    return rsp;
  }

  /** 2.5: process_event, then qmp_dispatch for anything with "execute". */
  private *handleLegacy(req: QValue): Generator<Y, QDict | null, unknown> {
    if (!(req instanceof QDict)) return errorResponse(qgaGenericError(QGA_ENVELOPE_2_5.notObject));
    if (!req.has('execute')) {
      // An object carrying "error" is sent back as it came (2.5 treated it as a reply to relay).
      return req.has('error') ? req : errorResponse(qgaGenericError(QGA_ENVELOPE_2_5.noExecute));
    }
    try {
      for (const [key, value] of req) {
        if (key === 'execute') {
          if (typeof value !== 'string') throw qgaGenericError(QGA_ENVELOPE_2_5.executeNotString);
        } else if (key !== 'arguments') {
          throw qgaGenericError(QGA_ENVELOPE_2_5.unexpected(key));
        }
      }
      const args = req.get('arguments');
      // Present but not an object reads as NULL: every member then counts as absent.
      return yield* this.dispatch(req.get('execute') as string, args === undefined ? new QDict() : args instanceof QDict ? args : null, undefined);
    } catch (e) {
      if (!(e instanceof QgaError)) throw e;
      return errorResponse(e);
    }
  }

  /** Command lookup, enabled check, marshalling and the handler; throws QgaError. */
  private *dispatch(name: string, args: QDict | null, id: QValue | undefined): Generator<Y, QDict | null, unknown> {
    const entry = this.table.find(name);
    if (entry === undefined) throw qgaCommandNotFound(name);
    if (!entry.enabled) throw qgaCommandDisabled(this.profile.wire, name, entry.reason);
    const plain = visitArguments(entry.def, args, { schema: this.profile.schema, wire: this.profile.wire, glib: this.profile.glib });
    const handler = this.handlers.get(name);
    if (handler === undefined) throw qgaUnsupported();
    const ctx = this.context(entry, args ?? new QDict(), id);
    const r = handler(plain, ctx);
    const value = isGenerator(r) ? yield* r as Generator<Y, unknown, unknown> : r;
    if (!entry.def.successResponse) return null;
    const ret =
      entry.def.returns === undefined
        ? new QDict()
        : encodeValue(this.profile.schema, entry.def.returns, value, this.profile.wire, `${name} result`);
    return new QDict().set('return', ret);
  }

  private context(entry: QgaCommandEntry, rawArgs: QDict, id: QValue | undefined): QgaCommandContext {
    return {
      command: entry.name,
      profile: this.profile,
      rawArgs,
      id,
      agent: this,
      setResponseDelimited: () => {
        this.delimitNext = true;
      },
      commandInfo: () => this.commandInfo(),
    };
  }
}

/** `{"error": {"class": ..., "desc": ...}}`. */
function errorResponse(e: QgaError): QDict {
  return errorDict(e.errorClass, e.desc);
}

function errorDict(errorClass: string, desc: string): QDict {
  return new QDict().set('error', new QDict().set('class', errorClass).set('desc', desc));
}
