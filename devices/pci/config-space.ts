/**
 * One function's configuration space: the bytes plus the per-byte masks that decide what
 * a config write may change. Device models set identity and reset values through the raw
 * setters; the guest only ever goes through write(), which applies the masks the way QEMU
 * does (writable bits replaced, write-1-to-clear bits cleared, everything else kept).
 */
import type { AccessSize } from '../../src/memory/region.js';
import {
  PCI_CACHE_LINE_SIZE,
  PCI_CAPABILITY_LIST,
  PCI_CAP_LIST_ID,
  PCI_CAP_LIST_NEXT,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_SERR,
  PCI_CONFIG_HEADER_SIZE,
  PCI_CONFIG_SPACE_SIZE,
  PCI_INTERRUPT_LINE,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_W1C_MASK,
  PCIE_CONFIG_SPACE_SIZE,
} from '../../src/abi/pci.js';

/** Config space sizes: conventional PCI or PCI Express. */
export type ConfigSpaceSize = typeof PCI_CONFIG_SPACE_SIZE | typeof PCIE_CONFIG_SPACE_SIZE;

/** COMMAND bits the guest may change on every function (SERR as with QEMU's command_serr_enable=on). */
export const PCI_COMMAND_WRITABLE = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_SERR;

/** A capability as found in the list. */
export interface CapabilityEntry {
  /** Capability id (PCI_CAP_ID_*). */
  id: number;
  /** Offset of its header in config space. */
  offset: number;
}

/** Thrown when a capability cannot be placed; worded like QEMU's errors. */
export class CapabilityPlacementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapabilityPlacementError';
  }
}

/** Config space bytes with write, write-1-to-clear and capability-ownership masks. */
export class ConfigSpace {
  /** Total bytes (256 or 4096). */
  readonly size: ConfigSpaceSize;
  /** The register bytes. */
  readonly bytes: Uint8Array;
  /** Bits a guest write may set or clear. */
  readonly wmask: Uint8Array;
  /** Bits a guest write of 1 clears. */
  readonly w1cmask: Uint8Array;
  // Bytes owned by capabilities, so the next capability goes after them.
  private readonly used: Uint8Array;

  /** Creates a zeroed space with the masks every function starts with. */
  constructor(size: ConfigSpaceSize = PCI_CONFIG_SPACE_SIZE) {
    this.size = size;
    this.bytes = new Uint8Array(size);
    this.wmask = new Uint8Array(size);
    this.w1cmask = new Uint8Array(size);
    this.used = new Uint8Array(size);
    this.wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    this.wmask[PCI_INTERRUPT_LINE] = 0xff;
    this.setWmask(PCI_COMMAND, 2, PCI_COMMAND_WRITABLE);
    // Device-specific space is scratch by default; capabilities take their bytes back.
    this.wmask.fill(0xff, PCI_CONFIG_HEADER_SIZE);
    this.setW1cMask(PCI_STATUS, 2, PCI_STATUS_W1C_MASK);
  }

