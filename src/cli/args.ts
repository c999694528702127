/**
 * The command line, read the way QEMU reads it: `-opt value` (or `--opt value`), with
 * the option strings of -machine, -m, -smp, -device, -chardev, -global, -rtc parsed by
 * QemuOpts rules. Our own additions are long options: --qga, --qmp, --trace, --clock,
 * --seed, --qga-version.
 */
import { TRACE_CATEGORIES, type TraceCategory } from '../core/trace.js';
import { defaultMachineConfig, type MachineConfig } from '../machine/config.js';
import { OptsReader, QemuOptsError, parseQemuOpts, parseQemuNumber, parseQemuSize } from './qemu-opts.js';
import { applyFwCfg, applyNetdev, applyNic, applyObject } from './net-args.js';
import { QGA_PROFILE_NAMES } from '../agent/schema/profiles.js';
import { parseDriveOption } from '../machine/drive-options.js';

/** Name printed in front of errors, as QEMU prints its binary name. */
export const PROGRAM_NAME = 'qga-sim';

/** How virtual time relates to host time. */
export type ClockMode = 'realtime' | 'virtual';

/** What the command line asks for. */
export interface CliRequest {
  /** The machine to build. */
  config: MachineConfig;
  /** Where the default agent socket goes (`--qga`). */
  qgaPath: string;
  /** Where the default QMP socket goes (`--qmp`). */
  qmpPath: string;
  /** Trace categories to print (`--trace`). */
  trace: TraceCategory[];
  /** Pacing (`--clock`). */
  clock: ClockMode;
  /** A listing was asked for instead of a run (`-device help`, `-machine help`, `--help`, `--version`). */
  info?: 'help' | 'version' | 'machine-help' | 'device-help';
}

/** A command-line error; the message is what QEMU would print after its name. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Guest agent versions `--qga-version` offers (the agent's profiles). */
const QGA_VERSIONS: readonly string[] = QGA_PROFILE_NAMES;

/** Options that take an argument. */
const WITH_ARG = new Set([
  'machine', 'M', 'm', 'smp', 'device', 'drive', 'chardev', 'qmp', 'mon', 'global', 'name', 'rtc', 'display', 'vga', 'serial',
  'qga', 'qmp-path', 'trace', 'clock', 'seed', 'accel', 'qga-version', 'append',
  'netdev', 'nic', 'object', 'fw_cfg',
]);
/** Flags. */
const FLAGS = new Set(['nodefaults', 'S', 'no-shutdown', 'nographic', 'help', 'h', 'version']);

/** Parses argv (without node and script) into a request; throws CliError. */
export function parseArgs(argv: readonly string[]): CliRequest {
  const req: CliRequest = { config: defaultMachineConfig(), qgaPath: './qga.sock', qmpPath: './qmp.sock', trace: [], clock: 'realtime' };
  const cfg = req.config;
  let mSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith('-') || raw === '-' || raw === '--') throw new CliError(`${raw}: invalid option`);
    // `--qmp PATH` is ours (moves the default QMP socket); `-qmp DEV` is QEMU's.
    const name = raw === '--qmp' ? 'qmp-path' : raw.replace(/^--?/, '');
    if (FLAGS.has(name)) {
      applyFlag(req, name);
      continue;
    }
    if (!WITH_ARG.has(name)) throw new CliError(`${raw}: invalid option`);
    const value = argv[++i];
    if (value === undefined) throw new CliError(`${raw}: requires an argument`);
    try {
      if (name === 'm') mSeen = true;
      applyOption(req, name, value);
    } catch (e) {
      if (e instanceof CliError) throw e;
      if (e instanceof QemuOptsError) throw new CliError(`-${name} ${value}: ${e.message}`);
      throw e;
    }
  }
  if (!mSeen) cfg.maxMem = Math.max(cfg.maxMem, cfg.ramSize);
  if (cfg.maxMem < cfg.ramSize) throw new CliError(`invalid value of maxmem: maximum memory size (0x${cfg.maxMem.toString(16)}) must be at least the initial memory size (0x${cfg.ramSize.toString(16)})`);
  return req;
}

