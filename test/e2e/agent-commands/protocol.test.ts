/**
 * guest-sync, guest-sync-delimited, guest-ping and guest-info on the full default machine:
 * bytes written to the host socket travel through the socket chardev, the virtio-serial
 * port, the guest's virtio-console driver and /dev/virtio-ports to qemu-ga, and its
 * replies come back the same way, byte for byte as qemu-ga 7.2 writes them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qgaProfile } from '../../../src/agent/schema/index.js';
import { startVm, type Vm } from './helpers.js';

let v: Vm;
beforeAll(async () => {
  v = await startVm();
}, 30_000);
afterAll(async () => {
  await v?.close();
});

const NO_REPLY_ON_SUCCESS = ['guest-shutdown', 'guest-suspend-disk', 'guest-suspend-hybrid', 'guest-suspend-ram'];

describe('the protocol commands through socket → virtio-serial → /dev/virtio-ports → qemu-ga', () => {
  it('guest-sync echoes its id exactly, past 2^53 and negative; the typed client gets the same', async () => {
    const want = '{"return": 9007199254740993}\n{"return": -5}\n';
    const got = await v.raw(['{"execute":"guest-sync","arguments":{"id":9007199254740993}}', '{"execute":"guest-sync","arguments":{"id":-5}}'], (b) => b.length >= want.length);
    expect(got.toString('latin1')).toBe(want);
    expect(await v.qga.guestSync({ id: 424242 })).toBe(424242);
  });

  it('guest-sync-delimited: a 0xFF drops a half-sent request (reported as a parse error), the reply is led by 0xFF', async () => {
    const want = `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\"gue\\uFFFD'"}}\n\xff{"return": 123}\n`;
    const got = await v.raw(['{"execute":"gue', Buffer.from([0xff]), '{"execute":"guest-sync-delimited","arguments":{"id":123}}'], (b) => b.includes('123}\n'));
    expect(got.toString('latin1')).toBe(want);
    expect(await v.qga.guestSyncDelimited({ id: 77 })).toBe(77);
  });

  it('guest-ping returns an empty object; the typed client resolves with nothing', async () => {
    const got = await v.raw(['{"execute":"guest-ping","id":"p1"}'], (b) => b.includes('\n'));
    expect(got.toString('latin1')).toBe('{"return": {}, "id": "p1"}\n');
    await expect(v.qga.guestPing()).resolves.toBeUndefined();
  });

  it('guest-info: version 7.2.13 and all 31 commands, enabled, in reverse registration order; the no-reply ones marked', async () => {
    const info = await v.qga.guestInfo();
    expect(info.version).toBe('7.2.13');
    const order = [...qgaProfile('7.2').commandOrder].reverse();
    expect(info.supported_commands.map((c) => c.name)).toEqual(order);
    expect(info.supported_commands).toHaveLength(31);
    expect(info.supported_commands.every((c) => c.enabled)).toBe(true);
    expect(info.supported_commands.filter((c) => !c['success-response']).map((c) => c.name).sort()).toEqual(NO_REPLY_ON_SUCCESS);
    // Byte-exact head of the raw reply: key order and spacing as qemu-ga's JSON writer makes them.
    const raw = await v.raw(['{"execute":"guest-info"}'], (b) => b.includes('\n'));
    expect(raw.toString('latin1')).toMatch(/^\{"return": \{"version": "7\.2\.13", "supported_commands": \[\{"enabled": true, "name": "guest-exec", "success-response": true\}, /);
  });

  it('the bytes cross the virtio-serial device: request into the port\'s receiveq, reply out of its transmitq, host connect as PORT_OPEN', async () => {
    const log: string[] = [];
    const off = v.vm.machine.trace.subscribe(['virtio'], (rec) => {
      if (rec.source === '0000:00:04.0') log.push(rec.message);
    });
    const request = '{"execute":"guest-ping"}';
    const reply = '{"return": {}}\n';
    const got = await v.raw([request], (b) => b.includes('\n'));
    off();
    expect(got.toString('latin1')).toBe(reply);
    // Port 1 (the agent's) uses queues 4 (receiveq, host → guest) and 5 (transmitq, guest → host).
    expect(log).toContain('port 1: host open');
    expect(log).toContain('ctrl tx PORT_OPEN id 1 value 1');
    expect(log.some((l) => new RegExp(`^vq4: used\\[\\d+\\] = \\{id \\d+, len ${request.length}\\}$`).test(l))).toBe(true);
    expect(log.some((l) => l.startsWith('vq5: pop avail') && l.endsWith(`(out ${reply.length} in 0)`))).toBe(true);
  });
});
