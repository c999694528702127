import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/core/scheduler.js';
import { Prng } from '../../src/core/prng.js';
import { Trace } from '../../src/core/trace.js';

describe('scheduler orders events by time, then by insertion', () => {
  it('runs equal-time events in the order they were scheduled', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.after(10, 'b', () => seen.push('b'));
    s.after(5, 'a', () => seen.push('a'));
    s.after(10, 'c', () => seen.push('c'));
    s.after(0, 'z', () => seen.push('z'));
    expect(s.run()).toBe('idle');
    expect(seen).toEqual(['z', 'a', 'b', 'c']);
    expect(s.now()).toBe(10);
  });

  it('stops at a virtual deadline and advances the clock exactly to it', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.after(100, 'late', () => seen.push(s.now()));
    expect(s.run(50)).toBe('deadline');
    expect(s.now()).toBe(50);
    expect(seen).toEqual([]);
    expect(s.run()).toBe('idle');
    expect(seen).toEqual([100]);
  });

  it('advances to the deadline when idle before it', () => {
    const s = new Scheduler();
    expect(s.run(1_000)).toBe('idle');
    expect(s.now()).toBe(1_000);
  });

  it('drops cancelled events and counts only live ones', () => {
    const s = new Scheduler();
    let ran = false;
    const h = s.after(1, 'x', () => (ran = true));
    expect(s.pendingCount).toBe(1);
    h.cancel();
    expect(h.pending).toBe(false);
    expect(s.pendingCount).toBe(0);
    s.run();
    expect(ran).toBe(false);
  });

  it('events scheduled from events run in order, and stop() returns after the current one', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.after(1, 'a', () => {
      seen.push(1);
      s.after(0, 'b', () => seen.push(2));
      s.stop();
    });
    expect(s.run()).toBe('stopped');
    expect(seen).toEqual([1]);
    s.run();
    expect(seen).toEqual([1, 2]);
  });

  it('refuses negative or non-finite delays', () => {
    const s = new Scheduler();
    expect(() => s.after(-1, 'neg', () => undefined)).toThrow(RangeError);
    expect(() => s.after(Number.NaN, 'nan', () => undefined)).toThrow(RangeError);
  });
});

describe('seeded PRNG', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    const sb = Array.from({ length: 8 }, () => b.nextU32());
    const sc = Array.from({ length: 8 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(sa.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
  });

  it('nextInt stays in range', () => {
    const p = new Prng('range');
    for (let i = 0; i < 1000; i++) {
      const v = p.nextInt(7);
      expect(v >= 0 && v < 7).toBe(true);
    }
  });
});

describe('trace hash', () => {
  it('is identical for identical event streams and differs when one field changes', () => {
    const t1 = new Trace();
    const t2 = new Trace();
    const t3 = new Trace();
    t1.emit(5, 'pci', '00:01.0', 'BAR0 -> 0xc000');
    t2.emit(5, 'pci', '00:01.0', 'BAR0 -> 0xc000');
    t3.emit(6, 'pci', '00:01.0', 'BAR0 -> 0xc000');
    expect(t1.digest()).toBe(t2.digest());
    expect(t1.digest()).not.toBe(t3.digest());
  });

  it('forwards only subscribed categories to sinks', () => {
    const t = new Trace();
    const lines: string[] = [];
    t.subscribe(['virtio'], (_r, line) => lines.push(line));
    t.emit(1_500_000_000, 'virtio', 'vq0', 'kick');
    t.emit(2, 'pci', 'x', 'y');
    expect(lines).toEqual(['1.500000000 virtio vq0: kick']);
    expect(t.wants('virtio')).toBe(true);
    expect(t.wants('pci')).toBe(false);
  });
});