function applyFlag(req: CliRequest, name: string): void {
  const cfg = req.config;
  if (name === 'nodefaults') cfg.noDefaults = true;
  else if (name === 'S') cfg.startPaused = true;
  else if (name === 'no-shutdown') cfg.noShutdown = true;
  else if (name === 'help' || name === 'h') req.info = 'help';
  else if (name === 'version') req.info = 'version';
  // -nographic: there is no display to turn off; accepted so QEMU command lines run.
}

function applyOption(req: CliRequest, name: string, value: string): void {
  const cfg = req.config;
  switch (name) {
    case 'machine':
    case 'M':
      return applyMachine(req, value);
    case 'm':
      return applyMemory(cfg, value);
    case 'smp':
      return applySmp(cfg, value);
    case 'device': {
      if (value === 'help' || value === '?') {
        req.info = 'device-help';
        return;
      }
      const o = parseQemuOpts(value, 'driver');
      const driver = o.implied ?? o.pairs.find(([k]) => k === 'driver')?.[1];
      if (!driver) throw new CliError(`-device ${value}: Parameter 'driver' is missing`);
      cfg.devices.push({ driver, props: o.pairs.filter(([k]) => k !== 'driver') });
      return;
    }
    case 'drive':
      cfg.drives.push(parseDriveOption(value, cfg.drives));
      return;
    case 'chardev':
      cfg.chardevs.push({ kind: 'options', value });
      return;
    case 'qmp': {
      const id = `compat_monitor${cfg.monitors.length}`;
      cfg.chardevs.push({ kind: 'compat', label: id, value });
      cfg.monitors.push({ chardev: id, mode: 'control', pretty: false });
      return;
    }
    case 'mon': {
      const o = parseQemuOpts(value, 'chardev');
      const r = new OptsReader(o, 'mon');
      const chardev = r.str('chardev') ?? o.implied;
      if (!chardev) throw new CliError(`-mon ${value}: Parameter 'chardev' is missing`);
      const mode = r.str('mode') ?? 'readline';
      if (mode !== 'control') throw new CliError(`-mon ${value}: only mode=control (QMP) is supported; the human monitor is not`);
      const pretty = r.bool('pretty', false);
      r.str('id');
      r.rejectUnknown();
      cfg.monitors.push({ chardev, mode: 'control', pretty });
      return;
    }
    case 'netdev':
      return applyNetdev(cfg, value);
    case 'nic':
      return applyNic(cfg, value);
    case 'object':
      return applyObject(cfg, value);
    case 'fw_cfg':
      return applyFwCfg(cfg, value);
    case 'global':
      return applyGlobal(cfg, value);
    case 'append':
      cfg.append = value;
      return;
    case 'name': {
      const o = parseQemuOpts(value, 'guest');
      cfg.name = o.implied ?? o.pairs.find(([k]) => k === 'guest')?.[1] ?? cfg.name;
      return;
    }
    case 'rtc': {
      const r = new OptsReader(parseQemuOpts(value), 'rtc');
      const base = r.str('base') ?? 'utc';
      if (base !== 'utc' && base !== 'localtime' && !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$/.test(base)) {
        throw new CliError(`invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'`);
      }
      r.str('clock');
      r.str('driftfix');
      r.rejectUnknown();
      cfg.rtc = { base };
      return;
    }
    case 'display':
    case 'vga':
      if (value !== 'none') throw new CliError(`-${name} ${value}: there is no display in qga-sim; only 'none' is accepted`);
      return;
    case 'serial':
      if (value !== 'none' && value !== 'null') throw new CliError(`-serial ${value}: serial ports are not modelled; use 'none'`);
      return;
    case 'accel':
      if (!/^tcg(,|$)/.test(value)) throw new CliError(`-accel ${value}: only tcg is available (qga-sim never uses KVM)`);
      return;
    case 'qga':
      req.qgaPath = value;
      return;
    case 'qmp-path':
      req.qmpPath = value;
      return;
    case 'trace':
      req.trace = parseTrace(value);
      return;
    case 'clock':
      if (value !== 'realtime' && value !== 'virtual') throw new CliError(`--clock ${value}: expected 'realtime' or 'virtual'`);
      req.clock = value;
      return;
    case 'qga-version':
      if (!QGA_VERSIONS.includes(value)) throw new CliError(`--qga-version ${value}: expected one of ${QGA_VERSIONS.join(', ')}`);
      cfg.qgaVersion = value;
      return;
    case 'seed': {
      const n = parseQemuNumber(value);
      if (n === undefined || n > 0xffff_ffff) throw new CliError(`--seed ${value}: expected an integer from 0 to 4294967295`);
      cfg.seed = n;
      return;
    }
  }
}

