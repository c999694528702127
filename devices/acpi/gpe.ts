/**
 * PIIX4's GPE0 block (I/O 0xafe0: two status bytes, write-1-to-clear, then two enable bytes).
 * A hotplug controller sets a status bit; while any set bit is enabled the block drives its
 * own source on the SCI line (GSI 9, wired-OR with the PM1 events of PIIX4_PM), as QEMU's
 * acpi_update_sci does.
 */
import { GPE0_BLK_LEN, GPE0_EN_OFFSET } from '../../src/abi/acpi-memhp.js';
import type { SchedulerView } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import type { IrqLine } from '../../src/machine/interrupts.js';
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';

/** The GPE0 register block. */
export class Gpe0Block implements IoRegionOps {
  private sts = 0;
  private en = 0;

  /** A block driving `sci` (its own source on the SCI GSI). */
  constructor(
    private readonly sci: IrqLine,
    private readonly sched: SchedulerView,
    private readonly trace: Trace,
  ) {}

  /** Status bits. */
  get status(): number {
    return this.sts;
  }

  /** Enable bits. */
  get enable(): number {
    return this.en;
  }

  /** A hotplug event: sets status `mask` and updates the SCI. */
  raise(mask: number): void {
    this.sts |= mask & 0xffff;
    this.trace.emit(this.sched.now(), 'machine', 'gpe0', `status 0x${this.sts.toString(16)} (enable 0x${this.en.toString(16)})`);
    this.update();
  }

  /** Reset: status and enable cleared, SCI released. */
  reset(): void {
    this.sts = 0;
    this.en = 0;
    this.update();
  }

  /** Byte-lane read of the block. */
  read(off: number, size: AccessSize): number {
    return this.lanes(off, size);
  }

  /** Reads without side effects (there are none). */
  peek(off: number, size: AccessSize): number {
    return this.lanes(off, size);
  }

  /** Status bytes clear the bits written as 1; enable bytes are stored. */
  write(off: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size && off + i < GPE0_BLK_LEN; i++) {
      const o = off + i;
      const byte = (value >>> (8 * i)) & 0xff;
      const shift = 8 * (o % GPE0_EN_OFFSET);
      if (o < GPE0_EN_OFFSET) this.sts &= ~(byte << shift);
      else this.en = (this.en & ~(0xff << shift)) | (byte << shift);
    }
    this.update();
  }

  private lanes(off: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const o = off + i;
      const reg = o < GPE0_EN_OFFSET ? this.sts : o < GPE0_BLK_LEN ? this.en : 0;
      v = v * 256 + ((reg >>> (8 * (o % GPE0_EN_OFFSET))) & 0xff);
    }
    return v;
  }

  private update(): void {
    this.sci.set((this.sts & this.en) !== 0);
  }
}
