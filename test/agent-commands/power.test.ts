/** guest-shutdown and guest-suspend-*: helper programs, /sys/power/state, no reply on success. */
import { describe, expect, it } from 'vitest';
import { Errno, type ErrnoCode } from '../../src/guest/kernel/index.js';
import { setKernelPowerOps, type RebootAction } from '../../src/guest/kernel/reboot.js';
import type { Booted } from '../guest-programs/helpers.js';
import { expectNoFaults, readGuest } from '../guest-programs/helpers.js';
import { errorOf, startAgent } from './helpers.js';

/** Records what reboot(2) asked the platform for; the caller then parks, as on a real CPU. */
function powerOps(k: Booted, log: RebootAction[]): void {
  setKernelPowerOps(k.kernel, {
    canPowerOff: () => true,
    *perform(action) {
      log.push(action);
    },
  });
}

describe('guest-shutdown', () => {
  it('runs /sbin/shutdown -h -P|-H|-r +0 and sends no reply when it works', () => {
    for (const [mode, action] of [[undefined, 'power-off'], ['powerdown', 'power-off'], ['halt', 'halt'], ['reboot', 'restart']] as const) {
      const log: RebootAction[] = [];
      const a = startAgent({ setup: (k) => powerOps(k, log) });
      expect(a.ask({ execute: 'guest-shutdown', ...(mode === undefined ? {} : { arguments: { mode } }) })).toBe('');
      expect(log).toEqual([action]);
      expectNoFaults(a);
    }
  });

  it('passes exactly qemu-ga\'s argv', () => {
    const a = startAgent({ setup: (k) => k.kernel.writeFile('/sbin/shutdown', '#!/bin/sh\necho "$0|$*" > /tmp/argv\n', 0o755) });
    expect(a.ask({ execute: 'guest-shutdown', arguments: { mode: 'halt' } })).toBe('');
    expect(readGuest(a, '/tmp/argv')).toBe('/sbin/shutdown|-h -H +0 hypervisor initiated shutdown\n');
  });

  it('errors: bad mode (qemu-ga\'s unbalanced parenthesis), failing or killed shutdown', () => {
    const a = startAgent();
    expect(errorOf(a.call('guest-shutdown', { mode: 'off' }))).toBe('mode is invalid (valid values are: halt|powerdown|reboot');
    const b = startAgent({ setup: (k) => k.kernel.writeFile('/sbin/shutdown', '#!/bin/sh\nexit 1\n', 0o755) });
    expect(errorOf(b.call('guest-shutdown'))).toBe('child process has failed to shutdown');
    const c = startAgent({ setup: (k) => k.kernel.writeFile('/sbin/shutdown', '#!/bin/sh\nkill -9 $$\n', 0o755) });
    expect(errorOf(c.call('guest-shutdown'))).toBe('child process has terminated abnormally');
    const d = startAgent({ setup: (k) => k.kernel.removeNode('/sbin/shutdown') });
    expect(errorOf(d.call('guest-shutdown'))).toBe('child process has failed to shutdown');
  });
});

/** /sys/power/state offering `offer`; writes go to `log` (or fail with `refuse`). */
function powerState(k: Booted, offer: string, log: string[], refuse?: ErrnoCode): void {
  k.kernel.sysfs.attr('/power/state', {
    mode: 0o644,
    show: () => `${offer}\n`,
    store: (d) => {
      if (refuse !== undefined) throw new Errno(refuse);
      log.push(d);
    },
  });
}

const noSystemctl = (k: Booted): void => k.kernel.removeNode('/bin/systemctl');
const NOT_SUPPORTED = 'the requested suspend mode is not supported by the guest';

