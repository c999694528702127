/**
 * The rtc-cmos driver's register access, in the style of Linux's mc146818-lib: reads of the
 * time skip the update cycle (UIP), values are converted from BCD or 12-hour form as status B
 * says, and setting the time holds the chip (SET, divider reset) while the registers are
 * written so no update can tear them.
 */
import type { CpuBus } from '../../../machine/cpu-bus.js';
import { timegm, gmtime } from '../../../core/calendar.js';
import {
  RTC_A_DV_RESET2,
  RTC_A_UIP,
  RTC_ALARM_DONT_CARE,
  RTC_B_24H,
  RTC_B_DM_BINARY,
  RTC_B_SET,
  RTC_CENTURY,
  RTC_DAY_OF_MONTH,
  RTC_DAY_OF_WEEK,
  RTC_HOURS,
  RTC_HOURS_ALARM,
  RTC_HOURS_PM,
  RTC_MINUTES,
  RTC_MINUTES_ALARM,
  RTC_MONTH,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_SECONDS,
  RTC_SECONDS_ALARM,
  RTC_YEAR,
  fromBcd,
  toBcd,
} from '../../../abi/rtc.js';

/** A time of day for the (daily) alarm; undefined fields are "don't care". */
export interface AlarmTime {
  /** Hour 0-23. */
  hour: number | undefined;
  /** Minute. */
  min: number | undefined;
  /** Second. */
  sec: number | undefined;
}

/** The CMOS clock behind an index/data port pair. */
export class CmosClock {
  /** Ports at `ioBase` (index) and `ioBase + 1` (data). */
  constructor(
    private readonly bus: CpuBus,
    private readonly ioBase: number,
  ) {}

  /** One register. */
  read(index: number): number {
    this.bus.out(this.ioBase, 1, index);
    return this.bus.in(this.ioBase + 1, 1);
  }

  /** Writes one register. */
  write(index: number, value: number): void {
    this.bus.out(this.ioBase, 1, index);
    this.bus.out(this.ioBase + 1, 1, value & 0xff);
  }

  /** True while the chip is about to update (reads now could straddle the update). */
  updateInProgress(): boolean {
    return (this.read(RTC_REG_A) & RTC_A_UIP) !== 0;
  }

  private binary(): boolean {
    return (this.read(RTC_REG_B) & RTC_B_DM_BINARY) !== 0;
  }

  private decode(b: number, binary: boolean): number {
    return binary ? b : fromBcd(b);
  }

  private encode(v: number, binary: boolean): number {
    return binary ? v : toBcd(v);
  }

  private decodeHour(b: number, statusB: number): number {
    const binary = (statusB & RTC_B_DM_BINARY) !== 0;
    if (statusB & RTC_B_24H) return this.decode(b, binary);
    return (this.decode(b & ~RTC_HOURS_PM, binary) % 12) + (b & RTC_HOURS_PM ? 12 : 0);
  }

  private encodeHour(h: number, statusB: number): number {
    const binary = (statusB & RTC_B_DM_BINARY) !== 0;
    if (statusB & RTC_B_24H) return this.encode(h, binary);
    return this.encode(h % 12 === 0 ? 12 : h % 12, binary) | (h >= 12 ? RTC_HOURS_PM : 0);
  }

