/**
 * pc-dimm hotplug, end to end: QMP object-add and device_add on a machine with DIMM slots
 * map new RAM in the device-memory area, the ACPI memory hotplug controller raises GPE0
 * bit 3 as an SCI, the guest reads the DIMM's range from the registers, adds memory blocks
 * (onlined by the udev rule) and reports _OST, which QEMU turns into ACPI_DEVICE_OST.
 */
import { describe, expect, it } from 'vitest';
import { bootHwMachine, qmpSession } from '../helpers/hw-machine.js';
import type { MachineConfig } from '../../src/machine/config.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const withSlots = (c: MachineConfig) => {
  c.ramSize = 2 * GiB;
  c.memorySlots = 4;
  c.maxMem = 8 * GiB;
};

const blockDirs = (ls: string) => ls.split('\n').filter((n) => /^memory\d+$/.test(n)).map((n) => Number(n.slice(6)));

describe('pc-dimm hot-add (QMP object-add + device_add)', () => {
  it('adds online memory blocks in the guest at the device-memory base, reports ACPI_DEVICE_OST, lists the DIMM', async () => {
    const h = await bootHwMachine(withSlots);
    const qmp = await qmpSession(h.m);
    expect(await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'mem1', size: GiB })).toEqual([{ return: {} }]);
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'dimm1', memdev: 'mem1' })).toEqual([{ return: {} }]);
    h.advance(10);
    const base = h.m.layout.deviceMemoryBase;
    expect(base).toBe(4 * GiB);
    const ids = blockDirs(h.sh('ls /sys/devices/system/memory').out);
    const added = Array.from({ length: 8 }, (_, i) => base / (128 * MiB) + i);
    expect(ids).toEqual(expect.arrayContaining(added));
    for (const id of added) expect(h.read(`/sys/devices/system/memory/memory${id}/state`)).toBe('online\n');
    expect(h.read(`/sys/devices/system/memory/memory${added[0]}/valid_zones`)).toBe('Normal\n');
    // The new RAM is really there: the guest can write and read it back through its CPU.
    h.os.platform.mem.write(base + 4096, 4, 0xdeadbeef);
    expect(h.os.platform.mem.read(base + 4096, 4)).toBe(0xdeadbeef);

    const events = await qmp('query-status');
    const ost = events.find((e) => (e as { event?: string }).event === 'ACPI_DEVICE_OST') as { data: unknown } | undefined;
    expect(ost?.data).toEqual({ info: { device: 'dimm1', slot: '0', 'slot-type': 'DIMM', source: 1, status: 0 } });
    expect(await qmp('query-memory-devices')).toEqual([
      { return: [{ type: 'dimm', data: { id: 'dimm1', addr: base, size: GiB, slot: 0, node: 0, memdev: '/objects/mem1', hotplugged: true, hotpluggable: true } }] },
    ]);
    // The hot-added blocks hold no kernel memory: they go offline.
    expect(h.sh(`echo offline > /sys/devices/system/memory/memory${added[7]}/state`).code).toBe(0);
  });

  it('places a second DIMM after the first and fills the next slot', async () => {
    const h = await bootHwMachine(withSlots);
    const qmp = await qmpSession(h.m);
    for (const n of [1, 2]) {
      await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: `mem${n}`, size: 512 * MiB });
      expect(await qmp('device_add', { driver: 'pc-dimm', id: `dimm${n}`, memdev: `mem${n}` })).toEqual([{ return: {} }]);
    }
    h.advance(10);
    const out = (await qmp('query-memory-devices')) as { return?: { data: { addr: number; slot: number } }[] }[];
    expect(out.filter((l) => !('return' in l)).length).toBe(2); // the two ACPI_DEVICE_OST events
    const r = out.find((l) => 'return' in l)!;
    expect(r.return!.map((d) => [d.data.slot, d.data.addr])).toEqual([
      [0, 4 * GiB],
      [1, 4 * GiB + 512 * MiB],
    ]);
    expect(h.read(`/sys/devices/system/memory/memory${(4 * GiB + 512 * MiB) / (128 * MiB)}/state`)).toBe('online\n');
  });

  it('refuses what QEMU refuses, with its texts', async () => {
    const noSlots = await bootHwMachine();
    const q0 = await qmpSession(noSlots.m);
    await q0('object-add', { 'qom-type': 'memory-backend-ram', id: 'mem1', size: GiB });
    expect(await q0('device_add', { driver: 'pc-dimm', id: 'd', memdev: 'mem1' })).toEqual([
      { error: { class: 'GenericError', desc: "no slots where allocated, please specify the 'slots' option" } },
    ]);

    const h = await bootHwMachine(withSlots);
    const qmp = await qmpSession(h.m);
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'd', memdev: 'nope' })).toEqual([{ error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" } }]);
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'd' })).toEqual([{ error: { class: 'GenericError', desc: "'memdev' property must be set" } }]);
    expect(await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'big', size: 7 * GiB })).toEqual([{ return: {} }]);
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'd', memdev: 'big' })).toEqual([
      { error: { class: 'GenericError', desc: 'not enough space, currently 0x0 in use of total space for memory devices 0x180000000' } },
    ]);
    expect(await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'big', size: GiB })).toEqual([
      { error: { class: 'GenericError', desc: "attempt to add duplicate property 'big' to object (type 'container')" } },
    ]);
    expect(await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'zero' })).toEqual([{ error: { class: 'GenericError', desc: "can't create backend with size 0" } }]);
    await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'm', size: GiB });
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'd1', memdev: 'm' })).toEqual([{ return: {} }]);
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'd2', memdev: 'm' })).toEqual([{ error: { class: 'GenericError', desc: "can't use already busy memdev: m" } }]);
    expect(await qmp('object-del', { id: 'm' })).toEqual([{ error: { class: 'GenericError', desc: "object 'm' is in use, can not be deleted" } }]);
    expect(await qmp('object-del', { id: 'big' })).toEqual([{ return: {} }]);
  });

  it('finds cold-plugged DIMMs at boot (-object + -device pc-dimm)', async () => {
    const h = await bootHwMachine((c) => {
      withSlots(c);
      c.objects.push({ qomType: 'memory-backend-ram', id: 'mem0', props: [['size', '256M']] });
      c.devices.push({ driver: 'pc-dimm', props: [['id', 'cold'], ['memdev', 'mem0']] });
    });
    expect(h.read(`/sys/devices/system/memory/memory${(4 * GiB) / (128 * MiB)}/state`)).toBe('online\n');
    expect(h.m.memoryDevices.queryMemoryDevices()[0]?.data.hotplugged).toBe(false);
  });

  it('reports a DIMM the guest cannot use (not block-aligned) as a failed _OST', async () => {
    const h = await bootHwMachine(withSlots);
    const qmp = await qmpSession(h.m);
    await qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'odd', size: 130 * MiB });
    expect(await qmp('device_add', { driver: 'pc-dimm', id: 'odd', memdev: 'odd' })).toEqual([{ return: {} }]);
    h.advance(10);
    const ev = (await qmp('query-status')).find((e) => (e as { event?: string }).event === 'ACPI_DEVICE_OST') as { data: { info: { status: number } } };
    expect(ev.data.info.status).toBe(1);
    expect(blockDirs(h.sh('ls /sys/devices/system/memory').out).length).toBe(16);
  });
});
