/**
 * The system commands on the full default machine, each checked at the layer below: vCPUs
 * (guest-get/set-vcpus) against the VMM's vCPU states, memory blocks against the RAM the
 * machine was given and the kernel's sysfs, interfaces against the virtio-net device's
 * MAC and frame counters, the clock (guest-get/set-time) against the RTC and its QMP
 * RTC_CHANGE event, and guest-set-user-password against /etc/shadow, verified with the
 * host's `openssl passwd -6`.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtioNetPci } from '../../../devices/virtio-net/virtio-net-pci.js';
import { b64, qmpEvent, sh, startVm, unb64, type Vm } from './helpers.js';

let v: Vm;
beforeAll(async () => {
  v = await startVm();
}, 30_000);
afterAll(async () => {
  await v?.close();
});

const SEC = 1_000_000_000;

describe('guest-get-vcpus / guest-set-vcpus', () => {
  it('lists the 4 vCPUs; offlining cpu1 parks it (the VMM sees it offline) and onlining brings it back', async () => {
    const m = v.vm.machine;
    const cpus = await v.qga.guestGetVcpus();
    expect(cpus).toEqual([0, 1, 2, 3].map((i) => ({ 'logical-id': i, online: true, 'can-offline': i !== 0 })));
    expect(m.vcpus.cpus).toHaveLength(4);

    expect(await v.qga.guestSetVcpus({ vcpus: [{ 'logical-id': 1, online: false }] })).toBe(1);
    expect(m.vcpus.state(1)).toBe('offline');
    expect([0, 2, 3].map((i) => m.vcpus.state(i))).not.toContain('offline');
    expect((await v.qga.guestGetVcpus())[1]).toEqual({ 'logical-id': 1, online: false, 'can-offline': true });
    expect((await sh(v.qga, 'cat /sys/devices/system/cpu/online')).out).toBe('0,2-3\n');

    expect(await v.qga.guestSetVcpus({ vcpus: [{ 'logical-id': 1, online: true }] })).toBe(1);
    expect(m.vcpus.state(1)).not.toBe('offline');
    expect((await v.qga.guestGetVcpus())[1]).toMatchObject({ online: true });
    await expect(v.qga.guestSetVcpus({ vcpus: [{ 'logical-id': 0, online: false }] })).rejects.toThrow("logical processor #0 can't be offlined");
  });
});

describe('guest-get-memory-block-info / guest-get-memory-blocks / guest-set-memory-blocks', () => {
  it('blocks of the machine\'s block size cover its RAM; offlining one shows in the kernel\'s sysfs and in the listing', async () => {
    const cfg = v.vm.machine.config;
    const { size } = await v.qga.guestGetMemoryBlockInfo();
    expect(Number(size)).toBe(cfg.memoryBlockSize);
    const blocks = await v.qga.guestGetMemoryBlocks();
    expect(blocks).toHaveLength(cfg.ramSize / cfg.memoryBlockSize);
    expect(blocks.every((b) => b.online)).toBe(true);
    const last = blocks.length - 1;

    const r = await v.qga.guestSetMemoryBlocks({ 'mem-blks': [{ 'phys-index': last, online: false }, { 'phys-index': 999, online: false }] });
    expect(r).toEqual([
      { 'phys-index': last, response: 'success' },
      { 'phys-index': 999, response: 'not-found', 'error-code': 2 },
    ]);
    expect((await sh(v.qga, `cat /sys/devices/system/memory/memory${last}/state`)).out).toBe('offline\n');
    expect((await v.qga.guestGetMemoryBlocks())[last]).toMatchObject({ 'phys-index': last, online: false });

    expect(await v.qga.guestSetMemoryBlocks({ 'mem-blks': [{ 'phys-index': last, online: true }] })).toEqual([{ 'phys-index': last, response: 'success' }]);
    expect((await sh(v.qga, `cat /sys/devices/system/memory/memory${last}/state`)).out).toBe('online\n');
  });
});

describe('guest-network-get-interfaces', () => {
  it('lo and ens3 with the NIC\'s MAC, 10.0.2.15/24 and SLAAC IPv6 addresses, and the device\'s frame counters', async () => {
    const nic = v.vm.machine.devices.find((d) => d.id === 'net0')?.pci;
    if (!(nic instanceof VirtioNetPci)) throw new Error('no virtio-net-pci net0');
    const ifs = await v.qga.guestNetworkGetInterfaces();
    expect(ifs.map((i) => i.name)).toEqual(['lo', 'ens3']);
    expect(ifs[0]).toMatchObject({
      'hardware-address': '00:00:00:00:00:00',
      'ip-addresses': [
        { 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 },
        { 'ip-address-type': 'ipv6', 'ip-address': '::1', prefix: 128 },
      ],
    });
    const ens3 = ifs[1]!;
    expect(ens3['hardware-address']).toBe('52:54:00:12:34:56');
    expect(ens3['ip-addresses']).toEqual([
      { 'ip-address-type': 'ipv4', 'ip-address': '10.0.2.15', prefix: 24 },
      { 'ip-address-type': 'ipv6', 'ip-address': 'fec0::5054:ff:fe12:3456', prefix: 64 },
      { 'ip-address-type': 'ipv6', 'ip-address': 'fe80::5054:ff:fe12:3456', prefix: 64 },
    ]);
    // What the guest counted is what the device model moved.
    const dev = nic.net.stats;
    expect(ens3.statistics).toMatchObject({
      'tx-packets': dev.txFrames,
      'tx-bytes': dev.txBytes,
      'rx-packets': dev.rxFrames,
      'rx-bytes': dev.rxBytes,
      'tx-errs': 0,
      'rx-errs': 0,
    });
    expect(dev.txFrames).toBeGreaterThan(0);
  });
});

describe('guest-get-time / guest-set-time', () => {
  const guestSec = async (): Promise<number> => Number(await v.qga.guestGetTime()) / SEC;

  it('guest-get-time is the wall clock the guest took from the RTC, in whole microseconds', async () => {
    const ns = BigInt(await v.qga.guestGetTime());
    expect(ns % 1000n).toBe(0n);
    expect(Math.abs(Number(ns) / SEC - v.vm.machine.rtc.now())).toBeLessThan(2);
  });

  it('guest-set-time with a time sets the system clock and, through hwclock -w, the RTC (QMP RTC_CHANGE)', async () => {
    const rtc = v.vm.machine.rtc;
    const target = 1_900_000_000;
    await v.qga.guestSetTime({ time: BigInt(target) * 1_000_000_000n + 123_456_789n });
    const ev = await qmpEvent(v.qmp, 'RTC_CHANGE');
    expect(rtc.now()).toBeGreaterThanOrEqual(target);
    expect(rtc.now()).toBeLessThan(target + 60);
    // The event's offset is the RTC's distance from the machine's reference clock when it was set.
    expect(Math.abs(Number(ev.data?.['offset']) - (rtc.now() - rtc.referenceNow()))).toBeLessThanOrEqual(1);
    const t = await guestSec();
    expect(Math.abs(t - rtc.now())).toBeLessThan(2);
    await expect(v.qga.guestSetTime({ time: 4_000_000_000n * 1_000_000_000n })).rejects.toThrow('Invalid time');
  });

  it('guest-set-time without a time copies the RTC to a drifted system clock (hwclock -s) and leaves the RTC alone', async () => {
    const rtc = v.vm.machine.rtc;
    const events = v.qmp.events.length;
    // Fault injection: the guest's clock falls 1000 s behind its RTC (as after a long pause).
    const kernel = v.os().kernel;
    const now = kernel.clock.realtime();
    kernel.setRealtime({ sec: now.sec - 1000, nsec: now.nsec });
    expect(rtc.now() - (await guestSec())).toBeGreaterThan(990);
    await v.qga.guestSetTime();
    expect(Math.abs((await guestSec()) - rtc.now())).toBeLessThan(2);
    expect(v.qmp.events.slice(events).map((e) => e.event)).not.toContain('RTC_CHANGE');
  });
});

describe('guest-set-user-password', () => {
  async function shadowEntry(user: string): Promise<string[]> {
    const h = await v.qga.guestFileOpen({ path: '/etc/shadow' });
    const text = unb64((await v.qga.guestFileRead({ handle: h, count: 65536 }))['buf-b64']);
    await v.qga.guestFileClose({ handle: h });
    const line = text.split('\n').find((l) => l.startsWith(`${user}:`));
    if (line === undefined) throw new Error(`no ${user} in /etc/shadow`);
    return line.split(':');
  }
  const openssl = (args: string[]): string | undefined => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };

  it('a plain password becomes a SHA-512 crypt hash in /etc/shadow that the host\'s openssl reproduces', async (ctx) => {
    await v.qga.guestSetUserPassword({ username: 'user', password: b64('s3cret pass'), crypted: false });
    const [, hash, lastChange] = await shadowEntry('user');
    const m = /^\$6\$([^$]+)\$[./0-9A-Za-z]{86}$/.exec(hash ?? '');
    expect(m, hash).not.toBeNull();
    // chpasswd stamps the change day from the guest's clock.
    expect(Number(lastChange)).toBe(Math.floor(Number(await v.qga.guestGetTime()) / SEC / 86400));
    const fromHost = openssl(['passwd', '-6', '-salt', m![1]!, 's3cret pass']);
    if (fromHost === undefined) ctx.skip('openssl is not available on the host: cannot cross-check the hash');
    expect(hash).toBe(fromHost);
  });

  it('crypted=true stores the given hash verbatim', async (ctx) => {
    const hash = openssl(['passwd', '-6', '-salt', 'qgasimSALT', 'other']);
    if (hash === undefined) ctx.skip('openssl is not available on the host to make a hash');
    await v.qga.guestSetUserPassword({ username: 'root', password: b64(hash!), crypted: true });
    expect((await shadowEntry('root'))[1]).toBe(hash);
    await expect(v.qga.guestSetUserPassword({ username: 'nobody-here', password: b64('x'), crypted: false })).rejects.toThrow('child process has failed to set user password');
  });
});
