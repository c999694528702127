/**
 * QEMU's ACPI memory hotplug controller (I/O 0x0a00-0x0a17): one status record per DIMM slot,
 * a slot selector, the selected DIMM's address/size/node, insert-event flags the OS clears
 * after handling them, and the _OST codes it reports back (QEMU turns each status write into
 * an ACPI_DEVICE_OST event). A plug raises GPE0 bit 3, which reaches the OS as an SCI.
 */
import {
  GPE_MEMORY_HOTPLUG,
  MHP_CTRL_CLEAR_INSERT,
  MHP_CTRL_CLEAR_REMOVE,
  MHP_REG_ADDR_HI,
  MHP_REG_ADDR_LO,
  MHP_REG_FLAGS,
  MHP_REG_OST_EVENT,
  MHP_REG_OST_STATUS,
  MHP_REG_PROXIMITY,
  MHP_REG_SELECTOR,
  MHP_REG_SIZE_HI,
  MHP_REG_SIZE_LO,
  MHP_STATUS_ENABLED,
  MHP_STATUS_INSERT_EVENT,
  MHP_STATUS_REMOVE_EVENT,
} from '../../src/abi/acpi-memhp.js';
import type { SchedulerView } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import type { Gpe0Block } from './gpe.js';

/** The DIMM in a slot, as the registers describe it. */
export interface HotplugDimm {
  /** qdev id (may be empty). */
  id: string;
  /** Guest-physical base. */
  addr: number;
  /** Bytes. */
  size: number;
  /** NUMA node. */
  node: number;
}

/** One slot's record (QEMU's MemStatus). */
export interface MemorySlotStatus {
  /** The DIMM plugged here, if any. */
  dimm: HotplugDimm | undefined;
  /** Enabled (plugged and usable). */
  enabled: boolean;
  /** Insert event pending. */
  inserting: boolean;
  /** Remove event pending. */
  removing: boolean;
  /** Last _OST event code. */
  ostEvent: number;
  /** Last _OST status code. */
  ostStatus: number;
}

/** What an _OST status write reports (the ACPI_DEVICE_OST event's ACPIOSTInfo). */
export interface AcpiOstInfo {
  /** DIMM id, when it has one. */
  device?: string;
  /** Slot number as text. */
  slot: string;
  /** Always DIMM here. */
  'slot-type': 'DIMM';
  /** _OST event code. */
  source: number;
  /** _OST status code. */
  status: number;
}

/** The controller. */
export class MemoryHotplugController implements IoRegionOps {
  /** Slot records. */
  readonly slots: MemorySlotStatus[];
  private selector = 0;
  /** Called on each _OST status write. */
  onOst: ((info: AcpiOstInfo) => void) | undefined;

  /** `slotCount` slots signalling through `gpe`. */
  constructor(
    slotCount: number,
    private readonly gpe: Gpe0Block,
    private readonly sched: SchedulerView,
    private readonly trace: Trace,
  ) {
    this.slots = Array.from({ length: slotCount }, () => ({ dimm: undefined, enabled: false, inserting: false, removing: false, ostEvent: 0, ostStatus: 0 }));
  }

  /** Plugs `dimm` into `slot` and signals the OS (QEMU's acpi_memory_plug_cb). */
  plug(slot: number, dimm: HotplugDimm, announce: boolean): void {
    const s = this.slots[slot];
    if (!s) throw new RangeError(`no memory slot ${slot}`);
    s.dimm = dimm;
    s.enabled = true;
    s.inserting = announce;
    this.log(`slot ${slot}: DIMM '${dimm.id}' at 0x${dimm.addr.toString(16)}, ${dimm.size} bytes${announce ? ', insert event' : ''}`);
    if (announce) this.gpe.raise(GPE_MEMORY_HOTPLUG);
  }

  /** ACPI's view of every slot (query-acpi-ospm-status). */
  ospmStatus(): AcpiOstInfo[] {
    return this.slots.map((s, i) => this.info(i, s));
  }

  /** Register read of the selected slot; an invalid selection reads 0, other offsets all ones. */
  read(off: number, _size: AccessSize): number {
    const s = this.slots[this.selector];
    if (!s) return 0;
    const addr = s.dimm?.addr ?? 0;
    const size = s.dimm?.size ?? 0;
    switch (off) {
      case MHP_REG_ADDR_LO:
        return addr % 2 ** 32;
      case MHP_REG_ADDR_HI:
        return Math.floor(addr / 2 ** 32);
      case MHP_REG_SIZE_LO:
        return size % 2 ** 32;
      case MHP_REG_SIZE_HI:
        return Math.floor(size / 2 ** 32);
      case MHP_REG_PROXIMITY:
        return s.dimm?.node ?? 0;
      case MHP_REG_FLAGS:
        return (s.enabled ? MHP_STATUS_ENABLED : 0) | (s.inserting ? MHP_STATUS_INSERT_EVENT : 0) | (s.removing ? MHP_STATUS_REMOVE_EVENT : 0);
      default:
        return 0xffff_ffff;
    }
  }

  /** Reads never have side effects here. */
  peek(off: number, size: AccessSize): number {
    return this.read(off, size);
  }

  /** Selector, _OST codes and event acknowledgements. */
  write(off: number, _size: AccessSize, value: number): void {
    if (this.slots.length === 0) return;
    if (off === MHP_REG_SELECTOR) {
      this.selector = value >>> 0;
      return;
    }
    const s = this.slots[this.selector];
    if (!s) return;
    if (off === MHP_REG_OST_EVENT) {
      s.ostEvent = value >>> 0;
    } else if (off === MHP_REG_OST_STATUS) {
      s.ostStatus = value >>> 0;
      this.onOst?.(this.info(this.selector, s));
    } else if (off === MHP_REG_FLAGS) {
      if (value & MHP_CTRL_CLEAR_INSERT) s.inserting = false;
      if (value & MHP_CTRL_CLEAR_REMOVE) s.removing = false;
    }
  }

  /** Reset keeps plugged DIMMs (they are devices) but forgets the selection. */
  reset(): void {
    this.selector = 0;
  }

  private info(slot: number, s: MemorySlotStatus): AcpiOstInfo {
    return { ...(s.dimm?.id ? { device: s.dimm.id } : {}), slot: String(slot), 'slot-type': 'DIMM', source: s.ostEvent, status: s.ostStatus };
  }

  private log(line: string): void {
    this.trace.emit(this.sched.now(), 'machine', 'acpi-mem-hotplug', line);
  }
}
