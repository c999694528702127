/**
 * vCPU hotplug through the guest's sysfs, end to end: the guest's write reaches the VMM as
 * what hardware does (the dying CPU's HLT with interrupts off; INIT and SIPI through the
 * local APIC's ICR to bring it back), and the guest's own views (/sys masks, /proc/stat,
 * /proc/cpuinfo) follow.
 */
import { describe, expect, it } from 'vitest';
import { bootHwMachine, qmpSession } from '../helpers/hw-machine.js';

const cpuLines = (stat: string) => stat.split('\n').filter((l) => /^cpu\d+ /.test(l)).map((l) => l.split(' ')[0]);

describe('CPU offline/online through /sys/devices/system/cpu/cpuN/online', () => {
  it('echo 0 as root parks the vCPU (offline in the VMM) and drops cpu1 from /proc/stat; echo 1 starts it with INIT+SIPI', async () => {
    const h = await bootHwMachine((c) => {
      c.cpus = 4;
      c.maxCpus = 4;
    });
    expect(h.m.vcpus.cpus.map((c) => h.m.vcpus.state(c.index))).toEqual(['running', 'running', 'running', 'running']);
    expect(cpuLines(h.read('/proc/stat'))).toEqual(['cpu0', 'cpu1', 'cpu2', 'cpu3']);

    expect(h.sh('echo 0 > /sys/devices/system/cpu/cpu1/online').code).toBe(0);
    expect(h.m.vcpus.state(1)).toBe('offline');
    expect(h.m.vcpus.cpus[1]!.mp).toBe('dead');
    expect(cpuLines(h.read('/proc/stat'))).toEqual(['cpu0', 'cpu2', 'cpu3']);
    expect(h.read('/sys/devices/system/cpu/online')).toBe('0,2-3\n');
    expect(h.read('/sys/devices/system/cpu/offline')).toBe('1\n');
    expect(h.read('/sys/devices/system/cpu/cpu1/online')).toBe('0\n');
    expect(h.read('/proc/cpuinfo').match(/^processor\t: \d+$/gm)).toEqual(['processor\t: 0', 'processor\t: 2', 'processor\t: 3']);

    const sipis = h.m.vcpus.ipis.get('SIPI') ?? 0;
    const inits = h.m.vcpus.ipis.get('INIT') ?? 0;
    expect(h.sh('echo 1 > /sys/devices/system/cpu/cpu1/online').code).toBe(0);
    expect(h.m.vcpus.state(1)).toBe('running');
    expect(h.m.vcpus.ipis.get('INIT')).toBe(inits + 1);
    expect(h.m.vcpus.ipis.get('SIPI')).toBe(sipis + 2);
    expect(cpuLines(h.read('/proc/stat'))).toEqual(['cpu0', 'cpu1', 'cpu2', 'cpu3']);
    expect(h.read('/sys/devices/system/cpu/online')).toBe('0-3\n');
    expect(h.read('/sys/devices/system/cpu/offline')).toBe('\n');
  });

  it('refuses a non-root writer (the attribute is 0644 root), an unparsable value, and has no online file for cpu0', async () => {
    const h = await bootHwMachine((c) => {
      c.cpus = 2;
      c.maxCpus = 2;
    });
    const r = h.sh('echo 0 > /sys/devices/system/cpu/cpu1/online', { uid: 1000 });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Permission denied/);
    expect(h.m.vcpus.state(1)).toBe('running');
    // dash's builtin reports any write error as an I/O error; coreutils' echo names the errno.
    expect(h.sh('echo maybe > /sys/devices/system/cpu/cpu1/online').err).toMatch(/I\/O error/);
    const bad = h.sh('/bin/echo maybe > /sys/devices/system/cpu/cpu1/online');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/Invalid argument/);
    expect(h.sh('ls /sys/devices/system/cpu/cpu0').out.split('\n')).not.toContain('online');
    expect(h.sh('cat /sys/devices/system/cpu/cpu0/online').err).toMatch(/No such file or directory/);
    // Writing the state a CPU already has succeeds quietly, as device_online does.
    expect(h.sh('echo 1 > /sys/devices/system/cpu/cpu1/online').code).toBe(0);
  });

  it('reports possible, present and kernel_max as Linux does for -smp 2,maxcpus=4', async () => {
    const h = await bootHwMachine((c) => {
      c.cpus = 2;
      c.maxCpus = 4;
    });
    expect(h.read('/sys/devices/system/cpu/possible')).toBe('0-3\n');
    expect(h.read('/sys/devices/system/cpu/present')).toBe('0-1\n');
    expect(h.read('/sys/devices/system/cpu/online')).toBe('0-1\n');
    expect(h.read('/sys/devices/system/cpu/offline')).toBe('2-3\n');
    expect(h.read('/sys/devices/system/cpu/kernel_max')).toBe('8191\n');
    expect(h.sh('ls /sys/devices/system/cpu').out.split('\n').filter((n) => /^cpu\d/.test(n))).toEqual(['cpu0', 'cpu1']);
  });

  it('/proc/stat counts idle time on the virtual clock in USER_HZ, keeping an offline CPU’s past time in the total', async () => {
    const h = await bootHwMachine((c) => {
      c.cpus = 2;
      c.maxCpus = 2;
    });
    const fields = (line: string | undefined) => (line ?? '').trim().split(/\s+/).slice(1).map(Number);
    const at = (name: string) => h.read('/proc/stat').split('\n').find((l) => l.startsWith(`${name} `));
    const idle0 = fields(at('cpu0'))[3]!;
    h.advance(1000);
    expect(fields(at('cpu0'))[3]! - idle0).toBe(100);
    expect(h.read('/proc/stat').startsWith('cpu  ')).toBe(true);
    h.sh('echo 0 > /sys/devices/system/cpu/cpu1/online');
    const total = fields(at('cpu '))[3]!;
    h.advance(1000);
    // Only cpu0 still accumulates; the aggregate keeps cpu1's time from before.
    expect(fields(at('cpu '))[3]! - total).toBe(100);
    expect(h.read('/proc/stat')).toMatch(/^intr \d+( \d+)+\nctxt \d+\nbtime \d+\nprocesses \d+\nprocs_running \d+\nprocs_blocked \d+\nsoftirq \d+( \d+){10}\n$/m);
  });

  it('/proc/cpuinfo describes QEMU’s qemu64 CPU', async () => {
    const h = await bootHwMachine((c) => {
      c.cpus = 1;
      c.maxCpus = 1;
    });
    const info = h.read('/proc/cpuinfo');
    expect(info).toContain('processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 15\nmodel\t\t: 107\nmodel name\t: QEMU Virtual CPU version 2.5+\nstepping\t: 1\n');
    expect(info.endsWith('power management:\n\n')).toBe(true);
  });
});

describe('QMP', () => {
  it('query-cpus-fast has QEMU 7.2’s shape; x-query-vcpu-states shows an offlined CPU', async () => {
    const h = await bootHwMachine((c) => {
      c.cpus = 2;
      c.maxCpus = 2;
    });
    const qmp = await qmpSession(h.m);
    expect(await qmp('query-cpus-fast')).toEqual([
      {
        return: [
          { 'cpu-index': 0, 'qom-path': '/machine/unattached/device[0]', 'thread-id': 4100, props: { 'socket-id': 0, 'core-id': 0, 'thread-id': 0 }, target: 'x86_64' },
          { 'cpu-index': 1, 'qom-path': '/machine/unattached/device[1]', 'thread-id': 4101, props: { 'socket-id': 1, 'core-id': 0, 'thread-id': 0 }, target: 'x86_64' },
        ],
      },
    ]);
    h.sh('echo 0 > /sys/devices/system/cpu/cpu1/online');
    expect(await qmp('x-query-vcpu-states')).toEqual([{ return: [{ 'cpu-index': 0, state: 'running' }, { 'cpu-index': 1, state: 'offline' }] }]);
  });
});
