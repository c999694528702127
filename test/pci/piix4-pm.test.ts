import { describe, expect, it } from 'vitest';
import { PCI_COMMAND, PCI_VENDOR_ID } from '../../src/abi/pci.js';
import { NS_PER_SEC } from '../../src/core/scheduler.js';
import {
  ACPI_PM1_CNT_SCI_EN,
  ACPI_PM1_CNT_SLP_EN,
  ACPI_PM1_EN_PWRBTN,
  ACPI_PM1_EN_TMR,
  ACPI_PM1_STS_PWRBTN,
  ACPI_PM1_STS_TMR,
  ACPI_PM1_STS_WAK,
} from '../../src/abi/acpi.js';
import { PIIX4_PM_PMBA, PIIX4_PM_PMREGMISC, PIIX4_SCI_GSI } from '../../devices/chipset/piix4-pm.js';
import { makePc, type PcHarness } from './harness.js';

const PMBASE = 0x600;

function enablePm(pc: PcHarness, base = PMBASE): void {
  pc.cfgWrite(0, 1, 3, PIIX4_PM_PMBA, 4, base | 1);
  pc.cfgWrite(0, 1, 3, PIIX4_PM_PMREGMISC, 1, 1);
}

describe('PIIX4 datasheet §3.4.2 / QEMU pm_io_space_update: PMBA and PMREGMISC', () => {
  it('identity: 8086:7113 rev 3, class 0x0680, INTA, status 0x0280, PMBA reset value 1', () => {
    const pc = makePc();
    expect(pc.cfgRead(0, 1, 3, PCI_VENDOR_ID, 4)).toBe(0x7113_8086);
    expect(pc.cfgRead(0, 1, 3, 0x08, 4)).toBe(0x0680_0003);
    expect(pc.cfgRead(0, 1, 3, 0x3d, 1)).toBe(1);
    expect(pc.cfgRead(0, 1, 3, 0x06, 2)).toBe(0x0280);
    expect(pc.cfgRead(0, 1, 3, PIIX4_PM_PMBA, 4)).toBe(1);
  });

  it('the 64-byte PM block appears at PMBA only while PMREGMISC bit 0 is set, independent of COMMAND.IO', () => {
    const pc = makePc();
    pc.cfgWrite(0, 1, 3, PIIX4_PM_PMBA, 4, PMBASE | 1);
    expect(pc.pm.pmIoMapped()).toBe(false);
    expect(pc.io.read(PMBASE + 4, 2)).toBe(0xffff);
    pc.cfgWrite(0, 1, 3, PIIX4_PM_PMREGMISC, 1, 1);
    expect(pc.pm.pmIoMapped()).toBe(true);
    expect(pc.cfgRead(0, 1, 3, PCI_COMMAND, 2)).toBe(0);
    expect(pc.io.read(PMBASE + 4, 2)).toBe(0);
    // Moving the base moves the block; low bits of PMBA are ignored for decoding.
    pc.cfgWrite(0, 1, 3, PIIX4_PM_PMBA, 4, 0xb03f);
    expect(pc.pm.pmBase()).toBe(0xb000);
    expect(pc.io.read(PMBASE + 4, 2)).toBe(0xffff);
    expect(pc.io.read(0xb004, 2)).toBe(0);
    pc.cfgWrite(0, 1, 3, PIIX4_PM_PMREGMISC, 1, 0);
    expect(pc.io.read(0xb004, 2)).toBe(0xffff);
  });
});

