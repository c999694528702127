/**
 * virtio 1.2 §5.3.6 Device Operation: port data in both directions (receiveq = host→guest,
 * transmitq = guest→host), with QEMU's host_connected / guest_connected rules, its
 * throttling on chardev backpressure, and this model's bounded, lossless host→guest buffer.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_CONSOLE_PORT_OPEN } from '../../src/abi/virtio-console.js';
import { createChardevPipe } from '../../src/chardev/index.js';
import { HOST_TO_GUEST_BUFFER_MAX } from '../../devices/virtio-serial/data-path.js';
import { RX_BUF, SerialRig, concat, pattern, rxq, settle, txq } from './harness.js';

const OPEN = VIRTIO_CONSOLE_PORT_OPEN;

/** Byte equality without vitest's element-by-element diffing, which crawls on megabytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
const DEC = new TextDecoder();

interface AgentOpts {
  connect?: boolean;
  highWater?: number;
  type?: 'virtserialport' | 'virtconsole';
}

/** A guest-agent-like port at id 1 on a running multiport driver. */
async function agent(opts: AgentOpts = {}) {
  const rig = new SerialRig();
  const { chardev, host } = createChardevPipe('qga0', { connect: opts.connect ?? true, highWater: opts.highWater });
  await settle();
  const port = rig.dev.addPort({ type: opts.type ?? 'virtserialport', nr: 1, name: 'org.qemu.guest_agent.0', chardev, id: 'channel0' });
  rig.bringUp();
  return { rig, chardev, host, port };
}

describe('5.3.6 receiveq: host → guest', () => {
  it('host bytes wait until the guest opens the port, then fill posted buffers in order', async () => {
    const { rig, host, port } = await agent();
    rig.readyPort(1, 4);
    host.write('{"execute":"guest-ping"}\n');
    await settle();
    expect(rig.received(1)).toEqual(new Uint8Array(0));
    expect(port.stats().hostToGuestBuffered).toBe(25);
    rig.transport.take();
    rig.openPort(1);
    expect(DEC.decode(rig.received(1))).toBe('{"execute":"guest-ping"}\n');
    expect(rig.transport.take()).toContain(`queue ${rxq(1)}`);
    expect(port.stats()).toMatchObject({ hostToGuestBytes: 25, hostToGuestBuffered: 0 });
  });

  it('QEMU handle_input: bytes wait for buffers and flow when the driver posts some and kicks', async () => {
    const { rig, host } = await agent();
    rig.readyPort(1, 0);
    rig.openPort(1);
    host.write(pattern(10_000));
    await settle();
    expect(rig.received(1)).toHaveLength(0);
    rig.postIn(rxq(1), 2, RX_BUF);
    const first = rig.takeIn(rxq(1));
    expect(first.map((u) => u.len)).toEqual([4096, 4096]);
    rig.postIn(rxq(1), 2, RX_BUF);
    const second = rig.takeIn(rxq(1));
    expect(second.map((u) => u.len)).toEqual([10_000 - 8192]);
    expect(concat([...first, ...second].map((u) => u.bytes))).toEqual(pattern(10_000));
  });

  it(`more than HOST_TO_GUEST_BUFFER_MAX while the guest reads nothing: chardev paused, nothing lost`, async () => {
    const { rig, chardev, host, port } = await agent();
    rig.readyPort(1, 0);
    rig.openPort(1);
    const total = 3 * HOST_TO_GUEST_BUFFER_MAX + 12345;
    const data = pattern(total, 7);
    for (let at = 0; at < total; at += 60_000) host.write(data.subarray(at, at + 60_000));
    await settle();
    expect(chardev.paused).toBe(true);
    expect(port.stats().pauses).toBe(1);
    expect(port.stats().hostToGuestBuffered).toBeGreaterThanOrEqual(HOST_TO_GUEST_BUFFER_MAX);
    expect(port.stats().hostToGuestBuffered).toBeLessThan(HOST_TO_GUEST_BUFFER_MAX + 60_000);
    const got: Uint8Array[] = [];
    let guard = 0;
    while (got.reduce((n, b) => n + b.length, 0) < total && guard++ < 1000) {
      rig.postIn(rxq(1), 128, RX_BUF);
      got.push(rig.received(1));
      await settle();
    }
    expect(sameBytes(concat(got), data)).toBe(true);
    const s = port.stats();
    expect(s).toMatchObject({ hostToGuestBytes: total, hostToGuestBuffered: 0, hostToGuestDiscarded: 0 });
    expect(s.pauses).toBeGreaterThanOrEqual(1);
    expect(chardev.paused).toBe(false);
    expect(rig.states).toEqual(expect.arrayContaining(['1:paused', '1:resumed']));
  });

  it('QEMU virtio_serial_close: bytes the guest never took are discarded, counted, when the host goes', async () => {
    const { rig, host, port } = await agent();
    rig.readyPort(1, 0);
    host.write(pattern(300));
    await settle();
    host.disconnect();
    await settle();
    expect(port.stats()).toMatchObject({ hostToGuestBuffered: 0, hostToGuestDiscarded: 300 });
    host.connect();
    await settle();
    host.write('new');
    await settle();
    rig.openPort(1);
    rig.postIn(rxq(1), 1, RX_BUF);
    expect(DEC.decode(rig.received(1))).toBe('new');
  });
});

