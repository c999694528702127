/** guest-file-*: fopen modes, stdio buffering, handles from qga.state, error texts. */
import { describe, expect, it } from 'vitest';
import { expectNoFaults, readGuest } from '../guest-programs/helpers.js';
import { b64, errorOf, startAgent, unb64 } from './helpers.js';

const CONTENT = 'Hello World!\n\0';

describe('guest-file-* (tests/unit/test-qga.c file-ops and file-write-read)', () => {
  it('file-ops: write 14 bytes, flush, close; read back whole, then at EOF, then after a seek', () => {
    const a = startAgent();
    expect(a.ask({ execute: 'guest-file-open', arguments: { path: '/root/foo', mode: 'w+' } })).toBe('{"return": 1000}\n');
    expect(a.ask({ execute: 'guest-file-write', arguments: { handle: 1000, 'buf-b64': b64(CONTENT) } })).toBe('{"return": {"count": 14, "eof": false}}\n');
    expect(a.call('guest-file-flush', { handle: 1000 }).return).toEqual({});
    expect(a.call('guest-file-close', { handle: 1000 }).return).toEqual({});
    expect(readGuest(a, '/root/foo')).toBe(CONTENT);

    expect(a.call('guest-file-open', { path: '/root/foo', mode: 'r' }).return).toBe(1001);
    expect(a.ask({ execute: 'guest-file-read', arguments: { handle: 1001 } })).toBe(`{"return": {"count": 14, "buf-b64": "${b64(CONTENT)}", "eof": true}}\n`);
    expect(a.ask({ execute: 'guest-file-read', arguments: { handle: 1001 } })).toBe('{"return": {"count": 0, "buf-b64": "", "eof": true}}\n');
    expect(a.ask({ execute: 'guest-file-seek', arguments: { handle: 1001, offset: 6, whence: 'set' } })).toBe('{"return": {"eof": false, "position": 6}}\n');
    const r = a.call('guest-file-read', { handle: 1001 }).return as { count: number; 'buf-b64': string; eof: boolean };
    expect([r.count, unb64(r['buf-b64']), r.eof]).toEqual([8, CONTENT.slice(6), true]);
    expect(a.call('guest-file-close', { handle: 1001 }).return).toEqual({});
    expectNoFaults(a);
  });

  it('file-write-read: a read right after a write flushes and finds EOF; seek 0 reads it all', () => {
    const a = startAgent();
    const h = a.call('guest-file-open', { path: '/root/foo', mode: 'w+' }).return;
    expect(a.call('guest-file-write', { handle: h, 'buf-b64': b64(CONTENT) }).return).toEqual({ count: 14, eof: false });
    expect(a.call('guest-file-read', { handle: h }).return).toEqual({ count: 0, 'buf-b64': '', eof: true });
    expect(a.call('guest-file-seek', { handle: h, offset: 0, whence: 0 }).return).toEqual({ position: 0, eof: false });
    expect(a.call('guest-file-read', { handle: h }).return).toEqual({ count: 14, 'buf-b64': b64(CONTENT), eof: true });
  });

  it('writes stay in the stdio buffer until a flush, a read or a close', () => {
    const a = startAgent();
    const h = a.call('guest-file-open', { path: '/tmp/buf', mode: 'w' }).return;
    a.call('guest-file-write', { handle: h, 'buf-b64': b64('abc') });
    expect(readGuest(a, '/tmp/buf')).toBe('');
    a.call('guest-file-flush', { handle: h });
    expect(readGuest(a, '/tmp/buf')).toBe('abc');
    // A read on a write-only stream fails with EBADF; the buffer was flushed first.
    a.call('guest-file-write', { handle: h, 'buf-b64': b64('def'), count: 2 });
    expect(errorOf(a.call('guest-file-read', { handle: h, count: 1 }))).toBe('failed to read file: Bad file descriptor');
    expect(readGuest(a, '/tmp/buf')).toBe('abcde');
  });

  it('count limits: default 4096, 0..48 MiB in 7.2, any non-negative in 2.5', () => {
    const a = startAgent({ setup: (b) => b.kernel.writeFile('/tmp/big', 'x'.repeat(5000)) });
    const h = a.call('guest-file-open', { path: '/tmp/big' }).return;
    expect((a.call('guest-file-read', { handle: h }).return as { count: number }).count).toBe(4096);
    expect(errorOf(a.call('guest-file-read', { handle: h, count: -1 }))).toBe("value '-1' is invalid for argument count");
    expect(errorOf(a.call('guest-file-read', { handle: h, count: 48 * 1024 * 1024 + 1 }))).toBe("value '50331649' is invalid for argument count");
    expect(a.call('guest-file-read', { handle: h, count: 0 }).return).toEqual({ count: 0, 'buf-b64': '', eof: false });
    expect(a.call('guest-file-read', { handle: h, count: 904 }).return).toMatchObject({ count: 904, eof: false });
    const old = startAgent({ profile: '2.5', setup: (b) => b.kernel.writeFile('/tmp/big', 'x'.repeat(5000)) });
    const h2 = old.call('guest-file-open', { path: '/tmp/big' }).return;
    expect(old.call('guest-file-read', { handle: h2, count: 48 * 1024 * 1024 + 1 }).return).toMatchObject({ count: 5000, eof: true });
    expect(errorOf(old.call('guest-file-read', { handle: h2, count: -5 }))).toBe("value '-5' is invalid for argument count");
  });

  it('write: base64 checked in 7.2 (lenient in 2.5), count bounded by the decoded length', () => {
    const a = startAgent();
    const h = a.call('guest-file-open', { path: '/tmp/w', mode: 'w' }).return;
    expect(errorOf(a.call('guest-file-write', { handle: h, 'buf-b64': 'aGk*' }))).toBe('Base64 data contains invalid characters');
    expect(errorOf(a.call('guest-file-write', { handle: h, 'buf-b64': b64('hi'), count: 3 }))).toBe("value '3' is invalid for argument count");
    expect(errorOf(a.call('guest-file-write', { handle: h, 'buf-b64': b64('hi'), count: -1 }))).toBe("value '-1' is invalid for argument count");
    const old = startAgent({ profile: '2.5' });
    const h2 = old.call('guest-file-open', { path: '/tmp/w', mode: 'w' }).return;
    // g_base64_decode skips what is not base64 and drops an incomplete last group.
    expect(old.call('guest-file-write', { handle: h2, 'buf-b64': 'aG*k=Q' }).return).toEqual({ count: 2, eof: false });
    old.call('guest-file-close', { handle: h2 });
    expect(readGuest(old, '/tmp/w')).toBe('hi');
  });

  it('modes: invalid ones refused; append; r+ keeps content; w truncates; new files are 0666 whatever the umask', () => {
    const a = startAgent({ setup: (b) => b.kernel.writeFile('/tmp/keep', 'old', 0o600) });
    expect(errorOf(a.call('guest-file-open', { path: '/tmp/x', mode: 'rw' }))).toBe("invalid file open mode 'rw'");
    expect(errorOf(a.call('guest-file-open', { path: '/nope/x', mode: 'r' }))).toBe("failed to open file '/nope/x' (mode: 'r'): No such file or directory");
    expect(errorOf(a.call('guest-file-open', { path: '/tmp/missing' }))).toBe("failed to open file '/tmp/missing' (mode: 'r'): No such file or directory");
    const h = a.call('guest-file-open', { path: '/tmp/keep', mode: 'a' }).return;
    a.call('guest-file-write', { handle: h, 'buf-b64': b64('+new') });
    a.call('guest-file-close', { handle: h });
    expect(readGuest(a, '/tmp/keep')).toBe('old+new');
    expect(a.kernel.stat('/tmp/keep').mode & 0o777).toBe(0o600);
    const h2 = a.call('guest-file-open', { path: '/tmp/fresh', mode: 'wb+' }).return;
    a.call('guest-file-close', { handle: h2 });
    expect(a.kernel.stat('/tmp/fresh').mode & 0o777).toBe(0o666);
    const h3 = a.call('guest-file-open', { path: '/tmp/keep', mode: 'w' }).return;
    a.call('guest-file-close', { handle: h3 });
    expect(readGuest(a, '/tmp/keep')).toBe('');
  });

  it('errors: unknown handle, bad whence, read of a directory, write to a read-only stream', () => {
    const a = startAgent();
    expect(a.ask('{"execute":"guest-file-read","arguments":{"handle":999}}')).toBe('{"error": {"class": "GenericError", "desc": "handle \'999\' has not been found"}}\n');
    for (const c of ['guest-file-close', 'guest-file-flush']) expect(errorOf(a.call(c, { handle: 5 }))).toBe("handle '5' has not been found");
    const h = a.call('guest-file-open', { path: '/etc' }).return;
    expect(errorOf(a.call('guest-file-seek', { handle: h, offset: 0, whence: 3 }))).toBe('invalid whence code 3');
    expect(errorOf(a.call('guest-file-read', { handle: h }))).toBe('failed to read file: Is a directory');
    const r = a.call('guest-file-open', { path: '/etc/hostname' }).return;
    expect(errorOf(a.call('guest-file-write', { handle: r, 'buf-b64': b64('x') }))).toBe('failed to write to file: Bad file descriptor');
    expect(errorOf(a.call('guest-file-seek', { handle: r, offset: -10, whence: 'set' }))).toBe('failed to seek file: Invalid argument');
    expect(a.call('guest-file-seek', { handle: r, offset: -2, whence: 'end' }).return).toMatchObject({ eof: false });
  });

  it('2.5: whence is a plain int (its schema has no QGASeek)', () => {
    const a = startAgent({ profile: '2.5' });
    const h = a.call('guest-file-open', { path: '/etc/hostname' }).return;
    expect(a.call('guest-file-seek', { handle: h, offset: 1, whence: 1 }).return).toEqual({ position: 1, eof: false });
    expect(errorOf(a.call('guest-file-seek', { handle: h, offset: 0, whence: 'set' }))).toBe("Invalid parameter type for 'whence', expected: integer");
  });
});

