/**
 * Differential test against Debian's real qemu-ga 7.2: the same bytes go to it (run as
 * nobody on a unix socket, every host-changing command blocked) and to our agent
 * through the whole machine (unix socket chardev → virtio-serial-pci → guest
 * virtio-console driver → /dev/virtio-ports/org.qemu.guest_agent.0 → qemu-ga started
 * with the same block list), and the replies must match byte for byte. Only probes
 * whose answers cannot depend on the guest's contents are sent (see probes.ts).
 * Skips, saying why, where qemu-ga is not installed (CI) or cannot be run unprivileged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qgaProfile } from '../../src/agent/schema/index.js';
import { QGA_ERR_UNSUPPORTED } from '../../src/agent/protocol/index.js';
import { LIMIT_PROBES, PROBES, type Probe } from './probes.js';
import { REAL_QGA_BLOCKED, realQgaUnavailable, startRealQga, type RealQga } from './real-qga.js';
import { WireSession } from './wire-session.js';
import { startOurAgent, type OurAgent } from './our-agent.js';

const why = realQgaUnavailable();

const show = (b: Buffer): string => b.toString('latin1').replaceAll('\xff', '<FF>');

describe.skipIf(why !== undefined)('our qemu-ga vs Debian qemu-ga 7.2, byte for byte', () => {
  let real: RealQga;
  let ours: OurAgent;
  let rs: WireSession;
  let os: WireSession;
  let handlerCompared = 0;

  beforeAll(async () => {
    real = await startRealQga();
    ours = await startOurAgent(REAL_QGA_BLOCKED);
    rs = await WireSession.open(real.socket);
    os = await WireSession.open(ours.socket);
  }, 30_000);

  afterAll(async () => {
    rs?.close();
    os?.close();
    await real?.stop();
    await ours?.stop();
    if (handlerCompared > 0) console.log(`agent-diff: ${handlerCompared} handler probes compared`);
  });

  async function both(probe: Probe, timeoutMs?: number): Promise<[string, string]> {
    const [r, o] = await Promise.all([rs.exchange(probe.bytes, timeoutMs), os.exchange(probe.bytes, timeoutMs)]);
    return [show(r), show(o)];
  }

  // Commands outside our 7.2 profile (guest-ssh-*, added in 5.2) are unknown to our agent.
  const inProfile = (p: Probe): boolean => p.command === undefined || qgaProfile('7.2').schema.command(p.command) !== undefined;

  it.each(PROBES.filter((p) => p.kind === 'wire' && inProfile(p)).map((p) => [p.name, p] as const))('%s', async (_name, probe) => {
    const [r, o] = await both(probe);
    expect(o).toBe(r);
  });

  it.each(PROBES.filter((p) => p.kind === 'handler').map((p) => [p.name, p] as const))('handler: %s', async (_name, probe) => {
    const [r, o] = await both(probe);
    // Until our agent implements the command, it answers QERR_UNSUPPORTED: nothing to compare yet.
    if (o.includes(QGA_ERR_UNSUPPORTED) && !r.includes(QGA_ERR_UNSUPPORTED)) return;
    handlerCompared++;
    expect(o).toBe(r);
  });

  it('guest-info: same order and flags for the commands both have (version string aside)', async () => {
    const probe = { name: 'info', bytes: Buffer.from('{"execute":"guest-info"}'), kind: 'wire' as const };
    const [r, o] = await both(probe);
    type Info = { return: { version: string; supported_commands: { name: string; enabled: boolean; 'success-response': boolean }[] } };
    const infoLine = (s: string): string => s.split('\n').find((l) => l.startsWith('{"return"')) ?? s;
    const ri = JSON.parse(infoLine(r)) as Info;
    const oi = JSON.parse(infoLine(o)) as Info;
    expect(ri.return.version).toMatch(/^7\.2\.\d+$/);
    expect(oi.return.version).toMatch(/^7\.2\.\d+$/);
    const ours72 = new Set(qgaProfile('7.2').commandOrder);
    expect(oi.return.supported_commands).toEqual(ri.return.supported_commands.filter((c) => ours72.has(c.name)));
    // Byte layout: the same text once the version and the extra commands are taken out.
    const strip = (s: string, v: string) => s.replace(`"version": "${v}"`, '"version": "V"').replace(/\{"enabled": (true|false), "name": "([a-z-]+)", "success-response": (true|false)\}(, )?/g, (m, _e, n: string) => (ours72.has(n) ? m : ''));
    expect(strip(o, oi.return.version).replace(/, \]/, ']')).toBe(strip(r, ri.return.version).replace(/, \]/, ']'));
  });

  it.each(LIMIT_PROBES.map((p) => [p.name, p] as const))('limit: %s', async (_name, probe) => {
    const [r, o] = await both(probe, 120_000);
    expect(o).toBe(r);
  }, 180_000);
});

if (why !== undefined) {
  describe('our qemu-ga vs Debian qemu-ga 7.2', () => {
    it.skip(`skipped: ${why}`, () => undefined);
  });
}
