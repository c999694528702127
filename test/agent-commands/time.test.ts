/** guest-get-time / guest-set-time: the clock, settimeofday, and `/sbin/hwclock -w|-s`. */
import { describe, expect, it } from 'vitest';
import { expectNoFaults } from '../guest-programs/helpers.js';
import { TestRtc, errorOf, startAgent } from './helpers.js';

describe('guest-get-time', () => {
  it('returns CLOCK_REALTIME in ns, a multiple of 1000 (microsecond clock)', () => {
    const a = startAgent();
    a.kernel.setRealtime({ sec: 1_700_000_123, nsec: 456_789_012 });
    expect(a.ask('{"execute":"guest-get-time"}')).toBe('{"return": 1700000123456789000}\n');
    expectNoFaults(a);
  });
});

describe('guest-set-time', () => {
  it('with a time: settimeofday, then hwclock -w copies it to the RTC', () => {
    let rtc: TestRtc | undefined;
    const a = startAgent({ setup: (b) => (rtc = new TestRtc(b, 1_600_000_000)) });
    expect(a.ask({ execute: 'guest-set-time', arguments: { time: 1_800_000_000_500_000_000 } })).toBe('{"return": {}}\n');
    // hwclock --systohc waits for the next whole second, then sets the RTC to it.
    expect(rtc!.now()).toBe(1_800_000_001);
    expect(a.kernel.clock.realtime().sec).toBe(1_800_000_001);
    expectNoFaults(a);
  });

  it('without a time: hwclock -s sets the system clock from the RTC', () => {
    const a = startAgent({ setup: (b) => new TestRtc(b, 1_600_000_000) });
    expect(a.call('guest-set-time').return).toEqual({});
    expect(a.kernel.clock.realtime().sec).toBe(1_600_000_000);
  });

  it('hwclock exiting non-zero (no RTC device): "hwclock failed to set hardware clock to system time"', () => {
    const a = startAgent();
    expect(errorOf(a.call('guest-set-time'))).toBe('hwclock failed to set hardware clock to system time');
    // The time was set before hwclock ran.
    expect(errorOf(a.call('guest-set-time', { time: 1_000_000_000_000_000_000 }))).toBe('hwclock failed to set hardware clock to system time');
    expect(a.kernel.clock.realtime().sec).toBe(1_000_000_000);
  });

  it('years outside [1970, 2070): "Invalid time", nothing changed', () => {
    const a = startAgent({ setup: (b) => new TestRtc(b, 1_600_000_000) });
    expect(errorOf(a.call('guest-set-time', { time: -1_000_000_001 }))).toBe('Invalid time');
    expect(errorOf(a.call('guest-set-time', { time: 3_200_000_000_000_000_000 }))).toBe('Invalid time');
    expect(a.kernel.clock.realtime().sec).toBe(1_700_000_000);
    // C division truncates toward zero: -1 ns is 1970-01-01 and accepted.
    expect(a.call('guest-set-time', { time: -1 }).return).toEqual({});
  });

  it('7.2: no executable /sbin/hwclock means QERR_UNSUPPORTED, checked once and remembered', () => {
    const a = startAgent({ setup: (b) => b.kernel.removeNode('/sbin/hwclock') });
    expect(errorOf(a.call('guest-set-time', { time: 1_800_000_000_000_000_000 }))).toBe('this feature or command is not currently supported');
    expect(a.kernel.clock.realtime().sec).toBe(1_700_000_000);
  });

  it('2.5: no access check; the child whose exec failed exits 1', () => {
    const a = startAgent({ profile: '2.5', setup: (b) => b.kernel.removeNode('/sbin/hwclock') });
    expect(errorOf(a.call('guest-set-time', { time: 1_800_000_000_000_000_000 }))).toBe('hwclock failed to set hardware clock to system time');
    expect(a.kernel.clock.realtime().sec).toBe(1_800_000_000);
  });
});
