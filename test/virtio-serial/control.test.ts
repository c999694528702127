/**
 * virtio 1.2 §5.3.6.2 Multiport Device Operation: the control queues, with QEMU's
 * handle_control_message behaviour (order of replies, error_report texts, ignored messages),
 * and this model's guarantee that device→driver messages wait for c_ivq buffers.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_CONSOLE_BAD_ID,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VIRTIO_CONSOLE_RESIZE,
} from '../../src/abi/virtio-console.js';
import { createChardevPipe } from '../../src/chardev/index.js';
import { CONTROL_QUEUE_MAX } from '../../devices/virtio-serial/control.js';
import { C_IVQ, RX_BUF, SerialRig, settle } from './harness.js';

const ADD = VIRTIO_CONSOLE_PORT_ADD;
const OPEN = VIRTIO_CONSOLE_PORT_OPEN;

async function agentRig(): Promise<{ rig: SerialRig; host: ReturnType<typeof createChardevPipe>['host'] }> {
  const rig = new SerialRig();
  const { chardev, host } = createChardevPipe('qga0', { connect: true });
  await settle();
  rig.dev.addPort({ type: 'virtconsole', name: 'con0' });
  rig.dev.addPort({ name: 'org.qemu.guest_agent.0', chardev, id: 'channel0' });
  rig.dev.addPort({ name: 'other' });
  return { rig, host };
}

describe('5.3.6.2 Multiport Device Operation: bring-up', () => {
  it('DEVICE_READY(1) → PORT_ADD for every port, in plug order', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    expect(rig.controlIn()).toEqual([
      { id: 0, event: ADD, value: 1 },
      { id: 1, event: ADD, value: 1 },
      { id: 2, event: ADD, value: 1 },
    ]);
  });

  it('PORT_READY(1) → CONSOLE_PORT (consoles), PORT_NAME (named), PORT_OPEN (host connected), in that order', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.controlIn();
    rig.readyPort(0);
    rig.readyPort(1);
    rig.readyPort(2);
    expect(rig.controlIn()).toEqual([
      { id: 0, event: VIRTIO_CONSOLE_CONSOLE_PORT, value: 1 },
      { id: 0, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, name: 'con0' },
      { id: 1, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, name: 'org.qemu.guest_agent.0' },
      { id: 1, event: OPEN, value: 1 },
      { id: 2, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, name: 'other' },
    ]);
    expect(rig.dev.ports.map((p) => p.guestReady)).toEqual([true, true, true]);
  });

  it('PORT_NAME is header + name + NUL in one buffer, used length 8 + strlen + 1', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.takeIn(C_IVQ);
    rig.readyPort(1);
    const used = rig.takeIn(C_IVQ);
    expect(used[0]!.len).toBe(8 + 'org.qemu.guest_agent.0'.length + 1);
    expect(used[0]!.bytes[used[0]!.len - 1]).toBe(0);
    expect(used[1]!.len).toBe(8);
  });

  it('the driver gets each c_ovq buffer back with used length 0, one interrupt per kick', async () => {
    const { rig } = await agentRig();
    rig.negotiate();
    rig.postIn(C_IVQ, 32, RX_BUF);
    rig.transport.take();
    expect(rig.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1)).toEqual([{ id: 0, len: 0 }]);
    expect(rig.transport.take()).toEqual(['queue 2', 'queue 3']);
  });

  it('guest PORT_OPEN sets guestConnected and emits vserport-change for a port with a qdev id', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.readyPort(1);
    rig.openPort(1);
    expect(rig.dev.ports[1]!.guestConnected).toBe(true);
    rig.openPort(1, false);
    expect(rig.dev.ports[1]!.guestConnected).toBe(false);
    expect(rig.vserport).toEqual([
      { id: 'channel0', open: true },
      { id: 'channel0', open: false },
    ]);
    expect(rig.states).toEqual(expect.arrayContaining(['1:guest-open', '1:guest-close']));
  });

  it('QEMU: a repeated guest PORT_OPEN repeats VSERPORT_CHANGE; ports without a qdev id emit none', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.openPort(1);
    rig.openPort(1);
    rig.openPort(2);
    expect(rig.vserport).toEqual([
      { id: 'channel0', open: true },
      { id: 'channel0', open: true },
    ]);
    expect(rig.dev.ports[2]!.guestConnected).toBe(true);
  });

  it('trace lines name each control message in both directions', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.readyPort(1);
    expect(rig.lines).toEqual(
      expect.arrayContaining([
        'ctrl rx DEVICE_READY id BAD_ID value 1',
        'ctrl tx PORT_ADD id 1 value 1',
        'ctrl rx PORT_READY id 1 value 1',
        'ctrl tx PORT_NAME id 1 value 1 name "org.qemu.guest_agent.0"',
        'ctrl tx PORT_OPEN id 1 value 1',
      ]),
    );
  });
});

describe('QEMU handle_control_message: driver errors are reported, never fatal', () => {
  it('DEVICE_READY(0): "Guest failure in adding device %s", nothing sent', async () => {
    const { rig } = await agentRig();
    rig.negotiate();
    rig.postIn(C_IVQ, 4, RX_BUF);
    rig.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 0);
    expect(rig.warnings).toEqual(['virtio-serial-bus: Guest failure in adding device virtio-serial-bus.0']);
    expect(rig.controlIn()).toEqual([]);
    expect(rig.lines).toContain('warning: virtio-serial-bus: Guest failure in adding device virtio-serial-bus.0');
  });

  it('PORT_READY(0): "Guest failure in adding port %u for device %s", no reply', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.controlIn();
    rig.control(1, VIRTIO_CONSOLE_PORT_READY, 0);
    expect(rig.warnings).toEqual(['virtio-serial-bus: Guest failure in adding port 1 for device virtio-serial-bus.0']);
    expect(rig.controlIn()).toEqual([]);
  });

  it('PORT_OPEN for an id without a port: "Unexpected port id %u for device %s"', () => {
    const rig = new SerialRig({ busName: 'vser0.0' });
    rig.bringUp();
    rig.openPort(7);
    rig.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_PORT_READY, 1);
    expect(rig.warnings).toEqual([
      'virtio-serial-bus: Unexpected port id 7 for device vser0.0',
      'virtio-serial-bus: Unexpected port id 4294967295 for device vser0.0',
    ]);
  });

  it('a buffer shorter than 8 bytes is ignored silently (but counted), and returned', () => {
    const rig = new SerialRig();
    rig.bringUp();
    expect(rig.controlRaw(new Uint8Array([1, 0, 0, 0, 6, 0]))).toEqual([{ id: 1, len: 0 }]);
    expect(rig.warnings).toEqual([]);
    expect(rig.dev.stats().control.ignored).toBe(1);
  });

  it('device→driver events and unknown events from the driver are ignored', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.controlIn();
    rig.control(1, VIRTIO_CONSOLE_RESIZE, 1);
    rig.control(1, ADD, 1);
    rig.control(1, 99, 1);
    expect(rig.controlIn()).toEqual([]);
    expect(rig.warnings).toEqual([]);
    expect(rig.dev.stats().control.received).toBe(4);
  });
});

describe('device→driver messages are not lost when c_ivq is empty (QEMU drops them)', () => {
  it('DEVICE_READY with no c_ivq buffers: PORT_ADDs wait and arrive in order once buffers are posted', async () => {
    const { rig } = await agentRig();
    rig.negotiate();
    rig.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect(rig.dev.stats().control.queued).toBe(3);
    rig.postIn(C_IVQ, 2, RX_BUF);
    expect(rig.controlIn().map((m) => m.id)).toEqual([0, 1]);
    rig.postIn(C_IVQ, 2, RX_BUF);
    expect(rig.controlIn().map((m) => m.id)).toEqual([2]);
    expect(rig.dev.stats().control).toMatchObject({ sent: 3, queued: 0, dropped: 0 });
  });

  it('host connect/disconnect with a full c_ivq: every PORT_OPEN arrives, in order', async () => {
    const rig = new SerialRig();
    const { chardev, host } = createChardevPipe('p');
    rig.dev.addPort({ name: 'p', chardev });
    rig.bringUp({ controlBuffers: 1 });
    rig.controlIn();
    for (let i = 0; i < 3; i++) {
      host.connect();
      await settle();
      host.disconnect();
      await settle();
    }
    rig.postIn(C_IVQ, 8, RX_BUF);
    expect(rig.controlIn().map((m) => m.value)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it(`the FIFO is bounded at CONTROL_QUEUE_MAX (${CONTROL_QUEUE_MAX}); overflow is counted and warned once`, () => {
    const rig = new SerialRig();
    for (let i = 0; i < 30; i++) rig.dev.addPort({});
    rig.negotiate();
    const rounds = Math.ceil(CONTROL_QUEUE_MAX / 30) + 1;
    for (let r = 0; r < rounds; r++) rig.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    const c = rig.dev.stats().control;
    expect(c.queued).toBe(CONTROL_QUEUE_MAX);
    expect(c.dropped).toBe(rounds * 30 - CONTROL_QUEUE_MAX);
    expect(rig.warnings).toHaveLength(1);
    rig.postIn(C_IVQ, 32, RX_BUF);
    expect(rig.controlIn().map((m) => m.id)).toEqual(Array.from({ length: 32 }, (_, i) => (i % 30) + 1));
  });

  it('QEMU: messages meant for a driver that is not up yet are not queued (it learns all at DEVICE_READY)', async () => {
    const rig = new SerialRig();
    const { chardev, host } = createChardevPipe('p');
    rig.dev.addPort({ name: 'p', chardev });
    host.connect();
    await settle();
    rig.bringUp();
    expect(rig.controlIn()).toEqual([{ id: 1, event: ADD, value: 1 }]);
    expect(rig.dev.stats().control.notListening).toBeGreaterThan(0);
    rig.readyPort(1);
    expect(rig.controlIn().map((m) => m.event)).toEqual([VIRTIO_CONSOLE_PORT_NAME, OPEN]);
  });

  it('a c_ivq buffer too small for PORT_NAME gets what fits; the truncation is counted and warned', () => {
    const rig = new SerialRig();
    rig.dev.addPort({ name: 'a-rather-long-port-name' });
    rig.negotiate();
    rig.postIn(C_IVQ, 1, RX_BUF);
    rig.control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    rig.takeIn(C_IVQ);
    rig.postIn(C_IVQ, 1, 12);
    rig.control(1, VIRTIO_CONSOLE_PORT_READY, 1);
    expect(rig.takeIn(C_IVQ).map((u) => u.len)).toEqual([12]);
    expect(rig.dev.stats().control.truncated).toBe(1);
    expect(rig.warnings[0]).toMatch(/too small for PORT_NAME/);
  });
});

describe('2.4 Device Reset / QEMU guest_reset', () => {
  it('reset closes guest-open ports (VSERPORT_CHANGE open:false) and forgets queued messages', async () => {
    const { rig } = await agentRig();
    rig.bringUp({ controlBuffers: 1 });
    rig.readyPort(1);
    rig.openPort(1);
    expect(rig.dev.stats().control.queued).toBeGreaterThan(0);
    rig.dev.setStatus(0);
    expect(rig.dev.ports[1]!.guestConnected).toBe(false);
    expect(rig.dev.ports[1]!.guestReady).toBe(false);
    expect(rig.vserport).toEqual([
      { id: 'channel0', open: true },
      { id: 'channel0', open: false },
    ]);
    expect(rig.dev.stats().control.queued).toBe(0);
    expect(rig.dev.stats().control.discardedOnReset).toBeGreaterThan(0);
    rig.bringUp();
    expect(rig.controlIn().map((m) => [m.id, m.event])).toEqual([
      [0, ADD],
      [1, ADD],
      [2, ADD],
    ]);
  });

  it('QEMU set_status: clearing DRIVER_OK without a reset also closes the ports', async () => {
    const { rig } = await agentRig();
    rig.bringUp();
    rig.openPort(1);
    rig.dev.setStatus(rig.dev.status & ~4);
    expect(rig.dev.ports[1]!.guestConnected).toBe(false);
    expect(rig.vserport.at(-1)).toEqual({ id: 'channel0', open: false });
  });

  it('5.3.6.2: without MULTIPORT there is no control traffic and port 0 counts as open at DRIVER_OK', () => {
    const rig = new SerialRig({ maxPorts: 1 });
    const con = rig.dev.addPort({ type: 'virtconsole', id: 'con0' });
    rig.negotiate();
    expect(con.guestConnected).toBe(true);
    expect(rig.vserport).toEqual([]);
    rig.dev.removePort(con);
    expect(rig.dev.stats().control).toMatchObject({ sent: 0, queued: 0, notListening: 2 });
  });
});
