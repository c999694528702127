/**
 * The VMM's vCPU model driven the way a kernel drives hardware, with no guest: IPIs through
 * the local APIC's interrupt command register at 0xFEE00300/0xFEE00310 (Intel SDM vol. 3,
 * §10.6 "Issuing Interprocessor Interrupts" and §8.4.4 "MP Initialization Example") and the
 * vCPU exit port for HLT.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import {
  ICR_DM_FIXED,
  ICR_DM_INIT,
  ICR_DM_STARTUP,
  ICR_SHORTHAND_OTHERS,
  LAPIC_BASE,
  LAPIC_REG_ICR_HIGH,
  LAPIC_REG_ICR_LOW,
  LAPIC_REG_ID,
  VCPU_EXIT_HLT_IF,
  VCPU_EXIT_PORT,
  icrLow,
} from '../../src/abi/apic.js';
import { MSI_ADDRESS_BASE } from '../../src/abi/interrupts.js';

function machine(cpus: number): Machine {
  const cfg = defaultMachineConfig();
  cfg.cpus = cpus;
  cfg.maxCpus = cpus;
  return new Machine(cfg).boot();
}

const ipi = (m: Machine, dest: number, low: number) => {
  m.cpuBus.store(LAPIC_BASE + LAPIC_REG_ICR_HIGH, 4, dest << 24);
  m.cpuBus.store(LAPIC_BASE + LAPIC_REG_ICR_LOW, 4, low);
};

describe('local APIC ICR and vCPU states', () => {
  it('APs start in wait-for-SIPI; INIT then STARTUP runs them at vector << 12 (the second SIPI is ignored)', () => {
    const m = machine(3);
    expect(m.vcpus.cpus.map((c) => m.vcpus.state(c.index))).toEqual(['running', 'offline', 'offline']);
    expect(m.cpuBus.load(LAPIC_BASE + LAPIC_REG_ID, 4)).toBe(0);
    ipi(m, 2, icrLow(ICR_DM_INIT));
    ipi(m, 2, icrLow(ICR_DM_INIT, 0, 'deassert'));
    ipi(m, 2, icrLow(ICR_DM_STARTUP, 0x9a));
    expect(m.vcpus.state(2)).toBe('running');
    expect(m.vcpus.cpus[2]!.startAddress).toBe(0x9a000);
    ipi(m, 2, icrLow(ICR_DM_STARTUP, 0x10));
    expect(m.vcpus.cpus[2]!.startAddress).toBe(0x9a000);
    expect(m.vcpus.state(1)).toBe('offline');
  });

  it('a CPU that halts with interrupts disabled stays offline until INIT+SIPI; SIPI alone does not wake it', () => {
    const m = machine(2);
    ipi(m, 1, icrLow(ICR_DM_INIT));
    ipi(m, 1, icrLow(ICR_DM_STARTUP, 0x9a));
    m.cpuBus.out(VCPU_EXIT_PORT, 4, 1);
    expect(m.vcpus.cpus[1]!.mp).toBe('dead');
    ipi(m, 1, icrLow(ICR_DM_STARTUP, 0x9a));
    expect(m.vcpus.state(1)).toBe('offline');
    ipi(m, 1, icrLow(ICR_DM_FIXED, 0x40));
    expect(m.vcpus.state(1)).toBe('offline');
    ipi(m, 1, icrLow(ICR_DM_INIT));
    ipi(m, 1, icrLow(ICR_DM_STARTUP, 0x9a));
    expect(m.vcpus.state(1)).toBe('running');
  });

  it('an idle HLT (interrupts enabled) is woken by a fixed IPI; shorthand "all but self" reaches every AP', () => {
    const m = machine(3);
    ipi(m, 0, icrLow(ICR_DM_INIT) | ICR_SHORTHAND_OTHERS);
    ipi(m, 0, icrLow(ICR_DM_STARTUP, 0x9a) | ICR_SHORTHAND_OTHERS);
    expect(m.vcpus.cpus.map((c) => m.vcpus.state(c.index))).toEqual(['running', 'running', 'running']);
    m.cpuBus.out(VCPU_EXIT_PORT, 4, 2 | VCPU_EXIT_HLT_IF);
    expect(m.vcpus.state(2)).toBe('halted');
    ipi(m, 2, icrLow(ICR_DM_FIXED, 0xf0));
    expect(m.vcpus.state(2)).toBe('running');
  });

  it('system_reset parks every AP again; device writes to the same page are still MSIs', () => {
    const m = machine(2);
    ipi(m, 1, icrLow(ICR_DM_INIT));
    ipi(m, 1, icrLow(ICR_DM_STARTUP, 0x9a));
    m.systemReset();
    expect(m.vcpus.state(1)).toBe('offline');
    // A DMA write to 0xFEE00000 is not a CPU access: it reaches the interrupt controller.
    m.mem.write(MSI_ADDRESS_BASE, 4, 0x45);
    expect(m.irq.delivered.get(0x45)).toBe(1);
  });
});
