/**
 * Secondary CPUs across a system sleep, as Linux's freeze_secondary_cpus / thaw_secondary_cpus
 * do: every online CPU but the boot CPU is taken down before the platform sleeps (the
 * wake-up reset leaves them waiting for a SIPI anyway) and brought up again on resume.
 */
import type { DevicePm } from './pm.js';

/** The CPU hotplug operations the sleep path uses. */
export interface SecondaryCpus {
  /** Online CPU numbers, ascending. */
  onlineCpus(): number[];
  /** Starts a CPU. */
  up(cpu: number): void;
  /** Parks a CPU. */
  down(cpu: number): void;
}

/** Sleep callbacks that park the secondary CPUs and restart them. */
export function secondaryCpusPm(cpus: SecondaryCpus, log: (line: string) => void): DevicePm {
  let parked: number[] = [];
  return {
    name: 'cpus',
    suspend: () => {
      parked = cpus.onlineCpus().filter((c) => c !== 0);
      if (parked.length === 0) return;
      log('Disabling non-boot CPUs ...');
      for (const c of [...parked].reverse()) cpus.down(c);
    },
    resume: () => {
      if (parked.length === 0) return;
      log('Enabling non-boot CPUs ...');
      for (const c of parked) cpus.up(c);
      parked = [];
    },
  };
}
