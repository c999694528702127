/**
 * The ACPI memory hotplug block and GPE0 driven as QEMU's AML drives them, with no guest
 * (docs/specs/acpi_mem_hotplug.rst; GPE0 status bits are write-1-to-clear, ACPI 6.4 §4.8.4.1).
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import {
  GPE0_BLK,
  GPE0_EN_OFFSET,
  GPE_MEMORY_HOTPLUG,
  MEMORY_HOTPLUG_IO_BASE,
  MHP_CTRL_CLEAR_INSERT,
  MHP_REG_ADDR_HI,
  MHP_REG_ADDR_LO,
  MHP_REG_FLAGS,
  MHP_REG_OST_EVENT,
  MHP_REG_OST_STATUS,
  MHP_REG_SELECTOR,
  MHP_REG_SIZE_LO,
  MHP_STATUS_ENABLED,
  MHP_STATUS_INSERT_EVENT,
} from '../../src/abi/acpi-memhp.js';
import { PIIX4_SCI_GSI } from '../../devices/chipset/piix4-pm.js';
import type { MachineEvent } from '../../src/machine/run-state.js';

const GiB = 1024 ** 3;

function machine(slots: number): Machine {
  const cfg = defaultMachineConfig();
  cfg.ramSize = 2 * GiB;
  cfg.memorySlots = slots;
  cfg.maxMem = slots > 0 ? 6 * GiB : 2 * GiB;
  cfg.objects.push({ qomType: 'memory-backend-ram', id: 'm0', props: [['size', '1G']] });
  return new Machine(cfg).boot();
}

describe('acpi_mem_hotplug.rst register block', () => {
  it('describes the selected slot: address, size, enabled and insert-event flags; the insert flag clears on request', () => {
    const m = machine(2);
    const io = m.cpuBus;
    io.out(GPE0_BLK + GPE0_EN_OFFSET, 2, GPE_MEMORY_HOTPLUG);
    m.memoryDevices.plugDimm({ id: 'd0', memdev: 'm0', slot: 1, addr: undefined, node: 0 }, true);
    expect(io.in(GPE0_BLK, 2) & GPE_MEMORY_HOTPLUG).toBe(GPE_MEMORY_HOTPLUG);
    expect(m.irq.level(PIIX4_SCI_GSI)).toBe(true);
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_SELECTOR, 4, 0);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_FLAGS, 1)).toBe(0);
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_SELECTOR, 4, 1);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_FLAGS, 1)).toBe(MHP_STATUS_ENABLED | MHP_STATUS_INSERT_EVENT);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_ADDR_LO, 4)).toBe(0);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_ADDR_HI, 4)).toBe(1);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_SIZE_LO, 4)).toBe(GiB);
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_FLAGS, 1, MHP_CTRL_CLEAR_INSERT);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_FLAGS, 1)).toBe(MHP_STATUS_ENABLED);
    // Write-1-to-clear: the SCI drops with the status bit.
    io.out(GPE0_BLK, 2, GPE_MEMORY_HOTPLUG);
    expect(io.in(GPE0_BLK, 2)).toBe(0);
    expect(m.irq.level(PIIX4_SCI_GSI)).toBe(false);
  });

  it('an _OST status write becomes ACPI_DEVICE_OST; a selector past the last slot reads 0', () => {
    const m = machine(2);
    const events: MachineEvent[] = [];
    m.on('event', (e) => events.push(e));
    m.memoryDevices.plugDimm({ id: 'd0', memdev: 'm0', slot: undefined, addr: undefined, node: 0 }, true);
    const io = m.cpuBus;
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_SELECTOR, 4, 0);
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_OST_EVENT, 4, 1);
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_OST_STATUS, 4, 0);
    expect(events.filter((e) => e.event === 'ACPI_DEVICE_OST').map((e) => e.data)).toEqual([{ info: { device: 'd0', slot: '0', 'slot-type': 'DIMM', source: 1, status: 0 } }]);
    io.out(MEMORY_HOTPLUG_IO_BASE + MHP_REG_SELECTOR, 4, 7);
    expect(io.in(MEMORY_HOTPLUG_IO_BASE + MHP_REG_FLAGS, 1)).toBe(0);
  });

  it('is not mapped on a machine without DIMM slots, as in QEMU', () => {
    const m = machine(0);
    expect(m.io.regions().some((r) => r.base === MEMORY_HOTPLUG_IO_BASE)).toBe(false);
    expect(m.io.regions().some((r) => r.base === GPE0_BLK)).toBe(true);
  });
});
