import { describe, expect, it } from 'vitest';
import { portEchoMain } from '../../src/guest/programs/port-echo.js';
import type { ConsoleBufferEvent, ConsoleKickEvent, ConsolePortStateEvent, ConsoleUsedEvent } from '../../src/guest/drivers/virtio-console/index.js';
import { O_RDWR } from '../../src/guest/kernel/index.js';
import { AGENT_PORT, bootConsoleRig, hostOf, spawnScript, type Rig } from './harness.js';

async function scenario(): Promise<Rig> {
  const rig = await bootConsoleRig({ userspace: (os) => void os.kernel.spawn(portEchoMain, ['port-echo', `/dev/virtio-ports/${AGENT_PORT}`]) });
  const h = hostOf(rig);
  for (let round = 0; round < 3; round++) {
    h.connect();
    await rig.step(150);
    h.write(`round ${round} `.repeat(700 * (round + 1)));
    await rig.step(50);
    h.read();
    h.disconnect();
    await rig.step(150);
  }
  return rig;
}

describe('virtio-console tracing', () => {
  it('is deterministic: the same host script gives the same trace, line for line', async () => {
    const a = await scenario();
    const b = await scenario();
    expect(b.lines()).toEqual(a.lines());
    expect(b.m.trace.digest()).toBe(a.m.trace.digest());
  });

  it('reports ring work as typed events that match the trace lines', async () => {
    const rig = await bootConsoleRig();
    const h = hostOf(rig);
    h.connect();
    await rig.step(5);
    const c = rig.console();
    const added: ConsoleBufferEvent[] = [];
    const used: ConsoleUsedEvent[] = [];
    const kicks: ConsoleKickEvent[] = [];
    const states: ConsolePortStateEvent[] = [];
    c.events.on('buffer-added', (e) => added.push(e));
    c.events.on('buffer-used', (e) => used.push(e));
    c.events.on('kick', (e) => kicks.push(e));
    c.events.on('port-state', (e) => states.push(e));
    let got = 0;
    const s = spawnScript(rig, 'reader', function* (sys) {
      const fd = yield* sys.open(`/dev/virtio-ports/${AGENT_PORT}`, O_RDWR);
      while (got < 5000) got += (yield* sys.read(fd, 65536)).length;
    });
    await rig.step(5);
    const from = rig.records.length;
    h.write('x'.repeat(5000));
    await rig.until(() => s.done, 'reader');
    const lines = rig.lines().slice(from);
    // 5000 bytes fill one page and part of another; both come back used, then are posted again.
    const rx = used.filter((u) => u.queue === 4);
    expect(rx.map((u) => u.len)).toEqual([4096, 904]);
    for (const u of rx) expect(lines).toContain(`virtio guest vport0p1: vq4: used head ${u.head} len ${u.len}`);
    const reposted = added.filter((a) => a.queue === 4);
    expect(reposted.map((a) => [a.dir, a.len])).toEqual([['in', 4096], ['in', 4096]]);
    for (const a of reposted) expect(lines).toContain(`virtio guest vport0p1: vq4: avail head ${a.head} 0x${a.addr.toString(16)}+4096 W`);
    expect(kicks.filter((k) => k.queue === 4).length).toBeGreaterThan(0);
    expect(states.map((e) => [e.node, e.state])).toEqual([['vport0p1', 'open'], ['vport0p1', 'close']]);
    // The device's side of the same buffers: chains popped with their descriptors, used entries, interrupts.
    expect(lines.some((l) => /virtio 0000:00:0.\.0: vq4: pop avail\[\d+\] head \d+: d\d+ 0x[0-9a-f]+\+4096 W \(out 0 in 4096\)/.test(l))).toBe(true);
    expect(lines.some((l) => /virtio 0000:00:0.\.0: vq4: used\[\d+\] = \{id \d+, len 904\}/.test(l))).toBe(true);
    expect(lines.some((l) => /virtio 0000:00:0.\.0: vq4 interrupt: MSI-X vector 1/.test(l))).toBe(true);
  });
});