function applyMachine(req: CliRequest, value: string): void {
  if (value === 'help' || value === '?') {
    req.info = 'machine-help';
    return;
  }
  const o = parseQemuOpts(value, 'type');
  const r = new OptsReader(o, 'machine');
  const type = o.implied ?? r.str('type') ?? 'pc';
  if (type !== 'pc' && !/^pc-i440fx-[0-9.]+$/.test(type)) throw new CliError(`unsupported machine type\nUse -machine help to list supported machines`);
  r.str('type');
  const accel = r.str('accel');
  if (accel !== undefined && accel !== 'tcg') throw new CliError(`-machine ${value}: only accel=tcg is available`);
  req.config.memoryBlockSize = r.size('memory-block-size', req.config.memoryBlockSize);
  if (req.config.memoryBlockSize % 4096 !== 0 || req.config.memoryBlockSize === 0) throw new CliError(`-machine ${value}: memory-block-size must be a multiple of 4 KiB`);
  r.rejectUnknown();
}

function applyMemory(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value, 'size');
  const r = new OptsReader(o, 'memory');
  const sizeStr = o.implied ?? r.str('size');
  // A bare number is MiB, as in QEMU.
  const size = sizeStr === undefined ? cfg.ramSize : parseQemuSize(sizeStr, 1024 * 1024);
  if (size === undefined || size <= 0) throw new CliError(`Parameter 'size' expects a non-negative number below 2^64`);
  cfg.ramSize = Math.ceil(size / 4096) * 4096;
  cfg.memorySlots = r.uint('slots', 0);
  cfg.maxMem = r.size('maxmem', cfg.ramSize);
  r.str('size');
  r.rejectUnknown();
  if (cfg.memorySlots > 0 && cfg.maxMem === cfg.ramSize) throw new CliError(`invalid value of -m option maxmem: maximum memory size (0x${cfg.maxMem.toString(16)}) must exceed the initial memory size (0x${cfg.ramSize.toString(16)}) when slots are given`);
}

function applySmp(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value, 'cpus');
  const r = new OptsReader(o, 'smp');
  const cpusStr = o.implied ?? r.str('cpus');
  const cpus = cpusStr === undefined ? 1 : parseQemuNumber(cpusStr);
  if (cpus === undefined || cpus < 1) throw new CliError(`Parameter 'cpus' expects a number`);
  const maxCpus = r.uint('maxcpus', cpus);
  for (const k of ['sockets', 'dies', 'cores', 'threads']) r.str(k);
  r.rejectUnknown();
  if (maxCpus < cpus) throw new CliError(`Invalid SMP CPUs ${cpus}. The max CPUs supported by machine 'pc-i440fx' is ${maxCpus}`);
  if (maxCpus > 288) throw new CliError(`Invalid SMP CPUs ${maxCpus}. The max CPUs supported by machine 'pc-i440fx' is 288`);
  cfg.cpus = cpus;
  cfg.maxCpus = maxCpus;
}

function applyGlobal(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value);
  const m = /^([^.=,]+)\.([^=]+)=(.*)$/.exec(value);
  if (m && !value.startsWith('driver=')) {
    cfg.globals.push({ driver: m[1]!, prop: m[2]!, value: m[3]! });
    return;
  }
  const r = new OptsReader(o, 'global');
  const driver = r.str('driver');
  const prop = r.str('property');
  const v = r.str('value');
  r.rejectUnknown();
  if (!driver || !prop || v === undefined) throw new CliError(`Invalid format for -global: expected driver.property=value`);
  cfg.globals.push({ driver, prop, value: v });
}

function parseTrace(value: string): TraceCategory[] {
  if (value === 'all') return [...TRACE_CATEGORIES];
  const out: TraceCategory[] = [];
  for (const c of value.split(',')) {
    if (!(TRACE_CATEGORIES as readonly string[]).includes(c)) throw new CliError(`--trace ${value}: unknown category '${c}' (known: ${TRACE_CATEGORIES.join(', ')}, all)`);
    out.push(c as TraceCategory);
  }
  return out;
}
