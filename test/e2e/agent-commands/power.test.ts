/**
 * guest-shutdown and guest-suspend-* on the full default machine, one machine per case
 * (each ends the machine's run), seen where the host sees them: QMP events and run state,
 * the vCPUs, and the hibernation image on the swap partition of the root disk (vda2). The
 * guest goes through qemu-ga 7.2's first method, systemd: `systemctl status <unit>` then
 * `systemctl suspend|hibernate|hybrid-sleep`, which writes /sys/power/{disk,state}.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DRIVES, b64, fileBackedDrives, qmpEvent, rootSwapSignature, startVm, unb64, until, type Vm } from './helpers.js';

const vms: Vm[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const v of vms.splice(0)) await v.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(opts: Parameters<typeof startVm>[0] = {}): Promise<Vm> {
  const v = await startVm(opts);
  vms.push(v);
  return v;
}

const eventNames = (v: Vm): string[] => v.qmp.events.map((e) => e.event);

/** The programs the guest kernel starts from now on, as argv strings. */
function spawned(v: Vm): string[] {
  const out: string[] = [];
  v.vm.machine.trace.subscribe(['guest'], (rec) => {
    const m = /^spawn pid \d+ ppid \d+ uid \d+ \S+ (?:\S+ )?(\[.*\])$/.exec(rec.message);
    if (m !== null) out.push((JSON.parse(m[1]!) as string[]).join(' '));
  });
  return out;
}

describe('guest-shutdown', () => {
  it('powerdown: ACPI S5, the VMM reports SHUTDOWN (guest-initiated) and stops', async () => {
    const v = await start();
    await v.qga.shutdown('powerdown', { timeoutMs: 10_000 });
    const ev = await qmpEvent(v.qmp, 'SHUTDOWN');
    expect(ev.data).toEqual({ guest: true, reason: 'guest-shutdown' });
    expect(await v.qmp.execute('query-status')).toMatchObject({ status: 'shutdown', running: false });
  });

  it('halt: no event at all, every vCPU parked (HLT with interrupts off), the agent silent', async () => {
    const v = await start();
    const m = v.vm.machine;
    const allParked = (): boolean => m.vcpus.cpus.every((c) => m.vcpus.state(c.index) === 'offline');
    // QEMU sends nothing for a halt, so the call completes when the vCPUs have stopped.
    await v.qga.guestShutdown({ mode: 'halt' }, { timeoutMs: 10_000, waitFor: () => until(allParked, 'all vCPUs parked') });
    expect(allParked()).toBe(true);
    expect(eventNames(v)).toEqual([]);
    expect(await v.qmp.execute('query-status')).toMatchObject({ status: 'running', running: true });
    await expect(v.qga.sync({ timeoutMs: 300 })).rejects.toThrow(/did not answer/);
    expect(eventNames(v)).toEqual([]);
  });

  it('reboot: RESET (guest-initiated), the port closes and reopens, and the rebooted guest\'s agent answers', async () => {
    const v = await start();
    const before = v.os();
    await v.qga.shutdown('reboot', { timeoutMs: 10_000 });
    expect((await qmpEvent(v.qmp, 'RESET')).data).toEqual({ guest: true, reason: 'guest-reset' });
    await v.qga.guestPing();
    expect(v.os()).not.toBe(before);
    expect(v.qmp.events.filter((e) => e.event === 'VSERPORT_CHANGE').map((e) => e.data)).toEqual([
      { id: 'channel0', open: false },
      { id: 'channel0', open: true },
    ]);
    expect(eventNames(v)).not.toContain('SHUTDOWN');
    // A fresh agent: its handle numbering starts again at 1000 (its state file lived in /run).
    const h = await v.qga.guestFileOpen({ path: '/etc/hostname' });
    expect(h).toBe(1000);
  });
});

describe('guest-suspend-ram', () => {
  it('SUSPEND (S3), run state suspended; system_wakeup gives WAKEUP and the agent answers again, the root disk working', async () => {
    const v = await start();
    await v.qga.guestPing();
    const progs = spawned(v);
    await v.qga.suspend('ram', { timeoutMs: 10_000 });
    expect(eventNames(v)).toEqual(['SUSPEND']);
    // qemu-ga 7.2 went the systemd way; the sleep service wrote "mem" to /sys/power/state.
    expect(progs).toEqual(['systemctl status systemd-suspend', 'systemctl suspend', 'systemd-sleep suspend']);
    expect(await v.qmp.execute('query-status')).toMatchObject({ status: 'suspended', running: false });
    expect(rootSwapSignature(v.image(DRIVES.root))).toBe('SWAPSPACE2');
    await v.qmp.execute('system_wakeup');
    await qmpEvent(v.qmp, 'WAKEUP');
    expect(await v.qmp.execute('query-status')).toMatchObject({ status: 'running', running: true });
    await v.qga.guestPing();
    // The resumed guest drives its (reset) virtio-blk disk again.
    const h = await v.qga.guestFileOpen({ path: '/root/after-s3', mode: 'w+' });
    await v.qga.guestFileWrite({ handle: h, 'buf-b64': b64('awake') });
    await v.qga.guestFileFlush({ handle: h });
    await v.qga.guestFileSeek({ handle: h, offset: 0, whence: 'set' });
    expect(unb64((await v.qga.guestFileRead({ handle: h }))['buf-b64'])).toBe('awake');
    await v.qga.guestFileClose({ handle: h });
  });

  it('after WAKEUP the dm volume on the two (reset) virtio-scsi disks works again: a write through the agent lands on both images', async () => {
    const v = await start();
    await v.qga.guestPing();
    await v.qga.suspend('ram', { timeoutMs: 10_000 });
    await v.qmp.execute('system_wakeup');
    await qmpEvent(v.qmp, 'WAKEUP');
    const before = [v.image(DRIVES.scsiA).stats().writtenSectors, v.image(DRIVES.scsiB).stats().writtenSectors];
    const h = await v.qga.guestFileOpen({ path: '/var/lib/data/after-s3', mode: 'w' });
    await v.qga.guestFileWrite({ handle: h, 'buf-b64': b64('scsi awake') });
    await v.qga.guestFileClose({ handle: h });
    // FIFREEZE writes everything back, through dm-linear to the virtio-scsi adapter.
    expect(await v.qga.guestFsfreezeFreezeList({ mountpoints: ['/var/lib/data'] })).toBe(1);
    expect(await v.qga.guestFsfreezeThaw()).toBe(1);
    const after = [v.image(DRIVES.scsiA).stats().writtenSectors, v.image(DRIVES.scsiB).stats().writtenSectors];
    expect(after[0]! + after[1]!).toBeGreaterThan(before[0]! + before[1]!);
    const r = await v.qga.guestFileOpen({ path: '/var/lib/data/after-s3' });
    expect(unb64((await v.qga.guestFileRead({ handle: r }))['buf-b64'])).toBe('scsi awake');
  });
});

