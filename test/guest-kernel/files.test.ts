import { describe, expect, it } from 'vitest';
import {
  Errno,
  FD_CLOEXEC,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  S_IFMT,
  S_IFREG,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  type ErrnoCode,
  type Program,
  type SysCall,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { boot, dec, expectNoFaults, runToIdle } from './helpers.js';

/** Runs `body` as a root program; returns what it recorded. */
function inGuest(body: (sys: Syscalls, log: unknown[]) => SysCall<void>): unknown[] {
  const b = boot();
  const log: unknown[] = [];
  runToIdle(b, function* (sys: Syscalls): Program {
    yield* body(sys, log);
    return 0;
  });
  expectNoFaults(b);
  return log;
}

/** The errno code a syscall generator fails with, or 'ok'. */
function* code<T>(g: SysCall<T>): SysCall<ErrnoCode | 'ok'> {
  try {
    yield* g;
    return 'ok';
  } catch (e) {
    if (e instanceof Errno) return e.code;
    throw e;
  }
}

/** Same for a plain syscall. */
function codeOf(fn: () => unknown): ErrnoCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof Errno) return e.code;
    throw e;
  }
}

describe('regular file syscalls', () => {
  it('creates, writes, seeks, reads, preads and truncates', () => {
    const log = inGuest(function* (sys, log) {
      const fd = yield* sys.open('/tmp/f', O_RDWR | O_CREAT, 0o640);
      log.push(fd);
      log.push(yield* sys.write(fd, 'hello world'));
      log.push(sys.lseek(fd, 0, SEEK_CUR));
      log.push(sys.lseek(fd, 6, SEEK_SET));
      log.push(dec(yield* sys.read(fd, 100)));
      log.push((yield* sys.read(fd, 100)).length);
      log.push(dec(yield* sys.pread(fd, 5, 0)));
      log.push(sys.lseek(fd, 0, SEEK_CUR));
      log.push(yield* sys.pwrite(fd, 'HELLO', 0));
      log.push(sys.lseek(fd, -5, SEEK_END));
      log.push(dec(yield* sys.read(fd, 5)));
      yield* sys.ftruncate(fd, 4);
      const st = sys.fstat(fd);
      log.push(st.size, st.mode & S_IFMT, st.mode & 0o777, st.nlink, st.uid);
      log.push(sys.lseek(fd, 10, SEEK_SET));
      yield* sys.write(fd, 'x');
      log.push(dec(yield* sys.pread(fd, 20, 0)).replace(/\0/g, '.'));
      log.push(codeOf(() => sys.lseek(fd, -100, SEEK_SET)));
      sys.close(fd);
    });
    expect(log).toEqual([3, 11, 11, 6, 'world', 0, 'hello', 11, 5, 6, 'world', 4, S_IFREG, 0o640, 1, 0, 10, 'HELL......x', 'EINVAL']);
  });

  it('honours O_EXCL, O_TRUNC, O_APPEND and O_DIRECTORY', () => {
    const log = inGuest(function* (sys, log) {
      const fd = yield* sys.open('/tmp/a', O_WRONLY | O_CREAT | O_EXCL);
      yield* sys.write(fd, 'abc');
      sys.close(fd);
      log.push(yield* code(sys.open('/tmp/a', O_WRONLY | O_CREAT | O_EXCL)));
      const ap = yield* sys.open('/tmp/a', O_WRONLY | O_APPEND);
      sys.lseek(ap, 0, SEEK_SET);
      yield* sys.write(ap, 'def');
      sys.close(ap);
      log.push((yield* sys.stat('/tmp/a')).size);
      const tr = yield* sys.open('/tmp/a', O_WRONLY | O_TRUNC);
      sys.close(tr);
      log.push((yield* sys.stat('/tmp/a')).size);
      log.push(yield* code(sys.open('/tmp/a', O_RDONLY | O_DIRECTORY)));
      log.push(yield* code(sys.open('/tmp', O_WRONLY)));
      log.push(yield* code(sys.open('/tmp', O_RDONLY | O_CREAT)));
      const d = yield* sys.open('/tmp', O_RDONLY | O_DIRECTORY);
      log.push(yield* code(sys.read(d, 10)));
      log.push(yield* code(sys.open('/nope/x', O_RDONLY)));
      log.push(yield* code(sys.open('/tmp/a/x', O_RDONLY)));
      log.push(yield* code(sys.open('/tmp/new/', O_WRONLY | O_CREAT)));
      log.push(yield* code(sys.open('/tmp/' + 'n'.repeat(256), O_WRONLY | O_CREAT)));
    });
    expect(log).toEqual(['EEXIST', 6, 0, 'ENOTDIR', 'EISDIR', 'EISDIR', 'EISDIR', 'ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG']);
  });

  it('reports EBADF for closed or wrong-direction descriptors', () => {
    const log = inGuest(function* (sys, log) {
      log.push(yield* code(sys.read(42, 1)));
      log.push(codeOf(() => sys.close(42)));
      const fd = yield* sys.open('/tmp/r', O_WRONLY | O_CREAT);
      log.push(yield* code(sys.read(fd, 1)));
      const r = yield* sys.open('/tmp/r', O_RDONLY);
      log.push(yield* code(sys.write(r, 'x')));
      log.push(yield* code(sys.ftruncate(r, 0)));
    });
    expect(log).toEqual(['EBADF', 'EBADF', 'EBADF', 'EBADF', 'EINVAL']);
  });

  it('dup, dup2 and fcntl share the open file and keep their own cloexec flag', () => {
    const log = inGuest(function* (sys, log) {
      const fd = yield* sys.open('/tmp/d', O_RDWR | O_CREAT);
      const d = sys.dup(fd);
      log.push(d);
      yield* sys.write(fd, 'abc');
      log.push(sys.lseek(d, 0, SEEK_CUR));
      log.push(sys.dup2(fd, 9));
      log.push(sys.fcntl(9, F_GETFD));
      sys.fcntl(9, F_SETFD, FD_CLOEXEC);
      log.push(sys.fcntl(9, F_GETFD), sys.fcntl(fd, F_GETFD));
      log.push(sys.fcntl(fd, F_GETFL) & (O_NONBLOCK | 3));
      sys.fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND);
      log.push((sys.fcntl(d, F_GETFL) & (O_NONBLOCK | O_APPEND)) === (O_NONBLOCK | O_APPEND));
      log.push(codeOf(() => sys.dup2(77, 5)));
      sys.close(fd);
      log.push(dec(yield* sys.pread(d, 10, 0)));
    });
    expect(log).toEqual([4, 3, 9, 0, FD_CLOEXEC, 0, O_RDWR, true, 'EBADF', 'abc']);
  });

  it('runs out of descriptors with EMFILE', () => {
    const log = inGuest(function* (sys, log) {
      const fds: number[] = [];
      for (;;) {
        try {
          fds.push(yield* sys.open('/dev/null', O_RDONLY));
        } catch (e) {
          if (!(e instanceof Errno)) throw e;
          log.push(e.code, fds.length + 3);
          break;
        }
      }
    });
    expect(log).toEqual(['EMFILE', 1024]);
  });
});

