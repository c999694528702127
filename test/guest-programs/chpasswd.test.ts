import { describe, expect, it } from 'vitest';
import { sha512Verify } from '../../src/guest/programs/index.js';
import { DEFAULT_LAST_CHANGE, SHADOW_GID } from '../../src/guest/programs/etc-files.js';
import { bootDebian, expectNoFaults, readGuest, run } from './helpers.js';

// 2023-11-14 22:13:20 UTC is day 19675 since the epoch.
const NOW = { sec: 1_700_000_000, nsec: 0 };
const TODAY = 19675;

function shadowLine(text: string, user: string): string[] {
  return (text.split('\n').find((l) => l.startsWith(`${user}:`)) ?? '').split(':');
}

describe('chpasswd', () => {
  it('hashes clear-text passwords with SHA-512 crypt and updates /etc/shadow', () => {
    const b = bootDebian({ realtime: NOW, seed: 1 });
    const before = readGuest(b, '/etc/shadow');
    expect(run(b, ['chpasswd'], { input: 'root:secret\nuser:pa:ss word\n' })).toMatchObject({ out: '', err: '', code: 0 });
    const after = readGuest(b, '/etc/shadow');
    const root = shadowLine(after, 'root');
    const user = shadowLine(after, 'user');
    expect(root[1]).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(sha512Verify('secret', root[1] ?? '')).toBe(true);
    expect(sha512Verify('pa:ss word', user[1] ?? '')).toBe(true);
    expect(root[1]).not.toBe(user[1]?.slice(0, 20));
    // Field 3 becomes today; the aging fields are kept.
    expect(root.slice(2)).toEqual([String(TODAY), '0', '99999', '7', '', '', '']);
    expect(shadowLine(after, 'daemon')).toEqual(shadowLine(before, 'daemon'));
    expect(after.split('\n').length).toBe(before.split('\n').length);
    // Mode, owner and group survive; the old file is kept as shadow-.
    const st = b.kernel.stat('/etc/shadow');
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, 0, SHADOW_GID]);
    expect(readGuest(b, '/etc/shadow-')).toBe(before);
    expect(b.kernel.stat('/etc/shadow-').mode & 0o7777).toBe(0o640);
    expect(() => b.kernel.stat('/etc/shadow+')).toThrow();
    expectNoFaults(b);
  });

  it('stores given hashes as they are with -e, and honours -c SHA512 -s ROUNDS', () => {
    const b = bootDebian({ realtime: NOW });
    const hash = '$6$abcdefgh01234567$7M9YWLJiIvyS7hXGtjGmnxPakGKGSLUTASTYwpqJvo2EnBcW.bMkY8soczPGcYAVdXeMSq4wjLdjsD4P7KiTa.';
    expect(run(b, ['chpasswd', '-e'], { input: `user:${hash}\n` }).code).toBe(0);
    expect(shadowLine(readGuest(b, '/etc/shadow'), 'user')[1]).toBe(hash);
    expect(run(b, ['chpasswd', '-c', 'SHA512', '-s', '10000'], { input: 'user:pw\n' }).code).toBe(0);
    const h = shadowLine(readGuest(b, '/etc/shadow'), 'user')[1] ?? '';
    expect(h).toMatch(/^\$6\$rounds=10000\$[./0-9A-Za-z]{16}\$/);
    expect(sha512Verify('pw', h)).toBe(true);
  });

  it('draws salts from the seeded /dev/urandom: reproducible per seed, different per call', () => {
    const hashes = (seed: number): string[] => {
      const b = bootDebian({ realtime: NOW, seed });
      run(b, ['chpasswd'], { input: 'root:same\nuser:same\n' });
      const t = readGuest(b, '/etc/shadow');
      return [shadowLine(t, 'root')[1] ?? '', shadowLine(t, 'user')[1] ?? ''];
    };
    const a = hashes(7);
    expect(hashes(7)).toEqual(a);
    expect(a[0]).not.toBe(a[1]);
    expect(hashes(8)[0]).not.toBe(a[0]);
  });

  it('rejects bad lines like shadow-utils and then changes nothing', () => {
    const b = bootDebian({ realtime: NOW });
    const before = readGuest(b, '/etc/shadow');
    expect(run(b, ['chpasswd'], { input: 'nobody2:x\n' })).toMatchObject({
      err: "chpasswd: line 1: user 'nobody2' does not exist\nchpasswd: error detected, changes ignored\n",
      code: 1,
    });
    expect(run(b, ['chpasswd'], { input: 'root:ok\nnocolon\n\nuser:fine\n' })).toMatchObject({
      err: 'chpasswd: line 2: missing new password\nchpasswd: line 3: missing new password\nchpasswd: error detected, changes ignored\n',
      code: 1,
    });
    expect(readGuest(b, '/etc/shadow')).toBe(before);
    expect(run(b, ['chpasswd'], { input: 'user:x\n', uid: 1000, gid: 1000 })).toMatchObject({
      err: 'chpasswd: Permission denied.\nchpasswd: cannot lock /etc/passwd; try again later.\n',
      code: 1,
    });
    expect(run(b, ['chpasswd', '-c', 'MD5'], { input: '' })).toMatchObject({ code: 2 });
    expect(run(b, ['chpasswd', '-c', 'MD5'], { input: '' }).err).toMatch(/^chpasswd: unsupported crypt method: MD5\nUsage: chpasswd \[options\]\n/);
    expect(run(b, ['chpasswd', '-s', '5000'], { input: '' }).err).toMatch(/^chpasswd: -s flag is only allowed with the -c flag\nUsage:/);
    expect(readGuest(b, '/etc/shadow')).toBe(before);
  });

  it('writes /etc/passwd for users without a shadow entry; day 0 leaves field 3 empty', () => {
    const b = bootDebian({ realtime: { sec: 3600, nsec: 0 } });
    b.kernel.writeFile('/etc/passwd', readGuest(b, '/etc/passwd') + 'legacy:x:1001:1001::/home/legacy:/bin/sh\n');
    expect(run(b, ['chpasswd', '-e'], { input: 'legacy:HASH\nuser:HASH2\n' }).code).toBe(0);
    expect(readGuest(b, '/etc/passwd')).toContain('legacy:HASH:1001:1001::/home/legacy:/bin/sh\n');
    expect(shadowLine(readGuest(b, '/etc/shadow'), 'user').slice(1, 3)).toEqual(['HASH2', '']);
    expect(shadowLine(readGuest(b, '/etc/shadow'), 'root')[2]).toBe(String(DEFAULT_LAST_CHANGE));
  });
});
