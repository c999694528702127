import { describe, expect, it } from 'vitest';
import {
  Errno,
  O_CLOEXEC,
  SIGCHLD,
  SIGINT,
  SIGKILL,
  SIGSEGV,
  SIGTERM,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WNOHANG,
  WTERMSIG,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { boot, expectNoFaults, runToIdle } from './helpers.js';

function errCode(e: unknown): string {
  if (e instanceof Errno) return e.code;
  throw e;
}

describe('spawn and exec', () => {
  it('resolves names through PATH and reports ENOENT, EACCES and ENOEXEC like execvp', () => {
    const b = boot();
    b.kernel.writeFile('/usr/local/bin/noexec', '#!qga-sim-builtin echo\n', 0o644);
    // Its interpreter /bin/sh is not installed here: execve fails with ENOENT, as binfmt_script does.
    b.kernel.writeFile('/usr/bin/script', '#!/bin/sh\necho hi\n', 0o755);
    const out: string[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      for (const t of ['nosuchprog', 'noexec', '/usr/local/bin/noexec', 'script', '/tmp', '/bin/true']) {
        try {
          const pid = yield* sys.spawn(t, [t]);
          out.push(`${t}: ${WEXITSTATUS((yield* sys.waitpid(pid)).status)}`);
        } catch (e) {
          out.push(`${t}: ${errCode(e)}`);
        }
      }
      sys.env.PATH = '/nowhere';
      try {
        yield* sys.spawn('true', ['true']);
      } catch (e) {
        out.push(`custom PATH: ${errCode(e)}`);
      }
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual(['nosuchprog: ENOENT', 'noexec: EACCES', '/usr/local/bin/noexec: EACCES', 'script: ENOENT', '/tmp: EACCES', '/bin/true: 0', 'custom PATH: ENOENT']);
  });

  it('host spawn throws the same errors synchronously and reports exit codes', () => {
    const b = boot();
    expect(() => b.kernel.spawn('nosuchprog', ['x'])).toThrow(Errno);
    const f = b.kernel.spawn('false', ['false']);
    const t = b.kernel.spawn('/bin/true', ['true']);
    b.sched.run();
    expect([f.status, t.status].map((s) => WEXITSTATUS(s ?? -1))).toEqual([1, 0]);
    expect(b.trace.count).toBeGreaterThan(0);
  });

  it('sys.exit ends the process with its code; an uncaught Errno kills it with SIGSEGV', () => {
    const b = boot();
    const ex = b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.exit(3);
    }, ['exits']);
    const crash = b.kernel.spawn(function* (sys: Syscalls): Program {
      yield* sys.open('/missing', 0);
      return 0;
    }, ['crasher']);
    b.sched.run();
    expect(WIFEXITED(ex.status ?? -1) && WEXITSTATUS(ex.status ?? -1)).toBe(3);
    expect(WIFSIGNALED(crash.status ?? 0) && WTERMSIG(crash.status ?? 0)).toBe(SIGSEGV);
    expect(b.kernel.faults.map((f) => [f.comm, (f.error as Errno).code])).toEqual([['crasher', 'ENOENT']]);
    const bug = b.kernel.spawn(function* (): Program {
      const o: { x?: { y: number } } = {};
      return o.x?.y ?? JSON.parse('{');
    }, ['buggy']);
    b.sched.run();
    expect(WTERMSIG(bug.status ?? 0)).toBe(SIGSEGV);
    expect(b.kernel.faults[1]?.error).toBeInstanceOf(SyntaxError);
  });
});

describe('waitpid, zombies and reaping', () => {
  it('keeps an exited child as a zombie until waited for; WNOHANG and ECHILD', () => {
    const b = boot();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      try {
        yield* sys.waitpid(-1, WNOHANG);
      } catch (e) {
        out.push(errCode(e));
      }
      const quick = yield* sys.spawn('true', ['true']);
      const slow = yield* sys.spawn('sleep', ['sleep', '1']);
      yield* sys.sleep(1000);
      out.push(b.kernel.process(quick)?.state, b.kernel.process(slow)?.state);
      out.push(yield* sys.waitpid(slow, WNOHANG));
      out.push((yield* sys.waitpid(quick)).pid === quick, b.kernel.process(quick));
      const r = yield* sys.waitpid(-1);
      out.push(r.pid === slow, r.status, b.kernel.sched.now());
      try {
        yield* sys.waitpid(-1);
      } catch (e) {
        out.push(errCode(e));
      }
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual(['ECHILD', 'zombie', 'blocked', { pid: 0, status: 0 }, true, undefined, true, 0, 1_000_000_000, 'ECHILD']);
  });

  it('re-parents orphans to init, which reaps them', () => {
    const b = boot();
    const seen: number[] = [];
    let grandchild = 0;
    const parent = b.kernel.spawn(function* (sys: Syscalls): Program {
      grandchild = yield* sys.spawn(function* (cs: Syscalls): Program {
        seen.push(cs.getppid());
        yield* cs.sleep(2_000_000_000);
        seen.push(cs.getppid());
        return 7;
      }, ['orphan']);
      yield* sys.sleep(1000);
      return 0;
    }, ['parent']);
    b.sched.run(1_000_000_000);
    expect(parent.status).toBe(0);
    expect(b.kernel.process(parent.pid)).toBeUndefined();
    expect(b.kernel.process(grandchild)?.ppid).toBe(1);
    b.sched.run();
    expect(seen).toEqual([parent.pid, 1]);
    expect(b.kernel.processes().map((p) => p.pid)).toEqual([1]);
  });

  it('delivers SIGCHLD to a parent with a handler', () => {
    const b = boot();
    const got: number[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      sys.signal(SIGCHLD, (s) => got.push(s));
      yield* sys.spawn('true', ['true']);
      try {
        yield* sys.pause();
      } catch (e) {
        got.push(errCode(e) === 'EINTR' ? -1 : -2);
      }
      yield* sys.wait();
      return 0;
    });
    expectNoFaults(b);
    expect(got).toEqual([SIGCHLD, -1]);
  });
});

