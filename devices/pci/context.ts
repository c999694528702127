/**
 * What a PCI function reaches of the machine once it is plugged in: the address spaces its
 * BARs and DMA use, the clock, the trace, and the interrupt controller (for MSI-X writes
 * and for chipset functions such as the ACPI SCI that drive a GSI directly).
 */
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { IoPortSpace } from '../../src/memory/io-ports.js';
import type { Scheduler } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import type { InterruptController } from '../../src/machine/interrupts.js';

/** The machine services a PCI host hands to every function on its buses. */
export interface PciContext {
  /** Guest-physical memory (memory BARs, DMA, MSI writes). */
  readonly mem: AddressSpace;
  /** Port I/O space (I/O BARs, chipset ports). */
  readonly io: IoPortSpace;
  /** The machine clock. */
  readonly sched: Scheduler;
  /** The trace recorder. */
  readonly trace: Trace;
  /** The platform interrupt controller. */
  readonly interrupts: InterruptController;
}

/** Formats a number as 0x-prefixed hex for trace lines. */
export function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
