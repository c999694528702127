import { describe, expect, it } from 'vitest';
import { MachineRunner } from '../../src/host/runner.js';
import { Scheduler } from '../../src/core/scheduler.js';

function fixture(running = true) {
  const sched = new Scheduler();
  let run = running;
  return { sched, m: { sched, isRunning: () => run }, setRunning: (v: boolean) => (run = v) };
}

describe('pacing: realtime ties virtual time to host time, virtual runs ahead', () => {
  it('realtime: an event 150 ms of virtual time away does not fire before 150 ms of host time', async () => {
    const { sched, m } = fixture();
    const r = new MachineRunner(m, 'realtime');
    const t0 = process.hrtime.bigint();
    let at = 0;
    const fired = new Promise<number>((ok) =>
      sched.after(150_000_000, 'later', () => {
        at = sched.now();
        ok(Number(process.hrtime.bigint() - t0) / 1e6);
      }),
    );
    r.start();
    const hostMs = await fired;
    r.stop();
    expect(hostMs).toBeGreaterThanOrEqual(149);
    expect(at).toBe(150_000_000);
  });

  it('virtual: ten seconds of virtual time pass without waiting for the host', async () => {
    const { sched, m } = fixture();
    const r = new MachineRunner(m, 'virtual');
    const t0 = process.hrtime.bigint();
    const fired = new Promise<number>((ok) => sched.after(10_000_000_000, 'much later', () => ok(Number(process.hrtime.bigint() - t0) / 1e6)));
    r.start();
    const hostMs = await fired;
    r.stop();
    expect(hostMs).toBeLessThan(10_000);
    expect(sched.now()).toBe(10_000_000_000);
  });

  it('a paused machine does not advance; wake() after resuming does', async () => {
    const { sched, m, setRunning } = fixture(false);
    const r = new MachineRunner(m, 'virtual');
    let fired = false;
    sched.after(1_000, 'x', () => (fired = true));
    r.start();
    await new Promise((ok) => setTimeout(ok, 30));
    expect(fired).toBe(false);
    expect(sched.now()).toBe(0);
    setRunning(true);
    r.wake();
    await new Promise((ok) => setTimeout(ok, 30));
    r.stop();
    expect(fired).toBe(true);
  });
});
