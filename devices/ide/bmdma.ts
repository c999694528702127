/**
 * One channel's bus-master DMA registers (SFF-8038i, "Programming Interface for Bus Master
 * IDE Controller"): command (start, direction), status (active, error, interrupt, drive
 * DMA-capable scratch bits) and the PRD table pointer, plus the walk of the PRD table in
 * guest RAM that turns it into a scatter-gather list. The channel owns the transfer; this
 * only tells it when the guest starts or stops the engine.
 */
import type { AccessSize } from '../../src/memory/region.js';
import {
  BMDMA_CMD,
  BMDMA_CMD_START,
  BMDMA_CMD_WRITE_MEM,
  BMDMA_PRD_ADDR,
  BMDMA_STATUS,
  BMDMA_STATUS_ACTIVE,
  BMDMA_STATUS_DRV0_DMA,
  BMDMA_STATUS_DRV1_DMA,
  BMDMA_STATUS_ERROR,
  BMDMA_STATUS_INTR,
  PRD_ENTRY_SIZE,
  PRD_EOT,
  PRD_MAX_BYTES,
  PRD_TABLE_MAX_ENTRIES,
} from '../../src/abi/ata.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { SgSegment } from '../ata/sg.js';

/** Bytes of registers per channel. */
export const BMDMA_CHANNEL_SIZE = 8;

/** What the channel learns from its BMDMA registers. */
export interface BmdmaHost {
  /** The start bit went from 0 to 1. */
  dmaStarted(): void;
  /** The start bit went from 1 to 0 (the engine stops; a transfer in flight is abandoned). */
  dmaStopped(): void;
}

/** One channel's BMDMA registers. */
export class Bmdma {
  private cmd = 0;
  private st = 0;
  private prd = 0;

  constructor(private readonly host: BmdmaHost) {}

  /** The direction bit: the engine writes memory (device-to-host transfers). */
  get writesMemory(): boolean {
    return (this.cmd & BMDMA_CMD_WRITE_MEM) !== 0;
  }

  /** The start bit. */
  get started(): boolean {
    return (this.cmd & BMDMA_CMD_START) !== 0;
  }

  /** Current status register. */
  get status(): number {
    return this.st;
  }

  /** PRD table address. */
  get prdTable(): number {
    return this.prd;
  }

  /** Sets/clears status bits (active, error, interrupt) from the channel. */
  setStatus(set: number, clear = 0): void {
    this.st = (this.st & ~clear) | set;
  }

  /** Register read (byte, word or dword; bytes beyond the block read as 0). */
  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.readByte(offset + i);
    return v;
  }

  /** Register write, applied byte by byte (the status bits are write-one-to-clear). */
  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
  }

  /** Power-on state. */
  reset(): void {
    this.cmd = 0;
    this.st = 0;
    this.prd = 0;
  }

  /**
   * The PRD table as a scatter-gather list: entries up to the one with EOT, at most
   * PRD_TABLE_MAX_ENTRIES. A zero byte count means 64 KiB; bit 0 of address and count are
   * ignored, as the controller transfers whole words.
   */
  prdList(mem: AddressSpace): SgSegment[] {
    const out: SgSegment[] = [];
    for (let i = 0; i < PRD_TABLE_MAX_ENTRIES; i++) {
      const at = this.prd + i * PRD_ENTRY_SIZE;
      const addr = mem.read(at, 4) & ~1;
      const ctl = mem.read(at + 4, 4);
      const len = ctl & 0xfffe || PRD_MAX_BYTES;
      out.push({ addr: addr >>> 0, len });
      if (ctl & PRD_EOT) break;
    }
    return out;
  }

  private readByte(off: number): number {
    if (off === BMDMA_CMD) return this.cmd;
    if (off === BMDMA_STATUS) return this.st;
    if (off >= BMDMA_PRD_ADDR && off < BMDMA_PRD_ADDR + 4) return (this.prd >>> (8 * (off - BMDMA_PRD_ADDR))) & 0xff;
    return 0;
  }

  private writeByte(off: number, b: number): void {
    if (off === BMDMA_CMD) {
      const was = this.started;
      this.cmd = b & (BMDMA_CMD_START | BMDMA_CMD_WRITE_MEM);
      if (!was && this.started) {
        this.st |= BMDMA_STATUS_ACTIVE;
        this.host.dmaStarted();
      } else if (was && !this.started) {
        this.st &= ~BMDMA_STATUS_ACTIVE;
        this.host.dmaStopped();
      }
    } else if (off === BMDMA_STATUS) {
      const rw = BMDMA_STATUS_DRV0_DMA | BMDMA_STATUS_DRV1_DMA;
      this.st = (this.st & ~rw) | (b & rw);
      this.st &= ~(b & (BMDMA_STATUS_ERROR | BMDMA_STATUS_INTR));
    } else if (off >= BMDMA_PRD_ADDR && off < BMDMA_PRD_ADDR + 4) {
      const shift = 8 * (off - BMDMA_PRD_ADDR);
      this.prd = ((this.prd & ~(0xff << shift)) | (b << shift) | 0) & ~3;
      this.prd >>>= 0;
    }
  }
}