  /** Guest-visible read (little-endian); bytes past the end read as 0, as QEMU truncates the access. */
  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < this.size ? this.bytes[offset + i]! : 0);
    return v;
  }

  /** Same as read: config reads never have side effects at this level. */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }

  /** Guest write: masked per byte; bytes past the end are dropped. */
  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size && offset + i < this.size; i++) {
      const at = offset + i;
      const b = (value >>> (8 * i)) & 0xff;
      const wm = this.wmask[at]!;
      let nb = (this.bytes[at]! & ~wm) | (b & wm);
      nb &= ~(b & this.w1cmask[at]!);
      this.bytes[at] = nb & 0xff;
    }
  }

  /** Raw byte read. */
  get8(offset: number): number {
    return this.bytes[offset]!;
  }

  /** Raw 16-bit read. */
  get16(offset: number): number {
    return this.bytes[offset]! | (this.bytes[offset + 1]! << 8);
  }

  /** Raw 32-bit read. */
  get32(offset: number): number {
    return (this.get16(offset) | (this.get16(offset + 2) << 16)) >>> 0;
  }

  /** Raw byte write (device model side; ignores masks). */
  set8(offset: number, value: number): void {
    this.bytes[offset] = value & 0xff;
  }

  /** Raw 16-bit write. */
  set16(offset: number, value: number): void {
    this.set8(offset, value);
    this.set8(offset + 1, value >>> 8);
  }

  /** Raw 32-bit write. */
  set32(offset: number, value: number): void {
    this.set16(offset, value);
    this.set16(offset + 2, value >>> 16);
  }

  /** Sets the write mask of `size` bytes from a little-endian value. */
  setWmask(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.wmask[offset + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  /** Sets the write-1-to-clear mask of `size` bytes from a little-endian value. */
  setW1cMask(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.w1cmask[offset + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  /**
   * Adds a capability and returns its offset. Without `offset` it takes the first run of
   * free bytes at or after 0x40 (dword-aligned, since claimed sizes are rounded up to
   * dwords); either way it becomes the list head, so the list runs newest to oldest.
   * The capability is read-only until the caller opens individual fields.
   */
  addCapability(id: number, size: number, offset?: number): number {
    if (!Number.isInteger(size) || size < 2) throw new RangeError(`capability size ${size} is too small`);
    let at: number;
    if (offset === undefined || offset === 0) {
      at = this.findSpace(size);
      if (at === 0) throw new CapabilityPlacementError('out of PCI config space');
    } else {
      if (offset < PCI_CONFIG_HEADER_SIZE || offset + size > PCI_CONFIG_SPACE_SIZE || offset % 4 !== 0) {
        throw new CapabilityPlacementError(`capability 0x${id.toString(16)} cannot be placed at offset 0x${offset.toString(16)}`);
      }
      for (let i = offset; i < offset + size; i++) {
        if (this.used[i]) {
          // QEMU's message names the existing capability by its offset, not its id.
          const owner = this.capabilityAt(i);
          throw new CapabilityPlacementError(
            `Attempt to add PCI capability ${id.toString(16)} at offset ${offset.toString(16)} overlaps existing capability ${owner.toString(16)} at offset ${i.toString(16)}`,
          );
        }
      }
      at = offset;
    }
    this.bytes[at + PCI_CAP_LIST_ID] = id;
    this.bytes[at + PCI_CAP_LIST_NEXT] = this.bytes[PCI_CAPABILITY_LIST]!;
    this.bytes[PCI_CAPABILITY_LIST] = at;
    this.bytes[PCI_STATUS] = this.bytes[PCI_STATUS]! | PCI_STATUS_CAP_LIST;
    this.used.fill(1, at, at + Math.ceil(size / 4) * 4);
    this.wmask.fill(0, at, at + size);
    return at;
  }

  /** Offset of the first capability with this id, or 0 (walks the list as a driver would). */
  findCapability(id: number): number {
    for (const c of this.capabilities()) if (c.id === id) return c.offset;
    return 0;
  }

  /** The capability list in link order (head first), guarded against loops. */
  capabilities(): CapabilityEntry[] {
    const out: CapabilityEntry[] = [];
    if (!(this.bytes[PCI_STATUS]! & PCI_STATUS_CAP_LIST)) return out;
    const seen = new Set<number>();
    for (let p = this.bytes[PCI_CAPABILITY_LIST]!; p !== 0 && !seen.has(p); p = this.bytes[p + PCI_CAP_LIST_NEXT]!) {
      seen.add(p);
      out.push({ id: this.bytes[p + PCI_CAP_LIST_ID]!, offset: p });
    }
    return out;
  }

  private findSpace(size: number): number {
    let start = PCI_CONFIG_HEADER_SIZE;
    for (let i = PCI_CONFIG_HEADER_SIZE; i < PCI_CONFIG_SPACE_SIZE; i++) {
      if (this.used[i]) start = i + 1;
      else if (i - start + 1 === size) return start;
    }
    return 0;
  }

  private capabilityAt(offset: number): number {
    let found = 0;
    for (const c of this.capabilities()) if (c.offset <= offset && c.offset > found) found = c.offset;
    return found;
  }
}
