/**
 * Config-space access as firmware performs it: mechanism #1 (0xCF8/0xCFC) for segment 0
 * and memory-mapped ECAM for every segment that has a window.
 */
import { PCI_CONFIG_DATA_PORT, PCI_CONFIG_ADDRESS_PORT, ecamOffset, pciConfigAddress } from '../src/abi/pci.js';
import type { CpuBus } from '../src/machine/cpu-bus.js';
import type { AccessSize } from '../src/memory/region.js';

/** Config reads and writes for one segment. */
export interface ConfigAccess {
  /** The segment (domain) this accessor reaches. */
  readonly segment: number;
  /** Reads a register of bus/slot/fn. */
  read(bus: number, slot: number, fn: number, reg: number, size: AccessSize): number;
  /** Writes a register of bus/slot/fn. */
  write(bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number): void;
  /** Config accesses made so far (firmware reports it). */
  readonly cycles: number;
}

/** Mechanism #1 through the CPU's I/O ports (segment 0 only, first 256 bytes). */
export function portConfigAccess(bus: CpuBus): ConfigAccess {
  let cycles = 0;
  return {
    segment: 0,
    get cycles() {
      return cycles;
    },
    read(b, s, f, reg, size) {
      cycles++;
      bus.out(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(b, s, f, reg));
      return bus.in(PCI_CONFIG_DATA_PORT + (reg & 3), size);
    },
    write(b, s, f, reg, size, value) {
      cycles++;
      bus.out(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(b, s, f, reg));
      bus.out(PCI_CONFIG_DATA_PORT + (reg & 3), size, value);
    },
  };
}

/** ECAM through physical memory loads and stores. */
export function ecamConfigAccess(bus: CpuBus, segment: number, ecamBase: number, busStart: number): ConfigAccess {
  let cycles = 0;
  const addr = (b: number, s: number, f: number, reg: number) => ecamBase + ecamOffset(b - busStart, s, f, reg);
  return {
    segment,
    get cycles() {
      return cycles;
    },
    read(b, s, f, reg, size) {
      cycles++;
      return bus.load(addr(b, s, f, reg), size);
    },
    write(b, s, f, reg, size, value) {
      cycles++;
      bus.store(addr(b, s, f, reg), size, value);
    },
  };
}
