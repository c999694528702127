/**
 * `-chardev` option strings and the legacy shorthand of -serial/-qmp/-monitor
 * (QEMU's qemu_chr_parse_compat), turned into chardev specs and then chardevs.
 *
 * The checks run in QEMU's order: unknown keys (QemuOpts validation), a malformed id,
 * a missing id, a missing or unknown backend, then the backend's own checks. Keys QEMU
 * knows but a backend does not use are ignored, as QEMU ignores them; keys whose
 * feature qga-sim lacks (telnet, TLS, mux, ...) fail clearly instead of being ignored.
 */
import { OptsReader, QemuOptsError, parseQemuOpts, splitQemuOpts } from '../cli/qemu-opts.js';
import type { Chardev } from './chardev.js';
import { FileChardev, type FileChardevOptions } from './file.js';
import { NullChardev } from './null.js';
import { SocketChardev, type SocketChardevOptions } from './socket.js';

/** Backends this simulator implements, for help texts. */
export const CHARDEV_BACKENDS: readonly string[] = ['file', 'null', 'socket'];

// Every key of QEMU's qemu_chardev_opts list: anything else is "Invalid parameter".
const CHARDEV_OPTION_NAMES = new Set([
  'id', 'backend', 'path', 'input-path', 'host', 'port', 'fd', 'localaddr', 'localport', 'to', 'ipv4', 'ipv6',
  'wait', 'server', 'delay', 'nodelay', 'reconnect', 'reconnect-ms', 'telnet', 'tn3270', 'tls-creds', 'tls-authz',
  'websocket', 'width', 'height', 'cols', 'rows', 'mux', 'signal', 'name', 'debug', 'size', 'chardev', 'append',
  'logfile', 'logappend', 'mouse', 'clipboard', 'tight', 'abstract',
]);

// Backends QEMU has but qga-sim does not; they get a clearer message than an unknown name.
const QEMU_ONLY_BACKENDS = new Set([
  'braille', 'console', 'dbus', 'hub', 'memory', 'msmouse', 'mux', 'parallel', 'parport', 'pipe', 'pty',
  'qemu-vdagent', 'ringbuf', 'serial', 'spiceport', 'spicevmc', 'stdio', 'testdev', 'tty', 'udp', 'vc', 'wctablet',
]);

/** A parsed chardev description, ready to instantiate. */
export type ChardevSpec =
  | { backend: 'socket'; id: string; options: SocketChardevOptions }
  | { backend: 'file'; id: string; options: FileChardevOptions }
  | { backend: 'null'; id: string };

/** QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
export function isWellFormedId(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(id);
}

function unsupported(what: string, why?: string): QemuOptsError {
  return new QemuOptsError(`${what} is not supported by qga-sim${why === undefined ? '' : ` (${why})`}`);
}

/**
 * Bare `noKEY` means KEY=off in QemuOpts (the deprecated short form `nowait` lives on
 * in countless scripts); parseQemuOpts leaves that to us, so find the bare words.
 */
function normalizeFlags(s: string, pairs: [string, string][], skipFirst: boolean): [string, string][] {
  const parts = splitQemuOpts(s).slice(skipFirst ? 1 : 0);
  const bare = new Set(parts.filter((p) => p !== '' && !p.includes('=')));
  return pairs.map(([k, v]): [string, string] => (bare.has(k) && k.startsWith('no') ? [k.slice(2), 'off'] : [k, v]));
}

function checkKeys(pairs: [string, string][]): void {
  for (const [k] of pairs) {
    if (!CHARDEV_OPTION_NAMES.has(k)) throw new QemuOptsError(`Invalid parameter '${k}'`);
  }
}

