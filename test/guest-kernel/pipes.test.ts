import { describe, expect, it } from 'vitest';
import {
  Errno,
  O_CLOEXEC,
  O_NONBLOCK,
  PIPE_CAPACITY,
  SIGPIPE,
  WIFSIGNALED,
  WTERMSIG,
  WEXITSTATUS,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { readText } from '../../src/guest/programs/index.js';
import { boot, expectNoFaults, runToIdle } from './helpers.js';

describe('pipes', () => {
  it('connects echo | cat | cat between processes, with EOF once writers close', () => {
    const b = boot();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      // Close-on-exec, as real code does: a child inheriting a write end would never see EOF.
      const [r1, w1] = sys.pipe(O_CLOEXEC);
      const [r2, w2] = sys.pipe(O_CLOEXEC);
      const [r3, w3] = sys.pipe(O_CLOEXEC);
      const a = yield* sys.spawn('echo', ['echo', 'through', 'pipes'], { stdout: w1 });
      const c1 = yield* sys.spawn('cat', ['cat'], { stdin: r1, stdout: w2 });
      const c2 = yield* sys.spawn('/bin/cat', ['cat', '-'], { stdin: r2, stdout: w3 });
      for (const fd of [r1, w1, r2, w2, w3]) sys.close(fd);
      out.push(yield* readText(sys, r3));
      const statuses = [];
      for (const pid of [a, c1, c2]) statuses.push((yield* sys.waitpid(pid)).status);
      out.push(statuses);
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual(['through pipes\n', [0, 0, 0]]);
  });

  it('a child that inherits the write end keeps the reader from seeing EOF (fork semantics)', () => {
    const b = boot();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const [r, w] = sys.pipe();
      const sleeper = yield* sys.spawn('sleep', ['sleep', '2']);
      sys.close(w);
      const fds = [{ fd: r, events: 1, revents: 0 }];
      out.push(yield* sys.poll(fds, 1_000_000_000));
      yield* sys.waitpid(sleeper);
      out.push(yield* sys.poll(fds, 1_000_000_000), (yield* sys.read(r, 1)).length);
      return 0;
    });
    expect(out).toEqual([0, 1, 0]);
  });

  it('holds 64 KiB; a non-blocking writer then gets EAGAIN, a blocking one waits for the reader', () => {
    const b = boot();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const [r, w] = sys.pipe(O_NONBLOCK | O_CLOEXEC);
      out.push(yield* sys.write(w, new Uint8Array(PIPE_CAPACITY + 100)));
      try {
        yield* sys.write(w, 'x');
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        out.push(e.code);
      }
      // A blocking writer of 100 KiB completes once a child drains the pipe.
      const [r2, w2] = sys.pipe(O_CLOEXEC);
      const child = yield* sys.spawn(function* (cs: Syscalls): Program {
        let total = 0;
        for (;;) {
          const d = yield* cs.read(0, 10_000);
          if (d.length === 0) break;
          total += d.length;
        }
        return total === 102_400 ? 0 : 1;
      }, ['drain'], { stdin: r2 });
      sys.close(r2);
      out.push(yield* sys.write(w2, new Uint8Array(102_400)));
      sys.close(w2);
      out.push(WEXITSTATUS((yield* sys.waitpid(child)).status));
      sys.close(r);
      sys.close(w);
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([PIPE_CAPACITY, 'EAGAIN', 102_400, 0]);
  });

  it('writing to a pipe without readers raises SIGPIPE (default: death) or EPIPE when ignored', () => {
    const b = boot();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const writer = function* (cs: Syscalls): Program {
        const [r, w] = cs.pipe();
        cs.close(r);
        try {
          yield* cs.write(w, 'x');
          return 0;
        } catch (e) {
          if (!(e instanceof Errno)) throw e;
          return e.errno;
        }
      };
      const dies = yield* sys.spawn(writer, ['dies']);
      const st = (yield* sys.waitpid(dies)).status;
      out.push(WIFSIGNALED(st), WTERMSIG(st));
      const survives = yield* sys.spawn(function* (cs: Syscalls): Program {
        cs.signal(SIGPIPE, 'ignore');
        return yield* writer(cs);
      }, ['survives']);
      out.push(WEXITSTATUS((yield* sys.waitpid(survives)).status));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([true, SIGPIPE, 32]);
  });

  it('feeds a host writer into cat and collects its output', () => {
    const b = boot();
    const p = b.kernel.spawn('cat', ['cat'], { stdin: 'pipe' });
    p.stdin?.write('line 1\n');
    b.sched.run();
    expect(p.stdout?.text()).toBe('line 1\n');
    expect(p.status).toBeUndefined();
    p.stdin?.write('line 2\n');
    p.stdin?.end();
    b.sched.run();
    expect(p.stdout?.text()).toBe('line 1\nline 2\n');
    expect(p.status).toBe(0);
    expect(p.stdout?.ended).toBe(true);
  });
});
