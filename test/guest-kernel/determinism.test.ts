import { describe, expect, it } from 'vitest';
import {
  O_CLOEXEC,
  O_CREAT,
  O_RDWR,
  O_WRONLY,
  POLLIN,
  SIGTERM,
  SIGUSR1,
  WaitQueue,
  WouldBlock,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { readText, writeAll } from '../../src/guest/programs/index.js';
import { boot, expectNoFaults } from './helpers.js';

/** Runs a mix of pipelines, sleepers, signals and interrupt-driven I/O; returns the trace digest. */
function runMix(variant = 0): { digest: string; outputs: string[]; events: number } {
  const b = boot({ seed: 7 });
  const { kernel, sched } = b;
  const wq = new WaitQueue('irqdev');
  const rx: number[] = [];
  kernel.registerCharDevice(240, 0, {
    stream: true,
    read: () => {
      if (rx.length === 0) throw new WouldBlock(wq);
      return Uint8Array.of(rx.shift() ?? 0);
    },
    poll: (_f, pt) => {
      pt.wait(wq);
      return rx.length > 0 ? POLLIN : 0;
    },
  }, 'irqdev');
  kernel.createDeviceNode('/dev/irq0', 240, 0, { mode: 0o666 });
  for (let i = 0; i < 5; i++) {
    sched.after(1_000_000 * (i + 1) + variant, `irq ${i}`, () => {
      rx.push(65 + i);
      wq.wakeAll();
    });
  }
  const outputs: string[] = [];
  const pipeline = kernel.spawn(function* (sys: Syscalls): Program {
    const [r, w] = sys.pipe(O_CLOEXEC);
    const [r2, w2] = sys.pipe(O_CLOEXEC);
    yield* sys.spawn('echo', ['echo', 'alpha', 'beta'], { stdout: w });
    yield* sys.spawn('cat', ['cat'], { stdin: r, stdout: w2 });
    sys.close(r);
    sys.close(w);
    sys.close(w2);
    const text = yield* readText(sys, r2);
    while (true) {
      try {
        yield* sys.wait();
      } catch {
        break;
      }
    }
    const fd = yield* sys.open('/tmp/pipeline.out', O_WRONLY | O_CREAT, 0o600);
    yield* writeAll(sys, fd, text);
    return 0;
  }, ['pipeline']);
  const reader = kernel.spawn(function* (sys: Syscalls): Program {
    const fd = yield* sys.open('/dev/irq0', O_RDWR);
    let got = '';
    while (got.replace(/\./g, '').length < 5) {
      const fds = [{ fd, events: POLLIN, revents: 0 }];
      if ((yield* sys.poll(fds, 300_000)) === 0) {
        got += '.';
        continue;
      }
      got += new TextDecoder().decode(yield* sys.read(fd, 1));
    }
    yield* writeAll(sys, 1, got);
    return 0;
  }, ['reader']);
  const sleepers = [3, 1, 2].map((s) => kernel.spawn('sleep', ['sleep', `0.00${s}`]));
  const victim = kernel.spawn(function* (sys: Syscalls): Program {
    let usr1 = 0;
    sys.signal(SIGUSR1, () => usr1++);
    for (;;) {
      try {
        yield* sys.sleep(10_000_000);
      } catch {
        yield* writeAll(sys, 1, `usr1=${usr1}\n`);
      }
    }
  }, ['victim']);
  sched.after(2_500_000, 'usr1', () => kernel.kill(victim.pid, SIGUSR1));
  sched.after(4_500_000, 'term', () => kernel.kill(victim.pid, SIGTERM));
  sched.run();
  expectNoFaults(b);
  outputs.push(reader.stdout?.text() ?? '', victim.stdout?.text() ?? '', String(pipeline.status), ...sleepers.map((s) => String(s.exitTime)));
  return { digest: b.trace.digest(), outputs, events: sched.executed };
}

describe('determinism', () => {
  it('the same program mix run twice gives the same trace digest and outputs', () => {
    const a = runMix();
    const b = runMix();
    expect(a.digest).toBe(b.digest);
    expect(a.outputs).toEqual(b.outputs);
    expect(a.events).toBe(b.events);
    expect(a.outputs).toEqual(['...A...B...C...D...E', 'usr1=1\n', '0', '3000000', '1000000', '2000000']);
  });

  it('a different input timing changes the digest', () => {
    expect(runMix(1).digest).not.toBe(runMix(0).digest);
  });
});