function parseSocket(id: string, r: OptsReader): ChardevSpec {
  const path = r.str('path');
  const host = r.str('host');
  const port = r.str('port');
  const fd = r.str('fd');
  if ([path, fd, host].filter((x) => x !== undefined).length > 1) {
    throw new QemuOptsError("None or one of 'path', 'fd' or 'host' option required.");
  }
  if (host !== undefined && port === undefined) throw new QemuOptsError('chardev: socket: no port given');
  if (fd !== undefined) throw unsupported("chardev: socket: 'fd'");
  if (path === undefined && host === undefined) {
    throw new QemuOptsError("chardev: socket: no address given (use 'path' or 'host' and 'port')");
  }
  if (r.str('delay') !== undefined && r.str('nodelay') !== undefined) {
    throw new QemuOptsError("'delay' and 'nodelay' are mutually exclusive");
  }
  const nodelay = !r.bool('delay', true) || r.bool('nodelay', false);
  const server = r.bool('server', false);
  if (r.bool('telnet', false)) throw unsupported("chardev: socket: 'telnet'", 'sockets carry raw bytes only');
  if (r.bool('tn3270', false)) throw unsupported("chardev: socket: 'tn3270'", 'sockets carry raw bytes only');
  const websocket = r.bool('websocket', false);
  const hasWait = r.str('wait') !== undefined || server;
  const wait = r.bool('wait', true);
  const hasReconnect = r.str('reconnect') !== undefined;
  const reconnect = r.uint('reconnect', 0);
  const hasReconnectMs = r.str('reconnect-ms') !== undefined;
  const reconnectMs = r.uint('reconnect-ms', 0);
  if (r.str('tls-creds') !== undefined || r.str('tls-authz') !== undefined) throw unsupported("chardev: socket: TLS ('tls-creds')");
  if (path !== undefined && r.bool('abstract', false)) throw unsupported("chardev: socket: 'abstract'");
  for (const k of ['to', 'ipv4', 'ipv6']) {
    if (host !== undefined && r.str(k) !== undefined) throw unsupported(`chardev: socket: '${k}'`);
  }

  // qmp_chardev_validate_socket(), in its order.
  if (server) {
    if (hasReconnect) throw new QemuOptsError("'reconnect' option is incompatible with socket in server listen mode");
  } else {
    if (websocket) throw new QemuOptsError('Websocket client is not implemented');
    if (hasWait) throw new QemuOptsError("'wait' option is incompatible with socket in client connect mode");
  }
  if (hasReconnect && hasReconnectMs) throw new QemuOptsError("'reconnect' and 'reconnect-ms' are mutually exclusive");

  let address: SocketChardevOptions['address'];
  if (path !== undefined) {
    address = { type: 'unix', path };
  } else {
    const h = host ?? '';
    const p = port ?? '';
    // QEMU hands the port to getaddrinfo(); service names are not worth supporting here.
    if (!/^[0-9]{1,5}$/.test(p) || Number(p) > 65535) {
      throw new QemuOptsError(`address resolution failed for ${h}:${p}: Servname not supported for ai_socktype`);
    }
    address = { type: 'inet', host: h, port: Number(p) };
  }
  const options: SocketChardevOptions = { address, server, websocket, nodelay };
  if (server) options.wait = wait;
  else options.reconnectMs = hasReconnect ? reconnect * 1000 : reconnectMs;
  return { backend: 'socket', id, options };
}

function parseFile(id: string, r: OptsReader): ChardevSpec {
  const path = r.str('path');
  if (path === undefined) throw new QemuOptsError('chardev: file: no filename given');
  const inputPath = r.str('input-path');
  const append = r.bool('append', false);
  const options: FileChardevOptions = { path, append };
  if (inputPath !== undefined) options.inputPath = inputPath;
  return { backend: 'file', id, options };
}

/** Common tail of both syntaxes: id, backend name, backend options. */
function buildSpec(pairs: [string, string][], implied: string | undefined, label: string | undefined): ChardevSpec {
  checkKeys(pairs);
  const r = new OptsReader({ pairs }, 'chardev');
  const id = label ?? r.str('id');
  if (id !== undefined && !isWellFormedId(id)) throw new QemuOptsError("Parameter 'id' expects an identifier");
  // A later backend= overrides the implied first word, as QemuOpts keeps the last value.
  const backend = r.str('backend') ?? implied;
  if (id === undefined) throw new QemuOptsError('chardev: no id specified');
  if (backend === undefined) throw new QemuOptsError(`chardev: "${id}" missing backend`);
  if (r.bool('mux', false)) throw unsupported("chardev option 'mux'");
  if (r.str('logfile') !== undefined) throw unsupported("chardev option 'logfile'");
  switch (backend) {
    case 'socket':
      return parseSocket(id, r);
    case 'file':
      return parseFile(id, r);
    case 'null':
      return { backend: 'null', id };
    default:
      if (QEMU_ONLY_BACKENDS.has(backend)) {
        throw unsupported(`char driver '${backend}'`, `available: ${CHARDEV_BACKENDS.join(', ')}`);
      }
      throw new QemuOptsError(`'${backend}' is not a valid char driver name`);
  }
}

