/**
 * Signal-driven I/O and signal masks as Linux has them: fcntl F_SETOWN/F_GETOWN and
 * F_SETFL O_ASYNC (fasync), kill_fasync from a driver, sigprocmask and sigsuspend.
 */
import { describe, expect, it } from 'vitest';
import {
  Errno,
  FasyncList,
  F_GETFL,
  F_GETOWN,
  F_SETFL,
  F_SETOWN,
  O_ASYNC,
  O_NONBLOCK,
  O_RDWR,
  SIGIO,
  SIGUSR1,
  SIG_BLOCK,
  SIG_SETMASK,
  SIG_UNBLOCK,
  type DeviceOps,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { boot, expectNoFaults } from './helpers.js';

/** A device whose "interrupt" raises SIGIO for its O_ASYNC openers. */
function asyncDevice() {
  const b = boot();
  const list = new FasyncList();
  const calls: string[] = [];
  const ops: DeviceOps = {
    stream: true,
    read: () => new Uint8Array(0),
    fasync: (file, on) => {
      calls.push(on ? 'on' : 'off');
      list.helper(file, on);
    },
  };
  b.kernel.registerCharDevice(243, 0, ops, 'asyncdev');
  b.kernel.createDeviceNode('/dev/async0', 243, 0, { mode: 0o666 });
  return { ...b, list, calls };
}

function code(e: unknown): string {
  if (e instanceof Errno) return e.code;
  throw e;
}

describe('fcntl F_SETOWN / O_ASYNC (fs/fcntl.c setfl, f_setown)', () => {
  it('calls the driver only when O_ASYNC changes, and again at the last close', () => {
    const b = asyncDevice();
    const out: unknown[] = [];
    b.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/async0', O_RDWR);
      out.push(sys.fcntl(fd, F_GETOWN));
      sys.fcntl(fd, F_SETOWN, sys.getpid());
      out.push(sys.fcntl(fd, F_GETOWN));
      sys.fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK);
      sys.fcntl(fd, F_SETFL, O_ASYNC);
      out.push((sys.fcntl(fd, F_GETFL) & O_ASYNC) !== 0);
      const dup = sys.dup(fd);
      sys.close(fd);
      out.push(b.calls.length);
      sys.close(dup);
      try {
        sys.fcntl(yield* sys.open('/dev/async0', O_RDWR), F_SETOWN, 4242);
      } catch (e) {
        out.push(code(e));
      }
      return 0;
    }, ['t']);
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual([0, 2, true, 1, 'ESRCH']);
    expect(b.calls).toEqual(['on', 'off']);
  });

  it('an O_ASYNC passed to open() is kept but never turned on in the driver (so F_SETFL O_ASYNC is then a no-op)', () => {
    const b = asyncDevice();
    b.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/async0', O_RDWR | O_ASYNC);
      sys.fcntl(fd, F_SETFL, O_ASYNC);
      return 0;
    }, ['t']);
    b.sched.run();
    // Only __fput's unconditional "off" at the last close.
    expect(b.calls).toEqual(['off']);
  });

  it('kill_fasync signals the owner: a handler runs and a blocking wait ends with EINTR', () => {
    const b = asyncDevice();
    const out: string[] = [];
    b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.signal(SIGIO, (s) => out.push(`handler ${s}`));
      const fd = yield* sys.open('/dev/async0', O_RDWR);
      sys.fcntl(fd, F_SETOWN, sys.getpid());
      sys.fcntl(fd, F_SETFL, O_ASYNC);
      try {
        yield* sys.pause();
      } catch (e) {
        out.push(`pause ${code(e)} at ${b.sched.now()}`);
      }
      return 0;
    }, ['t']);
    b.sched.after(5_000, 'irq', () => b.list.kill());
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual([`handler ${SIGIO}`, 'pause EINTR at 5000']);
  });

  it('SIGIO without a handler terminates, as its default action is', () => {
    const b = asyncDevice();
    const p = b.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/async0', O_RDWR);
      sys.fcntl(fd, F_SETOWN, sys.getpid());
      sys.fcntl(fd, F_SETFL, O_ASYNC);
      yield* sys.sleep(1e9);
      return 0;
    }, ['t']);
    b.sched.after(5_000, 'irq', () => b.list.kill());
    b.sched.run();
    expect(p.status).toBe(SIGIO);
  });

  it('a negative owner signals the whole process group', () => {
    const b = asyncDevice();
    const got: number[] = [];
    b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.signal(SIGIO, () => got.push(sys.getpid()));
      const child = yield* sys.spawn(function* (c: Syscalls): Program {
        c.signal(SIGIO, () => got.push(c.getpid()));
        try {
          yield* c.sleep(1e6);
        } catch (e) {
          code(e);
        }
        return 0;
      }, ['child']);
      const fd = yield* sys.open('/dev/async0', O_RDWR);
      sys.fcntl(fd, F_SETOWN, -sys.getpgrp());
      expect(sys.fcntl(fd, F_GETOWN)).toBe(-sys.getpgrp());
      sys.fcntl(fd, F_SETFL, O_ASYNC);
      for (;;) {
        try {
          yield* sys.waitpid(child);
          return 0;
        } catch (e) {
          // No SA_RESTART here: the SIGIO handler makes waitpid fail with EINTR.
          expect(code(e)).toBe('EINTR');
        }
      }
    }, ['leader']);
    b.sched.after(500, 'irq', () => b.list.kill());
    b.sched.run();
    expectNoFaults(b);
    expect(got).toHaveLength(2);
    expect(new Set(got).size).toBe(2);
  });
});

