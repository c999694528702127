/**
 * The host's view, end to end: qemu-ga in the default guest, QMP on a socket. guest-set-time
 * reaches the RTC through hwclock -w (RTC_CHANGE); guest-suspend-ram suspends through
 * /sys/power/state (SUSPEND); system_wakeup resumes, and the agent answers again over its
 * re-initialised virtio port, with the wall clock still from the RTC it set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectQga } from '../../src/client/index.js';
import { launchMachine, type LaunchedMachine } from '../../src/host/launch.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { addDefaults } from '../../src/machine/defaults.js';
import { guestLoaderFor } from '../../src/guest/loader.js';
import { QmpClient } from '../../src/qmp/client.js';
import type { GuestOs } from '../../src/guest/boot.js';

let vm: LaunchedMachine | undefined;
let dir: string | undefined;
afterEach(async () => {
  await vm?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  vm = undefined;
  dir = undefined;
});

async function start(): Promise<{ qga: string; qmp: string }> {
  dir = mkdtempSync(join(tmpdir(), 'qga-sim-power-'));
  const cfg = defaultMachineConfig();
  cfg.rtc = { base: '2020-01-01' };
  addDefaults(cfg, { qgaPath: join(dir, 'qga.sock'), qmpPath: join(dir, 'qmp.sock') });
  vm = await launchMachine(cfg, { clock: 'virtual', guest: guestLoaderFor(cfg) });
  return { qga: join(dir, 'qga.sock'), qmp: join(dir, 'qmp.sock') };
}

const has = (path: string): boolean => {
  try {
    (vm?.machine.guest as GuestOs).kernel.stat(path, true);
    return true;
  } catch {
    return false;
  }
};

describe('power and clock through qemu-ga and QMP on the default machine', () => {
  it('guest-set-time → hwclock -w → RTC_CHANGE; guest-suspend-ram → SUSPEND; system_wakeup → WAKEUP and the agent answers again', async (ctx) => {
    const paths = await start();
    if (!has('/sbin/hwclock')) ctx.skip('the default guest image has no /sbin/hwclock');
    const qmp = await QmpClient.connect(paths.qmp);
    const c = await connectQga(paths.qga, { qmp, noResponseTimeoutMs: 20_000 });
    await c.guestPing();
    await c.guestSetTime({ time: 1_700_000_000_000_000_000n });
    const change = await qmp.waitEvent('RTC_CHANGE');
    expect(change.data?.offset).toBeGreaterThan(1_700_000_000 - 1_577_836_800 - 60);
    expect(vm!.machine.rtc.now()).toBeGreaterThanOrEqual(1_700_000_000);

    await c.suspend('ram');
    expect(await qmp.execute('query-status')).toMatchObject({ status: 'suspended', running: false });
    await qmp.execute('system_wakeup');
    await qmp.waitEvent('WAKEUP');
    await c.guestPing();
    const t = Number(await c.guestGetTime()) / 1e9;
    expect(t).toBeGreaterThanOrEqual(1_700_000_000);
    expect(t).toBeLessThan(1_700_000_100);
    c.close();
    qmp.close();
  }, 30_000);
});
