/**
 * What a CPU can do to the platform: port I/O and physical memory accesses. Firmware and
 * the guest kernel get only this (plus interrupts), never device objects.
 */
import type { AddressSpace } from '../memory/address-space.js';
import type { IoPortSpace } from '../memory/io-ports.js';
import type { AccessSize, IoRegionOps } from '../memory/region.js';
import { LAPIC_BASE, LAPIC_SIZE } from '../abi/apic.js';

/** The CPU's view of the machine. */
export interface CpuBus {
  /** IN of 1, 2 or 4 bytes. */
  in(port: number, size: AccessSize): number;
  /** OUT of 1, 2 or 4 bytes. */
  out(port: number, size: AccessSize, value: number): void;
  /** Physical memory load (RAM or MMIO). */
  load(addr: number, size: AccessSize): number;
  /** Physical memory store (RAM or MMIO). */
  store(addr: number, size: AccessSize, value: number): void;
  /** Bulk RAM read (what a kernel's memcpy from its direct map amounts to). */
  readBytes(addr: number, len: number): Uint8Array;
  /** Bulk RAM write. */
  writeBytes(addr: number, data: Uint8Array): void;
}

/**
 * Builds the CPU's bus over the machine's port and memory spaces. With `lapic`, loads and
 * stores to the local APIC page reach it before the system bus, as on x86: the same addresses
 * from a device are MSI writes.
 */
export function createCpuBus(io: IoPortSpace, mem: AddressSpace, lapic?: IoRegionOps): CpuBus {
  const inLapic = (addr: number) => lapic !== undefined && addr >= LAPIC_BASE && addr < LAPIC_BASE + LAPIC_SIZE;
  return {
    in: (port, size) => io.read(port, size),
    out: (port, size, value) => io.write(port, size, value),
    load: (addr, size) => (inLapic(addr) ? lapic!.read(addr - LAPIC_BASE, size) : mem.read(addr, size)),
    store: (addr, size, value) => (inLapic(addr) ? lapic!.write(addr - LAPIC_BASE, size, value) : mem.write(addr, size, value)),
    readBytes: (addr, len) => mem.readBytes(addr, len),
    writeBytes: (addr, data) => mem.writeBytes(addr, data),
  };
}