describe('guest-suspend-* (7.2: systemd, then pm-utils, then /sys/power/state)', () => {
  it('without systemd or pm-utils: writes "mem"/"disk" to /sys/power/state from a child, no reply', () => {
    const log: string[] = [];
    const a = startAgent({ setup: (k) => (noSystemctl(k), powerState(k, 'freeze mem disk', log)) });
    expect(a.ask('{"execute":"guest-suspend-ram"}')).toBe('');
    expect(a.ask('{"execute":"guest-suspend-disk"}')).toBe('');
    expect(log).toEqual(['mem', 'disk']);
    expect(errorOf(a.call('guest-suspend-hybrid'))).toBe(NOT_SUPPORTED);
    expectNoFaults(a);
  });

  it('a mode the state file does not offer is not supported; a refused write is "child process has failed to suspend"', () => {
    const a = startAgent({ setup: (k) => (noSystemctl(k), powerState(k, 'freeze mem', [])) });
    expect(errorOf(a.call('guest-suspend-disk'))).toBe(NOT_SUPPORTED);
    const b = startAgent({ setup: (k) => (noSystemctl(k), powerState(k, 'mem', [], 'EBUSY')) });
    expect(errorOf(b.call('guest-suspend-ram'))).toBe('child process has failed to suspend');
    const c = startAgent({ setup: noSystemctl });
    expect(errorOf(c.call('guest-suspend-ram'))).toBe(NOT_SUPPORTED);
  });

  it('systemd first: `systemctl status <unit>` exiting 1..3 means supported, then `systemctl suspend`', () => {
    const log: string[] = [];
    const a = startAgent({
      setup: (k) => {
        k.kernel.writeFile('/usr/local/sbin/systemctl', '#!/bin/sh\necho "$*" >> /tmp/sd.log\ncase "$1" in status) exit 3;; suspend) exit 0;; *) exit 1;; esac\n', 0o755);
        powerState(k, 'mem disk', log);
      },
    });
    expect(a.ask('{"execute":"guest-suspend-ram"}')).toBe('');
    expect(readGuest(a, '/tmp/sd.log')).toBe('status systemd-suspend\nsuspend\n');
    expect(log).toEqual([]);
    // hibernate fails under systemd: 7.2.4+ falls through to the next method.
    expect(a.ask('{"execute":"guest-suspend-disk"}')).toBe('');
    expect(readGuest(a, '/tmp/sd.log')).toBe('status systemd-suspend\nsuspend\nstatus systemd-hibernate\nhibernate\n');
    expect(log).toEqual(['disk']);
  });

  it('pm-utils second: pm-is-supported --suspend-hybrid, then pm-suspend-hybrid', () => {
    const a = startAgent({
      setup: (k) => {
        noSystemctl(k);
        k.kernel.writeFile('/usr/sbin/pm-is-supported', '#!/bin/sh\necho "is $*" >> /tmp/pm.log\n[ "$1" = --suspend-hybrid ]\n', 0o755);
        k.kernel.writeFile('/usr/sbin/pm-suspend-hybrid', '#!/bin/sh\necho hybrid >> /tmp/pm.log\n', 0o755);
      },
    });
    expect(a.ask('{"execute":"guest-suspend-hybrid"}')).toBe('');
    expect(readGuest(a, '/tmp/pm.log')).toBe('is --suspend-hybrid\nhybrid\n');
    expect(errorOf(a.call('guest-suspend-ram'))).toBe(NOT_SUPPORTED);
  });
});

describe('guest-suspend-* (2.5: pm-is-supported or the state file, in a child)', () => {
  it('falls back to /sys/power/state; hybrid needs pm-utils', () => {
    const log: string[] = [];
    const a = startAgent({ profile: '2.5', setup: (k) => powerState(k, 'freeze mem', log) });
    expect(a.ask('{"execute":"guest-suspend-ram"}')).toBe('');
    expect(log).toEqual(['mem']);
    expect(errorOf(a.call('guest-suspend-disk'))).toBe(NOT_SUPPORTED);
    expect(errorOf(a.call('guest-suspend-hybrid'))).toBe(NOT_SUPPORTED);
  });

  it('an odd pm-is-supported exit status is reported with the helper\'s path', () => {
    const a = startAgent({ profile: '2.5', setup: (k) => k.kernel.writeFile('/usr/sbin/pm-is-supported', '#!/bin/sh\nexit 5\n', 0o755) });
    expect(errorOf(a.call('guest-suspend-ram'))).toBe("the helper program '/usr/sbin/pm-is-supported' returned an unexpected exit status code (5)");
  });
});