describe('ACPI 1.0+ §4.7.3 PM1 registers', () => {
  it('PM timer counts at 3.579545 MHz of virtual time, 24 bits, read-only', () => {
    const pc = makePc();
    enablePm(pc);
    expect(pc.io.read(PMBASE + 8, 4)).toBe(0);
    pc.sched.run(NS_PER_SEC);
    expect(pc.io.read(PMBASE + 8, 4)).toBe(3_579_545);
    pc.io.write(PMBASE + 8, 4, 0);
    expect(pc.io.read(PMBASE + 8, 4)).toBe(3_579_545);
    pc.sched.run(5 * NS_PER_SEC);
    expect(pc.io.read(PMBASE + 8, 4)).toBe((5 * 3_579_545) % 0x100_0000);
  });

  it('PM1_STS bits are write-1-to-clear', () => {
    const pc = makePc();
    enablePm(pc);
    pc.pm.resume();
    const sts = pc.io.read(PMBASE, 2);
    expect(sts & ACPI_PM1_STS_WAK).toBe(ACPI_PM1_STS_WAK);
    pc.io.write(PMBASE, 2, 0);
    expect(pc.io.read(PMBASE, 2)).toBe(sts);
    pc.io.write(PMBASE, 2, ACPI_PM1_STS_WAK);
    expect(pc.io.read(PMBASE, 2) & ACPI_PM1_STS_WAK).toBe(0);
    expect(pc.io.read(PMBASE, 2) & ACPI_PM1_STS_PWRBTN).toBe(ACPI_PM1_STS_PWRBTN);
  });

  it('TMR_STS sets when bit 23 of the counter toggles and raises SCI when TMR_EN is set', () => {
    const pc = makePc();
    enablePm(pc);
    // QEMU starts with the carry point at 0, so the first read already shows TMR_STS.
    expect(pc.io.read(PMBASE, 2) & ACPI_PM1_STS_TMR).toBe(ACPI_PM1_STS_TMR);
    pc.io.write(PMBASE, 2, ACPI_PM1_STS_TMR);
    expect(pc.io.read(PMBASE, 2) & ACPI_PM1_STS_TMR).toBe(0);
    pc.io.write(PMBASE + 2, 2, ACPI_PM1_EN_TMR);
    expect(pc.intc.level(PIIX4_SCI_GSI)).toBe(false);
    const carryNs = Math.ceil((0x80_0000 * 1e9) / 3_579_545);
    pc.sched.run(carryNs - 1);
    expect(pc.intc.level(PIIX4_SCI_GSI)).toBe(false);
    pc.sched.run(carryNs);
    expect(pc.intc.level(PIIX4_SCI_GSI)).toBe(true);
    pc.io.write(PMBASE, 2, ACPI_PM1_STS_TMR);
    expect(pc.intc.level(PIIX4_SCI_GSI)).toBe(false);
  });

  it('writing SLP_EN hands SLP_TYP to the machine; SLP_EN never reads back', () => {
    const seen: number[] = [];
    const pc = makePc({ onSleep: (t) => seen.push(t) });
    enablePm(pc);
    pc.io.write(PMBASE + 4, 2, (5 << 10) | ACPI_PM1_CNT_SCI_EN);
    expect(seen).toEqual([]);
    pc.io.write(PMBASE + 4, 2, (1 << 10) | ACPI_PM1_CNT_SLP_EN | ACPI_PM1_CNT_SCI_EN);
    pc.io.write(PMBASE + 5, 1, (ACPI_PM1_CNT_SLP_EN | (0 << 10)) >> 8);
    expect(seen).toEqual([1, 0]);
    expect(pc.io.read(PMBASE + 4, 2)).toBe(ACPI_PM1_CNT_SCI_EN);
    expect(pc.traceLines.some((l) => l.includes('SLP_EN with SLP_TYP 1 (S3)'))).toBe(true);
  });

  it('SLP_TYP to S-state follows QEMU: 0 = S5, 1 = S3, s4_val = S4; the DSDT honours disable_s3/s4', () => {
    const pc = makePc();
    expect([0, 1, 2, 3].map((t) => pc.pm.sleepStateFor(t))).toEqual(['S5', 'S3', 'S4', undefined]);
    expect(pc.pm.acpiSleepTypes()).toEqual({ S3: 1, S4: 2, S5: 0 });
    const other = makePc({ s4_val: 3, disable_s3: 1 });
    expect(other.pm.sleepStateFor(3)).toBe('S4');
    expect(other.pm.sleepStateFor(2)).toBeUndefined();
    expect(other.pm.acpiSleepTypes()).toEqual({ S4: 3, S5: 0 });
  });

  it('the power button sets PWRBTN_STS and raises SCI on GSI 9 only when PWRBTN_EN is set', () => {
    const pc = makePc();
    enablePm(pc);
    pc.io.write(PMBASE, 2, 0xffff);
    expect(pc.pm.powerButton()).toBe(false);
    expect(pc.io.read(PMBASE, 2) & ACPI_PM1_STS_PWRBTN).toBe(0);
    pc.io.write(PMBASE + 2, 2, ACPI_PM1_EN_PWRBTN);
    expect(pc.pm.powerButton()).toBe(true);
    expect(pc.intc.level(PIIX4_SCI_GSI)).toBe(true);
    pc.sched.run(pc.sched.now());
    expect(pc.vectors).toContain(0x20 + 9);
    pc.io.write(PMBASE, 2, ACPI_PM1_STS_PWRBTN);
    expect(pc.intc.level(PIIX4_SCI_GSI)).toBe(false);
  });

  it('SMI_CMD 0xB2: ACPI enable (0xF1) sets SCI_EN, ACPI disable (0xF0) clears it', () => {
    const pc = makePc();
    enablePm(pc);
    pc.io.write(0xb2, 1, 0xf1);
    expect(pc.io.read(PMBASE + 4, 2) & ACPI_PM1_CNT_SCI_EN).toBe(ACPI_PM1_CNT_SCI_EN);
    pc.io.write(0xb2, 1, 0xf0);
    expect(pc.io.read(PMBASE + 4, 2) & ACPI_PM1_CNT_SCI_EN).toBe(0);
  });

  it('reset clears PM1 registers and unmaps the block; resume after reset leaves WAK_STS for the OS', () => {
    const pc = makePc();
    enablePm(pc);
    pc.io.write(PMBASE + 2, 2, ACPI_PM1_EN_PWRBTN);
    pc.io.write(0xb2, 1, 0xf1);
    pc.host.reset();
    expect(pc.pm.pmIoMapped()).toBe(false);
    expect(pc.pm.pm1Enable()).toBe(0);
    expect(pc.pm.pm1Control()).toBe(0);
    pc.pm.resume('rtc');
    enablePm(pc);
    expect(pc.io.read(PMBASE, 2) & (ACPI_PM1_STS_WAK | 0x400)).toBe(ACPI_PM1_STS_WAK | 0x400);
  });
});
