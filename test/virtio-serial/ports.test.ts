/**
 * Port ids and hot plug: QEMU's virtser_port_device_realize / find_free_port_id / plug /
 * unplug, and virtio 1.2 §5.3.6.2 PORT_ADD / PORT_REMOVE for a running driver.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_REMOVE,
} from '../../src/abi/virtio-console.js';
import { createTestMemory } from '../../src/testkit/index.js';
import { VirtioSerial, VirtioSerialRegistry } from '../../devices/virtio-serial/device.js';
import { VSER_ERR, VirtioSerialError } from '../../devices/virtio-serial/errors.js';
import { SerialRig, pattern, rxq, txq } from './harness.js';

function device(maxPorts?: number, registry?: VirtioSerialRegistry): VirtioSerial {
  return new VirtioSerial({ mem: createTestMemory(), maxPorts, registry });
}

describe('QEMU port id allocation', () => {
  it('id 0 is reserved for a console: the first virtserialport (the guest agent) gets id 1', () => {
    const dev = device();
    expect(dev.addPort({ name: 'org.qemu.guest_agent.0' }).nr).toBe(1);
    expect(dev.addPort({}).nr).toBe(2);
  });

  it('the first virtconsole without nr gets 0, a second one the first free id', () => {
    const dev = device();
    expect(dev.addPort({ name: 'a' }).nr).toBe(1);
    expect(dev.addPort({ type: 'virtconsole' }).nr).toBe(0);
    expect(dev.addPort({ type: 'virtconsole' }).nr).toBe(2);
  });

  it('explicit nr is honoured and skipped by later automatic ids', () => {
    const dev = device();
    expect(dev.addPort({ nr: 2 }).nr).toBe(2);
    expect(dev.addPort({}).nr).toBe(1);
    expect(dev.addPort({}).nr).toBe(3);
  });

  it('virtserialport at nr=0: "Port number 0 ... reserved for virtconsole devices ..."', () => {
    const dev = device();
    expect(() => dev.addPort({ nr: 0 })).toThrow(
      new VirtioSerialError('Port number 0 on virtio-serial devices reserved for virtconsole devices for backward compatibility.'),
    );
    expect(dev.ports).toHaveLength(0);
    expect(dev.addPort({ type: 'virtconsole', nr: 0 }).nr).toBe(0);
  });

  it('"A port already exists at id %u"', () => {
    const dev = device();
    dev.addPort({ nr: 3 });
    expect(() => dev.addPort({ nr: 3 })).toThrow('virtio-serial-bus: A port already exists at id 3');
  });

  it('"A port already exists by name %s" across all virtio-serial devices of the machine', () => {
    const registry = new VirtioSerialRegistry();
    const a = device(undefined, registry);
    const b = device(undefined, registry);
    a.addPort({ name: 'org.qemu.guest_agent.0' });
    expect(() => b.addPort({ name: 'org.qemu.guest_agent.0' })).toThrow(VSER_ERR.nameInUse('org.qemu.guest_agent.0'));
    expect(VSER_ERR.nameInUse('x')).toBe('virtio-serial-bus: A port already exists by name x');
  });

  it('"Out-of-range port id specified, max. allowed: %u" for nr >= max_ports', () => {
    const dev = device(4);
    expect(() => dev.addPort({ nr: 4 })).toThrow('virtio-serial-bus: Out-of-range port id specified, max. allowed: 3');
    expect(dev.addPort({ nr: 3 }).nr).toBe(3);
  });

  it('QEMU find_free_port_id works in 32-bit words: a full small device reports out-of-range', () => {
    const dev = device(3);
    dev.addPort({});
    dev.addPort({});
    expect(() => dev.addPort({})).toThrow('virtio-serial-bus: Out-of-range port id specified, max. allowed: 2');
  });

  it('"Maximum port limit for this device reached" when every id of every word is taken', () => {
    const dev = device(32);
    dev.addPort({ type: 'virtconsole' });
    for (let i = 1; i < 32; i++) dev.addPort({});
    expect(() => dev.addPort({})).toThrow('virtio-serial-bus: Maximum port limit for this device reached');
  });
});

describe('5.3.6.2 Multiport Device Operation: hot plug', () => {
  it('hot-add while the driver runs: PORT_ADD and a config interrupt, then PORT_READY gets the name', () => {
    const rig = new SerialRig();
    rig.bringUp();
    expect(rig.controlIn()).toEqual([]);
    rig.transport.take();
    const port = rig.dev.addPort({ name: 'late', id: 'p-late' });
    expect(port.nr).toBe(1);
    expect(rig.controlIn()).toEqual([{ id: 1, event: VIRTIO_CONSOLE_PORT_ADD, value: 1 }]);
    expect(rig.transport.take()).toEqual([`queue 2`, 'config']);
    rig.readyPort(1);
    expect(rig.controlIn()).toEqual([{ id: 1, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, name: 'late' }]);
    expect(port.guestReady).toBe(true);
  });

  it('hot-add of a console: PORT_READY answers CONSOLE_PORT before PORT_NAME', () => {
    const rig = new SerialRig();
    rig.bringUp();
    rig.dev.addPort({ type: 'virtconsole', name: 'con' });
    rig.readyPort(0);
    expect(rig.controlIn().map((m) => [m.id, m.event])).toEqual([
      [0, VIRTIO_CONSOLE_PORT_ADD],
      [0, VIRTIO_CONSOLE_CONSOLE_PORT],
      [0, VIRTIO_CONSOLE_PORT_NAME],
    ]);
  });

  it('hot-remove: queued guest output returned unread and counted, PORT_REMOVE sent, id reusable', () => {
    const rig = new SerialRig();
    const port = rig.dev.addPort({ name: 'gone' });
    rig.bringUp();
    rig.readyPort(1);
    rig.controlIn();
    rig.write(1, pattern(100));
    expect(rig.txUsed(1)).toEqual([{ id: 0, len: 0 }]); // no host: discarded at once
    rig.write(1, pattern(50), false);
    rig.dev.removePort(port);
    expect(rig.txUsed(1)).toEqual([{ id: 1, len: 0 }]);
    expect(port.stats().guestToHostDiscarded).toBe(150);
    expect(rig.controlIn()).toEqual([{ id: 1, event: VIRTIO_CONSOLE_PORT_REMOVE, value: 1 }]);
    expect(port.removed).toBe(true);
    expect(rig.dev.addPort({}).nr).toBe(1);
  });

  it('QEMU remove_port: unplugging the console at 0 keeps id 0 reserved for consoles', () => {
    const dev = device();
    const con = dev.addPort({ type: 'virtconsole' });
    dev.removePort(con);
    expect(dev.addPort({}).nr).toBe(1);
    expect(() => dev.addPort({ nr: 0 })).toThrow(VSER_ERR.port0Reserved());
    expect(dev.addPort({ type: 'virtconsole' }).nr).toBe(0);
  });

  it('output on the queues of an id without a port is returned unread and counted', () => {
    const rig = new SerialRig();
    rig.bringUp();
    rig.write(5, pattern(10));
    expect(rig.txUsed(5)).toEqual([{ id: 0, len: 0 }]);
    expect(rig.dev.stats().orphanDiscarded).toBe(10);
    rig.postIn(rxq(5), 1, 64);
    expect(rig.takeIn(rxq(5))).toEqual([]);
    expect(txq(5)).toBe(13);
  });

  it('a removed port cannot be plugged again', () => {
    const dev = device();
    const p = dev.addPort({});
    dev.removePort(p);
    expect(() => dev.addPort(p)).toThrow('already used');
  });
});