describe('directories, links and renames', () => {
  it('mkdir, readdir, rmdir and their errors', () => {
    const log = inGuest(function* (sys, log) {
      yield* sys.mkdir('/tmp/d', 0o755);
      log.push(yield* code(sys.mkdir('/tmp/d')));
      log.push(yield* code(sys.mkdir('/tmp/missing/x')));
      const fd = yield* sys.open('/tmp/d/f1', O_WRONLY | O_CREAT);
      sys.close(fd);
      yield* sys.mkdir('/tmp/d/sub');
      log.push((yield* sys.readdir('/tmp/d')).map((e) => `${e.name}:${e.type}`));
      log.push((yield* sys.stat('/tmp/d')).nlink);
      log.push(yield* code(sys.rmdir('/tmp/d')));
      log.push(yield* code(sys.rmdir('/tmp/d/f1')));
      log.push(yield* code(sys.unlink('/tmp/d/sub')));
      log.push(yield* code(sys.rmdir('/tmp/d/.')));
      log.push(yield* code(sys.readdir('/tmp/d/f1')));
      yield* sys.unlink('/tmp/d/f1');
      yield* sys.rmdir('/tmp/d/sub');
      yield* sys.rmdir('/tmp/d');
      log.push(yield* code(sys.stat('/tmp/d')));
    });
    expect(log).toEqual(['EEXIST', 'ENOENT', ['f1:8', 'sub:4'], 3, 'ENOTEMPTY', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENOTDIR', 'ENOENT']);
  });

  it('hard links count, unlinked open files stay readable', () => {
    const log = inGuest(function* (sys, log) {
      const fd = yield* sys.open('/tmp/a', O_RDWR | O_CREAT);
      yield* sys.write(fd, 'data');
      yield* sys.link('/tmp/a', '/tmp/b');
      log.push((yield* sys.stat('/tmp/a')).nlink, (yield* sys.stat('/tmp/a')).ino === (yield* sys.stat('/tmp/b')).ino);
      yield* sys.unlink('/tmp/a');
      yield* sys.unlink('/tmp/b');
      log.push(sys.fstat(fd).nlink, dec(yield* sys.pread(fd, 10, 0)));
      log.push(yield* code(sys.link('/tmp', '/tmp/x')));
    });
    expect(log).toEqual([2, true, 0, 'data', 'EPERM']);
  });

  it('rename replaces files, refuses type mismatches and moving a directory into itself', () => {
    const log = inGuest(function* (sys, log) {
      for (const f of ['/tmp/a', '/tmp/b']) sys.close(yield* sys.open(f, O_WRONLY | O_CREAT));
      yield* sys.write(yield* sys.open('/tmp/a', O_WRONLY), 'A');
      yield* sys.rename('/tmp/a', '/tmp/b');
      log.push(yield* code(sys.stat('/tmp/a')), (yield* sys.stat('/tmp/b')).size);
      yield* sys.mkdir('/tmp/d');
      yield* sys.mkdir('/tmp/d/e');
      log.push(yield* code(sys.rename('/tmp/b', '/tmp/d')));
      log.push(yield* code(sys.rename('/tmp/d', '/tmp/b')));
      log.push(yield* code(sys.rename('/tmp/d', '/tmp/d/e/f')));
      yield* sys.mkdir('/tmp/empty');
      yield* sys.rename('/tmp/d', '/tmp/empty');
      log.push((yield* sys.readdir('/tmp/empty')).map((e) => e.name));
      log.push(yield* code(sys.rename('/tmp/nope', '/tmp/x')));
    });
    expect(log).toEqual(['ENOENT', 1, 'EISDIR', 'ENOTDIR', 'EINVAL', ['e'], 'ENOENT']);
  });

  it('chdir, getcwd and relative paths with . and ..', () => {
    const log = inGuest(function* (sys, log) {
      yield* sys.mkdir('/tmp/x');
      yield* sys.mkdir('/tmp/x/y');
      yield* sys.chdir('/tmp/x/y');
      log.push(sys.getcwd());
      sys.close(yield* sys.open('../f', O_WRONLY | O_CREAT));
      log.push((yield* sys.readdir('..')).map((e) => e.name).sort());
      yield* sys.chdir('../../..');
      log.push(sys.getcwd());
      yield* sys.chdir('/..');
      log.push(sys.getcwd());
      log.push(yield* code(sys.chdir('/tmp/x/f')));
      log.push(yield* sys.realpath('tmp/./x/y/../f'));
    });
    expect(log).toEqual(['/tmp/x/y', ['f', 'y'], '/', '/', 'ENOTDIR', '/tmp/x/f']);
  });
});
