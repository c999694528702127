/**
 * guest-shutdown and guest-suspend-* send no reply on success; the client completes them
 * the way libvirt does, on the QMP event they cause (RESET for a reboot, SHUTDOWN,
 * SUSPEND, SUSPEND_DISK), and fails when neither that nor an error reply comes in time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectQga, QgaClient, QgaTimeoutError, pipeTransport, type QgaEventSource } from '../../src/client/index.js';
import { launchMachine, type LaunchedMachine } from '../../src/host/launch.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { addDefaults } from '../../src/machine/defaults.js';
import { guestLoaderFor } from '../../src/guest/loader.js';
import { QmpClient } from '../../src/qmp/client.js';
import type { GuestOs } from '../../src/guest/boot.js';
import { agentHarness, sleep } from './harness.js';

/** A QMP event source the test fires by hand. */
function fakeQmp(): QgaEventSource & { fire(event: string): void; listeners(): number } {
  const ls = new Set<(e: { event: string }) => void>();
  return {
    subscribe: (l) => {
      ls.add(l);
      return () => void ls.delete(l);
    },
    fire: (event) => {
      for (const l of [...ls]) l({ event });
    },
    listeners: () => ls.size,
  };
}

describe('no-reply commands complete on their QMP event', () => {
  it('shutdown waits for SHUTDOWN, reboot for RESET, suspend for SUSPEND; others do not count', async () => {
    const h = await agentHarness({ handlers: { 'guest-shutdown': () => undefined, 'guest-suspend-ram': () => undefined, 'guest-suspend-disk': () => undefined } });
    const qmp = fakeQmp();
    const c = new QgaClient(pipeTransport(h.host), { qmp, noResponseTimeoutMs: 60_000 });
    let resolved = false;
    const off = c.shutdown().then(() => (resolved = true));
    await sleep(5);
    expect(h.received()).toContain('{"execute": "guest-shutdown", "arguments": {"mode": "powerdown"}}');
    qmp.fire('POWERDOWN');
    qmp.fire('RESET');
    await sleep(5);
    expect(resolved).toBe(false);
    qmp.fire('SHUTDOWN');
    await off;
    expect(qmp.listeners()).toBe(0);
    const reboot = c.shutdown('reboot');
    await sleep(5);
    qmp.fire('SHUTDOWN');
    qmp.fire('RESET');
    await reboot;
    const s3 = c.suspend('ram');
    await sleep(5);
    qmp.fire('SUSPEND');
    await s3;
    const s4 = c.suspend('disk');
    await sleep(5);
    qmp.fire('SUSPEND_DISK');
    await s4;
    c.close();
  });

  it('fails with a timeout when the event never comes, and on an error reply at once (unsubscribing)', async () => {
    const h = await agentHarness({ handlers: { 'guest-shutdown': () => undefined }, blockRpcs: ['guest-suspend-ram'] });
    const qmp = fakeQmp();
    const c = new QgaClient(pipeTransport(h.host), { qmp });
    await expect(c.shutdown('halt', { timeoutMs: 30 })).rejects.toBeInstanceOf(QgaTimeoutError);
    await expect(c.suspend('ram')).rejects.toMatchObject({ desc: 'Command guest-suspend-ram has been disabled' });
    expect(qmp.listeners()).toBe(0);
    c.close();
  });
});

describe('against the whole machine and its QMP monitor', () => {
  let vm: LaunchedMachine | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await vm?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    vm = undefined;
  });

  it('client.shutdown() resolves when QEMU reports SHUTDOWN for the guest power-off', async (ctx) => {
    dir = mkdtempSync(join(tmpdir(), 'qga-sim-qmp-'));
    const cfg = defaultMachineConfig();
    cfg.noShutdown = true;
    addDefaults(cfg, { qgaPath: join(dir, 'qga.sock'), qmpPath: join(dir, 'qmp.sock') });
    vm = await launchMachine(cfg, { clock: 'virtual', guest: guestLoaderFor(cfg) });
    // qemu-ga powers off through /sbin/shutdown; skip while the default image lacks it.
    try {
      (vm.machine.guest as GuestOs).kernel.stat('/sbin/shutdown', true);
    } catch {
      ctx.skip('the default guest image has no /sbin/shutdown yet');
    }
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const c = await connectQga(join(dir, 'qga.sock'), { qmp, noResponseTimeoutMs: 20_000 });
    await c.guestPing();
    await c.shutdown();
    expect(qmp.events.map((e) => e.event)).toContain('SHUTDOWN');
    c.close();
    qmp.close();
  }, 30_000);
});
