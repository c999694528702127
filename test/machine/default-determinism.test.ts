import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { runDefaultScenario } from './fixtures/default-scenario.js';
import { bundleEntry } from '../helpers/bundle.js';

describe('determinism of the whole default machine (disks, filesystems, CPUs, NIC, agent)', () => {
  it('two runs give one trace hash and the same agent replies, in one process and in another', async () => {
    const a = await runDefaultScenario();
    const b = await runDefaultScenario();
    // The scenario did real work: every reply is a success, the exec saw its file and the logged-in user.
    for (const r of a.replies) expect(r).toMatch(/^\{"return": /);
    expect(a.replies.join('')).toContain('"mountpoint": "/var/lib/data"');
    expect(a.replies[7]).toContain('"exited": true');
    expect(Buffer.from(/"out-data": "([^"]*)"/.exec(a.replies[7] ?? '')?.[1] ?? '', 'base64').toString()).toMatch(/^hello\nuser {5}tty1/);
    expect(b.replies).toEqual(a.replies);
    expect(b.hash).toBe(a.hash);
    const other = execFileSync(process.execPath, [bundleEntry('test/machine/fixtures/default-scenario-main.ts')], { encoding: 'utf8' }).trim();
    expect(other).toBe(a.hash);
  }, 60_000);
});
