import { describe, expect, it } from 'vitest';
import { CLOCK_REALTIME, Errno, O_RDONLY, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { RTC_RD_TIME, RTC_SET_TIME, decodeRtcTime, encodeRtcTime, epochFromRtcTime, rtcTimeFromEpoch } from '../../src/guest/programs/index.js';
import { MS, SEC, advance, bootRig, runIn, type PowerRig } from '../power/helpers.js';

const JAN_1_2020 = 1_577_836_800;
const text = (rig: PowerRig, path: string) => new TextDecoder().decode(rig.os().kernel.readFile(path));

/** Runs a program function in the guest as `uid` and returns what it returned or the errno it hit. */
function guestCall(rig: PowerRig, body: (sys: Syscalls) => Generator<import('../../src/guest/kernel/index.js').Block, string, unknown>, uid = 0): string {
  let result = '';
  rig.os().kernel.spawn(function* (sys: Syscalls): Program {
    try {
      result = yield* body(sys);
    } catch (e) {
      result = e instanceof Errno ? e.code : String(e);
    }
    return 0;
  }, ['call'], { uid, gid: uid });
  advance(rig, 2 * SEC);
  return result;
}

describe('rtc_cmos: the guest RTC driver, hctosys and hwclock against the MC146818', () => {
  it('-rtc base=2020-01-01: the kernel sets its clock from the RTC at boot; rtc0 in /dev and /sys', async () => {
    const rig = await bootRig((c) => (c.rtc = { base: '2020-01-01' }));
    const os = rig.os();
    expect(os.kernel.clock.realtime()).toEqual({ sec: JAN_1_2020, nsec: 500_000_000 + os.kernel.clock.monotonicNs() });
    expect(rig.log).toContain('kernel: rtc_cmos 00:00: setting system clock to 2020-01-01T00:00:00 UTC (1577836800)');
    expect(text(rig, '/sys/class/rtc/rtc0/name')).toBe('rtc_cmos 00:00\n');
    expect(text(rig, '/sys/class/rtc/rtc0/date')).toBe('2020-01-01\n');
    expect(text(rig, '/sys/class/rtc/rtc0/time')).toBe('00:00:00\n');
    expect(text(rig, '/sys/class/rtc/rtc0/since_epoch')).toBe(`${JAN_1_2020}\n`);
    expect(text(rig, '/sys/class/rtc/rtc0/hctosys')).toBe('1\n');
    expect(os.kernel.stat('/dev/rtc', false)).toBeDefined();
    expect(runIn(rig, ['ls', '-l', '/dev/rtc']).out).toMatch(/\/dev\/rtc -> rtc0\n$/);
    const dev = os.kernel.stat('/dev/rtc0');
    expect(text(rig, '/sys/class/rtc/rtc0/dev')).toBe(`${dev.rdev >> 8}:0\n`);
    advance(rig, 90 * SEC);
    expect(text(rig, '/sys/class/rtc/rtc0/time')).toBe('00:01:30\n');
  });

  it('hwclock -r reads the chip through /dev/rtc0 (update-interrupt sync on IRQ 8)', async () => {
    const rig = await bootRig((c) => (c.rtc = { base: '2020-01-01T10:00:00' }));
    advance(rig, 300 * MS);
    const r = runIn(rig, ['hwclock', '-r']);
    expect(r).toMatchObject({ out: '2020-01-01 10:00:01.000000+00:00\n', code: 0 });
    expect(rig.os().rtc?.irqs).toBe(1);
  });

  it('RTC_RD_TIME agrees with the chip; only one opener at a time (EBUSY); RTC_SET_TIME needs root (EACCES)', async () => {
    const rig = await bootRig((c) => (c.rtc = { base: '2020-02-29T23:59:58' }));
    const rd = guestCall(rig, function* (sys) {
      const fd = yield* sys.open('/dev/rtc0', O_RDONLY);
      let second = 'none';
      try {
        yield* sys.open('/dev/rtc0', O_RDONLY);
      } catch (e) {
        second = e instanceof Errno ? e.code : String(e);
      }
      const b = new Uint8Array(36);
      yield* sys.ioctl(fd, RTC_RD_TIME, b);
      sys.close(fd);
      return `${epochFromRtcTime(decodeRtcTime(b))} ${JSON.stringify(decodeRtcTime(b))} ${second}`;
    });
    expect(rd).toBe(`1583020798 {"sec":58,"min":59,"hour":23,"mday":29,"mon":1,"year":120,"wday":6,"yday":59,"isdst":0} EBUSY`);
    rig.os().kernel.chmod('/dev/rtc0', 0o644);
    const set = guestCall(
      rig,
      function* (sys) {
        const fd = yield* sys.open('/dev/rtc0', O_RDONLY);
        try {
          yield* sys.ioctl(fd, RTC_SET_TIME, encodeRtcTime(rtcTimeFromEpoch(0)));
          return 'set';
        } finally {
          sys.close(fd);
        }
      },
      1000,
    );
    expect(set).toBe('EACCES');
  });

  it('settimeofday / clock_settime(CLOCK_REALTIME) need root (EPERM)', async () => {
    const rig = await bootRig();
    const r = guestCall(rig, function* (sys) {
      sys.settimeofday({ sec: 1, nsec: 0 });
      return 'set';
    }, 1000);
    expect(r).toBe('EPERM');
    const root = guestCall(rig, function* (sys) {
      sys.clockSettime(CLOCK_REALTIME, { sec: 2_000_000_000, nsec: 0 });
      return String(sys.clockGettime(CLOCK_REALTIME).sec);
    });
    expect(root).toBe('2000000000');
  });

  it('hwclock -w writes the system time into the chip (RTC_CHANGE); it persists across system_reset and the next boot takes it', async () => {
    const rig = await bootRig((c) => (c.rtc = { base: '2020-01-01' }));
    guestCall(rig, function* (sys) {
      sys.settimeofday({ sec: 1_700_000_000, nsec: 0 });
      return '';
    });
    const w = runIn(rig, ['hwclock', '-w']);
    expect(w.code).toBe(0);
    const change = rig.events.find((e) => e.event === 'RTC_CHANGE');
    expect(change?.data?.offset).toBeGreaterThan(1_700_000_000 - JAN_1_2020 - 10);
    expect(change?.data?.offset).toBeLessThan(1_700_000_000 - JAN_1_2020 + 10);
    const before = rig.os();
    rig.m.systemReset();
    advance(rig, 10 * MS);
    const after = rig.os();
    expect(after).not.toBe(before);
    const sec = after.kernel.clock.realtime().sec;
    expect(sec).toBeGreaterThanOrEqual(1_700_000_000);
    expect(sec).toBeLessThan(1_700_000_010);
    expect(runIn(rig, ['hwclock', '-r']).out).toMatch(/^2023-11-14 22:1\d:\d\d\.\d{6}\+00:00\n$/);
  });

  it('hwclock -s sets the system clock from the chip', async () => {
    const rig = await bootRig((c) => (c.rtc = { base: '2022-06-01T08:00:00' }));
    guestCall(rig, function* (sys) {
      sys.settimeofday({ sec: 5, nsec: 0 });
      return '';
    });
    expect(runIn(rig, ['hwclock', '-s']).code).toBe(0);
    const t = rig.os().kernel.clock.realtime().sec;
    expect(t - Date.UTC(2022, 5, 1, 8) / 1000).toBeGreaterThanOrEqual(2);
    expect(t - Date.UTC(2022, 5, 1, 8) / 1000).toBeLessThan(6);
  });
});
