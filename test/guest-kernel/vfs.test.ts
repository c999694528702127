import { describe, expect, it } from 'vitest';
import {
  Errno,
  MS_RDONLY,
  MS_REMOUNT,
  O_CREAT,
  O_EXCL,
  O_NOFOLLOW,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  S_IFLNK,
  S_IFMT,
  SynthDir,
  SynthFs,
  TMPFS_MAGIC,
  constFile,
  major,
  minor,
  synthFile,
  synthLink,
  type Program,
  type SysCall,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { readText } from '../../src/guest/programs/index.js';
import { boot, dec, expectNoFaults, runToIdle, type Booted } from './helpers.js';

function* attempt<T>(label: string, out: unknown[], g: SysCall<T>): SysCall<T | undefined> {
  try {
    const v = yield* g;
    out.push(`${label}: ok`);
    return v;
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    out.push(`${label}: ${e.code}`);
    return undefined;
  }
}

function guest(b: Booted, body: (sys: Syscalls, out: unknown[]) => SysCall<void>): unknown[] {
  const out: unknown[] = [];
  runToIdle(b, function* (sys: Syscalls): Program {
    yield* body(sys, out);
    return 0;
  });
  expectNoFaults(b);
  return out;
}

describe('symlinks', () => {
  it('follows relative and absolute links, lstat/readlink see the link, realpath resolves', () => {
    const b = boot();
    b.kernel.writeFile('/srv/data/file', 'content');
    b.kernel.createSymlink('/srv/rel', 'data/file');
    b.kernel.createSymlink('/srv/abs', '/srv/data');
    b.kernel.createSymlink('/srv/up', '../srv/./data/../data');
    const out = guest(b, function* (sys, out) {
      out.push(dec(yield* sys.read(yield* sys.open('/srv/rel', O_RDONLY), 100)));
      out.push(dec(yield* sys.read(yield* sys.open('/srv/abs/file', O_RDONLY), 100)));
      out.push((yield* sys.lstat('/srv/rel')).mode & S_IFMT, (yield* sys.stat('/srv/rel')).size);
      out.push(yield* sys.readlink('/srv/rel'));
      out.push(yield* sys.realpath('/srv/up/file'));
      yield* attempt('readlink on file', out, sys.readlink('/srv/data/file'));
      yield* attempt('O_NOFOLLOW', out, sys.open('/srv/rel', O_RDONLY | O_NOFOLLOW));
      yield* sys.symlink('/srv/new-target', '/srv/dangling');
      yield* attempt('stat dangling', out, sys.stat('/srv/dangling'));
      const fd = yield* sys.open('/srv/dangling', O_WRONLY | O_CREAT);
      yield* sys.write(fd, 'created through link');
      out.push((yield* sys.stat('/srv/new-target')).size);
      yield* attempt('O_EXCL on link', out, sys.open('/srv/dangling', O_WRONLY | O_CREAT | O_EXCL));
      yield* attempt('symlink exists', out, sys.symlink('x', '/srv/rel'));
      yield* sys.unlink('/srv/abs');
      out.push((yield* sys.stat('/srv/data')).nlink);
    });
    expect(out).toEqual([
      'content',
      'content',
      S_IFLNK,
      7,
      'data/file',
      '/srv/data/file',
      'readlink on file: EINVAL',
      'O_NOFOLLOW: ELOOP',
      'stat dangling: ENOENT',
      20,
      'O_EXCL on link: EEXIST',
      'symlink exists: EEXIST',
      2,
    ]);
  });

  it('fails with ELOOP on cycles and after 40 links, but follows a chain of exactly 40', () => {
    const b = boot();
    b.kernel.createSymlink('/tmp/a', 'b');
    b.kernel.createSymlink('/tmp/b', 'a');
    b.kernel.writeFile('/tmp/end', 'end');
    for (let i = 0; i < 41; i++) b.kernel.createSymlink(`/tmp/c${i}`, i === 0 ? 'end' : `c${i - 1}`);
    const out = guest(b, function* (sys, out) {
      yield* attempt('cycle', out, sys.stat('/tmp/a'));
      yield* attempt('40 links', out, sys.stat('/tmp/c39'));
      yield* attempt('41 links', out, sys.stat('/tmp/c40'));
      yield* attempt('lstat cycle', out, sys.lstat('/tmp/a'));
      yield* attempt('through dir link', out, sys.stat('/tmp/a/x'));
    });
    expect(out).toEqual(['cycle: ELOOP', '40 links: ok', '41 links: ELOOP', 'lstat cycle: ok', 'through dir link: ELOOP']);
  });
});

describe('mount table', () => {
  it('mounts and unmounts filesystems, keeping order, ids, parents and device numbers', () => {
    const b = boot();
    const k = b.kernel;
    k.mkdirp('/mnt/a');
    const fs = k.createTmpfs({ source: 'scratch' });
    const m = k.mount(fs, '/mnt/a');
    const out = guest(b, function* (sys, out) {
      const fd = yield* sys.open('/mnt/a/f', O_RDWR | O_CREAT);
      out.push((yield* sys.stat('/mnt/a/f')).dev === fs.dev, (yield* sys.stat('/mnt')).dev === (yield* sys.stat('/')).dev);
      out.push((yield* sys.statfs('/mnt/a')).type === TMPFS_MAGIC);
      yield* attempt('umount busy', out, sys.umount('/mnt/a'));
      yield* attempt('rename across mounts', out, sys.rename('/mnt/a/f', '/tmp/f'));
      yield* attempt('rmdir mount point', out, sys.rmdir('/mnt/a'));
      yield* attempt('umount non-mountpoint', out, sys.umount('/mnt'));
      sys.close(fd);
      yield* sys.chdir('/mnt/a/..');
      out.push(sys.getcwd());
      yield* sys.mount('tmpfs', '/mnt/a', 'tmpfs', 0, 'size=1m,mode=700');
      out.push((yield* sys.readdir('/mnt/a')).length, ((yield* sys.stat('/mnt/a')).mode & 0o777).toString(8));
      yield* sys.umount('/mnt/a');
      out.push((yield* sys.readdir('/mnt/a')).map((e) => e.name));
      yield* sys.mount('', '/mnt/a', '', MS_REMOUNT | MS_RDONLY);
      yield* attempt('write on ro mount', out, sys.open('/mnt/a/g', O_WRONLY | O_CREAT));
      yield* attempt('read on ro mount', out, sys.open('/mnt/a/f', O_RDONLY));
      yield* attempt('unknown fs type', out, sys.mount('x', '/mnt', 'nosuchfs'));
    });
    expect(out).toEqual([
      true,
      true,
      true,
      'umount busy: EBUSY',
      'rename across mounts: EXDEV',
      'rmdir mount point: EBUSY',
      'umount non-mountpoint: EINVAL',
      '/mnt',
      0,
      '700',
      ['f'],
      'write on ro mount: EROFS',
      'read on ro mount: ok',
      'unknown fs type: ENODEV',
    ]);
    const table = k.mounts().map((x) => [x.id, x.parent?.id ?? 0, x.path, x.fs.type, x.fs.source, `${major(x.fs.dev)}:${minor(x.fs.dev)}`, x.options()]);
    expect(table).toEqual([
      [1, 0, '/', 'rootfs', 'rootfs', '0:2', 'rw,relatime'],
      [2, 1, '/dev', 'devtmpfs', 'devtmpfs', '0:3', 'rw,nosuid,relatime'],
      [3, 1, '/sys', 'sysfs', 'sysfs', '0:4', 'rw,nosuid,nodev,noexec,relatime'],
      [4, 1, '/proc', 'proc', 'proc', '0:5', 'rw,nosuid,nodev,noexec,relatime'],
      [5, 1, '/mnt/a', 'tmpfs', 'scratch', '0:6', 'ro,relatime'],
    ]);
    expect(m.id).toBe(5);
  });

  it('stacks mounts and shows the most recent one', () => {
    const b = boot();
    const k = b.kernel;
    const lower = k.createTmpfs();
    const upper = k.createTmpfs();
    k.mount(lower, '/mnt');
    k.writeFile('/mnt/which', 'lower');
    k.mount(upper, '/mnt');
    k.writeFile('/mnt/which', 'upper');
    expect(dec(k.readFile('/mnt/which'))).toBe('upper');
    k.umount('/mnt');
    expect(dec(k.readFile('/mnt/which'))).toBe('lower');
  });
});

describe('synthetic files', () => {
  it('generate content on read and pass writes to a store callback that may refuse', () => {
    const b = boot();
    const k = b.kernel;
    let online = true;
    let reads = 0;
    const root = new SynthDir(0o755);
    const cpu = root.dir('devices/system/cpu/cpu1', 0o755);
    cpu.add('online', synthFile({
      size: 4096,
      show: () => {
        reads++;
        return online ? '1\n' : '0\n';
      },
      store: (data) => {
        const v = data.trim();
        if (v !== '0' && v !== '1') throw new Errno('EINVAL');
        if (v === '0' && reads > 100) throw new Errno('EBUSY');
        online = v === '1';
      },
    }));
    root.dir('devices/system/cpu').add('possible', constFile('0-1\n'));
    root.add('self', synthLink((caller) => `devices/${caller.pid}`));
    const fs = new SynthFs({ type: 'sysfs', dev: k.allocAnonDev(), now: () => k.clock.realtime(), root });
    k.mount(fs, '/sys');
    const out = guest(b, function* (sys, out) {
      const path = '/sys/devices/system/cpu/cpu1/online';
      out.push(yield* readText(sys, yield* sys.open(path, O_RDONLY)));
      const fd = yield* sys.open(path, O_WRONLY);
      yield* sys.write(fd, '0');
      out.push(yield* readText(sys, yield* sys.open(path, O_RDONLY)));
      yield* attempt('store garbage', out, sys.write(fd, 'maybe'));
      yield* attempt('write read-only attr', out, sys.open('/sys/devices/system/cpu/possible', O_WRONLY));
      out.push(((yield* sys.stat(path)).mode & 0o777).toString(8), (yield* sys.stat(path)).size);
      out.push((yield* sys.readdir('/sys/devices/system/cpu')).map((e) => e.name));
      out.push(yield* sys.readlink('/sys/self'), sys.getpid());
      yield* attempt('create in sysfs', out, sys.open('/sys/new', O_WRONLY | O_CREAT));
      const re = yield* sys.open('/sys/devices/system/cpu/possible', O_RDONLY);
      out.push(dec(yield* sys.read(re, 2)), dec(yield* sys.read(re, 10)), dec(yield* sys.pread(re, 10, 0)));
    });
    expect(out).toEqual([
      '1\n',
      '0\n',
      'store garbage: EINVAL',
      'write read-only attr: EACCES',
      '644',
      4096,
      ['cpu1', 'possible'],
      'devices/2',
      2,
      'create in sysfs: EACCES',
      '0-',
      '1\n',
      '0-1\n',
    ]);
    expect(online).toBe(false);
  });
});
