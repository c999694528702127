import { describe, expect, it } from 'vitest';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { Machine } from '../../src/machine/machine.js';
import type { MachineEvent } from '../../src/machine/run-state.js';
import {
  CMOS_SHUTDOWN_STATUS,
  RTC_B_24H,
  RTC_B_AIE,
  RTC_B_DM_BINARY,
  RTC_B_SET,
  RTC_B_UIE,
  RTC_C_AF,
  RTC_C_IRQF,
  RTC_C_PF,
  RTC_C_UF,
  RTC_ISA_IRQ,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
} from '../../src/abi/rtc.js';
import { GSI_VECTOR_BASE } from '../../src/abi/interrupts.js';

const MS = 1_000_000;
const SEC = 1_000_000_000;

function rig(base = '2020-01-01T12:34:56', localOffset?: number) {
  const cfg = defaultMachineConfig();
  cfg.rtc = { base };
  const events: MachineEvent[] = [];
  const m = new Machine(cfg, { rtcLocalOffsetSec: localOffset });
  m.on('event', (e) => events.push(e));
  m.boot();
  const vectors: number[] = [];
  m.irq.setVectorHandler((v) => vectors.push(v));
  const bus = m.cpuBus;
  const read = (i: number) => {
    bus.out(0x70, 1, i);
    return bus.in(0x71, 1);
  };
  const write = (i: number, v: number) => {
    bus.out(0x70, 1, i);
    bus.out(0x71, 1, v);
  };
  const at = (ns: number) => m.runUntilIdle(ns);
  const time = () => [0, 2, 4, 6, 7, 8, 9, 0x32].map(read);
  return { m, events, vectors, read, write, at, time };
}

