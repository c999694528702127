/**
 * Proleptic Gregorian calendar arithmetic on seconds since the epoch, in UTC. Pure integer
 * math with no Date object, so the RTC model, firmware and guest programs share it without
 * touching host time.
 */

/** A broken-down UTC time, like struct tm but with a 1-based month and full year. */
export interface CivilTime {
  /** Full year (1970). */
  year: number;
  /** Month 1..12. */
  month: number;
  /** Day of month 1..31. */
  day: number;
  /** Hour 0..23. */
  hour: number;
  /** Minute 0..59. */
  minute: number;
  /** Second 0..59. */
  second: number;
  /** Day of week, 0 = Sunday. */
  weekday: number;
  /** Day of year, 0-based. */
  yearDay: number;
}

/** Seconds in a day. */
export const SECS_PER_DAY = 86400;
/** Abbreviated month names, January first. */
export const MONTH_ABBR = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
/** Abbreviated day names, Sunday first. */
export const DAY_ABBR = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Days since 1970-01-01 of a date (month 1..12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

/** True for a leap year. */
export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in a month (1..12) of a year. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Breaks seconds since the epoch down into UTC fields (gmtime). */
export function gmtime(sec: number): CivilTime {
  const days = Math.floor(sec / SECS_PER_DAY);
  const rem = sec - days * SECS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(rem / 3600),
    minute: Math.floor((rem % 3600) / 60),
    second: rem % 60,
    weekday: (((days + 4) % 7) + 7) % 7,
    yearDay: days - daysFromCivil(year, 1, 1),
  };
}

/** Seconds since the epoch of UTC fields (timegm); out-of-range fields are not normalised. */
export function timegm(t: Pick<CivilTime, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>): number {
  return daysFromCivil(t.year, t.month, t.day) * SECS_PER_DAY + t.hour * 3600 + t.minute * 60 + t.second;
}

/** Zero-pads a number to `width` digits. */
export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2023-06-10 12:34:56" (UTC). */
export function isoDateTime(t: CivilTime): string {
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}
