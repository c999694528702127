/**
 * virtio-serial throughput and latency through the whole stack: host end (in-process pipe or
 * unix socket) → chardev → virtio-serial-pci → rings → guest virtio-console driver → a guest
 * program on /dev/virtio-ports/org.qemu.guest_agent.0. Bulk rates in MB/s (10^6 bytes) each
 * way; small-message round trips through port-echo as median and p99 in µs.
 */
import { Errno, O_RDWR, type Program, type SysCall, type Syscalls } from '../src/guest/kernel/index.js';
import { SocketClient } from '../test/e2e/client.js';
import { AGENT_PORT_PATH, startEchoMachine, type EchoMachine } from '../test/e2e/echo-machine.js';
import type { Bench, BenchResult } from './registry.js';

const MiB = 1024 * 1024;
/** Bytes per bulk run. */
export const BULK_BYTES = 64 * MiB;
/** Bulk runs per direction and transport (the median is reported). */
export const BULK_RUNS = 3;
/** Round trips timed (after the warm-up). */
export const RTT_SAMPLES = 5000;
/** Round trips not timed. */
export const RTT_WARMUP = 500;
/** Size of a round-trip message. */
export const RTT_MESSAGE = 32;

/** The host end as the bench uses it, whatever the transport. */
interface HostLink {
  write(data: Uint8Array): Promise<void>;
  read(n: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function connect(em: EchoMachine): Promise<HostLink> {
  if (em.socketPath) {
    const c = await SocketClient.connect(em.socketPath);
    return { write: (d) => c.write(d), read: (n) => c.read(n, 120_000), close: () => c.close() };
  }
  // Bytes are taken as they come (a 'data' listener): the pipe only reports room again to the
  // device once its host end has taken what it holds.
  const p = em.pipe!;
  let have = 0;
  let chunks: Uint8Array[] = [];
  let waiter: (() => void) | undefined;
  p.on('data', (d) => {
    chunks.push(d);
    have += d.length;
    waiter?.();
  });
  p.connect();
  const take = (n: number): Uint8Array => {
    const all = Buffer.concat(chunks);
    chunks = all.length > n ? [all.subarray(n)] : [];
    have -= n;
    return all.subarray(0, n);
  };
  return {
    write: async (d) => p.write(d),
    read: (n) =>
      have >= n
        ? Promise.resolve(take(n))
        : new Promise((resolve) => {
            waiter = () => {
              if (have < n) return;
              waiter = undefined;
              resolve(take(n));
            };
          }),
    close: async () => p.disconnect(),
  };
}

/** Opens the port, waiting for the driver to create it. */
function* openPort(sys: Syscalls): SysCall<number> {
  for (;;) {
    try {
      return yield* sys.open(AGENT_PORT_PATH, O_RDWR);
    } catch (e) {
      if (!Errno.is(e, 'ENOENT')) throw e;
      yield* sys.sleep(10e6);
    }
  }
}

function* writeAll(sys: Syscalls, fd: number, data: Uint8Array): SysCall<void> {
  let off = 0;
  while (off < data.length) off += yield* sys.write(fd, data.subarray(off));
}

/** Guest: reads `total` bytes per round and answers each round with one byte. */
function sinkProgram(total: number): (sys: Syscalls) => Program {
  return function* (sys) {
    const fd = yield* openPort(sys);
    for (;;) {
      let got = 0;
      while (got < total) {
        const d = yield* sys.read(fd, 65536);
        if (d.length === 0) yield* sys.sleep(100e6);
        got += d.length;
      }
      yield* writeAll(sys, fd, Uint8Array.of(0x4b));
    }
  };
}

/** Guest: on each byte from the host, writes `total` bytes back. */
function sourceProgram(total: number): (sys: Syscalls) => Program {
  return function* (sys) {
    const fd = yield* openPort(sys);
    const chunk = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    for (;;) {
      const go = yield* sys.read(fd, 1);
      if (go.length === 0) {
        yield* sys.sleep(100e6);
        continue;
      }
      let sent = 0;
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        yield* writeAll(sys, fd, chunk.subarray(0, n));
        sent += n;
      }
    }
  };
}

function mbps(bytes: number, ns: bigint): number {
  return Math.round((bytes / (Number(ns) / 1e9) / 1e6) * 10) / 10;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function bulk(transport: 'pipe' | 'socket', direction: 'host_to_guest' | 'guest_to_host'): Promise<BenchResult> {
  const program = direction === 'host_to_guest' ? sinkProgram(BULK_BYTES) : sourceProgram(BULK_BYTES);
  const em = await startEchoMachine({ transport, program, argv: [direction] });
  const rates: number[] = [];
  try {
    const link = await connect(em);
    const block = new Uint8Array(MiB).map((_, i) => (i * 7) & 0xff);
    for (let run = 0; run < BULK_RUNS; run++) {
      const t0 = process.hrtime.bigint();
      if (direction === 'host_to_guest') {
        const ack = link.read(1);
        for (let off = 0; off < BULK_BYTES; off += MiB) await link.write(block);
        await ack;
      } else {
        const all = link.read(BULK_BYTES);
        await link.write(Uint8Array.of(1));
        await all;
      }
      rates.push(mbps(BULK_BYTES, process.hrtime.bigint() - t0));
    }
    await link.close();
  } finally {
    await em.close();
  }
  return { metric: `${direction}_MBps`, transport, median: median(rates), min: Math.min(...rates), max: Math.max(...rates), bytes: BULK_BYTES, runs: BULK_RUNS };
}

async function roundTrip(transport: 'pipe' | 'socket'): Promise<BenchResult> {
  const em = await startEchoMachine({ transport });
  const us: number[] = [];
  try {
    const link = await connect(em);
    const msg = new Uint8Array(RTT_MESSAGE).fill(0x61);
    for (let i = 0; i < RTT_WARMUP + RTT_SAMPLES; i++) {
      const t0 = process.hrtime.bigint();
      const back = link.read(msg.length);
      await link.write(msg);
      await back;
      if (i >= RTT_WARMUP) us.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    await link.close();
  } finally {
    await em.close();
  }
  us.sort((a, b) => a - b);
  const at = (q: number) => Math.round(us[Math.min(us.length - 1, Math.floor(q * us.length))]! * 10) / 10;
  return { metric: 'echo_round_trip_us', transport, message_bytes: RTT_MESSAGE, median: at(0.5), p99: at(0.99), max: at(1), samples: us.length };
}

/** The virtio-serial bench. */
export const virtioSerialBench: Bench = {
  name: 'virtio-serial',
  async run() {
    const out: BenchResult[] = [];
    for (const transport of ['pipe', 'socket'] as const) {
      out.push(await bulk(transport, 'host_to_guest'));
      out.push(await bulk(transport, 'guest_to_host'));
      out.push(await roundTrip(transport));
    }
    return out;
  },
};
