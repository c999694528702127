/**
 * End to end, over the real path an agent client uses: a unix-socket client → the socket
 * chardev (server=on,wait=off) → virtio-serial-pci → split rings in guest RAM → the guest's
 * virtio-console driver → /dev/virtio-ports/org.qemu.guest_agent.0 → port-echo, and back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../../src/core/prng.js';
import { Errno, O_RDWR, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { SocketClient } from './client.js';
import { AGENT_PORT_PATH, startEchoMachine, type EchoMachine } from './echo-machine.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Seeded bytes, so a failure is reproducible. */
function pattern(n: number, seed: number): Buffer {
  return Buffer.from(new Prng(seed).fill(new Uint8Array(n)));
}

/** Sends `data` as seeded random-sized socket writes while collecting the echo; returns it. */
async function echoChunked(c: SocketClient, data: Buffer, prng: Prng, maxChunk: number): Promise<Buffer> {
  const back = c.read(data.length, 120_000);
  let off = 0;
  while (off < data.length) {
    const n = Math.min(data.length - off, 1 + prng.nextInt(maxChunk));
    await c.write(data.subarray(off, off + n));
    off += n;
  }
  return back;
}

/** First differing offset, for a readable failure instead of a 64 MiB diff. */
function firstDifference(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('e2e: unix socket → chardev → virtio-serial → guest driver → port-echo → back', () => {
  let em: EchoMachine;
  let client: SocketClient;

  beforeAll(async () => {
    em = await startEchoMachine({ transport: 'socket' });
    client = await SocketClient.connect(em.socketPath!);
  });

  afterAll(async () => {
    await client.close();
    await em.close();
  });

  it('returns every message unchanged, 1 B to 64 MiB, sent in seeded random chunks', async () => {
    const prng = new Prng('echo-sizes');
    for (const size of [1, 2, 4095, 4096, 4097, 32 * KiB, 64 * KiB + 1, MiB, 64 * MiB]) {
      const data = pattern(size, size);
      const back = await echoChunked(client, data, prng, size >= MiB ? 256 * KiB : Math.max(1, size >> 2));
      expect(firstDifference(back, data), `${size}-byte message`).toBe(-1);
    }
    const st = em.guestPort()!.stats();
    expect(st.bytesRead).toBe(st.bytesOut);
    expect(st.discarded).toBe(0);
    expect(st.rxAllocated).toBeLessThanOrEqual(128);
    expect(st.txAllocated).toBeLessThanOrEqual(128);
  }, 120_000);

  it('small messages split at every boundary: two socket writes, the first echoed before the second is sent', async () => {
    for (const size of [1, 2, 3, 4095, 4096, 4097]) {
      const data = pattern(size, 1000 + size);
      if (size === 1) {
        await client.write(data);
        expect((await client.read(1)).equals(data)).toBe(true);
        continue;
      }
      for (let k = 1; k < size; k++) {
        await client.write(data.subarray(0, k));
        const a = await client.read(k);
        await client.write(data.subarray(k));
        const b = await client.read(size - k);
        if (!a.equals(data.subarray(0, k)) || !b.equals(data.subarray(k))) throw new Error(`${size}-byte message split at ${k} came back changed`);
      }
    }
  }, 120_000);

  it('survives 1000 disconnect/reconnect cycles, a short message echoed on each connection', async () => {
    await client.close();
    const prng = new Prng('reconnects');
    const port = em.devicePort();
    const opensBefore = em.guestPort()!.stats().hostOpens;
    for (let i = 0; i < 1000; i++) {
      const c = await SocketClient.connect(em.socketPath!);
      const msg = pattern(1 + prng.nextInt(200), i);
      await c.write(msg);
      const back = await c.read(msg.length);
      if (!back.equals(msg)) throw new Error(`connection ${i}: echo changed`);
      await c.close();
    }
    client = await SocketClient.connect(em.socketPath!);
    await client.write(Buffer.from('still here'));
    expect((await client.read(10)).toString()).toBe('still here');
    const st = em.guestPort()!.stats();
    expect(st.hostOpens - opensBefore).toBe(1001);
    expect(st.opens).toBe(1);
    expect(port.stats().hostToGuestDiscarded).toBe(0);
    expect(port.stats().guestToHostDiscarded).toBe(0);
    // The echo slept between connections instead of spinning: virtual time moved, in 100 ms steps.
    expect(em.machine.sched.now()).toBeGreaterThan(1e9);
  }, 120_000);

  it('backpressure both ways: the host stops reading, the guest stops writing and reading, nothing is lost', async () => {
    const data = pattern(24 * MiB, 77);
    client.pause();
    const writes = (async () => {
      for (let off = 0; off < data.length; off += 64 * KiB) await client.write(data.subarray(off, off + 64 * KiB));
    })();
    // Long enough for every buffer on the way to fill: socket, chardev, transmitq, receiveq, device.
    const deadline = Date.now() + 20_000;
    while (em.guestPort()!.stats().writesBlocked === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const mid = em.guestPort()!.stats();
    expect(mid.writesBlocked).toBeGreaterThan(0);
    expect(mid.txInFlight).toBe(128);
    expect(em.devicePort().stats().throttles).toBeGreaterThan(0);
    client.resume();
    const back = await client.read(data.length, 120_000);
    await writes;
    expect(firstDifference(back, data)).toBe(-1);
    expect(em.devicePort().stats().guestToHostDiscarded).toBe(0);
    expect(em.guestPort()!.stats().discarded).toBe(0);
  }, 120_000);
});

describe('e2e: guest → host stream with a host that stops reading', () => {
  it('a guest writer blocks on a full transmitq while the host reads nothing, and every byte arrives in order once it reads', async () => {
    const total = 32 * MiB;
    const progress = { sent: 0 };
    const writer = function* (sys: Syscalls): Program {
      const fd = yield* sys.open(AGENT_PORT_PATH, O_RDWR);
      const chunk = new Uint8Array(100_000);
      while (progress.sent < total) {
        const n = Math.min(chunk.length, total - progress.sent);
        for (let i = 0; i < n; i++) chunk[i] = (progress.sent + i) % 251;
        let off = 0;
        while (off < n) off += yield* sys.write(fd, chunk.subarray(off, n));
        progress.sent += n;
      }
      return 0;
    };
    // Opens the port again whenever it is not there yet: the node appears after the handshake.
    const program = function* (sys: Syscalls): Program {
      for (;;) {
        try {
          return yield* writer(sys);
        } catch (e) {
          if (!Errno.is(e, 'ENOENT')) throw e;
          yield* sys.sleep(10e6);
        }
      }
    };
    const em = await startEchoMachine({ transport: 'socket', program, argv: ['writer'] });
    try {
      const c = await SocketClient.connect(em.socketPath!);
      c.pause();
      const deadline = Date.now() + 20_000;
      while ((em.guestPort()?.stats().txInFlight ?? 0) < 128 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const stalled = progress.sent;
      await new Promise((r) => setTimeout(r, 100));
      expect(progress.sent).toBe(stalled);
      expect(stalled).toBeLessThan(total);
      expect(em.devicePort().throttled).toBe(true);
      c.resume();
      const got = await c.read(total, 120_000);
      let bad = -1;
      for (let i = 0; i < total && bad < 0; i++) if (got[i] !== i % 251) bad = i;
      expect(bad).toBe(-1);
      expect(em.devicePort().stats().guestToHostBytes).toBe(total);
      expect(em.devicePort().stats().guestToHostDiscarded).toBe(0);
      await c.close();
    } finally {
      await em.close();
    }
  }, 120_000);
});
