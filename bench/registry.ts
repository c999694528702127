/** The list of benches `npm run bench` runs, in order. */
import { agentBench } from './agent.js';
import { bootBench } from './boot.js';
import { manyMachinesBench } from './many-machines.js';
import { virtioSerialBench } from './virtio-serial.js';

/** One result line (merged into the JSON output with the bench name). */
export type BenchResult = Record<string, number | string | boolean>;

/** A bench: a name and a function producing result lines. */
export interface Bench {
  /** Name, also usable as a filter: `npm run bench -- boot`. */
  name: string;
  /** Runs the bench. */
  run(): Promise<BenchResult[]>;
}

/** All benches. */
export const benches: Bench[] = [bootBench, manyMachinesBench, virtioSerialBench, agentBench];
