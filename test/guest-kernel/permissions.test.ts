import { describe, expect, it } from 'vitest';
import { Errno, F_OK, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, R_OK, W_OK, X_OK, type Program, type SysCall, type Syscalls } from '../../src/guest/kernel/index.js';
import { boot, expectNoFaults } from './helpers.js';

function* attempt(label: string, out: string[], g: SysCall<unknown>): SysCall<void> {
  try {
    yield* g;
    out.push(`${label}: ok`);
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    out.push(`${label}: ${e.code}`);
  }
}

function setup() {
  const b = boot();
  const k = b.kernel;
  k.writeFile('/etc/secret', 'root only', 0o600);
  k.writeFile('/etc/public', 'everyone', 0o644);
  k.writeFile('/etc/group-rw', 'group', 0o660);
  k.mkdirp('/srv/closed', 0o700);
  k.writeFile('/srv/closed/inside', 'x', 0o644);
  k.writeFile('/bin/noexec-file', '#!qga-sim-builtin true\n', 0o644);
  k.mkdirp('/home/alice', 0o755);
  return b;
}

function runAs(b: ReturnType<typeof setup>, uid: number, gid: number, groups: number[], body: (sys: Syscalls, out: string[]) => SysCall<void>): string[] {
  const out: string[] = [];
  b.kernel.spawn(function* (sys: Syscalls): Program {
    yield* body(sys, out);
    return 0;
  }, ['perm'], { uid, gid, groups });
  b.sched.run();
  expectNoFaults(b);
  return out;
}

describe('permission checks', () => {
  it('root bypasses read/write bits but still needs an execute bit to run a file', () => {
    const b = setup();
    const out = runAs(b, 0, 0, [0], function* (sys, out) {
      yield* attempt('read secret', out, sys.open('/etc/secret', O_RDWR));
      yield* attempt('enter 0700 dir', out, sys.stat('/srv/closed/inside'));
      yield* attempt('exec 0644 file', out, sys.spawn('/bin/noexec-file', ['x']));
      yield* attempt('chown', out, sys.chown('/etc/public', 1000, 1000));
    });
    expect(out).toEqual(['read secret: ok', 'enter 0700 dir: ok', 'exec 0644 file: EACCES', 'chown: ok']);
  });

  it('an ordinary user gets owner/group/other bits', () => {
    const b = setup();
    b.kernel.chown('/etc/group-rw', 0, 50);
    const out = runAs(b, 1000, 1000, [1000, 50], function* (sys, out) {
      yield* attempt('read secret', out, sys.open('/etc/secret', O_RDONLY));
      yield* attempt('read public', out, sys.open('/etc/public', O_RDONLY));
      yield* attempt('write public', out, sys.open('/etc/public', O_WRONLY));
      yield* attempt('write group file', out, sys.open('/etc/group-rw', O_RDWR));
      yield* attempt('search 0700 dir', out, sys.stat('/srv/closed/inside'));
      yield* attempt('create in /etc', out, sys.open('/etc/new', O_WRONLY | O_CREAT));
      yield* attempt('chmod not owned', out, sys.chmod('/etc/public', 0o777));
      yield* attempt('chown', out, sys.chown('/etc/public', 1000, -1));
      yield* attempt('mkdir /tmp/mine', out, sys.mkdir('/tmp/mine', 0o700));
      yield* attempt('access R_OK secret', out, sys.access('/etc/secret', R_OK));
      yield* attempt('access F_OK secret', out, sys.access('/etc/secret', F_OK));
      yield* attempt('access W_OK|R_OK public', out, sys.access('/etc/public', W_OK | R_OK));
      yield* attempt('access X_OK /bin/true', out, sys.access('/bin/true', X_OK));
      yield* attempt('sethostname', out, (function* () {
        sys.sethostname('evil');
      })());
      yield* attempt('settimeofday', out, (function* () {
        sys.settimeofday({ sec: 1, nsec: 0 });
      })());
      yield* attempt('mount', out, sys.mount('tmpfs', '/mnt', 'tmpfs'));
    });
    expect(out).toEqual([
      'read secret: EACCES',
      'read public: ok',
      'write public: EACCES',
      'write group file: ok',
      'search 0700 dir: EACCES',
      'create in /etc: EACCES',
      'chmod not owned: EPERM',
      'chown: EPERM',
      'mkdir /tmp/mine: ok',
      'access R_OK secret: EACCES',
      'access F_OK secret: ok',
      'access W_OK|R_OK public: EACCES',
      'access X_OK /bin/true: ok',
      'sethostname: EPERM',
      'settimeofday: EPERM',
      'mount: EPERM',
    ]);
  });

  it('new files get the caller as owner and the umask applied; the sticky /tmp protects other users’ files', () => {
    const b = setup();
    const out = runAs(b, 1000, 1000, [1000], function* (sys, out) {
      sys.umask(0o027);
      sys.close(yield* sys.open('/tmp/alice', O_WRONLY | O_CREAT, 0o666));
      const st = yield* sys.stat('/tmp/alice');
      out.push(`mode ${(st.mode & 0o777).toString(8)} uid ${st.uid} gid ${st.gid}`);
      yield* sys.chmod('/tmp/alice', 0o604);
      out.push(`chmod ${((yield* sys.stat('/tmp/alice')).mode & 0o777).toString(8)}`);
    });
    const out2 = runAs(b, 1001, 1001, [1001], function* (sys, out) {
      yield* attempt('bob reads', out, sys.open('/tmp/alice', O_RDONLY));
      yield* attempt('bob unlinks', out, sys.unlink('/tmp/alice'));
      yield* attempt('bob renames', out, sys.rename('/tmp/alice', '/tmp/bob'));
    });
    expect(out).toEqual(['mode 640 uid 1000 gid 1000', 'chmod 604']);
    expect(out2).toEqual(['bob reads: ok', 'bob unlinks: EPERM', 'bob renames: EPERM']);
  });
});