describe('guest-suspend-hybrid (systemd hybrid-sleep: image to swap, then S3)', () => {
  it('SUSPEND with the hibernation image on vda2 while asleep; system_wakeup resumes from RAM and the swap signature is restored', async () => {
    const v = await start();
    await v.qga.guestPing();
    const progs = spawned(v);
    await v.qga.suspend('hybrid', { timeoutMs: 10_000 });
    expect(eventNames(v)).toEqual(['SUSPEND']);
    expect(progs).toEqual(['systemctl status systemd-hybrid-sleep', 'systemctl hybrid-sleep', 'systemd-sleep hybrid-sleep', 'kworker/pm']);
    expect(await v.qmp.execute('query-status')).toMatchObject({ status: 'suspended' });
    expect(rootSwapSignature(v.image(DRIVES.root))).toBe('S1SUSPEND');
    await v.qmp.execute('system_wakeup');
    await qmpEvent(v.qmp, 'WAKEUP');
    await v.qga.guestPing();
    expect(rootSwapSignature(v.image(DRIVES.root))).toBe('SWAPSPACE2');
  });

  it('power lost while asleep: a new machine on the same disks resumes the image (suspend to both)', async () => {
    const a = await start({ configure: fileBackedDrives, keepDir: true });
    dirs.push(a.dir);
    const h = await a.qga.guestFileOpen({ path: '/root/hybrid.txt', mode: 'w+' });
    await a.qga.guestFileWrite({ handle: h, 'buf-b64': b64('kept in RAM and on swap') });
    await a.qga.suspend('hybrid', { timeoutMs: 10_000 });
    expect(rootSwapSignature(a.image(DRIVES.root))).toBe('S1SUSPEND');
    await a.close();
    vms.splice(vms.indexOf(a), 1);

    const b = await start({ configure: fileBackedDrives, dir: a.dir });
    await b.qga.guestPing();
    // The agent process came back from the image: its open handle still reads.
    await b.qga.guestFileSeek({ handle: h, offset: 0, whence: 'set' });
    expect(unb64((await b.qga.guestFileRead({ handle: h }))['buf-b64'])).toBe('kept in RAM and on swap');
    expect(rootSwapSignature(b.image(DRIVES.root))).toBe('SWAPSPACE2');
  });
});

describe('guest-suspend-disk (systemd hibernate: image to swap, ACPI S4)', () => {
  it('SUSPEND_DISK then SHUTDOWN with S1SUSPEND on vda2; a new machine on the same disk files resumes the guest where it was', async () => {
    const a = await start({ configure: fileBackedDrives, keepDir: true });
    dirs.push(a.dir);
    const h = await a.qga.guestFileOpen({ path: '/root/hibernated.txt', mode: 'w+' });
    await a.qga.guestFileWrite({ handle: h, 'buf-b64': b64('written before hibernation') });
    expect(rootSwapSignature(a.image(DRIVES.root))).toBe('SWAPSPACE2');
    const progs = spawned(a);
    await a.qga.suspend('disk', { timeoutMs: 10_000 });
    const shutdown = await qmpEvent(a.qmp, 'SHUTDOWN');
    expect(eventNames(a)).toEqual(['SUSPEND_DISK']);
    expect(shutdown.data).toEqual({ guest: true, reason: 'guest-shutdown' });
    expect(rootSwapSignature(a.image(DRIVES.root))).toBe('S1SUSPEND');
    expect(progs).toEqual(['systemctl status systemd-hibernate', 'systemctl hibernate', 'systemd-sleep hibernate', 'kworker/pm']);
    await a.close();
    vms.splice(vms.indexOf(a), 1);

    const b = await start({ configure: fileBackedDrives, dir: a.dir });
    await b.qga.guestPing();
    await b.qga.guestFileSeek({ handle: h, offset: 0, whence: 'set' });
    expect(unb64((await b.qga.guestFileRead({ handle: h }))['buf-b64'])).toBe('written before hibernation');
    await b.qga.guestFileClose({ handle: h });
    expect(rootSwapSignature(b.image(DRIVES.root))).toBe('SWAPSPACE2');
    expect(eventNames(b)).toEqual([]);
  });
});
