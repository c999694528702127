import { describe, expect, it } from 'vitest';
import type { MachineConfig } from '../../src/machine/config.js';
import { Errno, O_WRONLY, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { MS, advance, bootRig, runIn, type PowerRig } from './helpers.js';

const text = (rig: PowerRig, path: string) => new TextDecoder().decode(rig.os().kernel.readFile(path));

/** open + write(2) of `data` as `uid`: 'ok' or the errno. */
function writeAttr(rig: PowerRig, path: string, data: string, uid = 0): string {
  let result = 'pending';
  rig.os().kernel.spawn(function* (sys: Syscalls): Program {
    try {
      const fd = yield* sys.open(path, O_WRONLY);
      yield* sys.write(fd, new TextEncoder().encode(data));
      sys.close(fd);
      result = 'ok';
    } catch (e) {
      result = e instanceof Errno ? e.code : String(e);
    }
    return 0;
  }, ['w'], { uid, gid: uid });
  advance(rig, 10 * MS);
  return result;
}
const pm = (prop: string) => (c: MachineConfig) => c.globals.push({ driver: 'PIIX4_PM', prop, value: '1' });

describe('/sys/power as Linux 6.1 shows it, from the firmware\'s sleep states', () => {
  it('default machine (S3 and S4 offered): state "freeze mem disk", mem_sleep deep, disk platform', async () => {
    const rig = await bootRig();
    expect(text(rig, '/sys/power/state')).toBe('freeze mem disk\n');
    expect(text(rig, '/sys/power/mem_sleep')).toBe('s2idle [deep]\n');
    expect(text(rig, '/sys/power/disk')).toBe('[platform] shutdown reboot suspend test_resume \n');
  });

  it('-global PIIX4_PM.disable_s3=1: "mem" stays in state (Linux always lists it) but means s2idle', async () => {
    const rig = await bootRig(pm('disable_s3'));
    expect(text(rig, '/sys/power/state')).toBe('freeze mem disk\n');
    expect(text(rig, '/sys/power/mem_sleep')).toBe('[s2idle]\n');
    expect(text(rig, '/sys/power/disk')).toBe('[platform] shutdown reboot suspend test_resume \n');
  });

  it('-global PIIX4_PM.disable_s4=1: no platform hibernation mode, hibernation ends in a power-off', async () => {
    const rig = await bootRig(pm('disable_s4'));
    expect(text(rig, '/sys/power/state')).toBe('freeze mem disk\n');
    expect(text(rig, '/sys/power/mem_sleep')).toBe('s2idle [deep]\n');
    expect(text(rig, '/sys/power/disk')).toBe('[shutdown] reboot suspend test_resume \n');
  });

  it('writes: modes switch; unknown words are EINVAL; deep without S3 is EINVAL; non-root cannot open them', async () => {
    const rig = await bootRig(pm('disable_s4'));
    expect(runIn(rig, ['sh', '-c', 'echo reboot > /sys/power/disk; cat /sys/power/disk']).out).toBe('shutdown [reboot] suspend test_resume \n');
    expect(writeAttr(rig, '/sys/power/disk', 'platform\n')).toBe('EINVAL');
    expect(runIn(rig, ['sh', '-c', 'echo s2idle > /sys/power/mem_sleep; cat /sys/power/mem_sleep']).out).toBe('[s2idle] deep\n');
    expect(writeAttr(rig, '/sys/power/state', 'standby\n')).toBe('EINVAL');
    expect(writeAttr(rig, '/sys/power/state', 'mem\n', 1000)).toBe('EACCES');
    const noS3 = await bootRig(pm('disable_s3'));
    expect(writeAttr(noS3, '/sys/power/mem_sleep', 'deep')).toBe('EINVAL');
    expect(rig.events).toEqual([]);
  });

  it('hibernation without an active swap area fails with ENODEV and the system keeps running', async () => {
    const rig = await bootRig();
    expect(writeAttr(rig, '/sys/power/state', 'disk\n')).toBe('ENODEV');
    expect(rig.os().power.state).toBe('running');
    expect(rig.events).toEqual([]);
  });
});
