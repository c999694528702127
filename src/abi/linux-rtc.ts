/**
 * Linux's RTC character-device ABI (/dev/rtc0, include/uapi/linux/rtc.h): the ioctl numbers
 * and struct rtc_time as the 36 bytes an x86_64 program passes (nine little-endian ints),
 * plus what read() returns. hwclock uses it; the guest's rtc-cmos driver decodes and fills
 * the same buffers.
 */
import { gmtime, timegm } from '../core/calendar.js';

/** _IO('p', 0x01): enable alarm interrupts. */
export const RTC_AIE_ON = 0x7001;
/** _IO('p', 0x02): disable alarm interrupts. */
export const RTC_AIE_OFF = 0x7002;
/** _IO('p', 0x03): enable update-ended interrupts (read() then returns once a second). */
export const RTC_UIE_ON = 0x7003;
/** _IO('p', 0x04): disable update-ended interrupts. */
export const RTC_UIE_OFF = 0x7004;
/** _IOW('p', 0x07, struct rtc_time): set the (daily) alarm time. */
export const RTC_ALM_SET = 0x40247007;
/** _IOR('p', 0x08, struct rtc_time): read the alarm time. */
export const RTC_ALM_READ = 0x80247008;
/** _IOR('p', 0x09, struct rtc_time): read the time. */
export const RTC_RD_TIME = 0x80247009;
/** _IOW('p', 0x0a, struct rtc_time): set the time. */
export const RTC_SET_TIME = 0x4024700a;
/** sizeof(struct rtc_time). */
export const RTC_TIME_SIZE = 36;
/** Bytes read() returns: an unsigned long, event flags in the low byte, count above. */
export const RTC_READ_SIZE = 8;
/** read() flag: some interrupt. */
export const RTC_IRQF = 0x80;
/** read() flag: periodic interrupt. */
export const RTC_PF = 0x40;
/** read() flag: alarm interrupt. */
export const RTC_AF = 0x20;
/** read() flag: update interrupt. */
export const RTC_UF = 0x10;

/** struct rtc_time (tm_* fields; month 0-11, year since 1900). */
export interface RtcTime {
  /** Seconds 0-59. */
  sec: number;
  /** Minutes 0-59. */
  min: number;
  /** Hours 0-23. */
  hour: number;
  /** Day of month 1-31. */
  mday: number;
  /** Month 0-11. */
  mon: number;
  /** Years since 1900. */
  year: number;
  /** Day of week 0-6 (Sunday 0). */
  wday: number;
  /** Day of year 0-365. */
  yday: number;
  /** DST flag (always 0 here). */
  isdst: number;
}

const FIELDS: readonly (keyof RtcTime)[] = ['sec', 'min', 'hour', 'mday', 'mon', 'year', 'wday', 'yday', 'isdst'];

/** Encodes a struct rtc_time into the 36-byte ioctl buffer. */
export function encodeRtcTime(t: RtcTime, out: Uint8Array = new Uint8Array(RTC_TIME_SIZE)): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  FIELDS.forEach((f, i) => dv.setInt32(i * 4, t[f], true));
  return out;
}

/** Decodes the 36-byte ioctl buffer. */
export function decodeRtcTime(b: Uint8Array): RtcTime {
  if (b.length < RTC_TIME_SIZE) throw new RangeError('struct rtc_time needs 36 bytes');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = { sec: 0, min: 0, hour: 0, mday: 0, mon: 0, year: 0, wday: 0, yday: 0, isdst: 0 };
  FIELDS.forEach((f, i) => (t[f] = dv.getInt32(i * 4, true)));
  return t;
}

/** The rtc_time for seconds since the epoch (UTC). */
export function rtcTimeFromEpoch(sec: number): RtcTime {
  const c = gmtime(sec);
  return { sec: c.second, min: c.minute, hour: c.hour, mday: c.day, mon: c.month - 1, year: c.year - 1900, wday: c.weekday, yday: c.yearDay, isdst: 0 };
}

/** Seconds since the epoch of an rtc_time read as UTC. */
export function epochFromRtcTime(t: RtcTime): number {
  return timegm({ year: t.year + 1900, month: t.mon + 1, day: t.mday, hour: t.hour, minute: t.min, second: t.sec });
}

/** True when the fields form a real date and time (what the kernel's rtc_valid_tm checks). */
export function isValidRtcTime(t: RtcTime): boolean {
  const back = rtcTimeFromEpoch(epochFromRtcTime(t));
  return t.year >= 70 && back.sec === t.sec && back.min === t.min && back.hour === t.hour && back.mday === t.mday && back.mon === t.mon && back.year === t.year;
}
