/**
 * systemctl's sleep verbs as systemd 252 behaves with the default sleep.conf: `status` of the
 * sleep units (3 = loaded but inactive, 4 = no such unit: what qemu-ga 7.2 probes), logind's
 * can_sleep checks with its error texts, and systemd-sleep's writes to /sys/power/disk and
 * /sys/power/state, carried out after systemctl has returned.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/guest/kernel/index.js';
import { writeGpt } from '../../src/disk-image/partition.js';
import { DiskImageSlice } from '../../src/disk-image/slice.js';
import { writeSwap } from '../../src/disk-image/swap.js';
import { addImageDisk, bootBlock, imageMiB, settle } from '../block/helpers.js';
import { expectNoFaults, run, type Booted } from './helpers.js';

/** A /sys/power file offering `offer` (words, the current one may be bracketed); accepted writes go to `log`. */
function powerFile(b: Booted, name: 'state' | 'disk', offer: string, log: string[]): void {
  const words = offer.split(' ').map((w) => w.replace(/^\[(.*)\]$/, '$1'));
  b.kernel.sysfs.attr(`/power/${name}`, {
    mode: 0o644,
    show: () => `${offer}\n`,
    store: (d) => {
      if (!words.includes(d.trim())) throw new Errno('EINVAL');
      log.push(`${name}=${d}`);
    },
  });
}

/** A kernel with the userland, /sys/power as Linux 6.1 shows it with S3 and S4, and optionally an active swap area. */
function boot(opts: { swap?: boolean; state?: string; disk?: string } = {}): Booted & { writes: string[] } {
  const b = bootBlock();
  const writes: string[] = [];
  if (opts.state !== '') powerFile(b, 'state', opts.state ?? 'freeze mem disk', writes);
  if (opts.disk !== '') powerFile(b, 'disk', opts.disk ?? '[platform] shutdown reboot suspend test_resume', writes);
  if (opts.swap === true) {
    const img = imageMiB(32);
    const p = writeGpt(img, [{ kind: 'swap', sectors: 16 * 2048 }])[0]!;
    writeSwap(new DiskImageSlice(img, p.start, p.sectors), { seed: 'sleep' });
    addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    expect(run(b, ['swapon', '/dev/vda1']).code).toBe(0);
  }
  return { ...b, writes };
}

describe('systemctl status of the sleep units (what qemu-ga 7.2 probes)', () => {
  it('a sleep service is loaded and inactive: exit 3 with systemd\'s status block; the .service suffix is implied', () => {
    const b = boot();
    const r = run(b, ['systemctl', 'status', 'systemd-suspend']);
    expect(r.code).toBe(3);
    expect(r.out).toBe(
      '○ systemd-suspend.service - System Suspend\n' +
        '     Loaded: loaded (/lib/systemd/system/systemd-suspend.service; static)\n' +
        '     Active: inactive (dead)\n' +
        '       Docs: man:systemd-suspend.service(8)\n',
    );
    expect(run(b, ['systemctl', 'status', 'systemd-hibernate.service']).code).toBe(3);
    expect(run(b, ['systemctl', 'status', 'systemd-hybrid-sleep']).code).toBe(3);
  });

  it('an unknown unit is exit 4 with "could not be found"; it wins over inactive ones', () => {
    const b = boot();
    expect(run(b, ['systemctl', 'status', 'nope'])).toMatchObject({ code: 4, out: '', err: 'Unit nope.service could not be found.\n' });
    const r = run(b, ['systemctl', 'status', 'systemd-suspend', 'nope.service']);
    expect(r.code).toBe(4);
    expect(r.out).toContain('systemd-suspend.service - System Suspend');
  });
});

describe('systemctl suspend | hibernate | hybrid-sleep', () => {
  it('suspend: returns at once; the sleep service then writes "mem" to /sys/power/state', () => {
    const b = boot();
    const p = b.kernel.spawn('systemctl', ['systemctl', 'suspend'], { stdin: 'null', env: { PATH: '/bin:/sbin' } });
    b.sched.run();
    expect(p.stderr?.text()).toBe('');
    expect(p.exitTime).toBeDefined();
    expect(b.writes).toEqual(['state=mem\n']);
    expectNoFaults(b);
  });

  it('suspend falls back along SuspendState= (mem standby freeze) to what the kernel accepts', () => {
    const b = boot({ state: 'freeze' });
    expect(run(b, ['systemctl', 'suspend']).code).toBe(0);
    expect(b.writes).toEqual(['state=freeze\n']);
  });

  it('hibernate: HibernateMode= platform to /sys/power/disk, then "disk" to /sys/power/state', () => {
    const b = boot({ swap: true });
    expect(run(b, ['systemctl', 'hibernate'])).toMatchObject({ code: 0, err: '' });
    expect(b.writes).toEqual(['disk=platform\n', 'state=disk\n']);
  });

  it('hibernate without platform support (no \\_S4) uses shutdown', () => {
    const b = boot({ swap: true, disk: '[shutdown] reboot suspend test_resume' });
    expect(run(b, ['systemctl', 'hibernate']).code).toBe(0);
    expect(b.writes).toEqual(['disk=shutdown\n', 'state=disk\n']);
  });

  it('hybrid-sleep: "suspend" to /sys/power/disk (suspend to both), then "disk" to /sys/power/state', () => {
    const b = boot({ swap: true });
    expect(run(b, ['systemctl', 'hybrid-sleep'])).toMatchObject({ code: 0, err: '' });
    expect(b.writes).toEqual(['disk=suspend\n', 'state=disk\n']);
  });

  it('hibernation needs an active swap area: logind\'s "Not enough swap space for hibernation"', () => {
    const b = boot();
    expect(run(b, ['systemctl', 'hibernate'])).toMatchObject({ code: 1, err: 'Failed to hibernate system via logind: Not enough swap space for hibernation\n' });
    expect(run(b, ['systemctl', 'hybrid-sleep'])).toMatchObject({ code: 1, err: 'Failed to put system into hybrid sleep via logind: Not enough swap space for hibernation\n' });
    expect(b.writes).toEqual([]);
  });

  it('a state or mode the kernel does not offer: "Sleep verb ... not supported", nothing written', () => {
    const noState = boot({ state: '', swap: true });
    expect(run(noState, ['systemctl', 'suspend'])).toMatchObject({ code: 1, err: 'Failed to suspend system via logind: Sleep verb "suspend" not supported\n' });
    const noDisk = boot({ state: 'freeze mem', swap: true });
    expect(run(noDisk, ['systemctl', 'hibernate']).err).toBe('Failed to hibernate system via logind: Sleep verb "hibernate" not supported\n');
    const noModes = boot({ disk: '[reboot] test_resume', swap: true });
    expect(run(noModes, ['systemctl', 'hybrid-sleep']).err).toBe('Failed to put system into hybrid sleep via logind: Sleep verb "hybrid-sleep" not supported\n');
    expect([...noState.writes, ...noDisk.writes, ...noModes.writes]).toEqual([]);
  });

  it('an unprivileged caller is refused', () => {
    const b = boot();
    expect(run(b, ['systemctl', 'suspend'], { uid: 1000, gid: 1000 })).toMatchObject({ code: 1, err: 'Failed to suspend system via logind: Access denied\n' });
    expect(b.writes).toEqual([]);
  });
});
