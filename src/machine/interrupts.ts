/**
 * The platform interrupt controller: level-triggered lines (GSIs, as the IOAPIC numbers
 * them) and message-signalled interrupts arriving as 32-bit writes to the MSI window at
 * 0xFEE00000, exactly where a PCI device's MSI-X write lands on x86. Both end as a
 * vector delivered to the CPU, which is where the guest kernel takes them.
 */
import type { AddressSpace } from '../memory/address-space.js';
import type { Trace } from '../core/trace.js';
import type { Scheduler } from '../core/scheduler.js';
import { GSI_COUNT, GSI_VECTOR_BASE, MSI_ADDRESS_BASE, MSI_DATA_VECTOR_MASK, MSI_WINDOW_SIZE } from '../abi/interrupts.js';

export { GSI_COUNT, GSI_VECTOR_BASE, MSI_ADDRESS_BASE, MSI_DATA_VECTOR_MASK, MSI_WINDOW_SIZE };

/** Delay before a still-asserted level-triggered GSI is delivered again. */
export const LEVEL_REDELIVERY_NS = 1_000;

/** A level-triggered interrupt input, as a device sees its wire. */
export interface IrqLine {
  /** Drives the line high (true) or low (false). */
  set(level: boolean): void;
}

/** What the CPU exposes to interrupt sources: the guest kernel installs the handler. */
export type VectorHandler = (vector: number) => void;

/** Level-triggered GSIs plus the MSI window; delivers vectors to the CPU on the scheduler. */
export class InterruptController {
  // Count of asserted sources per GSI: lines are wired-OR, so two devices sharing a PIRQ
  // must not clobber each other's level.
  private asserted = new Uint16Array(GSI_COUNT);
  private handler: VectorHandler | undefined;
  /** Interrupts delivered, per vector (for tests and `info irq`-style reports). */
  readonly delivered = new Map<number, number>();

  /** Creates the controller; call mapMsiWindow to make MSI writes land here. */
  constructor(
    private readonly sched: Scheduler,
    private readonly trace: Trace,
  ) {}

  /** Maps the MSI window into physical memory so device writes there become interrupts. */
  mapMsiWindow(mem: AddressSpace): void {
    mem.mapMmio('msi', MSI_ADDRESS_BASE, MSI_WINDOW_SIZE, {
      read: () => 0,
      write: (_off, size, value) => {
        if (size === 4) this.deliver(value & MSI_DATA_VECTOR_MASK, 'msi');
      },
    });
  }

  /** Installs the CPU-side handler (the guest kernel's interrupt entry). */
  setVectorHandler(h: VectorHandler | undefined): void {
    this.handler = h;
  }

  /** A new source wired to GSI n (each device output gets its own; the GSI is their OR). */
  line(gsi: number): IrqLine {
    if (!Number.isInteger(gsi) || gsi < 0 || gsi >= GSI_COUNT) throw new RangeError(`no GSI ${gsi}`);
    let high = false;
    return {
      set: (level: boolean) => {
        if (level === high) return;
        high = level;
        this.asserted[gsi] = this.asserted[gsi]! + (level ? 1 : -1);
        if (level && this.asserted[gsi] === 1) this.deliverGsi(gsi);
      },
    };
  }

  /** Current level of GSI n. */
  level(gsi: number): boolean {
    return this.asserted[gsi]! > 0;
  }

  private deliverGsi(gsi: number): void {
    this.deliver(GSI_VECTOR_BASE + gsi, `gsi ${gsi}`, () => {
      // Level-triggered: if the handler did not quiet every source, the IOAPIC delivers
      // again after EOI. A small delay keeps a misbehaving handler from spinning at one instant.
      if (this.handler && this.level(gsi)) this.sched.after(LEVEL_REDELIVERY_NS, 'irq-redeliver', () => this.level(gsi) && this.deliverGsi(gsi));
    });
  }

  private deliver(vector: number, why: string, afterHandler?: () => void): void {
    this.delivered.set(vector, (this.delivered.get(vector) ?? 0) + 1);
    this.trace.emit(this.sched.now(), 'irq', 'cpu0', `vector 0x${vector.toString(16)} (${why})`);
    const h = this.handler;
    // The CPU takes the interrupt after the current instruction: model that as a
    // zero-delay event so device code never re-enters itself through a guest handler.
    this.sched.after(0, 'irq', () => {
      if (h) h(vector);
      afterHandler?.();
    });
  }
}
