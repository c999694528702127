import { describe, expect, it } from 'vitest';
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBit, hasFeature } from '../../src/abi/virtio.js';
import {
  VIRTIO_CONSOLE_F_EMERG_WRITE,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_READY,
} from '../../src/abi/virtio-console.js';
import { S_ISCHR, S_ISLNK, major, minor } from '../../src/guest/kernel/index.js';
import { virtioConsoleDriver, virtioConsoles, type ConsoleControlEvent } from '../../src/guest/drivers/virtio-console/index.js';
import type { ControlChannel } from '../../devices/virtio-serial/control.js';
import { AGENT_PORT, bootConsoleRig, type Rig } from './harness.js';

/** Index of the first line matching `re` at or after `from` (fails the test when absent). */
function lineIndex(lines: string[], re: RegExp, from = 0): number {
  const i = lines.findIndex((l, n) => n >= from && re.test(l));
  if (i < 0) throw new Error(`no line matching ${re} after line ${from}:\n${lines.join('\n')}`);
  return i;
}

/** The device's control channel, to play a misbehaving device. */
function deviceControl(rig: Rig): ControlChannel {
  return (rig.dev.serial as unknown as { control: ControlChannel }).control;
}

describe('virtio-console driver: probe and bring-up (reference §5.4, §5.6)', () => {
  it('matches transitional 1af4:1003 and modern 1af4:1043 functions only', () => {
    const fn = (vendor: number, device: number) => ({ vendor, device }) as Parameters<typeof virtioConsoleDriver.matches>[0];
    expect(virtioConsoleDriver.matches(fn(0x1af4, 0x1003))).toBe(true);
    expect(virtioConsoleDriver.matches(fn(0x1af4, 0x1043))).toBe(true);
    expect(virtioConsoleDriver.matches(fn(0x1af4, 0x1001))).toBe(false);
    expect(virtioConsoleDriver.matches(fn(0x8086, 0x1003))).toBe(false);
  });

  it('negotiates MULTIPORT and the ring features Linux takes, not EMERG_WRITE; sets up 2·(max_nr_ports+1) queues', async () => {
    const rig = await bootConsoleRig();
    const c = rig.console();
    expect(hasFeature(c.drv.features, VIRTIO_CONSOLE_F_MULTIPORT)).toBe(true);
    expect(c.drv.features & (featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC))).toBe(
      featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC),
    );
    expect(hasFeature(c.drv.features, VIRTIO_CONSOLE_F_EMERG_WRITE)).toBe(false);
    expect(c.maxPorts).toBe(31);
    expect(c.drv.queueCount).toBe(64);
    expect(rig.os.bound.get(c.drv.name)).toBe('virtio_console');
  });

  it('max_ports=4 gives 10 queues', async () => {
    const rig = await bootConsoleRig({ serialProps: [['max_ports', '4']] });
    expect(rig.console().maxPorts).toBe(4);
    expect(rig.console().drv.queueCount).toBe(10);
  });

  it('follows the bring-up order in the trace: DRIVER_OK, c_ivq filled, DEVICE_READY, PORT_ADD, receiveq filled, node, PORT_READY, PORT_NAME, link', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    const l = rig.lines();
    const order = [
      /virtio guest virtio0: .*features offered .* accepted/,
      /virtio guest virtio0: .*DRIVER_OK/,
      /virtio guest virtio0: vq2: 32 control receive buffers of 4096 bytes made available/,
      /virtio guest virtio0: vq3: ctrl tx DEVICE_READY id BAD_ID value 1/,
      /virtio 0000:00:0.\.0: ctrl rx DEVICE_READY id BAD_ID value 1/,
      /virtio 0000:00:0.\.0: ctrl tx PORT_ADD id 1 value 1/,
      /virtio guest virtio0: vq2: ctrl rx PORT_ADD id 1 value 1/,
      /virtio guest vport0p1: port 1: added/,
      /virtio guest vport0p1: vq4: 128 receive buffers of 4096 bytes made available/,
      /guest kernel: node \/dev\/vport0p1 char \d+:1/,
      /virtio guest virtio0: vq3: ctrl tx PORT_READY id 1 value 1/,
      /virtio 0000:00:0.\.0: ctrl tx PORT_NAME id 1 value 1 name "org.qemu.guest_agent.0"/,
      /virtio guest virtio0: vq2: ctrl rx PORT_NAME id 1 value 1 name "org.qemu.guest_agent.0"/,
      /virtio guest vport0p1: udev: \/dev\/virtio-ports\/org.qemu.guest_agent.0 -> ..\/vport0p1/,
    ];
    let at = 0;
    for (const re of order) at = lineIndex(l, re, at) + 1;
  });

  it('every ring event is a readable trace line: buffers offered, kicks, chains popped with descriptors, used entries, interrupts', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    const l = rig.lines();
    lineIndex(l, /virtio guest virtio0: vq2: avail head \d+ 0x[0-9a-f]+\+4096 W/);
    lineIndex(l, /virtio guest virtio0: vq3: kick/);
    lineIndex(l, /virtio 0000:00:0.\.0: kick vq3/);
    lineIndex(l, /virtio 0000:00:0.\.0: vq3: pop avail\[\d+\] head \d+: d\d+ 0x[0-9a-f]+\+8 R \(out 8 in 0\)/);
    lineIndex(l, /virtio 0000:00:0.\.0: vq2: used\[\d+\] = \{id \d+, len 8\}/);
    lineIndex(l, /virtio 0000:00:0.\.0: vq2 interrupt: MSI-X vector 1/);
    lineIndex(l, /virtio guest virtio0: vq2: used head \d+ len 8/);
  });

  it('creates /dev/vport0p1 (dynamic virtio-portsdev major, minor = port id) and the /dev/virtio-ports link udev makes', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    const k = rig.os.kernel;
    const c = rig.console();
    const st = k.stat('/dev/vport0p1');
    expect(S_ISCHR(st.mode)).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect([major(st.rdev), minor(st.rdev)]).toEqual([c.major, 1]);
    expect(k.devices.majors('char').find((e) => e.major === c.major)?.name).toBe('virtio-portsdev');
    expect(S_ISLNK(k.stat(`/dev/virtio-ports/${AGENT_PORT}`, false).mode)).toBe(true);
    expect(k.vfs.readlink(k.kernelContext(), `/dev/virtio-ports/${AGENT_PORT}`)).toBe('../vport0p1');
    expect(k.stat(`/dev/virtio-ports/${AGENT_PORT}`).rdev).toBe(st.rdev);
    expect(c.port(1)?.name).toBe(AGENT_PORT);
    expect(rig.dev.serial.findPort(1)?.guestReady).toBe(true);
  });

  it('several ports: one node each, unnamed ports get no link', async () => {
    const rig = await bootConsoleRig({
      ports: [{ chardev: 'a', name: 'one' }, { chardev: 'b' }, { chardev: 'c', name: 'three', nr: 5 }],
    });
    await rig.step(5);
    const k = rig.os.kernel;
    expect(k.stat('/dev/vport0p1').rdev).toBeGreaterThan(0);
    expect(k.stat('/dev/vport0p2').rdev).toBeGreaterThan(0);
    expect(k.vfs.readlink(k.kernelContext(), '/dev/virtio-ports/three')).toBe('../vport0p5');
    expect(k.vfs.readlink(k.kernelContext(), '/dev/virtio-ports/one')).toBe('../vport0p1');
    expect([...rig.console().ports.keys()].sort()).toEqual([1, 2, 5]);
  });

  it('a second device is vport1p<id>, with its own virtio-portsdev major', async () => {
    const rig = await bootConsoleRig({
      extraDevices: [
        { driver: 'virtio-serial-pci', props: [['id', 'vser1']] },
        { driver: 'virtserialport', props: [['bus', 'vser1.0'], ['chardev', 'other'], ['name', 'second']] },
      ],
    });
    await rig.step(5);
    const k = rig.os.kernel;
    const [a, b] = virtioConsoles(k);
    expect([a?.index, b?.index]).toEqual([0, 1]);
    expect(a?.major).not.toBe(b?.major);
    expect(k.vfs.readlink(k.kernelContext(), '/dev/virtio-ports/second')).toBe('../vport1p1');
    expect(major(k.stat('/dev/vport1p1').rdev)).toBe(b?.major);
    expect(k.devices.majors('char').filter((e) => e.name === 'virtio-portsdev')).toHaveLength(2);
  });

  it('a PORT_ADD with an id ≥ max_nr_ports is refused with Linux\'s warning; a duplicate PORT_ADD gets PORT_READY again', async () => {
    const rig = await bootConsoleRig({ serialProps: [['max_ports', '4']] });
    await rig.step(5);
    const c = rig.console();
    const sent: ConsoleControlEvent[] = [];
    c.events.on('control-sent', (m) => sent.push(m));
    const warnings: string[] = [];
    c.events.on('warning', (w) => warnings.push(w));
    deviceControl(rig).send(7, VIRTIO_CONSOLE_PORT_ADD, 1);
    await rig.step(1);
    expect(warnings).toEqual(['Request for adding port with out-of-bound id 7, max. supported id: 3']);
    expect(rig.lines().some((l) => l.includes('guest kernel: virtio_console virtio0: Request for adding port with out-of-bound id 7, max. supported id: 3'))).toBe(true);
    expect(c.port(7)).toBeUndefined();
    deviceControl(rig).send(1, VIRTIO_CONSOLE_PORT_ADD, 1);
    await rig.step(1);
    expect(sent).toEqual([{ id: 1, event: VIRTIO_CONSOLE_PORT_READY, value: 1 }]);
    expect(c.ports.size).toBe(1);
  });

  it('a device without MULTIPORT (max_ports=1) has one console port 0 on two queues; opening it gives ENXIO', async () => {
    const rig = await bootConsoleRig({ ports: [{ chardev: 'con', type: 'virtconsole' }], serialProps: [['max_ports', '1']] });
    await rig.step(5);
    const c = rig.console();
    expect(c.multiport).toBe(false);
    expect(c.drv.queueCount).toBe(2);
    expect(c.port(0)?.isConsole).toBe(true);
    expect(() => rig.os.kernel.vfs.open(rig.os.kernel.kernelContext(), '/dev/vport0p0', 2)).toThrow(expect.objectContaining({ code: 'ENXIO' }));
  });

  it('the legacy interface works too (disable-modern=on): same ports and nodes', async () => {
    const rig = await bootConsoleRig({ serialProps: [['disable-modern', 'on']] });
    await rig.step(5);
    expect(rig.console().drv.regs.kind).toBe('legacy');
    expect(rig.os.kernel.vfs.readlink(rig.os.kernel.kernelContext(), `/dev/virtio-ports/${AGENT_PORT}`)).toBe('../vport0p1');
  });
});