describe('5.3.6 transmitq: guest → host', () => {
  it('guest output reaches the host in order; each buffer comes back with used length 0', async () => {
    const { rig, host, port } = await agent();
    rig.readyPort(1);
    rig.openPort(1);
    rig.write(1, pattern(100));
    rig.write(1, pattern(50, 100));
    expect(rig.txUsed(1)).toEqual([
      { id: 0, len: 0 },
      { id: 1, len: 0 },
    ]);
    expect(await host.readBytes(150)).toEqual(pattern(150));
    expect(port.stats().guestToHostBytes).toBe(150);
  });

  it('a chain of several descriptors is written segment by segment', async () => {
    const { rig, host } = await agent();
    rig.queue(txq(1)).addChain([
      { len: 3, data: pattern(3) },
      { len: 5, data: pattern(5, 3) },
    ]);
    rig.kick(txq(1));
    expect(await host.readBytes(8)).toEqual(pattern(8));
  });

  it('2.7.5.3 indirect descriptors (INDIRECT_DESC offered): an indirect chain is written in order', async () => {
    const { rig, host } = await agent();
    rig.queue(txq(1)).addIndirect([
      { len: 4, data: pattern(4) },
      { len: 6, data: pattern(6, 4) },
    ]);
    rig.kick(txq(1));
    expect(await host.readBytes(10)).toEqual(pattern(10));
    expect(rig.txUsed(1)).toHaveLength(1);
  });

  it('QEMU handle_output: output while the host is disconnected is discarded, returned and counted', async () => {
    const { rig, port } = await agent({ connect: false });
    rig.readyPort(1);
    rig.write(1, pattern(64));
    rig.write(1, pattern(36));
    expect(rig.txUsed(1)).toEqual([
      { id: 0, len: 0 },
      { id: 1, len: 0 },
    ]);
    expect(port.stats()).toMatchObject({ guestToHostBytes: 0, guestToHostDiscarded: 100 });
    expect(rig.lines).toContain('port 1: 64 guest bytes in 1 buffer(s) discarded (host not connected)');
  });

  it('a port without a chardev is never host-connected: output discarded and counted', () => {
    const rig = new SerialRig();
    const port = rig.dev.addPort({ name: 'nowhere' });
    rig.bringUp();
    rig.write(1, pattern(10));
    expect(rig.txUsed(1)).toHaveLength(1);
    expect(port.stats().guestToHostDiscarded).toBe(10);
  });

  it('backpressure: a host that stops reading holds the chain (throttled) and it resumes on drain', async () => {
    const { rig, host, port } = await agent({ highWater: 1000 });
    host.pause();
    rig.write(1, pattern(800));
    rig.write(1, pattern(800, 800));
    rig.write(1, pattern(800, 1600));
    expect(rig.txUsed(1)).toEqual([{ id: 0, len: 0 }]);
    expect(port.throttled).toBe(true);
    expect(port.stats().throttles).toBe(1);
    await settle();
    expect(rig.txUsed(1)).toEqual([]);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 10 && got.reduce((n, b) => n + b.length, 0) < 2400; i++) {
      got.push(host.read());
      await settle();
    }
    expect(concat(got)).toEqual(pattern(2400));
    expect(rig.txUsed(1).map((u) => u.id)).toEqual([1, 2]);
    expect(port.throttled).toBe(false);
    expect(port.stats()).toMatchObject({ guestToHostBytes: 2400, guestToHostDiscarded: 0, guestToHostDropped: 0 });
    expect(port.stats().throttles).toBeGreaterThanOrEqual(1);
    expect(rig.lines).toEqual(expect.arrayContaining(['port 1: throttled', 'port 1: unthrottled']));
  });

  it('QEMU virtio_serial_close while throttled: held and queued output returned unsent, counted, PORT_OPEN 0', async () => {
    const { rig, host, port } = await agent({ highWater: 100 });
    rig.readyPort(1);
    rig.controlIn();
    host.pause();
    rig.write(1, pattern(150));
    rig.write(1, pattern(40));
    expect(rig.txUsed(1)).toEqual([]);
    host.disconnect();
    await settle();
    expect(rig.txUsed(1).map((u) => u.len)).toEqual([0, 0]);
    expect(port.stats()).toMatchObject({ guestToHostBytes: 100, guestToHostDiscarded: 90 });
    expect(port.throttled).toBe(false);
    expect(rig.controlIn()).toEqual([{ id: 1, event: OPEN, value: 0 }]);
  });

  it('QEMU flush_buf: a console never throttles; what the host refuses is dropped and counted', async () => {
    const { rig, host, port } = await agent({ highWater: 100, type: 'virtconsole' });
    host.pause();
    rig.write(1, pattern(150));
    rig.write(1, pattern(20));
    expect(rig.txUsed(1).map((u) => u.len)).toEqual([0, 0]);
    expect(port.throttled).toBe(false);
    expect(port.stats()).toMatchObject({ guestToHostBytes: 100, guestToHostDropped: 70 });
  });
});