describe('MC146818 RTC at ports 0x70/0x71 (clock registers, status A-D, CMOS RAM)', () => {
  it('time registers in BCD, 24-hour, from -rtc base=DATE; they advance with the virtual clock', () => {
    const r = rig();
    // 12:34:56 on Wednesday 2020-01-01 (day of week 4: Sunday is 1), century 20.
    expect(r.time()).toEqual([0x56, 0x34, 0x12, 0x04, 0x01, 0x01, 0x20, 0x20]);
    r.at(1500 * MS);
    expect(r.read(0)).toBe(0x57);
    r.at(64 * SEC);
    expect(r.time().slice(0, 3)).toEqual([0x00, 0x36, 0x12]);
    expect(r.read(RTC_REG_D)).toBe(0x80);
    expect(r.read(RTC_REG_A)).toBe(0x26);
    expect(r.read(RTC_REG_B)).toBe(RTC_B_24H);
  });

  it('binary data mode and 12-hour mode follow status B (PM in bit 7 of the hours)', () => {
    const r = rig('2021-07-04T13:05:09');
    r.write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    expect(r.time()).toEqual([9, 5, 13, 1, 4, 7, 21, 20]);
    r.write(RTC_REG_B, 0);
    expect(r.read(4)).toBe(0x81);
    r.write(RTC_REG_B, RTC_B_DM_BINARY);
    expect(r.read(4)).toBe(0x81);
    const noon = rig('2021-07-04T12:00:00');
    noon.write(RTC_REG_B, 0);
    expect(noon.read(4)).toBe(0x92);
    const midnight = rig('2021-07-04T00:30:00');
    midnight.write(RTC_REG_B, 0);
    expect(midnight.read(4)).toBe(0x12);
  });

  it('UIP reads 1 only in the last 244 µs before an update', () => {
    const r = rig();
    r.at(999_700_000);
    expect(r.read(RTC_REG_A) & 0x80).toBe(0);
    r.at(999_800_000);
    expect(r.read(RTC_REG_A) & 0x80).toBe(0x80);
    r.at(1_000_000_001);
    expect(r.read(RTC_REG_A) & 0x80).toBe(0);
    expect(r.read(0)).toBe(0x57);
  });

  it('setting the time Linux-style (SET, divider reset, write, release): RTC_CHANGE with the offset from the base, first update 500 ms later', () => {
    const r = rig('2020-01-01T00:00:00');
    r.at(10 * SEC + 300 * MS);
    r.write(RTC_REG_B, r.read(RTC_REG_B) | RTC_B_SET);
    r.write(RTC_REG_A, 0x70);
    // 2020-01-01 01:00:00 — an hour ahead of where the clock (base + 10 s) is.
    r.write(4, 0x01);
    r.write(2, 0x00);
    r.write(0, 0x00);
    expect(r.read(0)).toBe(0x00);
    r.at(12 * SEC);
    expect(r.read(0)).toBe(0x00); // held while SET
    r.write(RTC_REG_B, RTC_B_24H);
    expect(r.events).toEqual([]); // still held by the divider
    r.write(RTC_REG_A, 0x26);
    expect(r.events.map((e) => [e.event, e.data])).toEqual([['RTC_CHANGE', { offset: 3600 - 12 }]]);
    r.at(12 * SEC + 499 * MS);
    expect(r.read(0)).toBe(0x00);
    r.at(12 * SEC + 500 * MS);
    expect(r.read(0)).toBe(0x01);
    expect(r.m.rtc.now()).toBe(Date.UTC(2020, 0, 1, 1, 0, 1) / 1000);
  });

  it('the time and CMOS RAM survive system_reset (battery-backed); reset clears the shutdown byte unless it says S3 resume', () => {
    const r = rig('2020-01-01T00:00:00');
    r.write(RTC_REG_B, RTC_B_24H | RTC_B_SET);
    r.write(9, 0x30);
    r.write(RTC_REG_B, RTC_B_24H);
    r.write(0x40, 0xab);
    r.write(CMOS_SHUTDOWN_STATUS, 0x05);
    r.m.systemReset();
    expect(r.read(9)).toBe(0x30);
    expect(r.read(0x40)).toBe(0xab);
    expect(r.read(CMOS_SHUTDOWN_STATUS)).toBe(0);
    expect(r.events.map((e) => e.event)).toEqual(['RTC_CHANGE', 'RESET']);
  });

  it('update-ended interrupts on IRQ 8 once a second while UIE is on; reading C acknowledges', () => {
    const r = rig();
    const vec = GSI_VECTOR_BASE + RTC_ISA_IRQ;
    r.write(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    r.at(SEC);
    expect(r.vectors.filter((v) => v === vec)).toHaveLength(1);
    // PF also counts the 1024 Hz periodic ticks, interrupt or not.
    expect(r.read(RTC_REG_C)).toBe(RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
    expect(r.read(RTC_REG_C)).toBe(0);
    for (let s = 2; s <= 4; s++) {
      r.at(s * SEC);
      r.read(RTC_REG_C);
    }
    expect(r.vectors.filter((v) => v === vec)).toHaveLength(4);
    r.write(RTC_REG_B, RTC_B_24H);
    r.at(10 * SEC);
    expect(r.vectors.filter((v) => v === vec)).toHaveLength(4);
    // Flags still record the updates, without an interrupt.
    expect(r.read(RTC_REG_C)).toBe(RTC_C_PF | RTC_C_UF);
  });

  it('the alarm fires at the matching second (0xC0-0xFF is "don\'t care")', () => {
    const r = rig('2020-01-01T12:34:56');
    const vec = GSI_VECTOR_BASE + RTC_ISA_IRQ;
    r.write(1, 0x05); // seconds alarm :05
    r.write(3, 0xff); // any minute
    r.write(5, 0xff); // any hour
    r.write(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    r.at(8 * SEC);
    expect(r.vectors.filter((v) => v === vec)).toHaveLength(0);
    r.at(9 * SEC);
    expect(r.vectors.filter((v) => v === vec)).toHaveLength(1);
    expect(r.read(0)).toBe(0x05);
    expect(r.read(RTC_REG_C) & (RTC_C_AF | RTC_C_IRQF)).toBe(RTC_C_AF | RTC_C_IRQF);
  });

  it('-rtc base=localtime adds the host offset measured at creation; base=utc is the machine wall clock', () => {
    const utc = rig('utc');
    const local = rig('localtime', 2 * 3600);
    expect(local.m.rtc.now() - utc.m.rtc.now()).toBe(7200);
  });

  it('the index port reads as the floating bus; status D is read-only', () => {
    const r = rig();
    expect(r.m.cpuBus.in(0x70, 1)).toBe(0xff);
    r.write(RTC_REG_D, 0);
    expect(r.read(RTC_REG_D)).toBe(0x80);
  });
});
