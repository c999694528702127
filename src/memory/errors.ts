/** Typed errors for guest-physical and port accesses; never raw RangeErrors from the host runtime. */

/** Base class of every guest memory or I/O access error. */
export class GuestAccessError extends Error {
  /** Guest address (or port) that was accessed. */
  readonly address: number;
  /** Access size in bytes. */
  readonly size: number;
  constructor(message: string, address: number, size: number) {
    super(message);
    this.name = new.target.name;
    this.address = address;
    this.size = size;
  }
}

/** No RAM or device decodes this address. */
export class UnmappedAccessError extends GuestAccessError {
  constructor(space: string, address: number, size: number) {
    super(`${space}: no region at 0x${address.toString(16)} (size ${size})`, address, size);
  }
}

/** The access leaves the region (or the address space) it started in, or is not a legal size. */
export class OutOfRangeAccessError extends GuestAccessError {
  constructor(space: string, address: number, size: number, why: string) {
    super(`${space}: access at 0x${address.toString(16)} size ${size} ${why}`, address, size);
  }
}

/** Two regions were mapped over each other. */
export class RegionOverlapError extends Error {
  constructor(space: string, a: string, b: string, base: number) {
    super(`${space}: region ${a} overlaps ${b} at 0x${base.toString(16)}`);
    this.name = 'RegionOverlapError';
  }
}