describe('signals', () => {
  it('interrupts a blocked syscall with EINTR when a handler is installed, and finally blocks run', () => {
    const b = boot();
    const log: string[] = [];
    const p = b.kernel.spawn(function* (sys: Syscalls): Program {
      let stop = false;
      sys.signal(SIGTERM, () => {
        stop = true;
        log.push('handler');
      });
      try {
        yield* sys.sleep(10_000_000_000);
      } catch (e) {
        log.push(errCode(e));
      } finally {
        log.push(`finally stop=${stop}`);
      }
      return 5;
    }, ['handled']);
    b.sched.after(1_000, 'kill', () => b.kernel.kill(p.pid, SIGTERM));
    b.sched.run();
    expect(log).toEqual(['handler', 'EINTR', 'finally stop=true']);
    expect(WEXITSTATUS(p.status ?? -1)).toBe(5);
    expect(p.exitTime).toBe(1_000);
  });

  it('default SIGTERM/SIGINT/SIGKILL terminate a blocked process, unwinding its finally blocks', () => {
    const b = boot();
    const log: string[] = [];
    const mk = (name: string) =>
      b.kernel.spawn(function* (sys: Syscalls): Program {
        try {
          const [r] = sys.pipe(O_CLOEXEC);
          yield* sys.read(r, 1);
        } finally {
          log.push(`${name} finally`);
          try {
            yield* sys.write(2, 'too late');
          } catch (e) {
            log.push(`${name} ${e instanceof Errno ? e.code : (e as Error).name}`);
            throw e;
          }
        }
        return 0;
      }, [name]);
    const ps = [mk('term'), mk('int'), mk('kill')];
    b.sched.run();
    b.kernel.kill(ps[0]!.pid, SIGTERM);
    b.kernel.kill(ps[1]!.pid, SIGINT);
    b.kernel.kill(ps[2]!.pid, SIGKILL);
    b.sched.run();
    expect(ps.map((p) => WTERMSIG(p.status ?? 0))).toEqual([SIGTERM, SIGINT, SIGKILL]);
    expect(log).toEqual(['term finally', 'term ProcessExit', 'int finally', 'int ProcessExit', 'kill finally', 'kill ProcessExit']);
    expect(b.kernel.faults).toEqual([]);
  });

  it('kill between processes: permissions, ESRCH, signal 0, self-signals and SIGKILL dispositions', () => {
    const b = boot();
    const out: string[] = [];
    const rootSleeper = b.kernel.spawn('sleep', ['sleep', '100']);
    b.kernel.spawn(function* (sys: Syscalls): Program {
      const tryKill = (pid: number, sig: number): void => {
        try {
          sys.kill(pid, sig);
          out.push(`kill ${pid} ${sig}: ok`);
        } catch (e) {
          out.push(`kill ${pid} ${sig}: ${errCode(e)}`);
        }
      };
      tryKill(rootSleeper.pid, SIGTERM);
      tryKill(rootSleeper.pid, 0);
      tryKill(9999, 0);
      tryKill(sys.getpid(), 0);
      tryKill(sys.getpid(), 99);
      try {
        sys.signal(SIGKILL, 'ignore');
      } catch (e) {
        out.push(`signal SIGKILL: ${errCode(e)}`);
      }
      sys.signal(SIGINT, 'ignore');
      sys.kill(sys.getpid(), SIGINT);
      out.push('survived ignored SIGINT');
      sys.kill(sys.getpid(), SIGTERM);
      out.push('not reached');
      return 0;
    }, ['user'], { uid: 1000, gid: 1000 });
    b.sched.run(1_000_000);
    expect(out).toEqual([
      `kill ${rootSleeper.pid} 15: EPERM`,
      `kill ${rootSleeper.pid} 0: EPERM`,
      'kill 9999 0: ESRCH',
      'kill 3 0: ok',
      'kill 3 99: EINVAL',
      'signal SIGKILL: EINVAL',
      'survived ignored SIGINT',
    ]);
    expect(rootSleeper.status).toBeUndefined();
    b.kernel.kill(1, SIGKILL);
    b.kernel.kill(rootSleeper.pid, SIGKILL);
    b.sched.run();
    expect(b.kernel.process(1)?.state).toBe('blocked');
    expect(WTERMSIG(rootSleeper.status ?? 0)).toBe(SIGKILL);
    expectNoFaults(b);
  });

  it('only root may spawn as another user', () => {
    const b = boot();
    const out: unknown[] = [];
    b.kernel.spawn(function* (sys: Syscalls): Program {
      try {
        yield* sys.spawn('true', ['true'], { uid: 0 });
      } catch (e) {
        out.push(errCode(e));
      }
      out.push(sys.getuid(), sys.geteuid(), sys.getgid(), sys.getgroups());
      return 0;
    }, ['u'], { uid: 1000, gid: 100 });
    b.sched.run();
    expect(out).toEqual(['EPERM', 1000, 1000, 100, [100]]);
  });
});
