/**
 * Choosing the guest's qemu-ga version end to end: `--qga-version` on the command line →
 * MachineConfig.qgaVersion → the guest loader installs that build → the agent, reached
 * over the default unix socket, speaks that version's protocol.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { launchMachine, type LaunchedMachine } from '../../src/host/launch.js';
import { addDefaults } from '../../src/machine/defaults.js';
import { guestLoaderFor } from '../../src/guest/loader.js';
import { QGA_PROFILE_NAMES } from '../../src/agent/schema/index.js';

let vm: LaunchedMachine | undefined;
let dir: string | undefined;
afterEach(async () => {
  await vm?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  vm = undefined;
  dir = undefined;
});

/** Boots what `qga-sim <args>` would, with the sockets in a temp dir; returns the agent socket. */
async function start(args: string[]): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'qga-sim-ver-'));
  const req = parseArgs([...args, '--qga', join(dir, 'qga.sock'), '--qmp', join(dir, 'qmp.sock'), '--clock', 'virtual']);
  addDefaults(req.config, { qgaPath: req.qgaPath, qmpPath: req.qmpPath });
  vm = await launchMachine(req.config, { clock: req.clock, guest: guestLoaderFor(req.config) });
  return req.qgaPath;
}

/** Sends `text` and returns the reply lines once `lines` newlines arrived. */
function ask(path: string, text: Buffer | string, lines = 1): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect(path);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`timed out; got ${JSON.stringify(got.toString('latin1'))}`)), 10_000);
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.toString('latin1').split('\n').length > lines) {
        clearTimeout(timer);
        s.end();
        ok(got.toString('latin1'));
      }
    });
  });
}

describe('--qga-version', () => {
  it('is parsed into MachineConfig.qgaVersion (default 7.2) and checked', () => {
    expect(parseArgs([]).config.qgaVersion).toBe('7.2');
    expect(parseArgs(['--qga-version', '2.5']).config.qgaVersion).toBe('2.5');
    expect(() => parseArgs(['--qga-version', '3.0'])).toThrow(CliError);
    expect(() => parseArgs(['--qga-version', '3.0'])).toThrow('--qga-version 3.0: expected one of 1.0, 1.2, 1.5, 2.2, 2.5, 7.2');
  });

  const VERSION_STRING: Record<string, string> = { '1.0': '1.0', '1.2': '1.2.0', '1.5': '1.5.0', '2.2': '2.2.0', '2.5': '2.5.0', '7.2': '7.2.13' };

  it.each(QGA_PROFILE_NAMES.map((v) => [v]))('boots a guest whose agent is qemu-ga %s', async (version) => {
    const path = await start(['--qga-version', version]);
    const info = JSON.parse(await ask(path, '{"execute":"guest-info"}')) as { return: { version: string; supported_commands: { name: string }[] } };
    expect(info.return.version).toBe(VERSION_STRING[version]);
    const names = info.return.supported_commands.map((c) => c.name);
    expect(names.includes('guest-sync-delimited')).toBe(version !== '1.0');
    expect(names.includes('guest-exec')).toBe(version === '2.5' || version === '7.2');
    // The era's texts for the same bytes.
    const bad = await ask(path, Buffer.from([0xff, 0x5b, 0x31, 0x5d]), 2);
    if (version === '7.2') {
      expect(bad).toBe(
        `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\uFFFD'"}}\n{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}\n`,
      );
      expect(await ask(path, '{"execute":"guest-ping","id":7}')).toBe('{"return": {}, "id": 7}\n');
    } else {
      expect(bad).toBe('{"error": {"class": "GenericError", "desc": "Invalid JSON syntax"}}\n'.repeat(2));
      expect(await ask(path, '{"execute":"guest-ping","id":7}')).toBe(
        `{"error": {"class": "GenericError", "desc": "QMP input object member 'id' is unexpected"}}\n`,
      );
    }
  });
});
