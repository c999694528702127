/**
 * hwclock(8) from util-linux, against the RTC character device: --show prints the
 * hardware clock, --hctosys sets the system clock from it, --systohc sets it from the
 * system clock. The RTC is kept in UTC, as Debian's /etc/adjtime default says. When the
 * driver offers update interrupts, reads wait for the next tick so the fraction shown
 * (and the time given to the system clock) is exact, like hwclock's clock-tick sync.
 */
import { CLOCK_MONOTONIC, CLOCK_REALTIME, Errno, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { gmtime, isoDateTime } from './lib/calendar.js';
import { getopt } from './lib/getopt.js';
import { RTC_RD_TIME, RTC_SET_TIME, RTC_TIME_SIZE, RTC_UIE_OFF, RTC_UIE_ON, decodeRtcTime, encodeRtcTime, epochFromRtcTime, rtcTimeFromEpoch } from './lib/rtc.js';
import { errText, writeAll } from './stdio.js';

const DEVICES = ['/dev/rtc0', '/dev/rtc', '/dev/misc/rtc'];

class HwclockError extends Error {}

function* fail(sys: Syscalls, msg: string): SysCall<number> {
  yield* writeAll(sys, 2, `hwclock: ${msg}\n`);
  return 1;
}

function* openRtc(sys: Syscalls, explicit: string | undefined, verbose: boolean): SysCall<{ fd: number; path: string } | undefined> {
  for (const path of explicit !== undefined ? [explicit] : DEVICES) {
    try {
      return { fd: yield* sys.open(path, O_RDONLY), path };
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (verbose) yield* writeAll(sys, 2, `hwclock: cannot open ${path}: ${e.message}\n`);
    }
  }
  return undefined;
}

// Waits for the RTC's next update interrupt when the driver has them; returns whether it did.
function* syncToTick(sys: Syscalls, fd: number): SysCall<boolean> {
  try {
    yield* sys.ioctl(fd, RTC_UIE_ON, 0);
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
  try {
    yield* sys.read(fd, 8);
  } finally {
    try {
      yield* sys.ioctl(fd, RTC_UIE_OFF, 0);
    } catch (e) {
      errText(e);
    }
  }
  return true;
}

// The RTC time in seconds since the epoch, and the monotonic time it was valid at.
function* readRtc(sys: Syscalls, fd: number, path: string): SysCall<{ sec: number; atNs: number }> {
  yield* syncToTick(sys, fd);
  const buf = new Uint8Array(RTC_TIME_SIZE);
  try {
    yield* sys.ioctl(fd, RTC_RD_TIME, buf);
  } catch (e) {
    if (e instanceof Errno) throw new HwclockError(`ioctl(RTC_RD_TIME) to ${path} to read the time failed: ${e.message}`);
    throw e;
  }
  const mono = sys.clockGettime(CLOCK_MONOTONIC);
  return { sec: epochFromRtcTime(decodeRtcTime(buf)), atNs: mono.sec * 1e9 + mono.nsec };
}

function elapsedSince(sys: Syscalls, atNs: number): number {
  const m = sys.clockGettime(CLOCK_MONOTONIC);
  return m.sec * 1e9 + m.nsec - atNs;
}

function* writeAdjtime(sys: Syscalls, sec: number): SysCall<void> {
  try {
    const fd = yield* sys.open('/etc/adjtime', O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    try {
      yield* writeAll(sys, fd, `0.000000 ${sec} 0.000000\n${sec}\nUTC\n`);
    } finally {
      sys.close(fd);
    }
  } catch (e) {
    errText(e);
  }
}

/** hwclock [-r|--show] [-s|--hctosys] [-w|--systohc] [-u|--utc] [-f|--rtc DEV] [--test] */
export function* hwclockMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('hwclock', argv.slice(1), {
    short: 'rswulf:vV',
    long: [
      { name: 'show', key: 'r', arg: 'none' },
      { name: 'get', key: 'r', arg: 'none' },
      { name: 'hctosys', key: 's', arg: 'none' },
      { name: 'systohc', key: 'w', arg: 'none' },
      { name: 'systz', key: 'z', arg: 'none' },
      { name: 'utc', key: 'u', arg: 'none' },
      { name: 'localtime', key: 'l', arg: 'none' },
      { name: 'rtc', key: 'f', arg: 'required' },
      { name: 'test', key: 't', arg: 'none' },
      { name: 'verbose', key: 'v', arg: 'none' },
      { name: 'noadjfile', key: 'n', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* writeAll(sys, 2, `${p.message}\nTry 'hwclock --help' for more information.\n`);
    return 1;
  }
  const has = (k: string): boolean => p.opts.some((o) => o.key === k);
  const functions = ['r', 's', 'w', 'z'].filter(has);
  if (functions.length > 1) return yield* fail(sys, 'mutually exclusive arguments: --adjust --show --hctosys --systohc --get --predict --set --systz');
  if (p.operands.length > 0) {
    yield* writeAll(sys, 2, `hwclock: ${p.operands.length} too many arguments given\nTry 'hwclock --help' for more information.\n`);
    return 1;
  }
  const fn = functions[0] ?? 'r';
  if (fn === 'z') return 0;
  const dev = yield* openRtc(sys, p.opts.find((o) => o.key === 'f')?.value, has('v'));
  if (dev === undefined) {
    yield* writeAll(sys, 2, 'hwclock: Cannot access the Hardware Clock via any known method.\n');
    if (!has('v')) yield* writeAll(sys, 2, 'hwclock: Use the --verbose option to see the details of our search for an access method.\n');
    return 1;
  }
  try {
    if (fn === 'r') {
      const r = yield* readRtc(sys, dev.fd, dev.path);
      const ns = elapsedSince(sys, r.atNs);
      const sec = r.sec + Math.floor(ns / 1e9);
      const usec = Math.floor((ns % 1e9) / 1000);
      yield* writeAll(sys, 1, `${isoDateTime(gmtime(sec))}.${String(usec).padStart(6, '0')}+00:00\n`);
      return 0;
    }
    if (fn === 's') {
      const r = yield* readRtc(sys, dev.fd, dev.path);
      const ns = elapsedSince(sys, r.atNs);
      if (has('t')) return 0;
      try {
        sys.clockSettime(CLOCK_REALTIME, { sec: r.sec + Math.floor(ns / 1e9), nsec: ns % 1e9 });
      } catch (e) {
        if (e instanceof Errno) return yield* fail(sys, `settimeofday() failed: ${e.message}`);
        throw e;
      }
      return 0;
    }
    // --systohc: wait for the system clock's next whole second, then set the RTC to it.
    const now = sys.clockGettime(CLOCK_REALTIME);
    if (now.nsec !== 0) yield* sys.sleep(1e9 - now.nsec);
    const sec = now.nsec === 0 ? now.sec : now.sec + 1;
    if (has('t')) return 0;
    try {
      yield* sys.ioctl(dev.fd, RTC_SET_TIME, encodeRtcTime(rtcTimeFromEpoch(sec)));
    } catch (e) {
      if (e instanceof Errno) return yield* fail(sys, `ioctl(RTC_SET_TIME) to ${dev.path} to set the time failed: ${e.message}`);
      throw e;
    }
    if (!has('n')) yield* writeAdjtime(sys, sec);
    return 0;
  } catch (e) {
    if (e instanceof HwclockError) return yield* fail(sys, e.message);
    throw e;
  } finally {
    sys.close(dev.fd);
  }
}
