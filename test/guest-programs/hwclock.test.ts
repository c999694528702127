import { describe, expect, it } from 'vitest';
import { Errno, WaitQueue, WouldBlock, type IoctlArg } from '../../src/guest/kernel/index.js';
import { RTC_RD_TIME, RTC_SET_TIME, RTC_UIE_OFF, RTC_UIE_ON, decodeRtcTime, encodeRtcTime, epochFromRtcTime, isValidRtcTime, rtcTimeFromEpoch } from '../../src/guest/programs/index.js';
import { bootDebian, expectNoFaults, readGuest, run, type Booted } from './helpers.js';

const RTC_MAJOR = 252;

/**
 * A fake MC146818-like RTC behind /dev/rtc0: whole seconds that tick with virtual time,
 * RTC_RD_TIME / RTC_SET_TIME, and (optionally) update interrupts read() waits for.
 */
class FakeRtc {
  /** RTC seconds at virtual time `since`. */
  private base: number;
  private since = 0;
  private uie = false;
  private irqPending = false;
  private readonly wq = new WaitQueue('rtc0');
  readonly calls: string[] = [];

  constructor(
    private readonly b: Booted,
    epoch: number,
    private readonly withUie: boolean,
  ) {
    this.base = epoch;
    b.kernel.registerCharDevice(RTC_MAJOR, 0, {
      read: () => {
        if (!this.irqPending) throw new WouldBlock(this.wq);
        this.irqPending = false;
        return Uint8Array.of(0x90, 1, 0, 0, 0, 0, 0, 0);
      },
      ioctl: (_f, req: number, arg: IoctlArg) => this.ioctl(req, arg),
    }, 'rtc');
    b.kernel.createDeviceNode('/dev/rtc0', RTC_MAJOR, 0, { mode: 0o600 });
  }

  /** Current RTC reading in seconds since the epoch. */
  now(): number {
    return this.base + Math.floor((this.b.sched.now() - this.since) / 1e9);
  }

  private ioctl(req: number, arg: IoctlArg): number {
    this.calls.push(req.toString(16));
    if (req === RTC_UIE_ON || req === RTC_UIE_OFF) {
      if (!this.withUie) throw new Errno('ENOTTY');
      this.uie = req === RTC_UIE_ON;
      if (this.uie) {
        // The update interrupt comes at the RTC's next second boundary.
        const phase = (this.b.sched.now() - this.since) % 1e9;
        this.b.sched.after(1e9 - phase, 'rtc uie', () => {
          if (!this.uie) return;
          this.irqPending = true;
          this.wq.wakeAll();
        });
      }
      return 0;
    }
    if (!(arg instanceof Uint8Array)) throw new Errno('EFAULT');
    if (req === RTC_RD_TIME) {
      encodeRtcTime(rtcTimeFromEpoch(this.now()), arg);
      return 0;
    }
    if (req === RTC_SET_TIME) {
      const t = decodeRtcTime(arg);
      if (!isValidRtcTime(t)) throw new Errno('EINVAL');
      this.base = epochFromRtcTime(t);
      this.since = this.b.sched.now();
      return 0;
    }
    throw new Errno('ENOTTY');
  }
}

