import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/core/scheduler.js';
import { GuestTimebase } from '../../src/guest/kernel/timebase.js';
import { TaskFreezer } from '../../src/guest/kernel/freezer.js';

describe('the guest kernel clock (stop, start, move to another machine) and the process freezer', () => {
  it('a stopped clock stands still and runs nothing; started again, each timer keeps the time it had left, in order', () => {
    const m = new Scheduler();
    const tb = new GuestTimebase(m);
    const ran: string[] = [];
    tb.after(100, 'a', () => ran.push(`a@${tb.now()}`));
    tb.after(300, 'b', () => ran.push(`b@${tb.now()}`));
    tb.after(300, 'c', () => ran.push(`c@${tb.now()}`));
    m.run(150);
    tb.stop();
    m.run(10_000);
    expect(ran).toEqual(['a@100']);
    expect(tb.now()).toBe(150);
    tb.start();
    m.run();
    expect(ran).toEqual(['a@100', 'b@300', 'c@300']);
    expect(m.now()).toBe(10_000 + 150);
  });

  it('moves onto another scheduler with its pending events; kernel time continues from where it stopped', () => {
    const first = new Scheduler();
    const tb = new GuestTimebase(first);
    const ran: number[] = [];
    tb.after(1_000, 'x', () => ran.push(tb.now()));
    first.run(400);
    tb.stop();
    const second = new Scheduler();
    second.run(5_000_000);
    tb.start(second);
    expect(tb.now()).toBe(400);
    second.run();
    expect(ran).toEqual([1_000]);
    expect(second.now()).toBe(5_000_600);
  });

  it('the freezer holds process events that come due and runs them, in order, at the thaw; cancelled ones never run', () => {
    const m = new Scheduler();
    const f = new TaskFreezer(m);
    const ran: string[] = [];
    f.after(10, 'p1', () => ran.push('p1'));
    const h = f.after(20, 'p2', () => ran.push('p2'));
    f.after(30, 'p3', () => ran.push('p3'));
    f.freeze();
    m.run(25);
    h.cancel();
    m.run(100);
    expect(ran).toEqual([]);
    f.thaw();
    m.run();
    expect(ran).toEqual(['p1', 'p3']);
  });
});
