/** Host time from machine creation to quiescence of the default machine. */
import { createDefaultMachine } from '../src/default-machine.js';
import type { Bench } from './registry.js';

/** Boot bench. */
export const bootBench: Bench = {
  name: 'boot',
  async run() {
    const runs = 20;
    const times: number[] = [];
    let hash = '';
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const { machine: m } = await createDefaultMachine();
      m.boot().runUntilIdle();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      hash = m.trace.digest();
    }
    times.sort((a, b) => a - b);
    return [{ metric: 'create_to_quiescent_ms', median: round(times[runs >> 1]!), min: round(times[0]!), max: round(times[runs - 1]!), runs, trace_hash: hash.slice(0, 16) }];
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
