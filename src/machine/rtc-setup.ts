/**
 * The board side of the RTC: where its clock starts (`-rtc base=`) and the CMOS bytes a PC
 * fills in at power-on (memory sizes, CPU count), as QEMU's pc_cmos_init does for SeaBIOS.
 */
import { timegm } from '../core/calendar.js';
import type { RamLayout } from './memory-map.js';

/** `-rtc base=` as an ISO date with an optional time (what QEMU accepts). */
const BASE_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/;

/**
 * Seconds the RTC shows at virtual time 0. `utc` is the wall clock the machine starts at;
 * `localtime` adds the host's UTC offset, which the embedding program measures once at
 * creation (host time zones enter only at that edge, so runs stay repeatable); a date
 * starts the clock at that date, read as UTC like QEMU's mktimegm.
 */
export function rtcStartSec(base: string, epochNs: number, localOffsetSec = 0): number {
  const epochSec = Math.floor(epochNs / 1e9);
  if (base === 'utc') return epochSec;
  if (base === 'localtime') return epochSec + localOffsetSec;
  const m = BASE_DATE.exec(base);
  if (m === null) throw new Error(`invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'`);
  const n = (i: number) => Number(m[i] ?? 0);
  return timegm({ year: n(1), month: n(2), day: n(3), hour: n(4), minute: n(5), second: n(6) });
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** CMOS bytes describing RAM and CPUs (base, extended, above-16M and above-4G memory; CPUs - 1). */
export function boardCmosBytes(layout: RamLayout, cpus: number): [number, number][] {
  const ext = Math.min(Math.max(0, layout.below4g - MiB) / KiB, 0xffff);
  const above16m = Math.min(Math.max(0, layout.below4g - 16 * MiB) / (64 * KiB), 0xffff);
  const above4g = Math.min(layout.above4g / (64 * KiB), 0xff_ffff);
  const bytes: [number, number][] = [
    [0x15, 640 & 0xff], [0x16, 640 >> 8],
    [0x17, ext & 0xff], [0x18, ext >> 8], [0x30, ext & 0xff], [0x31, ext >> 8],
    [0x34, above16m & 0xff], [0x35, above16m >> 8],
    [0x5b, above4g & 0xff], [0x5c, (above4g >> 8) & 0xff], [0x5d, above4g >> 16],
    [0x5f, Math.max(0, cpus - 1)],
  ];
  return bytes.map(([i, v]) => [i, Math.floor(v)]);
}
