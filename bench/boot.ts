/** Host time from machine creation to quiescence of the default machine. */
import { createDefaultMachine } from '../src/default-machine.js';
import type { Machine } from '../src/machine/machine.js';
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
      runUntilAgentReady(m.boot());
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      hash = m.trace.digest();
    }
    times.sort((a, b) => a - b);
    return [{ metric: 'create_to_agent_ready_ms', median: round(times[runs >> 1]!), min: round(times[0]!), max: round(times[runs - 1]!), runs, trace_hash: hash.slice(0, 16) }];
  },
};

/**
 * Runs until qemu-ga has opened its port (QMP VSERPORT_CHANGE open=true): firmware, kernel,
 * driver bring-up and userspace are done. (Afterwards the agent sleeps until a host
 * connects, so the machine goes idle.)
 */
export function runUntilAgentReady(m: Machine): number {
  let ready = false;
  m.on('event', (e) => {
    if (e.event === 'VSERPORT_CHANGE' && e.data?.['open'] === true) ready = true;
  });
  while (!ready) {
    if (m.sched.run(undefined, 1) === 'idle') throw new Error('machine went idle before the agent opened its port');
  }
  return m.sched.now();
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
