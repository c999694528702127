/**
 * The guest agent from the host's side: guest-ping per second, one at a time
 * (sequential) and PIPELINE_DEPTH in flight (pipelined), and guest-file-read throughput
 * with 1 MiB reads (MB/s of file data, 10^6 bytes). Our agent is measured through the
 * whole machine over the default unix socket and over an in-process pipe chardev, and
 * the bare protocol engine as a reference; when Debian's qemu-ga is installed it is
 * measured the same way in the same run (as nobody, on a unix socket, host-changing
 * commands blocked, reading a file in its own temp dir).
 */
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { AgentProtocol } from '../src/agent/protocol/index.js';
import { ChardevRegistry, type ChardevPipeHost } from '../src/chardev/index.js';
import { createDefaultMachine } from '../src/default-machine.js';
import type { GuestOs } from '../src/guest/boot.js';
import { MachineRunner } from '../src/host/runner.js';
import { REAL_QGA_BLOCKED, realQgaUnavailable, startRealQga } from '../test/agent-diff/real-qga.js';
import { startOurAgent } from '../test/agent-diff/our-agent.js';
import type { Bench, BenchResult } from './registry.js';

/** Pings timed one at a time. */
export const SEQUENTIAL_PINGS = 3000;
/** Pings timed with PIPELINE_DEPTH in flight. */
export const PIPELINED_PINGS = 20_000;
/** Requests in flight in the pipelined run. */
export const PIPELINE_DEPTH = 64;
/** Size of the file read with guest-file-read. */
export const FILE_BYTES = 32 * 1024 * 1024;
/** Bytes per guest-file-read. */
export const READ_COUNT = 1024 * 1024;

const PING = Buffer.from('{"execute":"guest-ping"}');
/** Where the file read by our agent lives in the guest. */
const GUEST_FILE = '/run/qga-bench.bin';

/** A line-oriented link to an agent: send bytes, await reply lines. */
interface Link {
  send(b: Uint8Array): void;
  /** Resolves with the next `n` reply lines (0xFF sentinels stripped). */
  lines(n: number): Promise<string[]>;
  close(): void;
}

function lineLink(write: (b: Uint8Array) => void, onData: (l: (d: Uint8Array) => void) => void, close: () => void): Link {
  let partial = '';
  const ready: string[] = [];
  let want = 0;
  let wake: (() => void) | undefined;
  onData((d) => {
    const s = partial + Buffer.from(d).toString('latin1');
    const parts = s.split('\n');
    partial = parts.pop()!;
    for (const p of parts) ready.push(p.replace(/^\xff/, ''));
    if (ready.length >= want) wake?.();
  });
  return {
    send: write,
    lines: (n) =>
      new Promise((resolve) => {
        const take = () => resolve(ready.splice(0, n));
        if (ready.length >= n) return take();
        want = n;
        wake = () => {
          wake = undefined;
          take();
        };
      }),
    close,
  };
}

function socketLink(path: string): Promise<Link> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(path);
    s.once('error', reject);
    s.once('connect', () => resolve(lineLink((b) => void s.write(b), (l) => void s.on('data', l), () => s.destroy())));
  });
}

function pipeLink(host: ChardevPipeHost): Link {
  host.connect();
  return lineLink((b) => host.write(b), (l) => void host.on('data', l), () => host.disconnect());
}

/** Resyncs (so stale bytes and the 0xFF complaint are out of the way). */
async function resync(link: Link): Promise<void> {
  link.send(Buffer.from('\xff{"execute":"guest-sync-delimited","arguments":{"id":4242}}', 'latin1'));
  for (;;) {
    const [l] = await link.lines(1);
    if (l === '{"return": 4242}') return;
  }
}

async function pingsSequential(link: Link): Promise<number> {
  for (let i = 0; i < 200; i++) {
    link.send(PING);
    await link.lines(1);
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SEQUENTIAL_PINGS; i++) {
    link.send(PING);
    await link.lines(1);
  }
  return perSecond(SEQUENTIAL_PINGS, t0);
}

async function pingsPipelined(link: Link): Promise<number> {
  const t0 = process.hrtime.bigint();
  let sent = 0;
  let got = 0;
  while (sent < PIPELINE_DEPTH) {
    link.send(PING);
    sent++;
  }
  while (got < PIPELINED_PINGS) {
    await link.lines(1);
    got++;
    if (sent < PIPELINED_PINGS) {
      link.send(PING);
      sent++;
    }
  }
  return perSecond(PIPELINED_PINGS, t0);
}

