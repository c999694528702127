import { describe, expect, it } from 'vitest';
import {
  Errno,
  O_NONBLOCK,
  O_RDWR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  WaitQueue,
  WouldBlock,
  type DeviceOps,
  type OpenFile,
  type PollFd,
  type PollTable,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { boot, dec, enc, expectNoFaults } from './helpers.js';

/** A toy "serial port" driver: data arrives from interrupts, one opener at a time. */
class ToyPort {
  readonly wq = new WaitQueue('toyport');
  private rx: Uint8Array[] = [];
  open = false;
  hostClosed = false;
  interruptLog: string[] = [];
  readonly ops: DeviceOps = {
    stream: true,
    open: () => {
      if (this.open) throw new Errno('EBUSY');
      this.open = true;
    },
    release: () => {
      this.open = false;
    },
    read: (_f: OpenFile, count: number) => {
      const head = this.rx[0];
      if (head === undefined) {
        if (this.hostClosed) return new Uint8Array(0);
        throw new WouldBlock(this.wq);
      }
      const n = Math.min(count, head.length);
      if (n === head.length) this.rx.shift();
      else this.rx[0] = head.subarray(n);
      return head.slice(0, n);
    },
    write: (_f: OpenFile, d: Uint8Array) => d.length,
    poll: (_f: OpenFile, pt: PollTable) => {
      pt.wait(this.wq);
      return (this.rx.length > 0 ? POLLIN : 0) | POLLOUT | (this.hostClosed ? POLLHUP : 0);
    },
  };

  /** What an interrupt handler does: queue data and wake readers. */
  interrupt(data: string): void {
    this.rx.push(enc(data));
    this.interruptLog.push(`irq:${data}`);
    this.wq.wakeAll();
    this.interruptLog.push(`irq-done:${data}`);
  }
}

function setup() {
  const b = boot();
  const port = new ToyPort();
  b.kernel.registerCharDevice(240, 0, port.ops, 'toyport');
  b.kernel.createDeviceNode('/dev/toy0', 240, 0, { mode: 0o666 });
  return { ...b, port };
}

describe('blocking and wake-ups', () => {
  it('a blocking read sleeps until a driver interrupt wakes it, and never runs inside the handler', () => {
    const { sched, kernel, port } = setup();
    const events: string[] = [];
    kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/toy0', O_RDWR);
      events.push(`read-start@${sched.now()}`);
      const d = yield* sys.read(fd, 100);
      events.push(`read-done@${sched.now()}:${dec(d)}`);
      port.interruptLog.push('process-ran');
      return 0;
    }, ['reader']);
    sched.after(7_000, 'irq', () => port.interrupt('ping'));
    sched.run();
    expect(events).toEqual(['read-start@0', 'read-done@7000:ping']);
    expect(port.interruptLog).toEqual(['irq:ping', 'irq-done:ping', 'process-ran']);
  });

  it('O_NONBLOCK turns the wait into EAGAIN', () => {
    const { sched, kernel } = setup();
    const out: string[] = [];
    kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/toy0', O_RDWR | O_NONBLOCK);
      try {
        yield* sys.read(fd, 10);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        out.push(`${e.code} ${e.errno} ${e.message}`);
      }
      return 0;
    }, ['nb']);
    sched.run();
    expect(out).toEqual(['EAGAIN 11 Resource temporarily unavailable']);
  });

  it('a second open of an exclusive device fails with EBUSY; an unregistered node with ENXIO', () => {
    const b = setup();
    const out: string[] = [];
    b.kernel.createDeviceNode('/dev/ghost', 241, 0);
    b.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/toy0', O_RDWR);
      for (const p of ['/dev/toy0', '/dev/ghost']) {
        try {
          yield* sys.open(p, O_RDWR);
        } catch (e) {
          if (!(e instanceof Errno)) throw e;
          out.push(`${p} ${e.code} ${e.message}`);
        }
      }
      sys.close(fd);
      const again = yield* sys.open('/dev/toy0', O_RDWR);
      out.push(`reopened ${again}`);
      return 0;
    }, ['excl']);
    b.sched.run();
    expectNoFaults(b);
    expect(out).toEqual(['/dev/toy0 EBUSY Device or resource busy', '/dev/ghost ENXIO No such device or address', 'reopened 3']);
  });

  it('poll times out after exactly the requested virtual time', () => {
    const { sched, kernel } = setup();
    const out: unknown[] = [];
    sched.run(1_000_000);
    kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/toy0', O_RDWR);
      const fds: PollFd[] = [{ fd, events: POLLIN, revents: 0 }];
      const t0 = sched.now();
      out.push(yield* sys.poll(fds, 250_000_000));
      out.push(sched.now() - t0, fds[0]?.revents);
      out.push(yield* sys.poll(fds, 0));
      out.push(sched.now() - t0);
      return 0;
    }, ['poller']);
    sched.run();
    expect(out).toEqual([0, 250_000_000, 0, 0, 250_000_000]);
  });

  it('poll wakes when any polled file becomes ready and reports POLLNVAL/POLLHUP', () => {
    const { sched, kernel, port } = setup();
    const out: unknown[] = [];
    kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/toy0', O_RDWR);
      const [r, w] = sys.pipe();
      const fds: PollFd[] = [
        { fd: r, events: POLLIN, revents: 0 },
        { fd, events: POLLIN, revents: 0 },
        { fd: -1, events: POLLIN, revents: 0 },
      ];
      out.push(yield* sys.poll(fds, -1), sched.now(), fds.map((f) => f.revents));
      sys.close(w);
      out.push(yield* sys.poll([{ fd: r, events: POLLIN, revents: 0 }, { fd: 99, events: POLLIN, revents: 0 }], -1));
      const f2: PollFd[] = [{ fd: r, events: POLLIN, revents: 0 }];
      yield* sys.poll(f2, 1000);
      out.push(f2[0]?.revents === POLLHUP);
      const bad: PollFd[] = [{ fd: 99, events: POLLIN, revents: 0 }];
      yield* sys.poll(bad, 0);
      out.push(bad[0]?.revents === POLLNVAL);
      return 0;
    }, ['poller']);
    sched.after(3_000, 'irq', () => port.interrupt('x'));
    sched.run();
    expect(out).toEqual([1, 3_000, [0, POLLIN, 0], 2, true, true]);
  });

  it('a process sleeping 5 s of virtual time finishes at exactly now + 5e9', () => {
    const { sched, kernel } = setup();
    sched.run(123_456_789);
    const start = sched.now();
    const p = kernel.spawn('sleep', ['sleep', '5']);
    let doneAt = -1;
    p.onExit(() => (doneAt = sched.now()));
    sched.run();
    expect(doneAt).toBe(start + 5_000_000_000);
    expect(p.exitTime).toBe(start + 5_000_000_000);
    expect(p.status).toBe(0);
  });

  it('wakeOne wakes only the longest waiter; wakeAll wakes the rest in arrival order', () => {
    const { sched, kernel } = setup();
    const wq = new WaitQueue('test');
    let tokens = 0;
    kernel.registerCharDevice(242, 0, {
      stream: true,
      read: () => {
        if (tokens === 0) throw new WouldBlock(wq);
        tokens--;
        return enc('t');
      },
    });
    kernel.createDeviceNode('/dev/tok', 242, 0, { mode: 0o666 });
    const woke: string[] = [];
    for (const name of ['first', 'second', 'third']) {
      kernel.spawn(function* (sys: Syscalls): Program {
        const fd = yield* sys.open('/dev/tok', O_RDWR);
        yield* sys.read(fd, 1);
        woke.push(`${name}@${sched.now()}`);
        return 0;
      }, [name]);
    }
    sched.run();
    sched.after(10, 'one', () => {
      tokens = 1;
      wq.wakeOne();
    });
    sched.after(20, 'all', () => {
      tokens = 2;
      wq.wakeAll();
    });
    sched.run();
    expect(woke).toEqual(['first@10', 'second@20', 'third@20']);
  });

  it('sched_yield lets other events due now run first', () => {
    const { sched, kernel } = setup();
    const order: string[] = [];
    kernel.spawn(function* (sys: Syscalls): Program {
      order.push('a1');
      yield* sys.schedYield();
      order.push('a2');
      return 0;
    }, ['a']);
    kernel.spawn(function* (): Program {
      order.push('b');
      return 0;
    }, ['b']);
    sched.run();
    expect(order).toEqual(['a1', 'b', 'a2']);
  });
});