  /**
   * The time in seconds since the epoch, or undefined while an update is in progress (the
   * caller waits the few hundred microseconds and asks again). A read is taken twice if the
   * seconds moved under it. `ignoreUpdate` reads through an update (boot and suspend paths
   * that cannot wait: the registers read here never tear, they hold the old second).
   */
  readTime(ignoreUpdate = false): number | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!ignoreUpdate && this.updateInProgress()) return undefined;
      const b = this.read(RTC_REG_B);
      const bin = (b & RTC_B_DM_BINARY) !== 0;
      const sec = this.read(RTC_SECONDS);
      const fields = {
        second: this.decode(sec, bin),
        minute: this.decode(this.read(RTC_MINUTES), bin),
        hour: this.decodeHour(this.read(RTC_HOURS), b),
        day: this.decode(this.read(RTC_DAY_OF_MONTH), bin),
        month: this.decode(this.read(RTC_MONTH), bin),
        year: this.decode(this.read(RTC_YEAR), bin),
      };
      const century = this.decode(this.read(RTC_CENTURY), bin);
      if (this.read(RTC_SECONDS) !== sec) continue;
      // A century byte of 0 (never set) means 20xx, as Linux assumes for years below 70 otherwise.
      const year = century !== 0 ? century * 100 + fields.year : fields.year < 70 ? 2000 + fields.year : 1900 + fields.year;
      return timegm({ ...fields, year });
    }
    return undefined;
  }

  /** Sets the time (whole seconds since the epoch), holding the chip while the registers change. */
  setTime(sec: number): void {
    const t = gmtime(sec);
    const saveB = this.read(RTC_REG_B);
    this.write(RTC_REG_B, saveB | RTC_B_SET);
    const saveA = this.read(RTC_REG_A) & ~RTC_A_UIP;
    this.write(RTC_REG_A, saveA | RTC_A_DV_RESET2);
    const bin = (saveB & RTC_B_DM_BINARY) !== 0;
    this.write(RTC_YEAR, this.encode(t.year % 100, bin));
    this.write(RTC_MONTH, this.encode(t.month, bin));
    this.write(RTC_DAY_OF_MONTH, this.encode(t.day, bin));
    this.write(RTC_DAY_OF_WEEK, this.encode(t.weekday + 1, bin));
    this.write(RTC_HOURS, this.encodeHour(t.hour, saveB));
    this.write(RTC_MINUTES, this.encode(t.minute, bin));
    this.write(RTC_SECONDS, this.encode(t.second, bin));
    this.write(RTC_CENTURY, this.encode(Math.floor(t.year / 100), bin));
    // SET off first, then the divider: the chip counts on from here, first update 500 ms later.
    this.write(RTC_REG_B, saveB & ~RTC_B_SET);
    this.write(RTC_REG_A, saveA);
  }

  /** The alarm registers. */
  readAlarm(): AlarmTime {
    const b = this.read(RTC_REG_B);
    const bin = this.binary();
    const field = (v: number, dec: (x: number) => number) => ((v & RTC_ALARM_DONT_CARE) === RTC_ALARM_DONT_CARE ? undefined : dec(v));
    return {
      sec: field(this.read(RTC_SECONDS_ALARM), (x) => this.decode(x, bin)),
      min: field(this.read(RTC_MINUTES_ALARM), (x) => this.decode(x, bin)),
      hour: field(this.read(RTC_HOURS_ALARM), (x) => this.decodeHour(x, b)),
    };
  }

  /** Programs the alarm registers (undefined fields become "don't care"). */
  setAlarm(a: AlarmTime): void {
    const b = this.read(RTC_REG_B);
    const bin = (b & RTC_B_DM_BINARY) !== 0;
    this.write(RTC_SECONDS_ALARM, a.sec === undefined ? 0xff : this.encode(a.sec, bin));
    this.write(RTC_MINUTES_ALARM, a.min === undefined ? 0xff : this.encode(a.min, bin));
    this.write(RTC_HOURS_ALARM, a.hour === undefined ? 0xff : this.encodeHour(a.hour, b));
  }

  /** Sets or clears interrupt-enable bits of status B. */
  setIrqEnables(mask: number, on: boolean): void {
    const b = this.read(RTC_REG_B);
    this.write(RTC_REG_B, on ? b | mask : b & ~mask);
  }

  /** Reads (and so clears) status C: the interrupt flags. */
  ackIrq(): number {
    return this.read(RTC_REG_C);
  }

  /** Day-of-week register (1 = Sunday), for diagnostics. */
  dayOfWeek(): number {
    return this.decode(this.read(RTC_DAY_OF_WEEK), this.binary());
  }
}
