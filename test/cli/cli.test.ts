import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { bundleEntry } from '../helpers/bundle.js';
import { QmpClient } from '../../src/qmp/client.js';

const GiB = 1024 ** 3;

describe('command line: QEMU options', () => {
  it('reads -m (MiB by default, suffixes, slots/maxmem), -smp, -machine, -global, -S, -name, -rtc', () => {
    const r = parseArgs(['-m', '4096', '-smp', '2,maxcpus=8', '-machine', 'pc,memory-block-size=256M', '-global', 'PIIX4_PM.disable_s3=1', '-S', '-name', 'guest=vm1', '-rtc', 'base=2006-06-17T16:01:21']);
    expect(r.config.ramSize).toBe(4 * GiB);
    expect([r.config.cpus, r.config.maxCpus]).toEqual([2, 8]);
    expect(r.config.memoryBlockSize).toBe(256 * 1024 * 1024);
    expect(r.config.globals).toEqual([{ driver: 'PIIX4_PM', prop: 'disable_s3', value: '1' }]);
    expect(r.config.startPaused).toBe(true);
    expect(r.config.name).toBe('vm1');
    expect(r.config.rtc.base).toBe('2006-06-17T16:01:21');
    expect(parseArgs(['-m', 'size=1G,slots=4,maxmem=8G']).config).toMatchObject({ ramSize: GiB, memorySlots: 4, maxMem: 8 * GiB });
  });

  it('collects -device, -chardev, -qmp and -mon in order; --qga/--qmp/--trace/--clock/--seed', () => {
    const r = parseArgs(['-chardev', 'socket,id=c,path=/tmp/x,server=on,wait=off', '-mon', 'chardev=c,mode=control', '-qmp', 'unix:/tmp/q,server=on,wait=off', '-device', 'pci-bridge,id=b,chassis_nr=1', '--qga', 'a.sock', '--qmp', 'b.sock', '--trace', 'virtio,pci', '--clock', 'virtual', '--seed', '7']);
    expect(r.config.devices).toEqual([{ driver: 'pci-bridge', props: [['id', 'b'], ['chassis_nr', '1']] }]);
    expect(r.config.monitors.map((m) => m.chardev)).toEqual(['c', 'compat_monitor1']);
    expect(r.qmpPath).toBe('b.sock');
    expect(r.config.chardevs.map((c) => c.kind)).toEqual(['options', 'compat']);
    expect([r.qgaPath, r.qmpPath, r.clock, r.config.seed]).toEqual(['a.sock', 'b.sock', 'virtual', 7]);
    expect(r.trace).toEqual(['virtio', 'pci']);
  });

  it.each([
    [['-bogus'], '-bogus: invalid option'],
    [['-m'], '-m: requires an argument'],
    [['-machine', 'q35'], 'unsupported machine type\nUse -machine help to list supported machines'],
    [['-mon', 'chardev=x,mode=readline'], '-mon chardev=x,mode=readline: only mode=control (QMP) is supported; the human monitor is not'],
    [['--clock', 'fast'], "--clock fast: expected 'realtime' or 'virtual'"],
    [['--trace', 'nope'], "--trace nope: unknown category 'nope' (known: machine, pci, firmware, io, irq, chardev, qmp, virtio, guest, agent, all)"],
    [['-smp', '4,maxcpus=2'], "Invalid SMP CPUs 4. The max CPUs supported by machine 'pc-i440fx' is 2"],
    [['-m', '1G,foo=1'], "-m 1G,foo=1: Invalid parameter 'foo'"],
    [['stray'], 'stray: invalid option'],
  ])('%j is rejected with %j', (argv, msg) => {
    expect(() => parseArgs(argv)).toThrow(new CliError(msg));
  });
});

describe('the qga-sim binary', () => {
  const bin = () => bundleEntry('src/cli/bin.ts');

  it.each([
    [['-bogus'], 'qga-sim: -bogus: invalid option\n'],
    [['-nodefaults', '-device', 'frobnicator'], "qga-sim: 'frobnicator' is not a valid device model name\n"],
    [['-nodefaults', '-device', 'pci-testdev,colour=red'], "qga-sim: Property 'pci-testdev.colour' not found\n"],
    [['-nodefaults', '-device', 'pci-testdev,bus=nowhere'], "qga-sim: Bus 'nowhere' not found\n"],
    [['-nodefaults', '-device', 'pci-testdev,addr=1'], 'qga-sim: PCI: slot 1 function 0 not available for pci-testdev, in use by PIIX3,id=(null)\n'],
    [['-nodefaults', '-chardev', 'bogus,id=x'], "qga-sim: 'bogus' is not a valid char driver name\n"],
    [['-nodefaults', '-chardev', 'tty,id=x'], "qga-sim: char driver 'tty' is not supported by qga-sim (available: file, null, socket)\n"],
  ])('%j exits 1 with a QEMU-style message', (argv, stderr) => {
    const r = spawnSync(process.execPath, [bin(), ...argv], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe(stderr);
    expect(r.status).toBe(1);
  });

  it('-device help lists device types; --version answers', () => {
    const r = spawnSync(process.execPath, [bin(), '-device', 'help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('name "pci-bridge", desc "Standard PCI Bridge"');
    const v = spawnSync(process.execPath, [bin(), '--version'], { encoding: 'utf8' });
    expect(v.stdout).toMatch(/^qga-sim version \d+\.\d+\.\d+/);
  });

  it('with no options boots the default machine: ./qmp.sock answers, query-status running, query-pci lists the chipset and the default devices; quit exits 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'qga-sim-start-'));
    const child = spawn(process.execPath, [bin()], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 15_000;
      while (!out.includes('machine running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain(`guest agent socket: ${join(cwd, 'qga.sock')}`);
      expect(out).toContain(`QMP socket: ${join(cwd, 'qmp.sock')}`);
      expect(statSync(join(cwd, 'qmp.sock')).mode & 0o777).toBe(0o600);
      const c = await QmpClient.connect(join(cwd, 'qmp.sock'), { negotiate: false });
      expect(c.greeting).toHaveProperty('QMP');
      await c.execute('qmp_capabilities');
      expect(await c.execute('query-status')).toEqual({ status: 'running', singlestep: false, running: true });
      const pci = (await c.execute('query-pci')) as { devices: { slot: number; function: number; class_info: { desc?: string; class: number }; id: { vendor: number; device: number } }[] }[];
      // QEMU's class table has no text for 0x0780, so virtio-serial's class_info carries only the number.
      const name = (d: (typeof pci)[0]['devices'][0]) => `${d.slot}.${d.function} ${d.class_info.desc ?? d.class_info.class.toString(16)} ${d.id.vendor.toString(16)}:${d.id.device.toString(16)}`;
      expect(pci[0]!.devices.map(name)).toEqual([
        '0.0 Host bridge 8086:1237',
        '1.0 ISA bridge 8086:7000',
        '1.1 IDE controller 8086:7010',
        '1.3 Bridge 8086:7113',
        '3.0 Ethernet controller 1af4:1000',
        '4.0 780 1af4:1003',
        '5.0 SCSI controller 1af4:1001',
        '6.0 SATA controller 8086:2922',
        '30.0 PCI bridge 1b36:1',
      ]);
      const exited = new Promise<number | null>((ok) => child.once('exit', ok));
      await c.execute('quit');
      expect(await exited).toBe(0);
      expect(existsSync(join(cwd, 'qmp.sock'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 30_000);
});
