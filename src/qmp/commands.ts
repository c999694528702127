/**
 * The QMP commands this machine answers, each a small handler over the Machine's host
 * API. Argument checking follows QEMU's visitor texts ("Parameter 'x' is unexpected").
 */
import { QNum, type QDict, type QInput } from '../qobject/index.js';
import { hotplugDevice, unplugDevice } from '../machine/device-registry.js';
import type { Machine } from '../machine/machine.js';
import { QmpError } from './errors.js';
import { HW_QMP_COMMANDS } from './commands-hw.js';

/** The QEMU version this monitor reports (the qemu-ga reference is Debian's 7.2). */
export const QMP_QEMU_VERSION = { major: 7, minor: 2, micro: 0 } as const;
/** The package string of query-version. */
export const QMP_PACKAGE = 'qga-sim';

/** What a command handler gets. */
export interface QmpCommandContext {
  /** The machine. */
  machine: Machine;
  /** Arguments (an empty dict when absent). */
  args: QDict;
  /** Runs after the response has been written (quit must answer before it exits). */
  afterResponse(fn: () => void): void;
}

/** A QMP command. */
export interface QmpCommand {
  /** Allowed argument names (others are rejected as unexpected); 'any' takes every name, as device_add does. */
  args?: readonly string[] | 'any';
  /** Handler; returns the `return` value (undefined = `{}`). */
  run(ctx: QmpCommandContext): QInput | undefined;
}

/** Rejects arguments the command does not take, in QEMU's wording. */
export function checkArgs(args: QDict, allowed: readonly string[] | 'any' = []): void {
  if (allowed === 'any') return;
  for (const k of args.keys()) if (!allowed.includes(k)) throw new QmpError(`Parameter '${k}' is unexpected`);
}

/** A required string argument, with QEMU's missing/type texts. */
function requiredString(args: QDict, name: string): string {
  const v = args.get(name);
  if (v === undefined) throw new QmpError(`Parameter '${name}' is missing`);
  if (typeof v !== 'string') throw new QmpError(`Invalid parameter type for '${name}', expected: string`);
  return v;
}

/** Runs a machine action, turning its errors into GenericError replies. */
function generic<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof QmpError) throw e;
    // Errors may carry the QMP class QEMU answers with (DeviceNotFound for unresolved links).
    const cls = e instanceof Error && 'errorClass' in e && e.errorClass === 'DeviceNotFound' ? 'DeviceNotFound' : 'GenericError';
    throw new QmpError(e instanceof Error ? e.message : String(e), cls);
  }
}

/** The built-in command table. */
export const QMP_COMMANDS: Record<string, QmpCommand> = {
  'qmp_capabilities': { args: ['enable'], run: () => undefined }, // handled by the monitor before dispatch
  'query-version': {
    run: () => ({ qemu: { major: QMP_QEMU_VERSION.major, minor: QMP_QEMU_VERSION.minor, micro: QMP_QEMU_VERSION.micro }, package: QMP_PACKAGE }),
  },
  'query-commands': {
    run: () => Object.keys(QMP_COMMANDS).map((name) => ({ name })),
  },
  'query-status': {
    run: ({ machine }) => ({ status: machine.runState, singlestep: false, running: machine.isRunning() }),
  },
  'query-name': {
    run: ({ machine }) => (machine.config.name ? { name: machine.config.name } : {}),
  },
  'query-kvm': { run: () => ({ enabled: false, present: false }) },
  'query-pci': { run: ({ machine }) => toQInput(machine.queryPci()) },
  'query-chardev': {
    run: ({ machine }) =>
      machine.chardevs.list().map((c) => ({ label: c.id, filename: c.filename, 'frontend-open': c.connected })),
  },
  'stop': { run: ({ machine }) => void machine.stop() },
  'cont': { run: ({ machine }) => generic(() => void machine.cont()) },
  'device_add': {
    args: 'any',
    run: ({ machine, args }) => {
      const driver = requiredString(args, 'driver');
      const props: [string, string][] = [];
      for (const [k, v] of args.entries()) {
        if (k === 'driver') continue;
        if (typeof v === 'string') props.push([k, v]);
        else if (typeof v === 'boolean') props.push([k, v ? 'on' : 'off']);
        else if (v instanceof QNum) props.push([k, String(v.toJs())]);
        else throw new QmpError(`Invalid parameter type for '${k}', expected: string`);
      }
      generic(() => hotplugDevice(machine, { driver, props }));
      return undefined;
    },
  },
  'device_del': { args: ['id'], run: ({ machine, args }) => generic(() => void unplugDevice(machine, requiredString(args, 'id'))) },
  'system_reset': { run: ({ machine }) => void machine.systemReset() },
  'system_powerdown': { run: ({ machine }) => void machine.systemPowerdown() },
  'system_wakeup': { run: ({ machine }) => generic(() => void machine.systemWakeup()) },
  'quit': {
    run: ({ machine, afterResponse }) => {
      afterResponse(() => machine.quit());
      return undefined;
    },
  },
  ...HW_QMP_COMMANDS,
};

/** Converts plain data (query results, event data) to QInput; undefined members are dropped. */
export function toQInput(v: unknown): QInput {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (Array.isArray(v)) return v.map(toQInput);
  if (typeof v === 'object') {
    const out: Record<string, QInput> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toQInput(x);
    return out;
  }
  return null;
}