/** Parses a `-chardev` argument such as `socket,id=qga0,path=/tmp/qga.sock,server=on,wait=off`. */
export function parseChardevOptions(s: string): ChardevSpec {
  const opts = parseQemuOpts(s, 'backend');
  return buildSpec(normalizeFlags(s, opts.pairs, opts.implied !== undefined), opts.implied, undefined);
}

function notValid(filename: string): QemuOptsError {
  return new QemuOptsError(`'${filename}' is not a valid char driver`);
}

/** Parses `host:port[,opts]` after `tcp:`, as QEMU's sscanf patterns do. */
function compatInet(filename: string, rest: string): [string, string][] {
  const m = /^([^:]{1,64}):([^,]{1,32})/.exec(rest) ?? /^():([^,]{1,32})/.exec(rest);
  if (m === null) throw notValid(filename);
  const pairs: [string, string][] = [
    ['backend', 'socket'],
    ['host', m[1]!],
    ['port', m[2]!],
  ];
  const tail = rest.slice(m[0].length);
  if (tail.startsWith(',')) {
    const opts = parseQemuOpts(tail.slice(1));
    // The shorthand already gave the id; QemuOpts skips an id= here.
    pairs.push(...normalizeFlags(tail.slice(1), opts.pairs, false).filter(([k]) => k !== 'id'));
  }
  return pairs;
}

/**
 * Parses the shorthand of -serial/-qmp/-monitor (`unix:PATH,server=on,wait=off`,
 * `tcp:HOST:PORT,server,nowait`, `websocket:...`, `file:PATH`, `null`); `label` becomes
 * the id, as QEMU uses "serial0", "compat_monitor0", ...
 */
export function parseChardevCompat(label: string, filename: string): ChardevSpec {
  if (filename.startsWith('mon:')) throw unsupported("'mon:' multiplexing");
  if (filename === 'null') return buildSpec([], 'null', label);
  if (['pty', 'msmouse', 'wctablet', 'braille', 'testdev', 'stdio'].includes(filename)) {
    return buildSpec([], filename, label);
  }
  if (filename.startsWith('file:')) return buildSpec([['path', filename.slice(5)]], 'file', label);
  for (const proto of ['tcp:', 'telnet:', 'tn3270:', 'websocket:']) {
    if (!filename.startsWith(proto)) continue;
    const pairs = compatInet(filename, filename.slice(proto.length));
    if (proto === 'telnet:') pairs.push(['telnet', 'on']);
    else if (proto === 'tn3270:') pairs.push(['tn3270', 'on']);
    else if (proto === 'websocket:') pairs.push(['websocket', 'on']);
    return buildSpec(pairs, undefined, label);
  }
  if (filename.startsWith('unix:')) {
    const rest = filename.slice(5);
    if (rest === '') return buildSpec([['backend', 'socket']], undefined, label);
    const opts = parseQemuOpts(rest, 'path');
    const pairs = normalizeFlags(rest, opts.pairs, opts.implied !== undefined).filter(([k]) => k !== 'id');
    if (opts.implied !== undefined) pairs.unshift(['path', opts.implied]);
    return buildSpec([['backend', 'socket'], ...pairs], undefined, label);
  }
  const qemuOnly: [string, string][] = [
    ['vc', 'vc'], ['con:', 'console'], ['COM', 'serial'], ['pipe:', 'pipe'], ['pty:', 'pty'], ['udp:', 'udp'],
    ['/dev/parport', 'parallel'], ['/dev/ppi', 'parallel'], ['/dev/', 'serial'],
  ];
  for (const [prefix, backend] of qemuOnly) {
    if (filename.startsWith(prefix)) return buildSpec([], backend, label);
  }
  throw notValid(filename);
}

/** Instantiates a spec; nothing is opened until the chardev's `open()`. */
export function createChardevFromSpec(spec: ChardevSpec): Chardev {
  switch (spec.backend) {
    case 'socket':
      return new SocketChardev(spec.id, spec.options);
    case 'file':
      return new FileChardev(spec.id, spec.options);
    case 'null':
      return new NullChardev(spec.id);
  }
}

/** Parses a `-chardev` argument and creates the chardev (not yet opened). */
export function createChardevFromOptions(s: string): Chardev {
  return createChardevFromSpec(parseChardevOptions(s));
}

/** Parses -serial/-qmp shorthand and creates the chardev (not yet opened). */
export function createChardevFromCompat(label: string, filename: string): Chardev {
  return createChardevFromSpec(parseChardevCompat(label, filename));
}
