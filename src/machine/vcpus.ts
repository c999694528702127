/**
 * The machine's vCPUs as the VMM tracks them: which are running, halted (idle, woken by any
 * IPI) or offline (parked by play_dead, or reset by INIT and waiting for a SIPI), changed only
 * by what a CPU can do: IPIs written to the local APIC's interrupt command register and the
 * HLT exit of a CPU (see VCPU_EXIT_PORT). CPU 0 is the bootstrap processor, the one whose
 * local APIC page the kernel's loads and stores reach.
 */
import {
  APIC_BROADCAST_ID,
  ICR_DELIVERY_MODE_MASK,
  ICR_DM_FIXED,
  ICR_DM_INIT,
  ICR_DM_NMI,
  ICR_DM_STARTUP,
  ICR_LEVEL_ASSERT,
  ICR_SHORTHAND_ALL,
  ICR_SHORTHAND_MASK,
  ICR_SHORTHAND_OTHERS,
  ICR_SHORTHAND_SELF,
  ICR_TRIGGER_LEVEL,
  ICR_VECTOR_MASK,
  LAPIC_ID_SHIFT,
  LAPIC_REG_ICR_HIGH,
  LAPIC_REG_ICR_LOW,
  LAPIC_REG_ID,
  LAPIC_REG_SVR,
  LAPIC_REG_VERSION,
  LAPIC_VERSION_VALUE,
  VCPU_EXIT_APIC_ID_MASK,
  VCPU_EXIT_HLT_IF,
} from '../abi/apic.js';
import type { SchedulerView } from '../core/scheduler.js';
import type { Trace } from '../core/trace.js';
import type { IoRegionOps } from '../memory/region.js';

/** What query tools report. */
export type VcpuState = 'running' | 'halted' | 'offline';

/** The finer state the APIC logic needs ("offline" is either of the last two). */
export type VcpuMpState = 'running' | 'halted' | 'dead' | 'wait-for-sipi';

/** Base of the fake host thread ids query-cpus-fast reports (stable across runs). */
export const VCPU_THREAD_ID_BASE = 4100;

/** One vCPU. */
export interface Vcpu {
  /** cpu-index. */
  readonly index: number;
  /** Local APIC ID (equal to the index with one core and one thread per socket, as QEMU lays -smp N out). */
  readonly apicId: number;
  /** Socket, core and thread of the topology. */
  readonly socketId: number;
  /** Core in its socket. */
  readonly coreId: number;
  /** Thread in its core. */
  readonly threadId: number;
  /** Multiprocessor state. */
  mp: VcpuMpState;
  /** Page (vector << 12) the last SIPI started it at. */
  startAddress: number;
}

/** One entry of QMP query-cpus-fast (QEMU 7.2's CpuInfoFast for x86). */
export interface CpuInfoFast {
  /** Index of the vCPU. */
  'cpu-index': number;
  /** Its QOM path (cold-plugged CPUs are unattached devices). */
  'qom-path': string;
  /** Host thread id (deterministic stand-in: VCPU_THREAD_ID_BASE + index). */
  'thread-id': number;
  /** Topology position. */
  props: { 'socket-id': number; 'core-id': number; 'thread-id': number };
  /** QEMU target. */
  target: 'x86_64';
}

/** The vCPUs of a machine. */
export class Vcpus {
  /** Present vCPUs, by index. */
  readonly cpus: Vcpu[] = [];
  /** ICR high (destination) of the BSP's local APIC. */
  private icrHigh = 0;
  private svr = 0xff;
  /** IPIs sent, by delivery mode name, for tests and statistics. */
  readonly ipis = new Map<string, number>();

  /** `count` present CPUs (one socket each, as QEMU's default -smp topology). */
  constructor(
    count: number,
    private readonly sched: SchedulerView,
    private readonly trace: Trace,
  ) {
    for (let i = 0; i < count; i++) {
      this.cpus.push({ index: i, apicId: i, socketId: i, coreId: 0, threadId: 0, mp: i === 0 ? 'running' : 'wait-for-sipi', startAddress: 0 });
    }
  }

  /** The state of CPU `index` as a query reports it. */
  state(index: number): VcpuState | undefined {
    const c = this.cpus[index];
    if (!c) return undefined;
    return c.mp === 'running' ? 'running' : c.mp === 'halted' ? 'halted' : 'offline';
  }

  /** Power-on / system reset: the BSP runs, every AP waits for a SIPI. */
  reset(): void {
    for (const c of this.cpus) this.setMp(c, c.index === 0 ? 'running' : 'wait-for-sipi', 'reset');
    this.icrHigh = 0;
    this.svr = 0xff;
  }

  /** QMP query-cpus-fast. */
  queryCpusFast(): CpuInfoFast[] {
    return this.cpus.map((c) => ({
      'cpu-index': c.index,
      'qom-path': `/machine/unattached/device[${c.index}]`,
      'thread-id': VCPU_THREAD_ID_BASE + c.index,
      props: { 'socket-id': c.socketId, 'core-id': c.coreId, 'thread-id': c.threadId },
      target: 'x86_64',
    }));
  }

