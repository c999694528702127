/**
 * The RTC in /sys as Linux shows rtc_cmos on a QEMU PC: the PNP device 00:00 (PNP0b00) under
 * /sys/devices/pnp0, its rtc0 class device with name, date, time, since_epoch, hctosys and
 * friends, and the /sys/class/rtc and /sys/dev/char links.
 */
import { gmtime, pad } from '../../../core/calendar.js';
import { RTC_PNP_ID } from '../../../abi/rtc.js';
import type { Sysfs } from '../../kernel/index.js';

/** Linux's name of the PNP device (the first ACPI PNP device QEMU's DSDT lists is the RTC). */
export const RTC_PNP_DEVICE = '00:00';
/** The PNP device's directory. */
export const RTC_PNP_SYSFS = `/devices/pnp0/${RTC_PNP_DEVICE}`;
/** The class device's directory. */
export const RTC0_SYSFS = `${RTC_PNP_SYSFS}/rtc/rtc0`;
/** What rtc0's max_user_freq reads (Linux's default). */
export const RTC_MAX_USER_FREQ = 64;

/** What the attributes read from. */
export interface RtcSysfsSource {
  /** Current time in seconds since the epoch, read from the chip. */
  now(): number;
  /** Character device number. */
  major: number;
  /** Whether this RTC set the system clock at boot. */
  hctosys: boolean;
}

/** Builds the sysfs entries for rtc0. */
export function addRtcSysfs(sysfs: Sysfs, src: RtcSysfsSource): void {
  sysfs.value(`${RTC_PNP_SYSFS}/id`, () => RTC_PNP_ID);
  const d = RTC0_SYSFS;
  sysfs.value(`${d}/name`, () => `rtc_cmos ${RTC_PNP_DEVICE}`);
  sysfs.value(`${d}/date`, () => {
    const t = gmtime(src.now());
    return `${t.year}-${pad(t.month)}-${pad(t.day)}`;
  });
  sysfs.value(`${d}/time`, () => {
    const t = gmtime(src.now());
    return `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
  });
  sysfs.value(`${d}/since_epoch`, () => src.now());
  sysfs.value(`${d}/max_user_freq`, () => RTC_MAX_USER_FREQ);
  sysfs.value(`${d}/hctosys`, () => (src.hctosys ? 1 : 0));
  sysfs.value(`${d}/dev`, () => `${src.major}:0`);
  sysfs.value(`${d}/uevent`, () => `MAJOR=${src.major}\nMINOR=0\nDEVNAME=rtc0`);
  sysfs.link(`${d}/device`, RTC_PNP_SYSFS);
  sysfs.link(`${d}/subsystem`, '/class/rtc');
  sysfs.link('/class/rtc/rtc0', d);
  sysfs.link(`/dev/char/${src.major}:0`, d);
}
