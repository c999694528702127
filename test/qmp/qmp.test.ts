import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchMachine, type LaunchedMachine } from '../../src/host/launch.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { QmpClient } from '../../src/qmp/client.js';
import { QmpError } from '../../src/qmp/errors.js';

let dir: string;
let vm: LaunchedMachine;
let sock: string;

async function start(extra: (cfg: ReturnType<typeof defaultMachineConfig>) => void = () => undefined): Promise<void> {
  const cfg = defaultMachineConfig();
  sock = join(dir, 'qmp.sock');
  cfg.chardevs.push({ kind: 'compat', label: 'compat_monitor0', value: `unix:${sock},server=on,wait=off` });
  cfg.monitors.push({ chardev: 'compat_monitor0', mode: 'control', pretty: false });
  extra(cfg);
  vm = await launchMachine(cfg, { clock: 'virtual' });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qga-sim-qmp-'));
});
afterEach(async () => {
  await vm?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('QMP over a unix socket chardev', () => {
  it('greets with QEMU 7.2 and the oob capability, byte for byte in QEMU key order with CRLF', async () => {
    await start();
    const { connect } = await import('node:net');
    const greeting = await new Promise<string>((ok, fail) => {
      const s = connect(sock);
      s.once('error', fail);
      s.once('data', (d) => {
        ok(d.toString('latin1'));
        s.end();
      });
    });
    expect(greeting).toBe('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "qga-sim"}, "capabilities": ["oob"]}}\r\n');
    // Each new client is greeted again and must negotiate again.
    const c = await QmpClient.connect(sock, { negotiate: false });
    expect(c.greeting).toEqual({ QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'qga-sim' }, capabilities: ['oob'] } });
    expect(await c.raw('{"execute":"query-name"}')).toMatchObject({ error: { class: 'CommandNotFound' } });
    c.close();
  });

  it('refuses commands before qmp_capabilities and a second negotiation, with QEMU texts', async () => {
    await start();
    const c = await QmpClient.connect(sock, { negotiate: false });
    expect(await c.raw('{"execute":"query-status"}')).toEqual({ error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } });
    expect(await c.raw('{"execute":"qmp_capabilities"}')).toEqual({ return: {} });
    expect(await c.raw('{"execute":"qmp_capabilities","id":3}')).toEqual({ id: 3, error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' } });
    c.close();
  });

  it('reports envelope and argument errors as QEMU does, echoing id', async () => {
    await start();
    const c = await QmpClient.connect(sock);
    expect(await c.raw('[1]')).toEqual({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
    expect(await c.raw('{"id":1}')).toEqual({ id: 1, error: { class: 'GenericError', desc: "QMP input lacks member 'execute'" } });
    expect(await c.raw('{"execute":1}')).toEqual({ error: { class: 'GenericError', desc: "QMP input member 'execute' must be a string" } });
    expect(await c.raw('{"execute":"query-status","arguments":[]}')).toEqual({ error: { class: 'GenericError', desc: "QMP input member 'arguments' must be an object" } });
    expect(await c.raw('{"execute":"query-status","foo":1}')).toEqual({ error: { class: 'GenericError', desc: "QMP input member 'foo' is unexpected" } });
    expect(await c.raw('{"execute":"nope","id":"x"}')).toEqual({ id: 'x', error: { class: 'CommandNotFound', desc: 'The command nope has not been found' } });
    expect(await c.raw('{"execute":"stop","arguments":{"a":1}}')).toEqual({ error: { class: 'GenericError', desc: "Parameter 'a' is unexpected" } });
    expect(await c.raw('\xff')).toEqual({ error: { class: 'GenericError', desc: "JSON parse error, stray '\uFFFD'" } });
    c.close();
  });

  it('query-status, stop/cont with STOP/RESUME events, reset and powerdown events', async () => {
    await start();
    const c = await QmpClient.connect(sock);
    expect(await c.execute('query-status')).toEqual({ status: 'running', singlestep: false, running: true });
    await c.execute('stop');
    expect((await c.waitEvent('STOP')).timestamp.seconds).toBeGreaterThan(0);
    expect(await c.execute('query-status')).toEqual({ status: 'paused', singlestep: false, running: false });
    await c.execute('cont');
    await c.waitEvent('RESUME');
    await c.execute('system_reset');
    expect((await c.waitEvent('RESET')).data).toEqual({ guest: false, reason: 'host-qmp-system-reset' });
    await c.execute('system_powerdown');
    await c.waitEvent('POWERDOWN');
    c.close();
  });

  it('-S starts in prelaunch until cont', async () => {
    await start((cfg) => (cfg.startPaused = true));
    const c = await QmpClient.connect(sock);
    expect(await c.execute('query-status')).toMatchObject({ status: 'prelaunch', running: false });
    await c.execute('cont');
    expect(await c.execute('query-status')).toMatchObject({ status: 'running', running: true });
    c.close();
  });

  it('query-pci lists the topology as firmware left it, across domains', async () => {
    await start((cfg) => {
      cfg.devices.push({ driver: 'pci-bridge', props: [['id', 'br1'], ['chassis_nr', '1']] });
      cfg.devices.push({ driver: 'pci-testdev', props: [['id', 't'], ['bus', 'br1']] });
      cfg.devices.push({ driver: 'pci-root-complex', props: [['id', 'pcie.1']] });
    });
    const c = await QmpClient.connect(sock);
    const pci = (await c.execute('query-pci')) as { bus: number; devices: { slot: number; qdev_id: string; pci_bridge?: { bus: { secondary: number }; devices: { qdev_id: string; regions: { type: string; address: number }[] }[] } }[] }[];
    expect(pci).toHaveLength(2);
    const br = pci[0]!.devices.find((d) => d.qdev_id === 'br1')!;
    expect(br.pci_bridge!.bus.secondary).toBe(1);
    const t = br.pci_bridge!.devices.find((d) => d.qdev_id === 't')!;
    expect(t.regions.map((r) => r.type).sort()).toEqual(['io', 'memory']);
    expect(t.regions.every((r) => r.address > 0)).toBe(true);
    c.close();
  });

  it('quit answers, then emits SHUTDOWN and the machine asks to exit', async () => {
    await start();
    const c = await QmpClient.connect(sock);
    const quit = new Promise<void>((ok) => vm.machine.once('quit', ok));
    expect(await c.execute('quit')).toEqual({});
    expect((await c.waitEvent('SHUTDOWN')).data).toEqual({ guest: false, reason: 'host-qmp-quit' });
    await quit;
    c.close();
  });

  it('also runs on -chardev socket,... plus -mon chardev=ID,mode=control', async () => {
    const cfg = defaultMachineConfig();
    sock = join(dir, 'mon.sock');
    cfg.chardevs.push({ kind: 'options', value: `socket,id=mon0,path=${sock},server=on,wait=off` });
    cfg.monitors.push({ chardev: 'mon0', mode: 'control', pretty: false });
    vm = await launchMachine(cfg, { clock: 'virtual' });
    const c = await QmpClient.connect(sock);
    expect(await c.execute('query-chardev')).toEqual([{ label: 'mon0', filename: `unix:${sock},server=on`, 'frontend-open': true }]);
    c.close();
  });

  it('errors are QmpError with class and desc on the client side', async () => {
    await start();
    const c = await QmpClient.connect(sock);
    await expect(c.execute('bogus')).rejects.toEqual(new QmpError('The command bogus has not been found', 'CommandNotFound'));
    c.close();
  });
});