  /** The BSP's local APIC page, for the CPU bus (only CPU accesses decode it). */
  readonly lapic: IoRegionOps = {
    read: (off) => this.lapicRead(off),
    peek: (off) => this.lapicRead(off),
    write: (off, _size, value) => this.lapicWrite(off, value >>> 0),
  };

  /** The vCPU exit port's handler, for the machine's port space. */
  readonly exitPort: IoRegionOps = {
    read: () => 0,
    write: (off, _size, value) => {
      if (off === 0) this.hltExit(value >>> 0);
    },
  };

  private lapicRead(off: number): number {
    switch (off & ~3) {
      case LAPIC_REG_ID:
        return (this.cpus[0]?.apicId ?? 0) << LAPIC_ID_SHIFT;
      case LAPIC_REG_VERSION:
        return LAPIC_VERSION_VALUE;
      case LAPIC_REG_SVR:
        return this.svr;
      case LAPIC_REG_ICR_HIGH:
        return this.icrHigh;
      default:
        return 0;
    }
  }

  private lapicWrite(off: number, value: number): void {
    switch (off & ~3) {
      case LAPIC_REG_SVR:
        this.svr = value & 0x1ff;
        return;
      case LAPIC_REG_ICR_HIGH:
        this.icrHigh = value & 0xff00_0000;
        return;
      case LAPIC_REG_ICR_LOW:
        this.sendIpi(value);
        return;
      default:
        return;
    }
  }

  private targets(icrLow: number): Vcpu[] {
    const self = this.cpus[0];
    switch (icrLow & ICR_SHORTHAND_MASK) {
      case ICR_SHORTHAND_SELF:
        return self ? [self] : [];
      case ICR_SHORTHAND_ALL:
        return [...this.cpus];
      case ICR_SHORTHAND_OTHERS:
        return this.cpus.filter((c) => c !== self);
      default: {
        const dest = this.icrHigh >>> LAPIC_ID_SHIFT;
        return dest === APIC_BROADCAST_ID ? [...this.cpus] : this.cpus.filter((c) => c.apicId === dest);
      }
    }
  }

  private sendIpi(icrLow: number): void {
    const mode = icrLow & ICR_DELIVERY_MODE_MASK;
    const targets = this.targets(icrLow);
    const name = mode === ICR_DM_INIT ? 'INIT' : mode === ICR_DM_STARTUP ? 'SIPI' : mode === ICR_DM_NMI ? 'NMI' : mode === ICR_DM_FIXED ? 'fixed' : `mode ${mode >> 8}`;
    // A level-triggered INIT with the level clear is the "de-assert" half of the old INIT
    // sequence; CPUs since the P6 ignore it.
    if (mode === ICR_DM_INIT && (icrLow & ICR_TRIGGER_LEVEL) !== 0 && (icrLow & ICR_LEVEL_ASSERT) === 0) return;
    this.ipis.set(name, (this.ipis.get(name) ?? 0) + 1);
    this.trace.emit(this.sched.now(), 'machine', 'lapic', `IPI ${name}${mode === ICR_DM_STARTUP ? ` page 0x${(icrLow & ICR_VECTOR_MASK).toString(16)}` : ''} to ${targets.map((c) => `cpu${c.index}`).join(',') || 'nobody'}`);
    for (const c of targets) {
      if (mode === ICR_DM_INIT) {
        // INIT to the BSP would reset the CPU running the kernel; the model has no such CPU to restart.
        if (c.index !== 0) this.setMp(c, 'wait-for-sipi', 'INIT');
      } else if (mode === ICR_DM_STARTUP) {
        // Only a CPU waiting for SIPI reacts; the second SIPI of the sequence finds it running.
        if (c.mp === 'wait-for-sipi') {
          c.startAddress = (icrLow & ICR_VECTOR_MASK) << 12;
          this.setMp(c, 'running', 'SIPI');
        }
      } else if (c.mp === 'halted') {
        this.setMp(c, 'running', name);
      }
    }
  }

  private hltExit(value: number): void {
    const c = this.cpus.find((x) => x.apicId === (value & VCPU_EXIT_APIC_ID_MASK));
    if (!c || c.mp !== 'running') return;
    this.setMp(c, (value & VCPU_EXIT_HLT_IF) !== 0 ? 'halted' : 'dead', (value & VCPU_EXIT_HLT_IF) !== 0 ? 'HLT' : 'HLT with interrupts disabled');
  }

  private setMp(c: Vcpu, mp: VcpuMpState, why: string): void {
    if (c.mp === mp) return;
    const before = this.state(c.index);
    c.mp = mp;
    const after = this.state(c.index);
    if (before !== after) this.trace.emit(this.sched.now(), 'machine', `cpu${c.index}`, `${before} -> ${after} (${why})`);
  }
}
