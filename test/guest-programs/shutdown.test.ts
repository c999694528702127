import { afterEach, describe, expect, it } from 'vitest';
import { Errno, Syscalls, type SysCall } from '../../src/guest/kernel/index.js';
import {
  LINUX_REBOOT_CMD_HALT,
  LINUX_REBOOT_CMD_POWER_OFF,
  LINUX_REBOOT_CMD_RESTART,
  SCHEDULED_FILE,
  hasReboot,
} from '../../src/guest/programs/index.js';
import { bootDebian, expectNoFaults, readGuest, run } from './helpers.js';

// Stands in for the reboot(2) syscall the kernel is to provide: records the calls.
let calls: { cmd: number; uid: number; time: number }[] = [];

function installFakeReboot(now: () => number): void {
  calls = [];
  Object.defineProperty(Syscalls.prototype, 'reboot', {
    configurable: true,
    value: function* (this: Syscalls, cmd: number): SysCall<void> {
      if (this.geteuid() !== 0) throw new Errno('EPERM');
      calls.push({ cmd, uid: this.geteuid(), time: now() });
    },
  });
}

afterEach(() => {
  Reflect.deleteProperty(Syscalls.prototype, 'reboot');
});

describe('shutdown, reboot, halt, poweroff', () => {
  it('asks the kernel to power off now: shutdown -h -P +0 "msg" (what qemu-ga runs)', () => {
    const b = bootDebian();
    installFakeReboot(() => b.sched.now());
    expect(run(b, ['shutdown', '-h', '-P', '+0', 'hypervisor initiated shutdown'])).toMatchObject({ out: '', err: '', code: 0 });
    expect(calls.map((c) => c.cmd)).toEqual([LINUX_REBOOT_CMD_POWER_OFF]);
    expectNoFaults(b);
  });

  it('maps -H, -P, -r, -h and the command names to reboot(2) commands', () => {
    const b = bootDebian();
    installFakeReboot(() => b.sched.now());
    const cases: [string[], number][] = [
      [['shutdown', '-r', 'now'], LINUX_REBOOT_CMD_RESTART],
      [['shutdown', '-H', 'now'], LINUX_REBOOT_CMD_HALT],
      [['shutdown', '-h', 'now'], LINUX_REBOOT_CMD_POWER_OFF],
      [['shutdown', '-H', '-h', 'now'], LINUX_REBOOT_CMD_HALT],
      [['shutdown', '--reboot', '0'], LINUX_REBOOT_CMD_RESTART],
      [['reboot'], LINUX_REBOOT_CMD_RESTART],
      [['/sbin/poweroff'], LINUX_REBOOT_CMD_POWER_OFF],
      [['halt'], LINUX_REBOOT_CMD_HALT],
      [['halt', '-p'], LINUX_REBOOT_CMD_POWER_OFF],
      [['systemctl', 'reboot'], LINUX_REBOOT_CMD_RESTART],
    ];
    for (const [argv, cmd] of cases) {
      calls = [];
      expect(run(b, argv).code).toBe(0);
      expect(calls.map((c) => c.cmd)).toEqual([cmd]);
    }
  });

  it('schedules a delayed shutdown on the virtual clock, and -c cancels it', () => {
    const b = bootDebian({ realtime: { sec: 1_700_000_000, nsec: 0 } });
    installFakeReboot(() => b.sched.now());
    const p = b.kernel.spawn('shutdown', ['shutdown', '-r', '+2', 'maintenance']);
    b.sched.run();
    expect(p.stderr?.text()).toBe("Reboot scheduled for Tue 2023-11-14 22:15:20 UTC, use 'shutdown -c' to cancel.\n");
    expect(p.exitTime).toBe(0);
    expect(calls).toEqual([{ cmd: LINUX_REBOOT_CMD_RESTART, uid: 0, time: 120_000_000_000 }]);

    calls = [];
    const q = b.kernel.spawn('shutdown', ['shutdown', '-h', '23:00']);
    b.sched.after(1_000_000_000, 'cancel', () => b.kernel.spawn('shutdown', ['shutdown', '-c']));
    b.sched.run();
    expect(q.stderr?.text()).toBe("Shutdown scheduled for Tue 2023-11-14 23:00:00 UTC, use 'shutdown -c' to cancel.\n");
    expect(calls).toEqual([]);
    expect(() => readGuest(b, SCHEDULED_FILE)).toThrow();
  });

  it('fails cleanly for non-root callers, bad times, and kernels without reboot(2)', () => {
    const b = bootDebian();
    expect(hasReboot({} as Syscalls)).toBe(false);
    expect(run(b, ['shutdown', 'now'])).toMatchObject({ err: 'Failed to power off system: Function not implemented\n', code: 1 });
    installFakeReboot(() => b.sched.now());
    expect(run(b, ['shutdown', '-h', 'now'], { uid: 1000, gid: 1000 })).toMatchObject({ err: 'Failed to power off system via logind: Access denied\n', code: 1 });
    expect(run(b, ['shutdown', 'soon'])).toMatchObject({ err: 'Failed to parse time specification: soon\n', code: 1 });
    expect(run(b, ['shutdown', '-k', 'now']).code).toBe(0);
    expect(calls).toEqual([]);
  });
});