describe('5.3.6.2 host connection → PORT_OPEN', () => {
  it('host connect/disconnect after PORT_READY send PORT_OPEN(1)/PORT_OPEN(0)', async () => {
    const { rig, host, port } = await agent({ connect: false });
    rig.readyPort(1);
    expect(rig.controlIn().map((m) => m.event)).not.toContain(OPEN);
    host.connect();
    await settle();
    expect(port.hostConnected).toBe(true);
    host.disconnect();
    await settle();
    expect(port.hostConnected).toBe(false);
    expect(rig.controlIn()).toEqual([
      { id: 1, event: OPEN, value: 1 },
      { id: 1, event: OPEN, value: 0 },
    ]);
    expect(rig.states).toEqual(expect.arrayContaining(['1:host-open', '1:host-close']));
  });

  it('QEMU virtio_serial_open: a host already connected at plug time gives exactly one PORT_OPEN, at PORT_READY', async () => {
    const { rig } = await agent();
    rig.readyPort(1);
    expect(rig.sent.filter((m) => m.event === OPEN)).toEqual([{ id: 1, event: OPEN, value: 1 }]);
  });

  it('QEMU: a console is host-connected from realize and ignores the chardev connection', async () => {
    const rig = new SerialRig();
    const { chardev, host } = createChardevPipe('con');
    const con = rig.dev.addPort({ type: 'virtconsole', chardev });
    expect(con.hostConnected).toBe(true);
    rig.bringUp();
    rig.readyPort(0);
    host.connect();
    await settle();
    host.disconnect();
    await settle();
    expect(rig.controlIn().filter((m) => m.event === OPEN)).toEqual([{ id: 0, event: OPEN, value: 1 }]);
    rig.write(0, pattern(5));
    expect(con.stats()).toMatchObject({ guestToHostBytes: 0, guestToHostDiscarded: 5 });
  });
});

describe('without MULTIPORT (5.3.6.2: only port 0, no control queues)', () => {
  it('port 0 carries data both ways as soon as the driver is up', async () => {
    const rig = new SerialRig({ maxPorts: 1 });
    const { chardev, host } = createChardevPipe('con', { connect: true });
    rig.dev.addPort({ type: 'virtconsole', chardev });
    rig.negotiate();
    host.write('hi');
    await settle();
    rig.postIn(rxq(0), 1, RX_BUF);
    expect(DEC.decode(rig.received(0))).toBe('hi');
    rig.write(0, new TextEncoder().encode('yo'));
    expect(DEC.decode(await host.readBytes(2))).toBe('yo');
  });
});

describe('2.4 Device Reset with output in flight', () => {
  it('QEMU guest_reset forgets a half-written chain (counted); output flows again after re-init and drain', async () => {
    const { rig, host, port } = await agent({ highWater: 100 });
    host.pause();
    rig.write(1, pattern(150));
    expect(port.throttled).toBe(true);
    rig.dev.setStatus(0);
    expect(port.stats().guestToHostDiscarded).toBe(50);
    rig.bringUp();
    expect(host.read()).toEqual(pattern(100));
    await settle();
    rig.write(1, pattern(30, 9));
    expect(await host.readBytes(30)).toEqual(pattern(30, 9));
    expect(rig.txUsed(1)).toEqual([{ id: 0, len: 0 }]);
  });
});