describe('hwclock', () => {
  it('shows the RTC time in ISO format (--show, -r, default)', () => {
    const b = bootDebian();
    new FakeRtc(b, 1_600_000_000, false);
    b.sched.after(300_000_000, 'later', () => undefined);
    b.sched.run();
    expect(run(b, ['hwclock', '-r'])).toMatchObject({ out: '2020-09-13 12:26:40.000000+00:00\n', code: 0 });
    expect(run(b, ['hwclock', '--show', '--utc']).out).toBe('2020-09-13 12:26:40.000000+00:00\n');
    expect(run(b, ['hwclock']).out).toBe('2020-09-13 12:26:40.000000+00:00\n');
    expectNoFaults(b);
  });

  it('waits for the update interrupt when the driver has one, like the clock-tick sync', () => {
    const b = bootDebian();
    const rtc = new FakeRtc(b, 1_600_000_000, true);
    b.sched.after(300_000_000, 'later', () => undefined);
    b.sched.run();
    const p = b.kernel.spawn('hwclock', ['hwclock', '--show']);
    b.sched.run();
    expect(p.stdout?.text()).toBe('2020-09-13 12:26:41.000000+00:00\n');
    expect(p.exitTime).toBe(1_000_000_000);
    expect(rtc.calls).toEqual(['7003', '7004', '80247009']);
  });

  it('--hctosys sets the system clock from the RTC; --systohc sets the RTC on the next second', () => {
    const b = bootDebian({ realtime: { sec: 1_700_000_000, nsec: 250_000_000 } });
    const rtc = new FakeRtc(b, 1_600_000_000, false);
    expect(run(b, ['hwclock', '--systohc']).code).toBe(0);
    expect(b.sched.now()).toBe(750_000_000);
    expect(rtc.now()).toBe(1_700_000_001);
    expect(readGuest(b, '/etc/adjtime')).toBe('0.000000 1700000001 0.000000\n1700000001\nUTC\n');
    b.kernel.setRealtime({ sec: 5, nsec: 0 });
    expect(run(b, ['hwclock', '-s']).code).toBe(0);
    expect(b.kernel.clock.realtime()).toEqual({ sec: 1_700_000_001, nsec: 0 });
    expect(run(b, ['hwclock', '-w', '--test']).code).toBe(0);
    expectNoFaults(b);
  });

  it('fails like util-linux without access to an RTC', () => {
    const b = bootDebian();
    const cannot = 'hwclock: Cannot access the Hardware Clock via any known method.\n';
    const verbose = 'hwclock: Use the --verbose option to see the details of our search for an access method.\n';
    expect(run(b, ['hwclock', '-r'])).toMatchObject({ err: cannot + verbose, code: 1 });
    new FakeRtc(b, 1_600_000_000, false);
    expect(run(b, ['hwclock', '-r'], { uid: 1000, gid: 1000 })).toMatchObject({ err: cannot + verbose, code: 1 });
    expect(run(b, ['hwclock', '-r', '-f', '/dev/rtc9'])).toMatchObject({ err: cannot + verbose, code: 1 });
    expect(run(b, ['hwclock', '-r', '-f', '/dev/rtc9', '--verbose'])).toMatchObject({ err: 'hwclock: cannot open /dev/rtc9: No such file or directory\n' + cannot, code: 1 });
    expect(run(b, ['hwclock', '-r', '-w'])).toMatchObject({ err: 'hwclock: mutually exclusive arguments: --adjust --show --hctosys --systohc --get --predict --set --systz\n', code: 1 });
    expect(run(b, ['hwclock', 'extra'])).toMatchObject({ err: "hwclock: 1 too many arguments given\nTry 'hwclock --help' for more information.\n", code: 1 });
    expect(run(b, ['hwclock', '--frob'])).toMatchObject({ err: "hwclock: unrecognized option '--frob'\nTry 'hwclock --help' for more information.\n", code: 1 });
    b.kernel.chmod('/dev/rtc0', 0o644);
    expect(run(b, ['hwclock', '-s'], { uid: 1000, gid: 1000 })).toMatchObject({ err: 'hwclock: settimeofday() failed: Operation not permitted\n', code: 1 });
  });

  it('encodes struct rtc_time as nine little-endian ints', () => {
    const t = rtcTimeFromEpoch(1_600_000_000);
    expect(t).toEqual({ sec: 40, min: 26, hour: 12, mday: 13, mon: 8, year: 120, wday: 0, yday: 256, isdst: 0 });
    const buf = encodeRtcTime(t);
    expect([...buf.subarray(0, 8)]).toEqual([40, 0, 0, 0, 26, 0, 0, 0]);
    expect(decodeRtcTime(buf)).toEqual(t);
    expect(epochFromRtcTime(t)).toBe(1_600_000_000);
    expect(isValidRtcTime({ ...t, mday: 31 })).toBe(false);
  });
});
