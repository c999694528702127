/**
 * Guest-physical memory as the guest kernel reaches it: through the CPU's loads and stores
 * (its direct map), never through the VMM's RAM object. Rings and DMA buffers use this.
 */
import type { CpuBus } from '../../machine/cpu-bus.js';
import type { AccessSize } from '../../memory/region.js';

/** The memory operations guest drivers and rings use. */
export interface GuestPhysMemory {
  /** Little-endian load. */
  read(addr: number, size: AccessSize): number;
  /** Little-endian store. */
  write(addr: number, size: AccessSize, value: number): void;
  /** 64-bit store (descriptor addresses). */
  writeU64(addr: number, value: bigint): void;
  /** Fills a range with a byte value (ring initialisation). */
  fillBytes(addr: number, len: number, value: number): void;
  /** Bulk read. */
  readBytes(addr: number, len: number): Uint8Array;
  /** Bulk write. */
  writeBytes(addr: number, data: Uint8Array): void;
}

/** Zero page used to clear memory in page-sized strokes. */
const ZERO = new Uint8Array(4096);

/** The CPU bus seen as guest-physical memory. */
export function physMemFromCpuBus(bus: CpuBus): GuestPhysMemory {
  return {
    read: (addr, size) => bus.load(addr, size),
    write: (addr, size, value) => bus.store(addr, size, value),
    writeU64: (addr, value) => {
      bus.store(addr, 4, Number(value & 0xffff_ffffn));
      bus.store(addr + 4, 4, Number((value >> 32n) & 0xffff_ffffn));
    },
    fillBytes: (addr, len, value) => {
      const chunk = value === 0 ? ZERO : new Uint8Array(4096).fill(value);
      for (let done = 0; done < len; done += chunk.length) bus.writeBytes(addr + done, chunk.subarray(0, Math.min(chunk.length, len - done)));
    },
    readBytes: (addr, len) => bus.readBytes(addr, len),
    writeBytes: (addr, data) => bus.writeBytes(addr, data),
  };
}
