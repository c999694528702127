/**
 * A bare `pc` chipset for PCI tests: scheduler, trace, 64 MiB of RAM at 0, port space,
 * interrupt controller with the MSI window, i440FX (with ECAM at 0xB0000000), PIIX3 at
 * 00:01.0 and PIIX4_PM at 00:01.3. Config accessors go through the real mechanisms
 * (CF8/CFC port I/O and ECAM MMIO) so tests see what firmware would.
 */
import { Scheduler } from '../../src/core/scheduler.js';
import { TRACE_CATEGORIES, Trace } from '../../src/core/trace.js';
import { GuestRam } from '../../src/memory/guest-ram.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { IoPortSpace } from '../../src/memory/io-ports.js';
import type { AccessSize } from '../../src/memory/region.js';
import { InterruptController } from '../../src/machine/interrupts.js';
import { PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT, ecamOffset, pciConfigAddress } from '../../src/abi/pci.js';
import type { PciContext } from '../../devices/pci/context.js';
import { I440FX_DEFAULT_ECAM_BASE, I440fxHost } from '../../devices/chipset/i440fx.js';
import { Piix3 } from '../../devices/chipset/piix3.js';
import { Piix4Pm, type Piix4PmOptions } from '../../devices/chipset/piix4-pm.js';

/** Test machine pieces. */
export interface PcHarness {
  sched: Scheduler;
  trace: Trace;
  traceLines: string[];
  mem: AddressSpace;
  io: IoPortSpace;
  intc: InterruptController;
  ctx: PciContext;
  host: I440fxHost;
  piix3: Piix3;
  pm: Piix4Pm;
  /** Vectors the CPU took, in order (after sched.run()). */
  vectors: number[];
  /** Config read through CF8/CFC. */
  cfgRead(bus: number, slot: number, fn: number, reg: number, size: AccessSize): number;
  /** Config write through CF8/CFC. */
  cfgWrite(bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number): void;
  /** Config read through ECAM. */
  ecamRead(bus: number, slot: number, fn: number, reg: number, size: AccessSize): number;
  /** Config write through ECAM. */
  ecamWrite(bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number): void;
}

/** RAM given to the test machine. */
export const HARNESS_RAM = 64 * 1024 * 1024;

/** Builds the test chipset. */
export function makePc(pmOptions: Piix4PmOptions = {}): PcHarness {
  const sched = new Scheduler();
  const trace = new Trace();
  const traceLines: string[] = [];
  trace.subscribe(TRACE_CATEGORIES, (_rec, line) => traceLines.push(line));
  const ram = new GuestRam(HARNESS_RAM);
  const mem = new AddressSpace(ram);
  mem.mapRam(0, HARNESS_RAM, 0);
  const io = new IoPortSpace();
  const intc = new InterruptController(sched, trace);
  intc.mapMsiWindow(mem);
  const vectors: number[] = [];
  intc.setVectorHandler((v) => vectors.push(v));
  const ctx: PciContext = { mem, io, sched, trace, interrupts: intc };
  const host = new I440fxHost({ ctx, ramSize: HARNESS_RAM, ecamBase: I440FX_DEFAULT_ECAM_BASE });
  const piix3 = new Piix3();
  host.rootBus.attach(piix3, 1, 0);
  const pm = new Piix4Pm(pmOptions);
  host.rootBus.attach(pm, 1, 3);
  const cfgRead = (bus: number, slot: number, fn: number, reg: number, size: AccessSize) => {
    io.write(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(bus, slot, fn, reg));
    return io.read(PCI_CONFIG_DATA_PORT + (reg & 3), size);
  };
  const cfgWrite = (bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number) => {
    io.write(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(bus, slot, fn, reg));
    io.write(PCI_CONFIG_DATA_PORT + (reg & 3), size, value);
  };
  const ecamRead = (bus: number, slot: number, fn: number, reg: number, size: AccessSize) => mem.read(I440FX_DEFAULT_ECAM_BASE + ecamOffset(bus, slot, fn, reg), size);
  const ecamWrite = (bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number) =>
    mem.write(I440FX_DEFAULT_ECAM_BASE + ecamOffset(bus, slot, fn, reg), size, value);
  return { sched, trace, traceLines, mem, io, intc, ctx, host, piix3, pm, vectors, cfgRead, cfgWrite, ecamRead, ecamWrite };
}
