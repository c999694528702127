/** guest-set-user-password (chpasswd on a pipe) and guest-exec / guest-exec-status. */
import { describe, expect, it } from 'vitest';
import { sha512Verify } from '../../src/guest/programs/index.js';
import { expectNoFaults, readGuest } from '../guest-programs/helpers.js';
import { b64, errorOf, startAgent, unb64 } from './helpers.js';

function shadowField(text: string, user: string): string {
  return text.split('\n').find((l) => l.startsWith(`${user}:`))!.split(':')[1]!;
}

describe('guest-set-user-password', () => {
  it('clear text goes through chpasswd (SHA-512 crypt); crypted through chpasswd -e as given', () => {
    const a = startAgent();
    expect(a.ask({ execute: 'guest-set-user-password', arguments: { username: 'user', password: b64('s3cret pass'), crypted: false } })).toBe('{"return": {}}\n');
    const field = shadowField(readGuest(a, '/etc/shadow'), 'user');
    expect(field.startsWith('$6$')).toBe(true);
    expect(sha512Verify('s3cret pass', field)).toBe(true);
    const hash = '$6$saltsalt$' + 'x'.repeat(86);
    expect(a.call('guest-set-user-password', { username: 'root', password: b64(hash), crypted: true }).return).toEqual({});
    expect(shadowField(readGuest(a, '/etc/shadow'), 'root')).toBe(hash);
    expectNoFaults(a);
  });

  it('refusals: bad base64 (7.2), newline in the password, ":" or newline in the user name', () => {
    const a = startAgent();
    expect(errorOf(a.call('guest-set-user-password', { username: 'user', password: 'a b', crypted: false }))).toBe('Base64 data contains invalid characters');
    expect(errorOf(a.call('guest-set-user-password', { username: 'user', password: b64('a\nb'), crypted: false }))).toBe('forbidden characters in raw password');
    expect(errorOf(a.call('guest-set-user-password', { username: 'us:er', password: b64('x'), crypted: false }))).toBe('forbidden characters in username');
    expect(errorOf(a.call('guest-set-user-password', { username: 'us\ner', password: b64('x'), crypted: false }))).toBe('forbidden characters in username');
  });

  it('chpasswd failing (no such user) or missing', () => {
    const a = startAgent();
    expect(errorOf(a.call('guest-set-user-password', { username: 'nobody-here', password: b64('x'), crypted: false }))).toBe('child process has failed to set user password');
    const b = startAgent({ setup: (k) => k.kernel.removeNode('/usr/sbin/chpasswd') });
    expect(errorOf(b.call('guest-set-user-password', { username: 'user', password: b64('x'), crypted: false }))).toBe("cannot find 'passwd' program in PATH");
  });
});

