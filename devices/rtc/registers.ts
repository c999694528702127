/**
 * The MC146818's time and alarm registers as bytes: seconds since the epoch to and from the
 * register file in the data mode (BCD or binary) and hour mode (12 or 24) status B selects,
 * and the alarm comparison the chip makes on every update.
 */
import { gmtime, timegm } from '../../src/core/calendar.js';
import {
  RTC_ALARM_DONT_CARE,
  RTC_B_24H,
  RTC_B_DM_BINARY,
  RTC_CENTURY,
  RTC_DAY_OF_MONTH,
  RTC_DAY_OF_WEEK,
  RTC_HOURS,
  RTC_HOURS_ALARM,
  RTC_HOURS_PM,
  RTC_MINUTES,
  RTC_MINUTES_ALARM,
  RTC_MONTH,
  RTC_REG_B,
  RTC_SECONDS,
  RTC_SECONDS_ALARM,
  RTC_YEAR,
  fromBcd,
  toBcd,
} from '../../src/abi/rtc.js';

/** Indices that hold the time (updated by the chip while it runs). */
export const TIME_REGISTERS: ReadonlySet<number> = new Set([RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR, RTC_CENTURY]);

const SECS_PER_DAY = 86400;

function enc(cmos: Uint8Array, v: number): number {
  return cmos[RTC_REG_B]! & RTC_B_DM_BINARY ? v : toBcd(v);
}

function dec(cmos: Uint8Array, b: number): number {
  return cmos[RTC_REG_B]! & RTC_B_DM_BINARY ? b : fromBcd(b);
}

/** The hours byte for hour 0-23 in the current modes. */
export function encodeHours(cmos: Uint8Array, hour: number): number {
  if (cmos[RTC_REG_B]! & RTC_B_24H) return enc(cmos, hour);
  return enc(cmos, hour % 12 === 0 ? 12 : hour % 12) | (hour >= 12 ? RTC_HOURS_PM : 0);
}

/** Hour 0-23 from an hours byte in the current modes. */
export function decodeHours(cmos: Uint8Array, b: number): number {
  if (cmos[RTC_REG_B]! & RTC_B_24H) return dec(cmos, b);
  return (dec(cmos, b & ~RTC_HOURS_PM) % 12) + (b & RTC_HOURS_PM ? 12 : 0);
}

/** Writes `sec` into the time registers. */
export function encodeTimeRegisters(sec: number, cmos: Uint8Array): void {
  const t = gmtime(sec);
  cmos[RTC_SECONDS] = enc(cmos, t.second);
  cmos[RTC_MINUTES] = enc(cmos, t.minute);
  cmos[RTC_HOURS] = encodeHours(cmos, t.hour);
  cmos[RTC_DAY_OF_WEEK] = enc(cmos, t.weekday + 1);
  cmos[RTC_DAY_OF_MONTH] = enc(cmos, t.day);
  cmos[RTC_MONTH] = enc(cmos, t.month);
  cmos[RTC_YEAR] = enc(cmos, ((t.year % 100) + 100) % 100);
  cmos[RTC_CENTURY] = enc(cmos, Math.floor(t.year / 100) % 100);
}

/**
 * Seconds since the epoch the time registers spell. Out-of-range fields carry into the next
 * larger unit (day 32 is the 1st of the next month) rather than failing: software can write
 * any byte, and the clock must still have some time.
 */
export function decodeTimeRegisters(cmos: Uint8Array): number {
  const year = dec(cmos, cmos[RTC_CENTURY]!) * 100 + dec(cmos, cmos[RTC_YEAR]!);
  const month0 = dec(cmos, cmos[RTC_MONTH]!) - 1;
  const y = year + Math.floor(month0 / 12);
  const m = (((month0 % 12) + 12) % 12) + 1;
  return timegm({
    year: y,
    month: m,
    day: dec(cmos, cmos[RTC_DAY_OF_MONTH]!),
    hour: decodeHours(cmos, cmos[RTC_HOURS]!),
    minute: dec(cmos, cmos[RTC_MINUTES]!),
    second: dec(cmos, cmos[RTC_SECONDS]!),
  });
}

function fieldMatches(alarm: number, actual: number): boolean {
  return (alarm & RTC_ALARM_DONT_CARE) === RTC_ALARM_DONT_CARE || alarm === actual;
}

// The time of day encoded as the chip compares it: seconds, minutes and hours bytes.
function alarmMatchesTod(cmos: Uint8Array, tod: number): boolean {
  const h = Math.floor(tod / 3600);
  const m = Math.floor((tod % 3600) / 60);
  const s = tod % 60;
  return fieldMatches(cmos[RTC_SECONDS_ALARM]!, enc(cmos, s)) && fieldMatches(cmos[RTC_MINUTES_ALARM]!, enc(cmos, m)) && fieldMatches(cmos[RTC_HOURS_ALARM]!, encodeHours(cmos, h));
}

/** Whether the alarm registers match the time `sec` (compared byte for byte, as the chip does). */
export function alarmMatches(cmos: Uint8Array, sec: number): boolean {
  return alarmMatchesTod(cmos, ((sec % SECS_PER_DAY) + SECS_PER_DAY) % SECS_PER_DAY);
}

/** The first time after `afterSec` the alarm matches, or undefined when no time can match. */
export function nextAlarmMatch(cmos: Uint8Array, afterSec: number): number | undefined {
  const start = ((afterSec % SECS_PER_DAY) + SECS_PER_DAY) % SECS_PER_DAY;
  // The alarm is daily: one day of candidates decides it.
  for (let step = 1; step <= SECS_PER_DAY; step++) {
    if (alarmMatchesTod(cmos, (start + step) % SECS_PER_DAY)) return afterSec + step;
  }
  return undefined;
}

/** Whether the alarm matched at any update that brought the clock to a time in [first, last]. */
export function alarmMatchedIn(cmos: Uint8Array, first: number, last: number): boolean {
  if (last < first) return false;
  if (last - first + 1 >= SECS_PER_DAY) return nextAlarmMatch(cmos, first - 1) !== undefined;
  for (let s = first; s <= last; s++) if (alarmMatches(cmos, s)) return true;
  return false;
}
