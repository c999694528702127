import { describe, expect, it } from 'vitest';
import { WEXITSTATUS, WIFEXITED } from '../../src/guest/kernel/index.js';
import { boot, expectNoFaults, runToIdle } from './helpers.js';

describe('smoke', () => {
  it('runs echo through PATH and collects its output', () => {
    const b = boot();
    const p = runToIdle(b, 'echo', ['echo', 'hello', 'world']);
    expect(p.stdout?.text()).toBe('hello world\n');
    expect(p.status).toBeDefined();
    expect(WIFEXITED(p.status ?? -1)).toBe(true);
    expect(WEXITSTATUS(p.status ?? -1)).toBe(0);
    expectNoFaults(b);
    expect(b.kernel.processes().map((x) => x.pid)).toEqual([1]);
  });
});
