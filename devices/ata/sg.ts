/**
 * Bus-master data movement shared by the IDE BMDMA engine and the AHCI port: a command's
 * data phase is moved between the drive and guest RAM along a scatter-gather list (PRD
 * entries), in sector chunks so the drive never has to hold the whole transfer. A list
 * shorter than the transfer stops it (the transports report that their own way); an
 * address outside RAM is a host bus fault, never an exception out of the device.
 */
import { ATA_SECTOR_SIZE } from '../../src/abi/ata.js';
import { GuestAccessError } from '../../src/memory/errors.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { AtaCommand } from './taskfile.js';

/** Sectors moved per readIn/writeOut call: bounds the staging buffer of a DMA transfer. */
export const ATA_DMA_CHUNK_SECTORS = 128;

/** One region of guest memory in a PRD list. */
export interface SgSegment {
  /** Guest-physical address. */
  addr: number;
  /** Bytes. */
  len: number;
  /** The descriptor asks for an interrupt once processed (AHCI PRD I bit). */
  intr?: boolean;
}

/** What a transfer did. */
export interface DmaOutcome {
  /** Bytes moved to or from guest memory. */
  bytes: number;
  /** The list ran out before the data phase did. */
  short: boolean;
  /** A descriptor pointed outside RAM. */
  fault: GuestAccessError | undefined;
  /** A fully processed descriptor had its interrupt bit set. */
  intr: boolean;
}

/** Moves `cmd`'s whole data phase (dma-in or dma-out) along `segs`. */
export function dmaTransfer(cmd: AtaCommand, segs: readonly SgSegment[], mem: AddressSpace): DmaOutcome {
  const cur = new SgCursor(segs, mem);
  const writing = cmd.protocol === 'dma-out' || cmd.protocol === 'pio-out';
  try {
    for (let first = 0; first < cmd.sectors; first += ATA_DMA_CHUNK_SECTORS) {
      const n = Math.min(ATA_DMA_CHUNK_SECTORS, cmd.sectors - first);
      if (writing) {
        const data = cur.gather(n * ATA_SECTOR_SIZE);
        cmd.writeOut(first, data);
        if (data.length < n * ATA_SECTOR_SIZE) break;
      } else if (cur.scatter(cmd.readIn(first, n)) < n * ATA_SECTOR_SIZE) {
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof GuestAccessError)) throw e;
    return { bytes: cur.moved, short: false, fault: e, intr: cur.intr };
  }
  return { bytes: cur.moved, short: cur.moved < cmd.sectors * ATA_SECTOR_SIZE, fault: undefined, intr: cur.intr };
}

/** Position in a scatter-gather list. */
class SgCursor {
  /** Bytes moved so far. */
  moved = 0;
  /** An interrupt-flagged descriptor was completed. */
  intr = false;
  private seg = 0;
  private off = 0;

  constructor(
    private readonly segs: readonly SgSegment[],
    private readonly mem: AddressSpace,
  ) {}

  /** Copies `data` into the list; returns bytes placed. */
  scatter(data: Uint8Array): number {
    let done = 0;
    while (done < data.length && this.seg < this.segs.length) {
      const s = this.segs[this.seg]!;
      const n = Math.min(s.len - this.off, data.length - done);
      this.mem.writeBytes(s.addr + this.off, data.subarray(done, done + n));
      this.advance(n);
      done += n;
    }
    return done;
  }

  /** Reads up to `len` bytes from the list. */
  gather(len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len && this.seg < this.segs.length) {
      const s = this.segs[this.seg]!;
      const n = Math.min(s.len - this.off, len - done);
      out.set(this.mem.readBytes(s.addr + this.off, n), done);
      this.advance(n);
      done += n;
    }
    return done === len ? out : out.subarray(0, done);
  }

  private advance(n: number): void {
    this.off += n;
    this.moved += n;
    const s = this.segs[this.seg]!;
    if (this.off >= s.len) {
      if (s.intr) this.intr = true;
      this.seg++;
      this.off = 0;
    }
  }
}