/** Reads `path` through guest-file-open/read/close; MB/s of file data. */
async function fileRead(link: Link, path: string): Promise<{ mbps: number; bytes: number }> {
  link.send(Buffer.from(JSON.stringify({ execute: 'guest-file-open', arguments: { path, mode: 'r' } })));
  const [opened] = await link.lines(1);
  const handle = (JSON.parse(opened!) as { return?: number }).return;
  if (typeof handle !== 'number') throw new Error(`guest-file-open failed: ${opened}`);
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (;;) {
    link.send(Buffer.from(JSON.stringify({ execute: 'guest-file-read', arguments: { handle, count: READ_COUNT } })));
    const [line] = await link.lines(1);
    const r = (JSON.parse(line!) as { return?: { count: number; eof: boolean } }).return;
    if (r === undefined) throw new Error(`guest-file-read failed: ${line!.slice(0, 200)}`);
    bytes += r.count;
    if (r.eof || r.count === 0) break;
  }
  const ns = process.hrtime.bigint() - t0;
  link.send(Buffer.from(JSON.stringify({ execute: 'guest-file-close', arguments: { handle } })));
  await link.lines(1);
  return { mbps: Math.round((bytes / (Number(ns) / 1e9) / 1e6) * 10) / 10, bytes };
}

function perSecond(n: number, t0: bigint): number {
  return Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
}

function fileContent(): Buffer {
  const b = Buffer.alloc(FILE_BYTES);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i);
  return b;
}

/**
 * Resyncs (which also waits for the agent to be up), then measures; `placeFile` puts the
 * file to read where the agent can open it and returns its path.
 */
async function measure(agent: string, transport: string, link: Link, placeFile: () => string): Promise<BenchResult[]> {
  await resync(link);
  const filePath = placeFile();
  const out: BenchResult[] = [
    { metric: 'guest_ping_per_s', mode: 'sequential', agent, transport, value: await pingsSequential(link), pings: SEQUENTIAL_PINGS },
    { metric: 'guest_ping_per_s', mode: 'pipelined', agent, transport, value: await pingsPipelined(link), pings: PIPELINED_PINGS, depth: PIPELINE_DEPTH },
  ];
  const r = await fileRead(link, filePath);
  out.push({ metric: 'guest_file_read_MBps', agent, transport, value: r.mbps, bytes: r.bytes, read_count: READ_COUNT });
  return out;
}

/**
 * Puts the file in the booted guest's /run (tmpfs, so the host-side write is a copy into
 * guest memory; placed once the agent answers, after the image's boot-time mounts).
 */
function placeInGuest(os: GuestOs, content: Buffer): string {
  os.kernel.writeFile(GUEST_FILE, content);
  return GUEST_FILE;
}

/** Our agent in the default machine, over its unix socket. */
async function oursSocket(content: Buffer): Promise<BenchResult[]> {
  const a = await startOurAgent(REAL_QGA_BLOCKED);
  try {
    const link = await socketLink(a.socket);
    const r = await measure('qga-sim', 'socket', link, () => placeInGuest(a.vm.machine.guest as GuestOs, content));
    link.close();
    return r;
  } finally {
    await a.stop();
  }
}

/** Our agent in the default machine, over an in-process pipe chardev. */
async function oursPipe(content: Buffer): Promise<BenchResult[]> {
  const chardevs = new ChardevRegistry();
  const { machine, agent } = await createDefaultMachine({ host: { chardevs } });
  const runner = new MachineRunner(machine, 'virtual');
  machine.on('wake', () => runner.wake());
  machine.setInputHook(() => runner.catchUp());
  machine.boot();
  runner.start();
  try {
    const link = pipeLink(agent);
    const r = await measure('qga-sim', 'pipe', link, () => placeInGuest(machine.guest as GuestOs, content));
    link.close();
    return r;
  } finally {
    runner.stop();
    await chardevs.closeAll();
  }
}

/** The protocol engine alone, as a ceiling for the machine figures. */
function engineOnly(): BenchResult[] {
  const proto = new AgentProtocol();
  const run = (batch: number, n: number): number => {
    const input = Buffer.concat(Array.from({ length: batch }, () => PING));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n / batch; i++) proto.process(input);
    return perSecond(n, t0);
  };
  run(1, 20_000);
  return [
    { metric: 'guest_ping_per_s', mode: 'sequential', agent: 'qga-sim', transport: 'engine', value: run(1, 100_000), pings: 100_000 },
    { metric: 'guest_ping_per_s', mode: 'pipelined', agent: 'qga-sim', transport: 'engine', value: run(PIPELINE_DEPTH, 100_000), pings: 100_000, depth: PIPELINE_DEPTH },
  ];
}

/** Debian's qemu-ga, if installed. */
async function real(content: Buffer): Promise<BenchResult[]> {
  const why = realQgaUnavailable();
  if (why !== undefined) return [{ metric: 'guest_ping_per_s', agent: 'qemu-ga', skipped: why }];
  const q = await startRealQga();
  try {
    const link = await socketLink(q.socket);
    const r = await measure(`qemu-ga ${q.version.replace(/^QEMU Guest Agent /, '')}`, 'socket', link, () => {
      const file = join(q.dir, 'bench.bin');
      writeFileSync(file, content);
      q.giveToAgent(file);
      return file;
    });
    link.close();
    return r;
  } finally {
    await q.stop();
  }
}

/** The agent bench. */
export const agentBench: Bench = {
  name: 'agent',
  async run() {
    const content = fileContent();
    return [...engineOnly(), ...(await oursPipe(content)), ...(await oursSocket(content)), ...(await real(content))];
  },
};
