import { describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFLNK, S_IFMT } from '../../src/guest/kernel/index.js';
import { DEFAULT_LAST_CHANGE, SHADOW_GID, parseGroup, parsePasswd } from '../../src/guest/programs/index.js';
import { bootDebian, expectNoFaults, readGuest, run, sh } from './helpers.js';

describe('Debian /etc files', () => {
  it('writes passwd, group, shadow and gshadow with Debian modes and owners', () => {
    const b = bootDebian();
    const passwd = readGuest(b, '/etc/passwd');
    expect(passwd.split('\n')[0]).toBe('root:x:0:0:root:/root:/bin/sh');
    expect(passwd).toContain('daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    expect(passwd).toContain('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    expect(passwd.endsWith('user:x:1000:1000:user,,,:/home/user:/bin/sh\n')).toBe(true);
    expect(parsePasswd(passwd).map((u) => u.name)).toContain('_apt');
    const groups = parseGroup(readGuest(b, '/etc/group'));
    expect(groups.find((g) => g.name === 'shadow')?.gid).toBe(SHADOW_GID);
    expect(groups.find((g) => g.name === 'audio')?.members).toEqual(['user']);
    expect(groups[groups.length - 1]).toEqual({ name: 'user', passwd: 'x', gid: 1000, members: [] });
    const shadow = readGuest(b, '/etc/shadow');
    expect(shadow.split('\n')[0]).toBe(`root:*:${DEFAULT_LAST_CHANGE}:0:99999:7:::`);
    expect(shadow).toContain(`user:!:${DEFAULT_LAST_CHANGE}:0:99999:7:::\n`);
    for (const [path, mode, gid] of [['/etc/passwd', 0o644, 0], ['/etc/group', 0o644, 0], ['/etc/shadow', 0o640, SHADOW_GID], ['/etc/gshadow', 0o640, SHADOW_GID]] as const) {
      const st = b.kernel.stat(path);
      expect([path, st.mode & 0o7777, st.uid, st.gid]).toEqual([path, mode, 0, gid]);
    }
    const home = b.kernel.stat('/home/user');
    expect([home.mode & S_IFMT, home.mode & 0o7777, home.uid, home.gid]).toEqual([S_IFDIR, 0o700, 1000, 1000]);
  });

  it('names the system: hostname, hosts and Debian 12 os-release behind a symlink', () => {
    const b = bootDebian({}, { hostname: 'vm1', userName: 'alice', rootPassword: '$6$x$y' });
    expect(readGuest(b, '/etc/hostname')).toBe('vm1\n');
    expect(readGuest(b, '/etc/hosts')).toContain('127.0.1.1\tvm1\n');
    expect(b.kernel.stat('/etc/os-release', false).mode & S_IFMT).toBe(S_IFLNK);
    expect(readGuest(b, '/etc/os-release')).toContain('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n');
    expect(readGuest(b, '/etc/shadow').split('\n')[0]).toBe(`root:$6$x$y:${DEFAULT_LAST_CHANGE}:0:99999:7:::`);
    expect(run(b, ['id', 'alice']).out).toMatch(/^uid=1000\(alice\) gid=1000\(alice\) groups=1000\(alice\),24\(cdrom\)/);
    expect(run(b, ['ls', '-ld', '/home/alice']).out).toMatch(/^drwx------ 2 alice alice /);
  });

  it('installs programs where Debian does', () => {
    const b = bootDebian();
    expect(sh(b, 'for c in sh dash cat echo ls printf env id uname hostname head wc sync sleep true false shutdown reboot hwclock chpasswd; do command -v $c; done').out).toBe(
      ['/bin/sh', '/bin/dash', '/bin/cat', 'echo', '/bin/ls', 'printf', '/usr/bin/env', '/usr/bin/id', '/bin/uname', '/bin/hostname', '/usr/bin/head', '/usr/bin/wc', '/bin/sync', '/bin/sleep', 'true', 'false', '/sbin/shutdown', '/sbin/reboot', '/sbin/hwclock', '/usr/sbin/chpasswd', ''].join('\n'),
    );
    expect(run(b, ['ls', '-l', '/bin/sh']).out).toMatch(/ \/bin\/sh -> dash\n$/);
  });
});

describe('determinism', () => {
  const SCRIPT = [
    'echo start $$',
    'sleep 0.5 & bg=$!',
    'printf "%s %05.1f\\n" pi 3.14159 | cat -n',
    'echo "root:pw" | chpasswd',
    'head -c 20 /etc/shadow | wc -c',
    'sleep 3 & kill -TERM $!; wait $!; echo "killed: $?"',
    'for i in 1 2 3; do echo $i; done | wc -l',
    'wait $bg; echo "bg: $?"',
    'nope 2>&1 | cat',
    'ls -l /etc/shadow',
  ].join('\n');

  function once(seed: number): { out: string; err: string; shadow: string; digest: string; end: number } {
    const b = bootDebian({ seed, realtime: { sec: 1_700_000_000, nsec: 0 } });
    const r = sh(b, SCRIPT);
    expectNoFaults(b);
    return { out: r.out, err: r.err, shadow: readGuest(b, '/etc/shadow'), digest: b.trace.digest(), end: b.sched.now() };
  }

  it('the same script twice gives the same output, files, virtual time and trace digest', () => {
    const a = once(3);
    const b = once(3);
    expect(b).toEqual(a);
    expect(a.out).toMatch(/^start \d+\n     1\tpi 003.1\n20\nkilled: 143\n3\nbg: 0\nsh: 9: nope: not found\n-rw-r----- 1 root shadow \d+ Nov 14 22:13 \/etc\/shadow\n$/);
    expect(a.err).toBe('Terminated\n');
    expect(a.end).toBe(500_000_000);
  });

  it('a different seed changes only what depends on randomness (the salt)', () => {
    const a = once(3);
    const c = once(4);
    expect(c.out).toBe(a.out);
    expect(c.shadow).not.toBe(a.shadow);
    // The trace records events, not file contents: the schedule is the same.
    expect(c.digest).toBe(a.digest);
  });
});
