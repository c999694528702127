import { describe, expect, it } from 'vitest';
import { F_SETFL, O_NONBLOCK, O_RDONLY, O_RDWR, POLLHUP, POLLIN, POLLOUT, SIGKILL, type PollFd } from '../../src/guest/kernel/index.js';
import { PORT_TX_BUFFER_SIZE, type ConsoleDiscardEvent } from '../../src/guest/drivers/virtio-console/index.js';
import { AGENT_PORT, bootConsoleRig, dec, enc, errCode, hostOf, spawnScript } from './harness.js';

const PORT = `/dev/virtio-ports/${AGENT_PORT}`;

describe('virtio-console port file operations (Linux port_fops, reference §5.6)', () => {
  it('one opener at a time: a second open gets EBUSY, and works again after close', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    const seen: unknown[] = [];
    const s = spawnScript(rig, 'busy', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      try {
        yield* sys.open('/dev/vport0p1', O_RDONLY);
      } catch (e) {
        seen.push(errCode(e));
      }
      sys.close(fd);
      const again = yield* sys.open(PORT, O_RDWR);
      seen.push('reopened');
      sys.close(again);
    });
    await rig.until(() => s.done, 'script');
    expect(s.error).toBeUndefined();
    expect(seen).toEqual(['EBUSY', 'reopened']);
    expect(rig.port(1).stats().opens).toBe(2);
  });

  it('open and close send PORT_OPEN 1 / 0: the device sees the guest side connect and leave', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    const dport = rig.dev.serial.findPort(1)!;
    let fd = -1;
    const s = spawnScript(rig, 'opener', function* (sys) {
      fd = yield* sys.open(PORT, O_RDWR);
      yield* sys.sleep(10e6);
      sys.close(fd);
    });
    await rig.step(5);
    expect(dport.guestConnected).toBe(true);
    await rig.until(() => s.done, 'script');
    await rig.step(1);
    expect(dport.guestConnected).toBe(false);
  });

  it('a console port cannot be opened (ENXIO), and is held open for hvc: the device sees it guest-connected', async () => {
    const rig = await bootConsoleRig({ ports: [{ chardev: 'con', type: 'virtconsole' }, { chardev: 'qga0', name: AGENT_PORT }] });
    await rig.step(5);
    let err: unknown;
    const s = spawnScript(rig, 'con', function* (sys) {
      try {
        yield* sys.open('/dev/vport0p0', O_RDWR);
      } catch (e) {
        err = errCode(e);
      }
    });
    await rig.until(() => s.done, 'script');
    expect(err).toBe('ENXIO');
    expect(rig.port(0).isConsole).toBe(true);
    expect(rig.dev.serial.findPort(0)?.guestConnected).toBe(true);
  });

  it('while the host is disconnected: read gives EOF, poll gives POLLIN|POLLHUP, a non-blocking write EAGAIN', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    const got: unknown[] = [];
    const s = spawnScript(rig, 'eof', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR | O_NONBLOCK);
      got.push((yield* sys.read(fd, 100)).length);
      const p: PollFd[] = [{ fd, events: POLLIN | POLLOUT, revents: 0 }];
      yield* sys.poll(p, 0);
      got.push(p[0]!.revents);
      try {
        yield* sys.write(fd, 'x');
      } catch (e) {
        got.push(errCode(e));
      }
      sys.close(fd);
    });
    await rig.until(() => s.done, 'script');
    expect(s.error).toBeUndefined();
    expect(got).toEqual([0, POLLIN | POLLHUP, 'EAGAIN']);
  });

  it('a blocking write waits for the host to connect, then goes through', async () => {
    const rig = await bootConsoleRig();
    await rig.step(5);
    let wrote = -1;
    const s = spawnScript(rig, 'w', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      wrote = yield* sys.write(fd, 'hello host');
    });
    await rig.step(20);
    expect(wrote).toBe(-1);
    expect(rig.port(1).stats().writesBlocked).toBeGreaterThan(0);
    const h = hostOf(rig);
    h.connect();
    await rig.until(() => s.done, 'write');
    expect(wrote).toBe(10);
    expect(dec(await h.readBytes(10))).toBe('hello host');
  });

  it('while connected with nothing to read: EAGAIN with O_NONBLOCK; a blocking read sleeps until data arrives; POLLOUT when writable', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const got: unknown[] = [];
    const s = spawnScript(rig, 'r', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR | O_NONBLOCK);
      try {
        yield* sys.read(fd, 100);
      } catch (e) {
        got.push(errCode(e));
      }
      const p: PollFd[] = [{ fd, events: POLLIN | POLLOUT, revents: 0 }];
      yield* sys.poll(p, 0);
      got.push(p[0]!.revents);
      sys.fcntl(fd, F_SETFL, 0);
      got.push(dec(yield* sys.read(fd, 100)));
    });
    await rig.step(20);
    expect(got).toEqual(['EAGAIN', POLLOUT]);
    h.write('late data');
    await rig.until(() => s.done, 'read');
    expect(got[2]).toBe('late data');
  });

  it('data buffered before the host left is still read, then EOF', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const got: string[] = [];
    let fd = -1;
    const s = spawnScript(rig, 'r', function* (sys) {
      fd = yield* sys.open(PORT, O_RDWR);
      yield* sys.sleep(50e6);
      for (;;) {
        const d = yield* sys.read(fd, 3);
        got.push(dec(d));
        if (d.length === 0) break;
      }
    });
    await rig.step(5);
    h.write('abcdefg');
    await rig.step(5);
    h.disconnect();
    await rig.until(() => s.done, 'reads');
    expect(got).toEqual(['abc', 'def', 'g', '']);
  });

  it('reads may cross receive buffers; each buffer goes back to the device only once fully consumed', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const data = new Uint8Array(10000).map((_, i) => (i * 31) & 0xff);
    const chunks: Uint8Array[] = [];
    const posted: number[] = [];
    const s = spawnScript(rig, 'r', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      yield* sys.sleep(20e6);
      posted.push(rig.port(1).stats().rxPosted);
      chunks.push(yield* sys.read(fd, 5000));
      posted.push(rig.port(1).stats().rxPosted);
      chunks.push(yield* sys.read(fd, 5000));
      posted.push(rig.port(1).stats().rxPosted);
    });
    await rig.step(5);
    h.write(data);
    await rig.until(() => s.done, 'reads');
    // 10000 bytes fill three 4 KiB buffers: 5000 bytes consume one whole buffer, 10000 all three.
    expect(posted).toEqual([125, 126, 128]);
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
  });

  it('a write takes at most 32 KiB into one out-buffer; the rest is a short write', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const sizes: number[] = [];
    const s = spawnScript(rig, 'w', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      sizes.push(yield* sys.write(fd, new Uint8Array(100_000).fill(7)));
    });
    await rig.until(() => s.done, 'write');
    expect(sizes).toEqual([PORT_TX_BUFFER_SIZE]);
    expect((await h.readBytes(PORT_TX_BUFFER_SIZE)).every((b) => b === 7)).toBe(true);
  });

  it('unread data is discarded on close; data that arrives after the last close is discarded by the interrupt handler', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const discards: ConsoleDiscardEvent[] = [];
    rig.console().events.on('discard', (d) => discards.push(d));
    // 1: data read partly, the rest thrown away at close.
    const a = spawnScript(rig, 'a', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      yield* sys.read(fd, 4);
      sys.close(fd);
    });
    await rig.step(2);
    h.write('0123456789');
    await rig.until(() => a.done, 'a');
    expect(discards).toEqual([{ id: 1, bytes: 6, reason: 'released' }]);
    // 2: bytes land in the ring in the same instant the only reader dies: the close reaches
    // the device first (the kill runs before the interrupt), so the interrupt finds no opener.
    const b = spawnScript(rig, 'b', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR);
      yield* sys.read(fd, 100);
    });
    await rig.step(5);
    rig.m.sched.after(0, 'kill then data', () => {
      rig.os.kernel.kill(b.pid, SIGKILL);
      rig.m.chardevs.get('qga0')!.emit('data', enc('late bytes'));
    });
    await rig.step(5);
    expect(discards[1]).toEqual({ id: 1, bytes: 10, reason: 'not-open' });
    expect(rig.port(1).stats().discarded).toBe(16);
    expect(rig.port(1).stats().rxPosted).toBe(128);
  });

  it('host backpressure: writes fill the transmitq, then block (EAGAIN non-blocking); when the host reads again nothing is lost', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const total = 6 * 1024 * 1024;
    const data = new Uint8Array(total).map((_, i) => (i ^ (i >> 9)) & 0xff);
    let sent = 0;
    let eagain = 0;
    const s = spawnScript(rig, 'w', function* (sys) {
      const fd = yield* sys.open(PORT, O_RDWR | O_NONBLOCK);
      while (sent < total) {
        try {
          sent += yield* sys.write(fd, data.subarray(sent));
        } catch (e) {
          if (errCode(e) !== 'EAGAIN') throw e;
          eagain++;
          const p: PollFd[] = [{ fd, events: POLLOUT, revents: 0 }];
          yield* sys.poll(p, -1);
        }
      }
    });
    await rig.step(50);
    // The host holds 1 MiB unread, the device holds one chain, the ring holds the rest.
    const port = rig.port(1);
    expect(s.done).toBe(false);
    expect(eagain).toBeGreaterThan(0);
    expect(port.stats().txInFlight).toBe(128);
    expect(rig.dev.serial.findPort(1)!.throttled).toBe(true);
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < total) {
      const d = h.read();
      parts.push(d);
      got += d.length;
      await rig.step(1);
    }
    await rig.until(() => s.done, 'writer');
    expect(s.error).toBeUndefined();
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
    expect(port.stats().bytesOut).toBe(total);
    expect(port.stats().txAllocated).toBeLessThanOrEqual(128);
    expect(rig.dev.serial.findPort(1)!.stats().guestToHostDiscarded).toBe(0);
  });
});
