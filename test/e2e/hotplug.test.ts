import { describe, expect, it } from 'vitest';
import { createDefaultMachine } from '../../src/default-machine.js';
import { ChardevRegistry, createChardevPipe } from '../../src/chardev/index.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import type { GuestOs } from '../../src/guest/boot.js';
import type { Machine } from '../../src/machine/machine.js';

const MS = 1_000_000;

async function qmp(m: Machine) {
  const { chardev, host } = createChardevPipe('qmp');
  await chardev.open();
  new QmpMonitor(m, chardev);
  host.connect();
  await host.readLine();
  const lines: string[] = [];
  host.on('data', (d) => lines.push(...Buffer.from(d).toString().split('\r\n').filter(Boolean)));
  const run = async (cmd: object) => {
    host.write(JSON.stringify(cmd));
    await new Promise((r) => setTimeout(r, 5));
    return lines.splice(0);
  };
  await run({ execute: 'qmp_capabilities' });
  return run;
}

const exists = (os: GuestOs, path: string) => {
  try {
    os.kernel.stat(path, false);
    return true;
  } catch {
    return false;
  }
};

describe('virtio-serial hot-add and removal (QMP device_add / device_del → PORT_ADD / PORT_REMOVE)', () => {
  it('a hot-added virtserialport appears in the guest with its name link, and disappears on device_del', async () => {
    const chardevs = new ChardevRegistry();
    const extra = createChardevPipe('extra');
    await extra.chardev.open();
    chardevs.add(extra.chardev);
    const { machine: m } = await createDefaultMachine({ host: { chardevs } });
    m.boot();
    m.runUntilIdle(m.sched.now() + 500 * MS);
    const os = m.guest as GuestOs;
    expect(exists(os, '/dev/virtio-ports/org.qemu.guest_agent.0')).toBe(true);
    const run = await qmp(m);

    expect(await run({ execute: 'device_add', arguments: { driver: 'virtserialport', chardev: 'extra', name: 'com.example.extra', id: 'port2' } })).toEqual(['{"return": {}}']);
    m.runUntilIdle(m.sched.now() + 100 * MS);
    expect(exists(os, '/dev/vport0p2')).toBe(true);
    expect(os.kernel.stat('/dev/virtio-ports/com.example.extra', true)).toBeDefined();

    // The port goes away inside the command, so (as in QEMU) DEVICE_DELETED precedes the reply.
    const out = await run({ execute: 'device_del', arguments: { id: 'port2' } });
    expect(out.filter((l) => l.includes('DEVICE_DELETED'))).toHaveLength(1);
    expect(out.find((l) => l.includes('DEVICE_DELETED'))).toMatch(/"data": \{"device": "port2", "path": "\/machine\/peripheral\/port2"\}/);
    expect(out[out.length - 1]).toBe('{"return": {}}');
    m.runUntilIdle(m.sched.now() + 100 * MS);
    expect(exists(os, '/dev/vport0p2')).toBe(false);
    expect(exists(os, '/dev/virtio-ports/com.example.extra')).toBe(false);
  });

  it('refuses what QEMU refuses: unknown ids, PCI devices on a bus without hotplug', async () => {
    const { machine: m } = await createDefaultMachine();
    m.boot();
    const run = await qmp(m);
    expect(await run({ execute: 'device_del', arguments: { id: 'nope' } })).toEqual(['{"error": {"class": "GenericError", "desc": "Device \'nope\' not found"}}']);
    expect(await run({ execute: 'device_add', arguments: { driver: 'pci-testdev', id: 't' } })).toEqual(['{"error": {"class": "GenericError", "desc": "Bus \'pci.0\' does not support hotplugging"}}']);
    expect(await run({ execute: 'device_add', arguments: {} })).toEqual(['{"error": {"class": "GenericError", "desc": "Parameter \'driver\' is missing"}}']);
  });
});
