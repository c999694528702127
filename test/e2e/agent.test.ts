import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { launchMachine, type LaunchedMachine } from '../../src/host/launch.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { addDefaults } from '../../src/machine/defaults.js';
import { guestLoader } from '../../src/guest/loader.js';
import { connectQga } from '../../src/client/index.js';

let vm: LaunchedMachine | undefined;
let dir: string | undefined;
afterEach(async () => {
  await vm?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  vm = undefined;
});

async function startDefault(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'qga-sim-agent-'));
  const cfg = defaultMachineConfig();
  addDefaults(cfg, { qgaPath: join(dir, 'qga.sock'), qmpPath: join(dir, 'qmp.sock') });
  vm = await launchMachine(cfg, { clock: 'virtual', guest: guestLoader() });
  return join(dir, 'qga.sock');
}

/** Sends raw bytes and collects what comes back until `done` says so. */
function exchange(path: string, send: (Buffer | string)[], done: (got: Buffer) => boolean): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const s = connect(path);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`timed out; got ${JSON.stringify(got.toString('latin1'))}`)), 10_000);
    s.on('connect', () => send.forEach((b) => s.write(b)));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (done(got)) {
        clearTimeout(timer);
        s.end();
        ok(got);
      }
    });
  });
}

describe('qemu-ga in the guest, through socket → virtio-serial → driver → /dev/virtio-ports → agent', () => {
  it('answers byte for byte as qemu-ga 7.2: ping, id echo, 0xFF resync, CommandNotFound', async () => {
    const path = await startDefault();
    const lines = [
      '{"return": {}}\n',
      '{"return": 1234, "id": "a"}\n',
      `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\uFFFD'"}}\n`,
      '\xff{"return": 77}\n',
      '{"id": 7, "error": {"class": "CommandNotFound", "desc": "The command guest-nope has not been found"}}\n',
    ];
    const want = lines.join('');
    const got = await exchange(
      path,
      ['{"execute":"guest-ping"}', '{"execute":"guest-sync","arguments":{"id":1234},"id":"a"}', Buffer.from([0xff]), '{"execute":"guest-sync-delimited","arguments":{"id":77}}', '{"execute":"guest-nope","id":7}'],
      (b) => b.length >= Buffer.byteLength(want, 'latin1'),
    );
    expect(got.toString('latin1')).toBe(want);
  });

  it('the typed client resyncs and reads guest-info (31 commands in the 7.2 profile)', async () => {
    const path = await startDefault();
    const c = await connectQga(path, { seed: 5 });
    await c.guestPing();
    const info = await c.guestInfo();
    expect(info.version).toBe('7.2.13');
    expect(info.supported_commands).toHaveLength(31);
    c.close();
  });
});
