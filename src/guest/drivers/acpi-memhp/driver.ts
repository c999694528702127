/**
 * The guest's ACPI memory hotplug handling, doing what QEMU's AML and Linux's acpi_memhotplug
 * do together: at boot, every enabled DIMM slot becomes memory; on the SCI, GPE0 bit 3 is
 * acknowledged, each slot with an insert event is acknowledged and handled as a Device
 * Check (add_memory of its range, block-aligned or refused), and the outcome reported through
 * _OST, which QEMU turns into ACPI_DEVICE_OST.
 */
import {
  ACPI_NOTIFY_DEVICE_CHECK,
  ACPI_OST_SC_NON_SPECIFIC_FAILURE,
  ACPI_OST_SC_SUCCESS,
  GPE0_EN_OFFSET,
  MHP_CTRL_CLEAR_INSERT,
  MHP_REG_ADDR_HI,
  MHP_REG_ADDR_LO,
  MHP_REG_FLAGS,
  MHP_REG_OST_EVENT,
  MHP_REG_OST_STATUS,
  MHP_REG_SELECTOR,
  MHP_REG_SIZE_HI,
  MHP_REG_SIZE_LO,
  MHP_STATUS_ENABLED,
  MHP_STATUS_INSERT_EVENT,
} from '../../../abi/acpi-memhp.js';
import type { HandoffMemory } from '../../../abi/handoff.js';
import { Errno } from '../../kernel/errno.js';
import type { GuestPlatform } from '../../platform/platform.js';
import type { MemoryBlocks } from '../memory/blocks.js';

/** Slots believed (the count comes from firmware; QEMU's ACPI allows 256). */
export const MEMHP_MAX_SLOTS = 256;

/** A DIMM range read from the registers. */
export interface DimmRange {
  /** Slot. */
  slot: number;
  /** Base address. */
  addr: number;
  /** Bytes. */
  size: number;
}

/** Counters for tests. */
export interface AcpiMemhpStats {
  /** SCIs that had our GPE bit set. */
  events: number;
  /** DIMMs turned into memory. */
  added: number;
  /** DIMMs refused (misaligned, overlapping). */
  failed: number;
}

/** The bound memory hotplug device. */
export class AcpiMemoryHotplug {
  /** Counters. */
  readonly stats: AcpiMemhpStats = { events: 0, added: 0, failed: 0 };
  /** Slots whose DIMM became memory. */
  readonly present = new Set<number>();
  private readonly hp: NonNullable<HandoffMemory['hotplug']>;

  /** Binds to the block firmware described. */
  constructor(
    private readonly platform: GuestPlatform,
    private readonly blocks: MemoryBlocks,
    hotplug: NonNullable<HandoffMemory['hotplug']>,
  ) {
    this.hp = { ...hotplug, slots: Math.min(hotplug.slots, MEMHP_MAX_SLOTS) };
  }

  /** Adds boot-time DIMMs, then clears and enables the GPE and hooks the SCI. */
  start(): void {
    const cpu = this.platform.env.cpu;
    for (let s = 0; s < this.hp.slots; s++) {
      this.select(s);
      const flags = cpu.in(this.hp.ioBase + MHP_REG_FLAGS, 1);
      // Cold-plugged DIMMs are found by the namespace scan; their insert events need no notify.
      if (flags & MHP_STATUS_INSERT_EVENT) cpu.out(this.hp.ioBase + MHP_REG_FLAGS, 1, MHP_CTRL_CLEAR_INSERT);
      if (flags & MHP_STATUS_ENABLED) this.addDimm(this.range(s));
    }
    cpu.out(this.hp.gpe0Base, 2, this.hp.gpeMask);
    this.platform.interrupts.requestGsi(this.platform.handoff.acpi.sciGsi, () => this.sci());
    const en = cpu.in(this.hp.gpe0Base + GPE0_EN_OFFSET, 2);
    cpu.out(this.hp.gpe0Base + GPE0_EN_OFFSET, 2, en | this.hp.gpeMask);
    this.platform.log(`ACPI: memory hotplug: ${this.hp.slots} slots at I/O 0x${this.hp.ioBase.toString(16)}, GPE0 bit mask 0x${this.hp.gpeMask.toString(16)}`);
  }

  /** The SCI: acknowledge our GPE (edge: before the handler), then scan like the _E03 method. */
  private sci(): void {
    const cpu = this.platform.env.cpu;
    const sts = cpu.in(this.hp.gpe0Base, 2);
    const en = cpu.in(this.hp.gpe0Base + GPE0_EN_OFFSET, 2);
    if ((sts & en & this.hp.gpeMask) === 0) return;
    cpu.out(this.hp.gpe0Base, 2, this.hp.gpeMask);
    this.stats.events++;
    const notified: number[] = [];
    for (let s = 0; s < this.hp.slots; s++) {
      this.select(s);
      if ((cpu.in(this.hp.ioBase + MHP_REG_FLAGS, 1) & MHP_STATUS_INSERT_EVENT) === 0) continue;
      notified.push(s);
      cpu.out(this.hp.ioBase + MHP_REG_FLAGS, 1, MHP_CTRL_CLEAR_INSERT);
    }
    // Notify handlers run later from the ACPI hotplug workqueue, not in interrupt context.
    for (const s of notified) this.platform.env.sched.after(0, 'acpi-memhp device check', () => this.deviceCheck(s));
  }

  private deviceCheck(slot: number): void {
    const cpu = this.platform.env.cpu;
    this.select(slot);
    const enabled = (cpu.in(this.hp.ioBase + MHP_REG_FLAGS, 1) & MHP_STATUS_ENABLED) !== 0;
    const ok = !enabled || this.present.has(slot) || this.addDimm(this.range(slot));
    this.select(slot);
    cpu.out(this.hp.ioBase + MHP_REG_OST_EVENT, 4, ACPI_NOTIFY_DEVICE_CHECK);
    cpu.out(this.hp.ioBase + MHP_REG_OST_STATUS, 4, ok ? ACPI_OST_SC_SUCCESS : ACPI_OST_SC_NON_SPECIFIC_FAILURE);
  }

  private addDimm(r: DimmRange): boolean {
    try {
      this.blocks.addMemory(r.addr, r.size);
      this.present.add(r.slot);
      this.stats.added++;
      this.platform.log(`acpi_memhotplug: slot ${r.slot}: added [mem 0x${r.addr.toString(16)}-0x${(r.addr + r.size - 1).toString(16)}]`);
      return true;
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      this.stats.failed++;
      this.platform.log(`acpi_memhotplug: slot ${r.slot}: add_memory failed: ${e.code}`);
      return false;
    }
  }

  private range(slot: number): DimmRange {
    const cpu = this.platform.env.cpu;
    this.select(slot);
    const rd = (off: number) => cpu.in(this.hp.ioBase + off, 4) >>> 0;
    return { slot, addr: rd(MHP_REG_ADDR_HI) * 2 ** 32 + rd(MHP_REG_ADDR_LO), size: rd(MHP_REG_SIZE_HI) * 2 ** 32 + rd(MHP_REG_SIZE_LO) };
  }

  private select(slot: number): void {
    this.platform.env.cpu.out(this.hp.ioBase + MHP_REG_SELECTOR, 4, slot);
  }
}
