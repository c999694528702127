/**
 * The guest's hold on its CPU: the boot environment the VMM handed over, seen through one
 * level of indirection so the kernel can outlive it. The bus forwards to the current CPU's
 * bus, the clock is the kernel's stoppable timebase, and interrupts pass a gate that models
 * what the CPU is doing (running, idle with only wake-up sources live, or off). Resuming a
 * hibernation image on a new machine re-points all three at that machine's CPU.
 */
import type { CpuBus } from '../machine/cpu-bus.js';
import type { GuestBootEnv } from '../machine/guest-loader.js';
import type { AccessSize } from '../memory/region.js';
import { GuestTimebase } from './kernel/timebase.js';

/** What the CPU does with an interrupt vector. */
export type InterruptMode = 'deliver' | 'wake-only' | 'off';

/** The guest CPU behind a GuestOs. */
export class GuestCpu {
  /** The environment drivers and the kernel use (stable across re-attachment). */
  readonly env: GuestBootEnv;
  /** The kernel's clock. */
  readonly timebase: GuestTimebase;
  private host: GuestBootEnv;
  private handler: ((vector: number) => void) | undefined;
  private mode: InterruptMode = 'deliver';
  private wakeVectors = new Set<number>();
  private held = new Set<number>();

  /** Takes over the boot environment. */
  constructor(host: GuestBootEnv) {
    this.host = host;
    this.timebase = new GuestTimebase(host.sched);
    const bus: CpuBus = {
      in: (port: number, size: AccessSize) => this.host.cpu.in(port, size),
      out: (port: number, size: AccessSize, value: number) => this.host.cpu.out(port, size, value),
      load: (addr: number, size: AccessSize) => this.host.cpu.load(addr, size),
      store: (addr: number, size: AccessSize, value: number) => this.host.cpu.store(addr, size, value),
      readBytes: (addr: number, len: number) => this.host.cpu.readBytes(addr, len),
      writeBytes: (addr: number, data: Uint8Array) => this.host.cpu.writeBytes(addr, data),
    };
    const self = this;
    this.env = {
      cpu: bus,
      sched: this.timebase,
      get trace() {
        return self.host.trace;
      },
      setVectorHandler: (h) => {
        this.handler = h;
        if (h === undefined) this.host.setVectorHandler(undefined);
        else this.installEntry();
      },
      setWakeEntry: (entry) => this.host.setWakeEntry(entry),
      get realtimeNs() {
        return self.host.realtimeNs;
      },
      get seed() {
        return self.host.seed;
      },
    };
  }

  /**
   * How interrupts are taken: 'deliver' runs handlers; 'wake-only' (suspend-to-idle) runs
   * only the vectors in `wake` and holds the rest until delivery resumes; 'off' (the CPU is
   * powered down or halted with interrupts masked) takes none: the interrupt entry is
   * removed, so a line left asserted is not redelivered into a dead CPU.
   */
  setInterruptMode(mode: InterruptMode, wake: Iterable<number> = []): void {
    this.mode = mode;
    this.wakeVectors = new Set(wake);
    this.installEntry();
    if (mode !== 'deliver') return;
    const held = [...this.held];
    this.held.clear();
    for (const v of held) this.handler?.(v);
  }

  /** Current interrupt mode. */
  get interruptMode(): InterruptMode {
    return this.mode;
  }

  /** Moves onto another machine's CPU (resume from a hibernation image): bus, clock and interrupt entry. */
  attach(host: GuestBootEnv): void {
    this.host = host;
    this.held.clear();
    this.timebase.start(host.sched);
    this.installEntry();
  }

  private installEntry(): void {
    if (this.handler === undefined) return;
    this.host.setVectorHandler(this.mode === 'off' ? undefined : (v) => this.take(v));
  }

  private take(v: number): void {
    if (this.mode === 'wake-only' && !this.wakeVectors.has(v)) {
      this.held.add(v);
      return;
    }
    this.handler?.(v);
  }
}
