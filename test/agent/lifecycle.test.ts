/**
 * qemu-ga's life in the default machine on a virtual clock: it waits for the host
 * without periodic wake-ups (SIGIO from the port, see src/agent/program/channel.ts), so
 * a machine nobody talks to goes idle; its parser survives host reconnects.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { createDefaultMachine } from '../../src/default-machine.js';
import type { GuestOs } from '../../src/guest/boot.js';
import type { ChardevPipeHost } from '../../src/chardev/index.js';
import type { Machine } from '../../src/machine/machine.js';
import type { MachineConfig } from '../../src/machine/config.js';

const MS = 1_000_000;

/** Lets host-side microtasks run, then `ms` of virtual time. */
async function step(m: Machine, ms = 1): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  m.sched.run(m.sched.now() + ms * MS);
}

/** Runs until the scheduler has nothing left; fails if it never gets there. */
function runToIdle(m: Machine, maxEvents = 100_000): void {
  const r = m.sched.run(undefined, maxEvents);
  expect(r, 'the machine should go idle, not keep waking up').toBe('idle');
}

async function boot(configure?: (cfg: MachineConfig) => void): Promise<{ m: Machine; host: ChardevPipeHost; os: GuestOs; got: () => string }> {
  const { machine: m, agent: host } = await createDefaultMachine({ configure });
  const chunks: Buffer[] = [];
  host.on('data', (d) => chunks.push(Buffer.from(d)));
  m.boot();
  return { m, host, os: m.guest as GuestOs, got: () => Buffer.concat(chunks.splice(0)).toString('latin1').replaceAll('\xff', '<FF>') };
}

async function until(m: Machine, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await step(m);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function agentProc(os: GuestOs) {
  const p = os.kernel.processes().find((x) => x.comm === 'qemu-ga');
  if (p === undefined) throw new Error('qemu-ga is not running');
  return p;
}

describe('agent lifecycle on a virtual clock', () => {
  it('sleeps while no host is connected: the machine goes idle with qemu-ga blocked', async () => {
    const { m, os } = await boot();
    runToIdle(m);
    const before = m.sched.now();
    expect(agentProc(os).state).toBe('blocked');
    // Nothing is pending: running further neither advances time nor wakes anybody.
    runToIdle(m);
    expect(m.sched.now()).toBe(before);
  });

  it('wakes on the host connecting (SIGIO), answers, and goes back to sleep after it leaves', async () => {
    const { m, host, os, got } = await boot();
    runToIdle(m);
    host.connect();
    host.write('{"execute":"guest-ping","id":1}');
    await until(m, () => host.buffered > 0 || got().length > 0, 'a reply');
    await step(m, 5);
    host.disconnect();
    await step(m, 5);
    runToIdle(m);
    expect(agentProc(os).state).toBe('blocked');
    host.connect();
    host.write('{"execute":"guest-sync","arguments":{"id":42}}');
    let text = '';
    await until(m, () => (text += got()).includes('\n'), 'the second reply');
    expect(text).toBe('{"return": 42}\n');
  });

  it('keeps its parser across reconnects: half a request from one client, the rest from the next', async () => {
    const { m, host, got } = await boot();
    runToIdle(m);
    host.connect();
    await step(m, 20);
    host.write('{"execute":"guest-');
    await step(m, 20);
    host.disconnect();
    await step(m, 20);
    runToIdle(m);
    host.connect();
    host.write('ping","id":"x"}');
    let text = '';
    await until(m, () => (text += got()).includes('\n'), 'the reply');
    expect(text).toBe('{"return": {}, "id": "x"}\n');
    // Which is why clients start with 0xFF: it throws the stale half away.
    host.write('{"execute":"guest-');
    await step(m, 20);
    host.disconnect();
    await step(m, 20);
    host.connect();
    host.write(Buffer.from([0xff]));
    host.write('{"execute":"guest-sync-delimited","arguments":{"id":9}}');
    text = '';
    await until(m, () => (text += got()).includes('<FF>{"return": 9}\n'), 'the sentinel reply');
    // The 0xFF lands inside the stale string token, which the error quotes (as qemu-ga 7.2 does).
    expect(text).toBe(`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\"guest-\\uFFFD'"}}\n<FF>{"return": 9}\n`);
  });

  it('runs the qemu-ga version the machine configuration names', async () => {
    const { m, host, os, got } = await boot((cfg) => (cfg.qgaVersion = '2.5'));
    host.connect();
    host.write('{"execute":"guest-ping","id":1}');
    let text = '';
    await until(m, () => (text += got()).includes('\n'), 'the reply');
    expect(text).toBe(`{"error": {"class": "GenericError", "desc": "QMP input object member 'id' is unexpected"}}\n`);
    host.write('{"execute":"guest-info"}');
    text = '';
    await until(m, () => (text += got()).includes('\n'), 'guest-info');
    expect(text.startsWith('{"return": {"version": "2.5.0", "supported_commands": [{"enabled": true, "name": "guest-sync-delimited"')).toBe(true);
    expect(agentProc(os).argv).toEqual(['qemu-ga', '-m', 'virtio-serial', '-p', '/dev/virtio-ports/org.qemu.guest_agent.0', '-t', '/var/run']);
  });
});
