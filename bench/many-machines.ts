/** Resident memory per machine with 1,000 default machines booted in one process. */
import type { Machine } from '../src/machine/machine.js';
import { createDefaultMachine } from '../src/default-machine.js';
import { runUntilAgentReady } from './boot.js';
import type { Bench } from './registry.js';

/** Machines created. */
export const MANY_MACHINES_COUNT = 1000;

/** Memory bench. */
export const manyMachinesBench: Bench = {
  name: 'many-machines',
  async run() {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage();
    const t0 = process.hrtime.bigint();
    const keep: Machine[] = [];
    for (let i = 0; i < MANY_MACHINES_COUNT; i++) {
      const { machine: m } = await createDefaultMachine();
      runUntilAgentReady(m.boot());
      keep.push(m);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    gc?.();
    const after = process.memoryUsage();
    const perRss = (after.rss - before.rss) / keep.length;
    const perHeap = (after.heapUsed - before.heapUsed) / keep.length;
    return [
      {
        metric: 'memory_per_machine',
        machines: keep.length,
        rss_bytes_per_machine: Math.round(perRss),
        heap_bytes_per_machine: Math.round(perHeap),
        guest_ram_resident_bytes_per_machine: keep[0]!.ram.residentBytes,
        total_create_boot_ms: Math.round(ms),
        gc_exposed: gc !== undefined,
      },
    ];
  },
};
