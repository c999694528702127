/** Guest memory for device tests: a RAM-backed address space and a bump allocator over it. */
import { AddressSpace } from '../memory/address-space.js';
import { GuestRam } from '../memory/guest-ram.js';

/** Default test RAM: 64 MiB, plenty for rings and buffers while staying sparse. */
export const TEST_RAM_SIZE = 64 * 1024 * 1024;

/** An address space with `size` bytes of RAM mapped at guest-physical 0. */
export function createTestMemory(size = TEST_RAM_SIZE): AddressSpace {
  const ram = new GuestRam(size);
  const mem = new AddressSpace(ram);
  mem.mapRam(0, ram.size, 0);
  return mem;
}

/** Hands out guest-physical ranges from [base, limit); never frees (tests are short). */
export class GuestBumpAllocator {
  private next: number;

  /** Allocates from `base` up to (not including) `limit`. */
  constructor(
    base: number,
    private readonly limit: number,
  ) {
    this.next = base;
  }

  /** Reserves `len` bytes aligned to `align` (a power of two) and returns the address. */
  alloc(len: number, align = 16): number {
    const at = Math.ceil(this.next / align) * align;
    if (at + len > this.limit) throw new RangeError(`test allocator exhausted (${len} bytes at 0x${at.toString(16)})`);
    this.next = at + len;
    return at;
  }
}
