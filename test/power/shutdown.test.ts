import { describe, expect, it } from 'vitest';
import { LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART } from '../../src/guest/programs/index.js';
import { Errno, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { MS, SEC, advance, bootRig, runIn } from './helpers.js';

const QGA_SHUTDOWN = (flag: string) => ['/sbin/shutdown', '-h', flag, '+0', 'hypervisor initiated shutdown'];

describe('guest power-off, reboot and halt through reboot(2) and the ACPI hardware', () => {
  it("qemu-ga's `shutdown -h -P +0 ...` powers off through S5: SHUTDOWN {guest: true, reason: guest-shutdown}, then the machine exits", async () => {
    const rig = await bootRig();
    runIn(rig, QGA_SHUTDOWN('-P'), { budgetNs: SEC });
    expect(rig.events.map((e) => [e.event, e.data])).toEqual([['SHUTDOWN', { guest: true, reason: 'guest-shutdown' }]]);
    expect(rig.quit.asked).toBe(true);
    expect(rig.m.runState).toBe('shutdown');
    expect(rig.log).toContain('kernel: reboot: Power down');
  });

  it('with -no-shutdown a guest power-off stops the VM instead: SHUTDOWN, STOP, status "shutdown"', async () => {
    const rig = await bootRig((c) => (c.noShutdown = true));
    runIn(rig, ['poweroff'], { budgetNs: SEC });
    expect(rig.names()).toEqual(['SHUTDOWN', 'STOP']);
    expect(rig.quit.asked).toBe(false);
    expect(rig.m.runState).toBe('shutdown');
    expect(() => rig.m.cont()).toThrow('Resetting the Virtual Machine is required');
  });

  it('`shutdown -h -r +0` resets through 0xCF9: RESET {guest: true, reason: guest-reset} and a fresh guest boots', async () => {
    const rig = await bootRig();
    const before = rig.os();
    before.kernel.writeFile('/tmp/marker', 'old kernel');
    runIn(rig, QGA_SHUTDOWN('-r'), { budgetNs: SEC });
    advance(rig, 10 * MS);
    expect(rig.events.map((e) => [e.event, e.data])).toEqual([['RESET', { guest: true, reason: 'guest-reset' }]]);
    expect(rig.m.runState).toBe('running');
    const after = rig.os();
    expect(after).not.toBe(before);
    expect(() => after.kernel.stat('/tmp/marker')).toThrow();
    // The new guest works: it runs programs.
    expect(runIn(rig, ['echo', 'second boot']).out).toBe('second boot\n');
  });

  it('`shutdown -h -H +0` halts: no QMP event, the VM stays running, and the guest runs nothing more', async () => {
    const rig = await bootRig();
    const os = rig.os();
    const ticker = os.kernel.spawn(function* (sys: Syscalls): Program {
      for (;;) {
        yield* sys.sleep(100 * MS);
        os.kernel.writeFile('/tmp/ticks', String(sys.clockGettime(1).sec));
      }
    }, ['ticker']);
    advance(rig, 300 * MS);
    runIn(rig, QGA_SHUTDOWN('-H'), { budgetNs: SEC });
    const ticksAtHalt = new TextDecoder().decode(os.kernel.readFile('/tmp/ticks'));
    const monoAtHalt = os.kernel.clock.monotonicNs();
    advance(rig, 5 * SEC);
    expect(rig.events).toEqual([]);
    expect(rig.m.runState).toBe('running');
    expect(os.power.state).toBe('halted');
    expect(rig.m.vcpus.cpus.map((_, i) => rig.m.vcpus.state(i))).toEqual(rig.m.vcpus.cpus.map(() => 'offline'));
    expect(new TextDecoder().decode(os.kernel.readFile('/tmp/ticks'))).toBe(ticksAtHalt);
    expect(os.kernel.clock.monotonicNs()).toBe(monoAtHalt);
    expect(ticker.status).toBeUndefined();
  });

  it('reboot(2): EPERM for non-root, EINVAL for an unknown command; root gets the action', async () => {
    const rig = await bootRig();
    const os = rig.os();
    const results: string[] = [];
    const tryReboot = (uid: number, cmd: number) =>
      os.kernel.spawn(function* (sys: Syscalls): Program {
        try {
          yield* sys.reboot(cmd);
          results.push(`${uid}:${cmd.toString(16)}:ok`);
        } catch (e) {
          results.push(`${uid}:${cmd.toString(16)}:${e instanceof Errno ? e.code : String(e)}`);
        }
        return 0;
      }, ['rb'], { uid, gid: uid });
    tryReboot(1000, LINUX_REBOOT_CMD_POWER_OFF);
    tryReboot(1000, LINUX_REBOOT_CMD_RESTART);
    tryReboot(0, 0x12345678);
    advance(rig, 10 * MS);
    expect(results).toEqual(['1000:4321fedc:EPERM', '1000:1234567:EPERM', '0:12345678:EINVAL']);
    expect(rig.events).toEqual([]);
    tryReboot(0, LINUX_REBOOT_CMD_HALT);
    advance(rig, 10 * MS);
    expect(os.power.state).toBe('halted');
    expect(results).toHaveLength(3); // halt never returns
  });

  it('reboot(2) syncs every mounted filesystem before powering off', async () => {
    const synced: string[] = [];
    const rig = await bootRig();
    const os = rig.os();
    for (const m of os.kernel.mounts()) {
      const fs = m.fs as { sync?: () => void };
      const orig = fs.sync;
      fs.sync = function (this: unknown) {
        synced.push(m.path);
        orig?.call(this);
      };
    }
    runIn(rig, ['poweroff'], { budgetNs: SEC });
    expect(synced).toContain('/');
    expect(rig.names()).toEqual(['SHUTDOWN']);
  });

  it('system_powerdown presses the ACPI power button: POWERDOWN, the guest runs `shutdown -P now`, SHUTDOWN', async () => {
    const rig = await bootRig();
    rig.m.systemPowerdown();
    advance(rig, SEC);
    expect(rig.events.map((e) => [e.event, e.data ?? null])).toEqual([
      ['POWERDOWN', null],
      ['SHUTDOWN', { guest: true, reason: 'guest-shutdown' }],
    ]);
    expect(rig.log).toContain('kernel: ACPI: button: power button pressed');
    expect(rig.log.some((l) => /^kernel: spawn pid \d+ ppid 1 uid 0 systemctl \/bin\/systemctl \["shutdown","-P","now"\]$/.test(l))).toBe(true);
  });

  it('the argv[0] personalities: reboot resets, halt halts, `shutdown -h now` powers off', async () => {
    const r1 = await bootRig();
    runIn(r1, ['reboot'], { budgetNs: SEC });
    advance(r1, 10 * MS);
    expect(r1.names()).toEqual(['RESET']);
    const r2 = await bootRig();
    runIn(r2, ['halt'], { budgetNs: SEC });
    expect(r2.names()).toEqual([]);
    expect(r2.os().power.state).toBe('halted');
    const r3 = await bootRig();
    runIn(r3, ['shutdown', '-h', 'now'], { budgetNs: SEC });
    expect(r3.names()).toEqual(['SHUTDOWN']);
  });

  it('a delayed `shutdown -r +1` resets after a minute of virtual time, not before', async () => {
    const rig = await bootRig();
    const r = runIn(rig, ['shutdown', '-r', '+1']);
    expect(r.code).toBe(0);
    advance(rig, 59 * SEC);
    expect(rig.names()).toEqual([]);
    advance(rig, 2 * SEC);
    expect(rig.names()).toEqual(['RESET']);
  });

  it('without /sbin/shutdown in the guest the power button still powers off (the kernel does it in order)', async () => {
    const rig = await bootRig(undefined, (os) => os.kernel.removeNode('/sbin/shutdown'));
    rig.m.systemPowerdown();
    advance(rig, SEC);
    expect(rig.names()).toEqual(['POWERDOWN', 'SHUTDOWN']);
  });
});
