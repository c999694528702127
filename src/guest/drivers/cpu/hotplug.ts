/**
 * CPU hotplug in the guest kernel: which CPUs are possible, present and online, bringing
 * secondary CPUs up at boot and on request (INIT/SIPI through the local APIC) and taking them
 * down (the dying CPU's play_dead), with Linux's refusals, plus per-CPU time accounting on the
 * virtual clock for /proc/stat.
 */
import type { Handoff } from '../../../abi/handoff.js';
import type { Nanos } from '../../../core/scheduler.js';
import { Errno } from '../../kernel/errno.js';
import type { Kernel } from '../../kernel/index.js';
import type { GuestLapic } from './lapic.js';

/** Linux x86-64 as Debian builds it: NR_CPUS = 8192, so kernel_max reads 8191. */
export const NR_CPUS = 8192;

/** Time one CPU spent online, split as /proc/stat reports it (nanoseconds). */
export interface CpuTimes {
  /** Online, running nothing: everything not accounted elsewhere. */
  idle: Nanos;
  /** Time spent in programs (this kernel model's programs take no virtual time). */
  user: Nanos;
  /** Time spent in the kernel. */
  system: Nanos;
}

interface CpuRecord {
  apicId: number;
  online: boolean;
  onlineSince: Nanos;
  accumulated: Nanos;
}

/** Events other subsystems may watch. */
export type CpuHotplugListener = (cpu: number, online: boolean) => void;

/** The kernel's CPU masks and hotplug operations. */
export class CpuHotplug {
  /** CPUs the firmware says may exist (cpu_possible_mask). */
  readonly possible: number;
  /** CPUs present at boot (cpu_present_mask). */
  readonly present: number;
  private readonly cpus: CpuRecord[] = [];
  private readonly listeners: CpuHotplugListener[] = [];

  /** Masks from the firmware hand-off; only the boot CPU is online until bootSecondaries(). */
  constructor(
    cpus: Handoff['cpus'],
    private readonly lapic: GuestLapic,
    private readonly kernel: Kernel,
  ) {
    this.present = Math.max(1, Math.min(cpus.boot, NR_CPUS));
    this.possible = Math.max(this.present, Math.min(cpus.max, NR_CPUS));
    const now = kernel.sched.now();
    for (let i = 0; i < this.present; i++) this.cpus.push({ apicId: i, online: i === 0, onlineSince: now, accumulated: 0 });
  }

  /** smp_init: starts every present secondary CPU. */
  bootSecondaries(): void {
    for (let i = 1; i < this.present; i++) {
      try {
        this.up(i);
      } catch (e) {
        this.log(`smpboot: do_boot_cpu failed(${e instanceof Errno ? -e.errno : -5}) to wakeup CPU#${i}`);
      }
    }
    this.log(`smp: Brought up 1 node, ${this.onlineCpus().length} CPUs`);
  }

  /** Online CPU numbers, ascending. */
  onlineCpus(): number[] {
    return this.cpus.flatMap((c, i) => (c.online ? [i] : []));
  }

  /** Whether `cpu` is online. */
  isOnline(cpu: number): boolean {
    return this.cpus[cpu]?.online === true;
  }

  /** Called after every state change. */
  onChange(l: CpuHotplugListener): void {
    this.listeners.push(l);
  }

  /** cpu_device_up: INIT + SIPI to a present CPU; a no-op when already online. */
  up(cpu: number): void {
    const c = this.cpus[cpu];
    if (!c) throw new Errno('ENODEV');
    if (c.online) return;
    this.log(`smpboot: Booting Node 0 Processor ${cpu} APIC 0x${c.apicId.toString(16)}`);
    if (!this.lapic.wakeSecondary(c.apicId)) throw new Errno('EIO');
    c.online = true;
    c.onlineSince = this.kernel.sched.now();
    this.changed(cpu, true);
  }

  /** cpu_device_down: the CPU runs play_dead; EBUSY for the last online CPU, EPERM for CPU 0. */
  down(cpu: number): void {
    const c = this.cpus[cpu];
    if (!c) throw new Errno('ENODEV');
    if (!c.online) return;
    if (cpu === 0) throw new Errno('EPERM');
    if (this.onlineCpus().length <= 1) throw new Errno('EBUSY');
    c.accumulated += this.kernel.sched.now() - c.onlineSince;
    c.online = false;
    this.lapic.halt(c.apicId, false);
    this.log(`smpboot: CPU ${cpu} is now offline`);
    this.changed(cpu, false);
  }

  /** Time accounted to `cpu` so far (kept while it is offline, as Linux's kcpustat is). */
  times(cpu: number): CpuTimes {
    const c = this.cpus[cpu];
    if (!c) return { idle: 0, user: 0, system: 0 };
    const total = c.accumulated + (c.online ? this.kernel.sched.now() - c.onlineSince : 0);
    return { idle: total, user: 0, system: 0 };
  }

  private changed(cpu: number, online: boolean): void {
    for (const l of this.listeners) l(cpu, online);
  }

  private log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', line);
  }
}

/** Linux's "%*pbl" cpumask list: "0-3", "0,2-3", or "" for an empty mask. */
export function formatCpuList(cpus: readonly number[]): string {
  const out: string[] = [];
  const sorted = [...cpus].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