describe('guest-exec / guest-exec-status', () => {
  it('captures stdout (test-qga.c /qga/guest-exec); the entry goes after the exited report', () => {
    const a = startAgent();
    const { pid } = a.call('guest-exec', { path: '/bin/echo', arg: ['-n', '" test_str "'], 'capture-output': true }).return as { pid: number };
    expect(pid).toBeGreaterThan(0);
    expect(a.ask({ execute: 'guest-exec-status', arguments: { pid } })).toBe(`{"return": {"exitcode": 0, "out-data": "${b64('" test_str "')}", "out-truncated": false, "exited": true}}\n`);
    expect(a.ask({ execute: 'guest-exec-status', arguments: { pid } })).toBe('{"error": {"class": "GenericError", "desc": "Invalid parameter \'pid\'"}}\n');
    expectNoFaults(a);
  });

  it('input-data on stdin, stderr separately, exit code; searched in PATH; env replaces the environment', () => {
    const a = startAgent();
    const r = a.call('guest-exec', { path: 'sh', arg: ['-c', 'cat; echo oops >&2; echo "v=$V"; exit 3'], env: ['V=42', 'PATH=/bin'], 'input-data': b64('from stdin\n'), 'capture-output': true });
    const st = a.call('guest-exec-status', { pid: (r.return as { pid: number }).pid }).return as Record<string, unknown>;
    expect(st).toMatchObject({ exited: true, exitcode: 3, 'out-truncated': false, 'err-truncated': false });
    expect(unb64(st['out-data'] as string)).toBe('from stdin\nv=42\n');
    expect(unb64(st['err-data'] as string)).toBe('oops\n');
  });

  it('still running: {"exited": false}; without capture no data; killed: signal', () => {
    const a = startAgent();
    const { pid } = JSON.parse(a.ask({ execute: 'guest-exec', arguments: { path: '/bin/sleep', arg: ['5'] } }, 1e6)).return as { pid: number };
    expect(a.ask({ execute: 'guest-exec-status', arguments: { pid } }, 1e6)).toBe('{"return": {"exited": false}}\n');
    a.run(6e9);
    expect(a.call('guest-exec-status', { pid }).return).toEqual({ exited: true, exitcode: 0 });
    const k = JSON.parse(a.ask({ execute: 'guest-exec', arguments: { path: '/bin/sleep', arg: ['100'], 'capture-output': true } }, 1e6)).return as { pid: number };
    a.kernel.kill(k.pid, 9);
    a.run();
    expect(a.call('guest-exec-status', { pid: k.pid }).return).toEqual({ exited: true, signal: 9 });
  });

  it('an executable without a #! line runs under /bin/sh, as execvp would', () => {
    const a = startAgent({ setup: (k) => k.kernel.writeFile('/usr/local/bin/hello', 'echo "hi $1"\n', 0o755) });
    const { pid } = a.call('guest-exec', { path: 'hello', arg: ['there'], 'capture-output': true }).return as { pid: number };
    const st = a.call('guest-exec-status', { pid }).return as Record<string, unknown>;
    expect(st).toMatchObject({ exited: true, exitcode: 0 });
    expect(unb64(st['out-data'] as string)).toBe('hi there\n');
  });

  it('a program that cannot be run: GLib\'s message inside QERR_QGA_COMMAND_FAILED', () => {
    const a = startAgent();
    expect(a.ask({ execute: 'guest-exec', arguments: { path: '/bin/invalid-cmd42' } })).toBe(
      '{"error": {"class": "GenericError", "desc": "Guest agent command failed, error was \'Failed to execute child process \\u201C/bin/invalid-cmd42\\u201D (No such file or directory)\'"}}\n',
    );
    expect(errorOf(a.call('guest-exec', { path: 'no-such-prog' }))).toBe("Guest agent command failed, error was 'Failed to execute child process \u201cno-such-prog\u201d (No such file or directory)'");
    expect(errorOf(a.call('guest-exec-status', { pid: 0 }))).toBe("Invalid parameter 'pid'");
    expect(errorOf(a.call('guest-exec', { path: '/bin/true', 'input-data': '***' }))).toBe('Base64 data contains invalid characters');
  });

  it('output beyond 16 MiB is dropped and flagged; 2.5 flagged it as false', () => {
    const script = 'i=0; while [ $i -lt 4200 ]; do printf "%4096s" x; i=$((i+1)); done';
    const a = startAgent();
    const { pid } = a.call('guest-exec', { path: '/bin/sh', arg: ['-c', script], 'capture-output': true }).return as { pid: number };
    a.run();
    const st = a.call('guest-exec-status', { pid }).return as Record<string, unknown>;
    expect(st['out-truncated']).toBe(true);
    expect(Buffer.from(st['out-data'] as string, 'base64').length).toBe(16 * 1024 * 1024);
    const old = startAgent({ profile: '2.5' });
    const p2 = old.call('guest-exec', { path: '/bin/sh', arg: ['-c', script], 'capture-output': true }).return as { pid: number };
    old.run();
    expect((old.call('guest-exec-status', { pid: p2.pid }).return as Record<string, unknown>)['out-truncated']).toBe(false);
  }, 60_000);
});