describe('handles and qga.state', () => {
  it('the counter starts at 1000, is written on every open, and survives a restart', () => {
    const a = startAgent();
    expect(readGuest(a, '/var/run/qga.state')).toBe('[global]\nfd_counter=1000\n');
    a.call('guest-file-open', { path: '/etc/hostname' });
    expect(readGuest(a, '/var/run/qga.state')).toBe('[global]\nfd_counter=1001\n');
    const b = startAgent({ setup: (k) => k.kernel.writeFile('/var/run/qga.state', '# kept\n[global]\nfd_counter=2000\n') });
    expect(b.call('guest-file-open', { path: '/etc/hostname' }).return).toBe(2000);
    // g_file_set_contents renames its temporary file over the old one: nothing else is left.
    const left = b.call('guest-exec', { path: '/bin/ls', arg: ['/var/run'], 'capture-output': true }).return as { pid: number };
    const st = b.call('guest-exec-status', { pid: left.pid }).return as { 'out-data': string };
    expect(unb64(st['out-data']).split('\n').filter((n) => n.startsWith('qga'))).toEqual(['qga.state']);
  });

  it('an unreadable state file stops the agent at start-up (g_critical, exit 1)', () => {
    const a = startAgent({ setup: (k) => k.kernel.writeFile('/var/run/qga.state', 'garbage\n') });
    expect(a.proc.status).toBe(1 << 8);
    const err = a.proc.stderr?.text() ?? '';
    expect(err).toContain(': critical: error loading persistent state from path: /var/run/qga.state, Key file contains line \u201cgarbage\u201d which is not a key-value pair, group, or comment\n');
    expect(err).toMatch(/: critical: failed to load persistent state\n$/);
  });
});