describe('sigprocmask and sigsuspend', () => {
  it('a blocked signal stays pending, interrupts nothing, and is delivered when unblocked', () => {
    const b = boot();
    const out: string[] = [];
    const p = b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.signal(SIGUSR1, () => out.push(`handled at ${b.sched.now()}`));
      const old = sys.sigprocmask(SIG_BLOCK, [SIGUSR1]);
      out.push(`old ${[...old].join(',')}`);
      yield* sys.sleep(10_000);
      out.push(`slept to ${b.sched.now()}`);
      expect([...sys.sigprocmask(SIG_UNBLOCK, [SIGUSR1])]).toEqual([SIGUSR1]);
      out.push('unblocked');
      return 0;
    }, ['t']);
    b.sched.after(1_000, 'kill', () => b.kernel.kill(p.pid, SIGUSR1));
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual(['old ', 'slept to 10000', 'handled at 10000', 'unblocked']);
  });

  it('sigsuspend takes a signal that was pending before it was called (no lost wake-up) and restores the mask', () => {
    const b = boot();
    const out: string[] = [];
    b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.signal(SIGUSR1, () => out.push('handled'));
      sys.sigprocmask(SIG_SETMASK, [SIGUSR1]);
      sys.raise(SIGUSR1);
      out.push('still pending');
      try {
        yield* sys.sigsuspend([]);
      } catch (e) {
        out.push(`sigsuspend ${code(e)} at ${b.sched.now()}`);
      }
      out.push(`mask ${[...sys.sigprocmask(SIG_BLOCK)].join(',')}`);
      return 0;
    }, ['t']);
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual(['still pending', 'handled', 'sigsuspend EINTR at 0', `mask ${SIGUSR1}`]);
  });

  it('sigsuspend sleeps until a signal its mask lets through; masked ones stay pending', () => {
    const b = boot();
    const out: string[] = [];
    const p = b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.signal(SIGUSR1, () => out.push(`USR1 at ${b.sched.now()}`));
      sys.signal(SIGIO, () => out.push(`IO at ${b.sched.now()}`));
      sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGIO]);
      try {
        yield* sys.sigsuspend([SIGUSR1]);
      } catch (e) {
        out.push(`EINTR at ${b.sched.now()}`);
      }
      sys.sigprocmask(SIG_UNBLOCK, [SIGUSR1]);
      return 0;
    }, ['t']);
    b.sched.after(1_000, 'usr1', () => b.kernel.kill(p.pid, SIGUSR1));
    b.sched.after(3_000, 'io', () => b.kernel.kill(p.pid, SIGIO));
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual(['IO at 3000', 'EINTR at 3000', 'USR1 at 3000']);
  });

  it('ppoll watches descriptors with the mask swapped in: a pipe or an unblocked signal ends it', () => {
    const b = boot();
    const out: string[] = [];
    const p = b.kernel.spawn(function* (sys: Syscalls): Program {
      sys.signal(SIGIO, () => out.push(`IO at ${b.sched.now()}`));
      sys.sigprocmask(SIG_BLOCK, [SIGIO]);
      const [r, w] = sys.pipe();
      const fds = [{ fd: r, events: 0x001, revents: 0 }];
      yield* sys.spawn(function* (c: Syscalls): Program {
        yield* c.sleep(1_000);
        yield* c.write(w, 'x');
        return 0;
      }, ['writer']);
      out.push(`ready ${yield* sys.ppoll(fds, -1, [])} at ${b.sched.now()}`);
      yield* sys.read(r, 1);
      try {
        yield* sys.ppoll(fds, -1, []);
      } catch (e) {
        out.push(`${code(e)} at ${b.sched.now()}`);
      }
      out.push(`blocked ${[...sys.sigprocmask(SIG_BLOCK)].join(',')}`);
      return 0;
    }, ['t']);
    b.sched.after(5_000, 'io', () => b.kernel.kill(p.pid, SIGIO));
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual(['ready 1 at 1000', 'IO at 5000', 'EINTR at 5000', `blocked ${SIGIO}`]);
  });
});
