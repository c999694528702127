import { describe, expect, it } from 'vitest';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../src/abi/virtio.js';
import { VRING_AVAIL_IDX } from '../../src/abi/virtio.js';
import { O_RDWR } from '../../src/guest/kernel/index.js';
import { portEchoMain } from '../../src/guest/programs/port-echo.js';
import { portRxQueue, portTxQueue, type ConsolePortState } from '../../src/guest/drivers/virtio-console/index.js';
import { AGENT_PORT, bootConsoleRig, dec, enc, errCode, hostOf, spawnScript, type Rig } from './harness.js';

const PORT = `/dev/virtio-ports/${AGENT_PORT}`;

async function bootEcho(): Promise<Rig> {
  const rig = await bootConsoleRig({ userspace: (os) => void os.kernel.spawn(portEchoMain, ['port-echo', PORT]) });
  hostOf(rig).connect();
  await rig.until(() => rig.console().port(1)?.guestConnected === true && rig.console().port(1)?.hostConnected === true, 'port open on both sides');
  return rig;
}

async function echo(rig: Rig, text: string): Promise<string> {
  const h = hostOf(rig);
  h.write(text);
  for (let i = 0; i < 1000 && h.buffered < text.length; i++) await rig.step(10);
  return dec(h.read());
}

describe('virtio-console: device reset and port removal', () => {
  it('a corrupted ring makes the device need a reset; the driver resets, re-announces the open port, and echo works again', async () => {
    const rig = await bootEcho();
    expect(await echo(rig, 'before')).toBe('before');
    const c = rig.console();
    const resets: string[] = [];
    c.events.on('reset', (r) => resets.push(r));
    const statuses: number[] = [];
    c.drv.onConfigChange(() => statuses.push(c.drv.status()));
    // A guest bug, simulated: the receiveq's avail idx jumps far past what was ever added.
    const rxq = c.drv.queue(portRxQueue(1));
    const idx = rig.m.mem.read(rxq.layout.avail + VRING_AVAIL_IDX, 2);
    rig.m.mem.write(rxq.layout.avail + VRING_AVAIL_IDX, 2, (idx + 0x4000) & 0xffff);
    // The host's bytes find the broken ring, wait in the device, and arrive after the reset.
    expect(await echo(rig, 'sent during the outage')).toBe('sent during the outage');
    expect(statuses.some((s) => (s & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0)).toBe(true);
    expect(rig.lines().some((l) => /vq4: error: Guest moved used index from \d+ to \d+/.test(l))).toBe(true);
    expect(resets).toEqual(['device needs reset']);
    expect(c.stats().resets).toBe(1);
    expect(rig.dev.serial.broken).toBe(false);
    expect(rig.dev.serial.findPort(1)?.guestConnected).toBe(true);
    expect(await echo(rig, 'after reset')).toBe('after reset');
    expect(await echo(rig, 'and again')).toBe('and again');
    const st = c.port(1)!.stats();
    expect(st.rxPosted).toBe(128);
    expect(st.rxAllocated).toBe(128);
    // The echo program never noticed: same process, same open file.
    expect(rig.os.kernel.processes().filter((p) => p.comm === 'port-echo')).toHaveLength(1);
    expect(st.opens).toBe(1);
  });

  it('a bad kick on the transmitq: out-buffers still in the ring are lost with the reset (counted), the pools are reused, the writer carries on', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const c = rig.console();
    const total = 8 * 1024 * 1024;
    let sent = 0;
    const w = spawnScript(rig, 'writer', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      while (sent < total) sent += yield* sys.write(fd, new Uint8Array(Math.min(65536, total - sent)).fill(0x5a));
    });
    // The host does not read: 1 MiB waits in the chardev, one chain in the device, the ring fills.
    await rig.step(20);
    const port = c.port(1)!;
    expect(port.stats().txInFlight).toBe(128);
    const txq = c.drv.queue(portTxQueue(1));
    rig.m.mem.write(txq.layout.avail + VRING_AVAIL_IDX, 2, (rig.m.mem.read(txq.layout.avail + VRING_AVAIL_IDX, 2) + 0x4000) & 0xffff);
    c.drv.notify(portTxQueue(1));
    // The device is throttled and looks at the ring again only when the host drains.
    let got = 0;
    for (let i = 0; i < 1000 && !(c.stats().resets === 1 && port.hostConnected); i++) {
      got += h.read().length;
      await rig.step(1);
    }
    expect(c.stats().resets).toBe(1);
    expect(port.stats().lostInReset).toBeGreaterThan(100 * 32 * 1024);
    while (!w.done || got + port.stats().lostInReset < port.stats().bytesOut) {
      got += h.read().length;
      await rig.step(1);
      if (rig.m.sched.now() > 60e9) throw new Error('writer stuck');
    }
    got += h.read().length;
    expect(w.error).toBeUndefined();
    expect(port.stats().bytesOut).toBe(total);
    // The chain the device was holding had partly reached the host before the reset.
    expect(got).toBeGreaterThanOrEqual(total - port.stats().lostInReset);
    expect(got).toBeLessThanOrEqual(total);
    expect(port.stats().txAllocated).toBeLessThanOrEqual(128);
    expect(port.stats().txInFlight).toBe(0);
  });

  it('PORT_REMOVE: node and link go, a blocked reader gets ENODEV; a port plugged again at the same id gets them back', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const c = rig.console();
    const states: ConsolePortState[] = [];
    c.events.on('port-state', (s) => states.push(s.state));
    let readErr: unknown;
    const reader = spawnScript(rig, 'reader', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      try {
        yield* sys.read(fd, 10);
      } catch (e) {
        readErr = errCode(e);
      }
      sys.close(fd);
    });
    await rig.step(5);
    const dport = rig.dev.serial.findPort(1)!;
    const chardev = dport.chardev;
    rig.dev.serial.removePort(dport);
    await rig.until(() => reader.done, 'reader');
    expect(readErr).toBe('ENODEV');
    const k = rig.os.kernel;
    expect(() => k.stat('/dev/vport0p1')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => k.stat(PORT, false)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(k.devices.lookup('char', k.stat('/dev/null').rdev)).toBeDefined();
    expect(c.port(1)).toBeUndefined();
    expect(states).toContain('removed');

    rig.dev.serial.addPort({ name: AGENT_PORT, chardev });
    await rig.step(5);
    expect(k.vfs.readlink(k.kernelContext(), PORT)).toBe('../vport0p1');
    const port = rig.port(1);
    expect(port.stats().rxPosted).toBe(128);
    expect(port.stats().rxAllocated).toBe(128);
    let got = '';
    const again = spawnScript(rig, 'again', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      got = dec(yield* sys.read(fd, 100));
    });
    await rig.step(5);
    h.write(enc('second life'));
    await rig.until(() => again.done, 'second reader');
    expect(got).toBe('second life');
  });

  it('port-echo survives its port being unplugged and plugged again', async () => {
    const rig = await bootEcho();
    expect(await echo(rig, 'one')).toBe('one');
    const dport = rig.dev.serial.findPort(1)!;
    const chardev = dport.chardev;
    rig.dev.serial.removePort(dport);
    await rig.step(300);
    rig.dev.serial.addPort({ name: AGENT_PORT, chardev });
    await rig.until(() => rig.console().port(1)?.guestConnected === true, 'echo reopened');
    await rig.until(() => rig.console().port(1)?.hostConnected === true, 'host connected');
    expect(await echo(rig, 'two')).toBe('two');
  });
});
