/**
 * A QMP monitor on a chardev: greeting on connect, capabilities negotiation, command
 * dispatch with QEMU's error texts, `id` echo, and events once negotiated. Output lines
 * end in CRLF, as QEMU's monitor writes them.
 */
import { JsonStreamParser, QDict, isQDict, qdict, toQemuJsonBytes, type QInput, type QValue } from '../qobject/index.js';
import type { Chardev } from '../chardev/index.js';
import type { Machine } from '../machine/machine.js';
import type { MachineEvent } from '../machine/run-state.js';
import { QMP_COMMANDS, QMP_QEMU_VERSION, QMP_PACKAGE, checkArgs, toQInput } from './commands.js';
import { QMP_ERR_ALREADY_NEGOTIATED, QMP_ERR_NEED_NEGOTIATION, QMP_ERR_NO_EXECUTE, QMP_ERR_NOT_OBJECT, QmpError, qmpCommandNotFound } from './errors.js';

/** Most output bytes kept while the client is not reading; beyond it the client is disconnected, as a stuck QMP client would stall QEMU's events. */
export const QMP_OUTPUT_LIMIT = 16 * 1024 * 1024;

/** One QMP monitor bound to one chardev. */
export class QmpMonitor {
  private parser: JsonStreamParser;
  private negotiated = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly offEvent: (ev: MachineEvent) => void;

  /** Attaches to `chardev`; greets every client that connects. */
  constructor(
    private readonly machine: Machine,
    private readonly chardev: Chardev,
  ) {
    this.parser = new JsonStreamParser((m) => this.onMessage(m));
    chardev.on('open', () => this.onOpen());
    chardev.on('close', () => this.onClose());
    chardev.on('data', (d) => this.parser.feed(d));
    chardev.on('drain', () => this.flush());
    this.offEvent = (ev) => this.onEvent(ev);
    machine.on('event', this.offEvent);
    if (chardev.connected) this.onOpen();
  }

  /** Detaches from the machine (the chardev is closed by its owner). */
  detach(): void {
    this.machine.off('event', this.offEvent);
  }

  private onOpen(): void {
    this.negotiated = false;
    this.parser.reset();
    this.send({ QMP: { version: { qemu: { major: QMP_QEMU_VERSION.major, minor: QMP_QEMU_VERSION.minor, micro: QMP_QEMU_VERSION.micro }, package: QMP_PACKAGE }, capabilities: ['oob'] } });
  }

  private onClose(): void {
    this.negotiated = false;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private onEvent(ev: MachineEvent): void {
    if (!this.negotiated || !this.chardev.connected) return;
    const obj: Record<string, QInput> = { event: ev.event };
    if (ev.data) obj['data'] = toQInput(ev.data);
    obj['timestamp'] = { seconds: ev.timestamp.seconds, microseconds: ev.timestamp.microseconds };
    this.send(obj);
  }

  private onMessage(m: { value: QValue } | { error: string }): void {
    if ('error' in m) return this.sendError(new QmpError(m.error), undefined);
    const req = m.value;
    if (!isQDict(req)) return this.sendError(new QmpError(QMP_ERR_NOT_OBJECT), undefined);
    const id = req.get('id');
    try {
      const name = this.checkRequest(req);
      const args = req.get('arguments');
      const argDict = isQDict(args) ? args : new QDict();
      if (!this.negotiated && name !== 'qmp_capabilities') throw new QmpError(QMP_ERR_NEED_NEGOTIATION, 'CommandNotFound');
      if (name === 'qmp_capabilities') {
        if (this.negotiated) throw new QmpError(QMP_ERR_ALREADY_NEGOTIATED, 'CommandNotFound');
        checkCapabilities(argDict);
        this.negotiated = true;
        return this.sendReturn({}, id);
      }
      const cmd = QMP_COMMANDS[name];
      if (!cmd) throw qmpCommandNotFound(name);
      checkArgs(argDict, cmd.args);
      const after: (() => void)[] = [];
      this.machine.trace.emit(this.machine.sched.now(), 'qmp', 'monitor', `execute ${name}`);
      const ret = cmd.run({ machine: this.machine, args: argDict, afterResponse: (fn) => after.push(fn) });
      this.sendReturn(ret ?? {}, id);
      for (const fn of after) fn();
    } catch (e) {
      if (e instanceof QmpError) this.sendError(e, id);
      else this.sendError(new QmpError(e instanceof Error ? e.message : String(e)), id);
    }
  }

  private checkRequest(req: QDict): string {
    let name: string | undefined;
    for (const [k, v] of req.entries()) {
      if (k === 'execute') {
        if (typeof v !== 'string') throw new QmpError("QMP input member 'execute' must be a string");
        name = v;
      } else if (k === 'arguments') {
        if (!isQDict(v)) throw new QmpError("QMP input member 'arguments' must be an object");
      } else if (k !== 'id') {
        throw new QmpError(`QMP input member '${k}' is unexpected`);
      }
    }
    if (name === undefined) throw new QmpError(QMP_ERR_NO_EXECUTE);
    return name;
  }

  private sendReturn(ret: QInput, id: QValue | undefined): void {
    const obj: Record<string, QInput> = { return: ret };
    if (id !== undefined) obj['id'] = id;
    this.send(obj);
  }

  private sendError(e: QmpError, id: QValue | undefined): void {
    const obj: Record<string, QInput> = { error: { class: e.errorClass, desc: e.message } };
    if (id !== undefined) obj['id'] = id;
    this.send(obj);
  }

  private send(obj: Record<string, QInput>): void {
    const body = toQemuJsonBytes(qdict(obj));
    const line = new Uint8Array(body.length + 2);
    line.set(body);
    line[body.length] = 0x0d;
    line[body.length + 1] = 0x0a;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes > QMP_OUTPUT_LIMIT) {
      this.pending = [];
      this.pendingBytes = 0;
      this.chardev.disconnect();
      return;
    }
    this.flush();
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = this.chardev.write(head);
      if (n === head.length) {
        this.pending.shift();
        this.pendingBytes -= n;
        continue;
      }
      if (n > 0) {
        this.pending[0] = head.subarray(n);
        this.pendingBytes -= n;
      }
      if (!this.chardev.connected) {
        this.pending = [];
        this.pendingBytes = 0;
      }
      return;
    }
  }
}

function checkCapabilities(args: QDict): void {
  checkArgs(args, ['enable']);
  const en = args.get('enable');
  if (en === undefined) return;
  if (!Array.isArray(en)) throw new QmpError("Invalid parameter type for 'enable', expected: array");
  en.forEach((c, i) => {
    if (c !== 'oob') throw new QmpError(`Parameter 'enable[${i}]' does not accept value '${typeof c === 'string' ? c : ''}'`);
  });
}
