import { describe, expect, it } from 'vitest';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, O_RDWR, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { MS, SEC, advance, bootRig, pump, runIn, type PowerRig } from './helpers.js';

const text = (rig: PowerRig, path: string) => new TextDecoder().decode(rig.os().kernel.readFile(path));

describe('suspend to RAM (ACPI S3) and system_wakeup', () => {
  it('echo mem > /sys/power/state: SUSPEND, status suspended; system_wakeup: WAKEUP, a sleeping process carries on, the wall clock jumped', async () => {
    const rig = await bootRig((c) => (c.rtc = { base: '2020-01-01T00:00:00' }));
    const os = rig.os();
    const marks: string[] = [];
    os.kernel.spawn(function* (sys: Syscalls): Program {
      const t0 = sys.clockGettime(CLOCK_MONOTONIC);
      yield* sys.sleep(2 * SEC);
      const t1 = sys.clockGettime(CLOCK_MONOTONIC);
      marks.push(`slept ${t1.sec - t0.sec}s monotonic, realtime ${sys.clockGettime(CLOCK_REALTIME).sec}`);
      return 0;
    }, ['sleeper']);
    advance(rig, SEC);
    const writer = os.kernel.spawn('/bin/sh', ['sh', '-c', 'echo mem > /sys/power/state; echo back $?'], { stdin: 'null' });
    advance(rig, 10 * MS);
    expect(rig.names()).toEqual(['SUSPEND']);
    expect(rig.m.runState).toBe('suspended');
    expect(rig.m.isRunning()).toBe(false);
    expect(os.power.state).toBe('suspended');
    // A minute passes on the machine's clock while the guest sleeps; nothing in it runs.
    advance(rig, 60 * SEC);
    expect(marks).toEqual([]);
    expect(writer.status).toBeUndefined();

    rig.m.systemWakeup();
    expect(rig.m.runState).toBe('running');
    advance(rig, 5 * SEC);
    expect(rig.names()).toEqual(['SUSPEND', 'WAKEUP']);
    expect(rig.os()).toBe(os); // the same kernel continued: no new boot
    expect(writer.stdout?.text()).toBe('back 0\n');
    // The sleeper had one second left; the wall clock moved on by the minute the RTC counted.
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatch(/^slept 2s monotonic, realtime 15778368(6[2-4])$/);
    expect(rig.log).toContain('kernel: ACPI: PM: Waking up from system sleep state S3');
    expect(rig.log).toContain('kernel: PM: Timekeeping suspended for 60 seconds');
  });

  it('devices come back: the virtio port carries data to the host before and after the suspend', async () => {
    const rig = await bootRig();
    const os = rig.os();
    // A guest service answering each line on the agent port, open across the suspend.
    os.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/virtio-ports/org.qemu.guest_agent.0', O_RDWR);
      for (;;) {
        const b = yield* sys.read(fd, 256);
        if (b.length === 0) {
          yield* sys.sleep(10 * MS);
          continue;
        }
        yield* sys.write(fd, new TextEncoder().encode(new TextDecoder().decode(b).toUpperCase()));
      }
    }, ['upcase']);
    advance(rig, 10 * MS);
    rig.agent.connect();
    rig.agent.write('before\n');
    expect(await pump(rig, rig.agent.readLine())).toBe('BEFORE');
    runIn(rig, ['sh', '-c', 'echo mem > /sys/power/state'], { budgetNs: 10 * MS });
    expect(rig.m.runState).toBe('suspended');
    rig.m.systemWakeup();
    advance(rig, SEC);
    expect(rig.log.some((l) => l.includes('re-initialised after reset (system resume)'))).toBe(true);
    rig.agent.write('after\n');
    expect(await pump(rig, rig.agent.readLine())).toBe('AFTER');
  });

  it('system_wakeup refuses when the guest is not suspended, and when S3 is disabled', async () => {
    const rig = await bootRig();
    expect(() => rig.m.systemWakeup()).toThrow('Unable to wake up: guest is not in suspended state');
    const off = await bootRig((c) => c.globals.push({ driver: 'PIIX4_PM', prop: 'disable_s3', value: '1' }));
    expect(() => off.m.systemWakeup()).toThrow('wake-up from suspend is not supported by this guest');
  });

  it('without S3, mem means suspend-to-idle: no SUSPEND event, the VM stays running, the power button wakes the guest', async () => {
    const rig = await bootRig((c) => c.globals.push({ driver: 'PIIX4_PM', prop: 'disable_s3', value: '1' }));
    expect(text(rig, '/sys/power/mem_sleep')).toBe('[s2idle]\n');
    const writer = rig.os().kernel.spawn('/bin/sh', ['sh', '-c', 'echo mem > /sys/power/state; echo back'], { stdin: 'null' });
    advance(rig, 10 * MS);
    expect(rig.os().power.state).toBe('s2idle');
    expect(rig.m.runState).toBe('running');
    advance(rig, 30 * SEC);
    expect(writer.status).toBeUndefined();
    rig.m.systemPowerdown();
    advance(rig, SEC);
    expect(writer.stdout?.text()).toBe('back\n');
    // The press was a wake-up, not a request to power off.
    expect(rig.names()).toEqual(['POWERDOWN']);
    expect(rig.os().power.state).toBe('running');
  });

  it('is deterministic: the same suspend/wake-up cycle twice gives the same trace', async () => {
    const digests: string[] = [];
    for (let i = 0; i < 2; i++) {
      const rig = await bootRig((c) => (c.rtc = { base: '2020-01-01' }));
      runIn(rig, ['sh', '-c', 'echo mem > /sys/power/state; echo done'], { budgetNs: 10 * MS });
      advance(rig, 30 * SEC);
      rig.m.systemWakeup();
      advance(rig, SEC);
      digests.push(rig.m.trace.digest());
    }
    expect(digests[0]).toBe(digests[1]);
  });

  it('a system_reset while suspended resumes the guest through firmware (CMOS says "S3 resume"), as on QEMU', async () => {
    const rig = await bootRig();
    const os = rig.os();
    runIn(rig, ['sh', '-c', 'echo mem > /sys/power/state'], { budgetNs: 10 * MS });
    rig.m.systemReset();
    expect(rig.m.runState).toBe('prelaunch');
    rig.m.cont();
    advance(rig, SEC);
    expect(rig.os()).toBe(os);
    expect(os.power.state).toBe('running');
  });
});
