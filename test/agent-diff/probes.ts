/**
 * What the differential test sends to both agents: byte sequences whose answers do not
 * depend on the guest's contents. `kind` says how far into the agent a probe reaches:
 * 'wire' ends in the parser, the envelope checks, the command table or the argument
 * visitor; 'handler' reaches a command handler but only its content-free errors (no
 * such handle, frozen status). Nothing here calls a blocked command in a way that could
 * run it: blocked commands are refused before their arguments are even looked at, and
 * they are blocked in both agents (see REAL_QGA_BLOCKED).
 */
import { Buffer } from 'node:buffer';
import { REAL_QGA_BLOCKED } from './real-qga.js';

/** One probe. */
export interface Probe {
  /** Label in test output. */
  name: string;
  /** The bytes. */
  bytes: Buffer;
  /** How deep it goes. */
  kind: 'wire' | 'handler';
  /** The command it names, when that matters (our profile may lack it). */
  command?: string;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const p = (name: string, s: string | Buffer, kind: Probe['kind'] = 'wire'): Probe => ({ name, bytes: typeof s === 'string' ? b(s) : s, kind });
const exec = (cmd: string, args?: string, extra = ''): string => `{"execute":"${cmd}"${args === undefined ? '' : `,"arguments":${args}`}${extra}}`;

/** Framing, lexer and parser. */
const JSON_PROBES: Probe[] = [
  p('ping', exec('guest-ping')),
  p('ping, no quotes around nothing, spaces and newlines', ' \t\r\n{ "execute" : "guest-ping" }\n'),
  p('single-quoted strings', `{'execute':'guest-ping'}`),
  p('two requests in one write', exec('guest-ping') + exec('guest-sync', '{"id":3}')),
  p('stray @', '@'),
  p('run of garbage then a request', '@@@ #$ ' + exec('guest-ping')),
  p('garbage inside a request', '{"execute":@"guest-ping"}'),
  p('0xFF inside a string', Buffer.concat([b('{"execute":"guest-'), Buffer.from([0xff]), b('ping"}')])),
  p('0xFE alone', Buffer.from([0xfe])),
  p('two 0xFF', Buffer.from([0xff, 0xff])),
  p('tab does not resync, newline does', '@\t{"execute":"guest-ping"}@\n{"execute":"guest-ping"}'),
  p('control byte in a string', '{"execute":"a\x01b"}'),
  p('DEL in a string', '{"execute":"a\x7fb"}'),
  p('bad escape', '{"execute":"\\q"}'),
  p('short \\u escape', '{"execute":"\\u12"}'),
  p('lone surrogate escape', '{"execute":"\\uD800"}'),
  p('surrogate pair escape', '{"execute":"\\uD83D\\uDE00"}'),
  p('\\u0000', '{"execute":"a\\u0000b"}'),
  p('invalid UTF-8', b('{"execute":"\xc3\x28"}')),
  p('overlong NUL (C0 80)', b('{"execute":"\xc0\x80"}')),
  p('overlong slash', b('{"execute":"\xe0\x80\xaf"}')),
  p('UTF-8 surrogate', b('{"execute":"\xed\xa0\x80"}')),
  p('UTF-8 beyond U+10FFFF', b('{"execute":"\xf4\x90\x80\x80"}')),
  p('valid UTF-8 name', b('{"execute":"gu\xc3\xa9st"}')),
  p('noncharacter U+FFFE', b('{"execute":"\xef\xbf\xbe"}')),
  p('truncated string at sync', '{"execute":"guest-pi'),
  p('missing colon', '{"execute" "guest-ping"}'),
  p('missing value', '{"execute":}'),
  p('trailing comma in object', '{"execute":"guest-ping",}'),
  p('trailing comma in list', '[1,]'),
  p('missing comma in list', '[1 2]'),
  p('key not a string', '{1:2}'),
  p('duplicate key', '{"execute":"guest-ping","execute":"guest-ping"}'),
  p('unbalanced close', '}'),
  p('close bracket in object', '{"execute":"guest-ping"]'),
  p('bad keyword', '[tru]'),
  p('keywords', '[true,false,null]'),
  p('upper-case keyword', '[True]'),
  p('bare number', '42'),
  p('bare string', '"x"'),
  p('bare null', 'null '),
  p('empty object', '{}'),
  p('empty list', '[]'),
  p('number forms', '[-0, 0.5, 1e3, 1E-3, -1.5e+2, 01]'),
  p('bad numbers', '[1.]'),
  p('bad exponent', '[1e]'),
  p('lone minus', '[-]'),
  p('leading dot', '[.5]'),
  p('huge exponent', '[1e400]'),
  p('interpolation', '[%d]'),
  p('nesting 1024', '['.repeat(1024) + ']'.repeat(1024)),
  p('nesting 1025', '['.repeat(1025) + ']'.repeat(1025)),
  p('nesting in objects', '{"a":'.repeat(1030) + '1' + '}'.repeat(1030)),
  p('deep arguments', exec('guest-ping', '{"x":' + '['.repeat(1020) + ']'.repeat(1020) + '}')),
];

/** Numbers and ids. */
const ID_PROBES: Probe[] = [
  ...['0', '-1', '9007199254740993', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551615', '18446744073709551616', '-9223372036854775809', '1e2', '1.0', '-0', '"5"', 'null', 'true', '[]', '{}'].map((id) =>
    p(`guest-sync id ${id}`, exec('guest-sync', `{"id":${id}}`)),
  ),
  p('guest-sync-delimited id 5', exec('guest-sync-delimited', '{"id":5}')),
  p('guest-sync-delimited bad id', exec('guest-sync-delimited', '{"id":"x"}')),
  ...['"a"', '7', '-7', '1.5', '0.1', '1e300', '123456789012345678901234', 'null', 'true', '[1,{"a":null}]', '{"k":[1,2],"j":"s"}', '1e400', '-1e400', '-0.0', '1e-400', '[1.5e300,0.1,100000000000000000000000.0,2.5e-5,5e-324]', '"\\u00e9\\n\\t/\\"\\\\"'].map((id) =>
    p(`id ${id}`, exec('guest-ping', undefined, `,"id":${id}`)),
  ),
  p('id with an error', exec('nope', undefined, ',"id":{"x":1}')),
];

/** The request envelope. */
const ENVELOPE_PROBES: Probe[] = [
  p('list request', '[1]'),
  p('no execute', '{"arguments":{}}'),
  p('only id', '{"id":1}'),
  p('execute not a string', '{"execute":1}'),
  p('execute null', '{"execute":null}'),
  p('arguments a list', exec('guest-ping', '[]')),
  p('arguments a string', exec('guest-ping', '"x"')),
  p('arguments null', exec('guest-ping', 'null')),
  p('exec-oob', '{"exec-oob":"guest-ping"}'),
  p('unexpected member', exec('guest-ping', undefined, ',"foo":1')),
  p('member order is hash order', '{"foo":1,"arguments":1,"execute":"guest-ping"}'),
  p('error object', '{"error":{"class":"x","desc":"y"}}'),
  p('return object', '{"return":{}}'),
  p('unknown command', exec('nope')),
  p('empty command name', exec('')),
  p('non-ASCII command name', exec('gu\\u00e9st')),
  p('long command name', exec('x'.repeat(2000))),
  p('command name with NUL', exec('guest-ping\\u0000')),
  p('qmp_capabilities', exec('qmp_capabilities')),
];

/** Argument visiting on commands whose handlers never run with these arguments. */
const ARG_PROBES: Probe[] = [
  p('extra argument', exec('guest-ping', '{"foo":42}')),
  p('several extras, hash order', exec('guest-ping', '{"foo":1,"bar":2,"baz":3}')),
  p('extras zeta alpha x', exec('guest-ping', '{"zeta":1,"alpha":2,"x":3}')),
  p('missing id', exec('guest-sync')),
  p('missing id, empty arguments', exec('guest-sync', '{}')),
  p('id and an extra', exec('guest-sync', '{"id":1,"foo":1}')),
  p('extra before a bad id', exec('guest-sync', '{"foo":1,"id":"x"}')),
  p('file-open no path', exec('guest-file-open', '{}')),
  p('file-open path not a string', exec('guest-file-open', '{"path":1}')),
  p('file-open mode not a string', exec('guest-file-open', '{"path":"x","mode":false}')),
  p('file-read handle a string', exec('guest-file-read', '{"handle":"x"}')),
  p('file-read handle a float', exec('guest-file-read', '{"handle":1.5}')),
  p('file-read handle too big', exec('guest-file-read', '{"handle":9223372036854775808}')),
  p('file-read count a bool', exec('guest-file-read', '{"handle":1,"count":true}')),
  p('file-seek whence bogus', exec('guest-file-seek', '{"handle":1,"offset":0,"whence":"bogus"}')),
  p('file-seek whence bool', exec('guest-file-seek', '{"handle":1,"offset":0,"whence":true}')),
  p('file-seek whence float', exec('guest-file-seek', '{"handle":1,"offset":0,"whence":1.5}')),
  p('file-seek whence missing', exec('guest-file-seek', '{"handle":1,"offset":0}')),
  p('file-seek extra', exec('guest-file-seek', '{"handle":1,"offset":0,"whence":0,"x":1}')),
  p('exec-status pid a string', exec('guest-exec-status', '{"pid":"1"}')),
  p('file-close no handle', exec('guest-file-close')),
  p('info with arguments', exec('guest-info', '{"a":1}')),
  p('big string argument', exec('guest-ping', `{"x":"${'a'.repeat(1 << 20)}"}`)),
];

/** Blocked commands: refused before anything else, with or without (bad) arguments and ids. */
const BLOCKED_PROBES: Probe[] = REAL_QGA_BLOCKED.flatMap((c) => [
  { ...p(`blocked ${c}`, exec(c)), command: c },
  { ...p(`blocked ${c} with id and bad arguments`, exec(c, '{"bogus":[1]}', ',"id":"b"')), command: c },
]);

/** Handler errors that do not depend on the guest's contents. */
const HANDLER_PROBES: Probe[] = [
  p('fsfreeze-status', exec('guest-fsfreeze-status'), 'handler'),
  p('file-read unknown handle', exec('guest-file-read', '{"handle":999}'), 'handler'),
  p('file-read negative count', exec('guest-file-read', '{"handle":999,"count":-1}'), 'handler'),
  p('file-seek unknown handle', exec('guest-file-seek', '{"handle":999,"offset":0,"whence":"set"}'), 'handler'),
  p('file-flush unknown handle', exec('guest-file-flush', '{"handle":999}'), 'handler'),
  p('file-close unknown handle', exec('guest-file-close', '{"handle":999}'), 'handler'),
  p('exec-status unknown pid', exec('guest-exec-status', '{"pid":0}'), 'handler'),
];

/** Every probe. */
export const PROBES: readonly Probe[] = [...JSON_PROBES, ...ID_PROBES, ...ENVELOPE_PROBES, ...ARG_PROBES, ...BLOCKED_PROBES, ...HANDLER_PROBES];

/** Probes at JSON's limits (slow: megabytes through the simulated virtio path). */
export const LIMIT_PROBES: readonly Probe[] = [
  // A list of n zeros is 2n + 1 tokens; `[0,...,0,[]]` with k zeros is 2k + 4.
  p('2 Mi tokens', '[' + '0,'.repeat(1024 * 1024 - 2) + '[]]'),
  p('2 Mi + 1 tokens', '[' + '0,'.repeat(1024 * 1024 - 1) + '0]'),
  p('string token of 64 MiB', `{"execute":"guest-ping","arguments":{"x":"${'a'.repeat(64 * 1024 * 1024)}"}}`),
  p('message of 64 MiB in two tokens', `["${'a'.repeat(32 * 1024 * 1024)}","${'b'.repeat(32 * 1024 * 1024)}"]`),
];
