/**
 * guest-get-fsinfo, guest-fstrim and the guest-fsfreeze-* commands on the full default
 * machine, checked against the layer below: PCI addresses against what the VMM reports in
 * query-pci, discards and flushes against the disk images the controllers write, and a
 * frozen filesystem against a guest process whose write is held until the thaw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestFilesystemInfo } from '../../../src/agent/schema/types.js';
import { DRIVES, b64, execWait, pciController, queryPci, spyWrites, startVm, unb64, until, type QmpPciDevice, type Vm } from './helpers.js';

let v: Vm;
beforeAll(async () => {
  v = await startVm();
}, 30_000);
afterAll(async () => {
  await v?.close();
});

const GiB = 1024 ** 3;
/** Size of the block device under each mount (vda1 is the disk less its 1 GiB swap partition). */
const DEVICE_BYTES: Readonly<Record<string, number>> = { '/': 7 * GiB, '/srv': GiB, '/data': 2 * GiB, '/var/lib/data': 2 * GiB };
/** Disk filesystems of the default machine, in qemu-ga's (reverse mount) order. */
const MOUNTS = ['/var/lib/data', '/srv', '/data', '/'];

const stats = (): Record<string, { discards: number; flushes: number; writtenSectors: number }> =>
  Object.fromEntries(Object.entries(DRIVES).map(([k, id]) => [k, v.image(id).stats()]));

function byMount(list: GuestFilesystemInfo[], mp: string): GuestFilesystemInfo {
  const f = list.find((x) => x.mountpoint === mp);
  if (f === undefined) throw new Error(`no ${mp} in ${JSON.stringify(list.map((x) => x.mountpoint))}`);
  return f;
}

function fn(pci: QmpPciDevice[], pred: (d: QmpPciDevice) => boolean, what: string): QmpPciDevice {
  const d = pci.find(pred);
  if (d === undefined) throw new Error(`query-pci has no ${what}`);
  return d;
}

describe('guest-get-fsinfo: every disk filesystem, on the controllers the VMM placed', () => {
  it('lists the four disk filesystems with type, bus type and the controller\'s PCI address from query-pci', async () => {
    const fs = await v.qga.guestGetFsinfo();
    expect(fs.map((f) => f.mountpoint)).toEqual(MOUNTS);
    const pci = await queryPci(v.qmp);
    const virtioBlk = fn(pci, (d) => d.qdev_id === 'virtio-disk0', 'virtio-blk');
    const piixIde = fn(pci, (d) => d.class_info.class === 0x0101, 'IDE controller');
    const ahci = fn(pci, (d) => d.qdev_id === 'sata0', 'AHCI');
    const bridge = fn(pci, (d) => d.qdev_id === 'pci.1', 'pci-bridge');
    const scsi = fn(pci, (d) => d.qdev_id === 'scsi0', 'virtio-scsi');
    // The machine as described: vda at 00:05.0, the SCSI controller behind the bridge at 00:1e.0.
    expect(pciController(virtioBlk)).toEqual({ domain: 0, bus: 0, slot: 5, function: 0 });
    expect([bridge.slot, scsi.bus]).toEqual([0x1e, bridge.pci_bridge?.bus.secondary]);

    const root = byMount(fs, '/');
    expect(root).toMatchObject({ name: 'vda1', type: 'ext4' });
    expect(root.disk).toEqual([expect.objectContaining({ 'bus-type': 'virtio', dev: '/dev/vda1', bus: 0, target: 0, unit: 0, 'pci-controller': pciController(virtioBlk) })]);

    const srv = byMount(fs, '/srv');
    expect(srv).toMatchObject({ name: 'sdc1', type: 'ext4' });
    expect(srv.disk).toEqual([expect.objectContaining({ 'bus-type': 'ide', dev: '/dev/sdc1', bus: 0, unit: 0, 'pci-controller': pciController(piixIde) })]);

    const data = byMount(fs, '/data');
    expect(data).toMatchObject({ name: 'sdd1', type: 'xfs' });
    expect(data.disk).toEqual([expect.objectContaining({ 'bus-type': 'sata', dev: '/dev/sdd1', unit: 0, 'pci-controller': pciController(ahci) })]);

    // dm-linear over both SCSI disks: qemu-ga walks slaves/ and lists each.
    const lv = byMount(fs, '/var/lib/data');
    expect(lv).toMatchObject({ name: 'dm-0', type: 'ext4' });
    expect(lv.disk.map((d) => d.dev).sort()).toEqual(['/dev/sda1', '/dev/sdb1']);
    for (const d of lv.disk) expect(d).toMatchObject({ 'bus-type': 'scsi', 'pci-controller': pciController(scsi) });
  });

  it('reports total and used bytes that fit the disks, and used bytes grow by what a guest write allocated', async () => {
    const before = await v.qga.guestGetFsinfo();
    for (const f of before) {
      const total = Number(f['total-bytes']);
      const used = Number(f['used-bytes']);
      expect(total).toBeGreaterThan(DEVICE_BYTES[f.mountpoint]! / 2);
      expect(total).toBeLessThan(DEVICE_BYTES[f.mountpoint]!);
      expect(used).toBeGreaterThan(0);
      expect(used).toBeLessThan(total);
    }
    const h = await v.qga.guestFileOpen({ path: '/srv/one-mib', mode: 'w' });
    const chunk = b64('A'.repeat(64 * 1024));
    for (let i = 0; i < 16; i++) await v.qga.guestFileWrite({ handle: h, 'buf-b64': chunk });
    await v.qga.guestFileClose({ handle: h });
    const after = byMount(await v.qga.guestGetFsinfo(), '/srv');
    expect(Number(after['used-bytes']) - Number(byMount(before, '/srv')['used-bytes'])).toBeGreaterThanOrEqual(1024 * 1024);
    expect(after['total-bytes']).toBe(byMount(before, '/srv')['total-bytes']);
  });
});

describe('guest-fstrim: FITRIM on every disk filesystem reaches the images as discards', () => {
  it('reports each mount with trimmed bytes, and every disk image (both SCSI disks under the dm volume too) counts new discards', async () => {
    const fsinfo = await v.qga.guestGetFsinfo();
    const s0 = stats();
    const r = await v.qga.guestFstrim();
    expect(r.paths.map((p) => p.path)).toEqual(MOUNTS);
    for (const p of r.paths) {
      expect(p.error).toBeUndefined();
      expect(p.minimum).toBe(0);
      expect(Number(p.trimmed)).toBeGreaterThan(0);
      // Free space including the root reserve (which total-bytes leaves out), so bounded by the device.
      expect(Number(p.trimmed)).toBeGreaterThan(Number(byMount(fsinfo, p.path)['total-bytes']) / 2);
      expect(Number(p.trimmed)).toBeLessThanOrEqual(DEVICE_BYTES[p.path]!);
    }
    const s1 = stats();
    for (const k of Object.keys(DRIVES)) expect(s1[k]!.discards, k).toBeGreaterThan(s0[k]!.discards);
  }, 20_000);
});

describe('guest-fsfreeze-*: FIFREEZE on every disk filesystem, held writes, FITHAW', () => {
  it('freeze writes dirty data out and flushes every disk, counting the 4 disk filesystems; a guest write to a frozen fs waits for the thaw', async () => {
    expect(await v.qga.guestFsfreezeStatus()).toBe('thawed');
    // Dirty every filesystem (written, not synced): once frozen, all of it must be on the disks.
    const spies = Object.fromEntries(Object.entries(DRIVES).map(([k, id]) => [k, spyWrites(v.image(id))]));
    for (const mp of MOUNTS) {
      const h = await v.qga.guestFileOpen({ path: `${mp === '/' ? '' : mp}/dirty`, mode: 'w' });
      await v.qga.guestFileWrite({ handle: h, 'buf-b64': b64(`dirty data on ${mp}\n`) });
      await v.qga.guestFileClose({ handle: h });
    }
    // A writer that starts once the agent has entered its frozen state (qemu-ga creates its
    // marker in the state dir, /run, before freezing), then writes to /srv a second later.
    const { pid } = await v.qga.guestExec({
      path: '/bin/sh',
      arg: ['-c', 'while [ ! -e /var/run/qga.state.isfrozen ]; do sleep 0.01; done; sleep 1; echo x > /srv/frozen-write; echo written'],
      'capture-output': true,
    });
    expect((await v.qga.guestExecStatus({ pid })).exited).toBe(false);
    const s0 = stats();
    const fsinfo = await v.qga.guestGetFsinfo();
    const frozenAt = v.vm.machine.sched.now();
    expect(await v.qga.guestFsfreezeFreeze()).toBe(fsinfo.length);
    expect(fsinfo.length).toBe(4);
    const s1 = stats();
    for (const s of Object.values(spies)) s.stop();
    // Whether the periodic writeback got there first or the freeze did, the data is on the media now,
    expect(spies.root!.text()).toContain('dirty data on /\n');
    expect(spies.sata!.text()).toContain('dirty data on /data\n');
    expect(spies.ide!.text()).toContain('dirty data on /srv\n');
    expect(spies.scsiA!.text() + spies.scsiB!.text()).toContain('dirty data on /var/lib/data\n');
    // and the freeze flushed each disk's volatile cache (the dm volume's flush reaches both of its disks).
    for (const k of Object.keys(DRIVES)) expect(s1[k]!.flushes - s0[k]!.flushes, k).toBe(1);
    expect(await v.qga.guestFsfreezeStatus()).toBe('frozen');
    // Outside the freeze allow-list everything is refused while frozen, guest-exec-status too.
    await expect(v.qga.guestExecStatus({ pid })).rejects.toThrow(/disabled.*frozen/);

    // Let the writer's second pass on the virtual clock (which stops when nothing is due): it
    // is stuck in its write, and nothing reached the IDE disk.
    const sched = v.vm.machine.sched;
    await until(() => sched.now() >= frozenAt + 2e9 || (sched.now() >= frozenAt + 1e9 && sched.nextDeadline() === undefined), 'the writer\'s sleep');
    const writer = v.os().kernel.processes().find((p) => p.pid === pid);
    expect(writer?.state).toBe('blocked');
    expect(v.image(DRIVES.ide).stats().writtenSectors).toBe(s1.ide!.writtenSectors);

    expect(await v.qga.guestFsfreezeThaw()).toBe(4);
    expect(await v.qga.guestFsfreezeStatus()).toBe('thawed');
    const st = await execWait(v.qga, pid);
    expect(st).toMatchObject({ exited: true, exitcode: 0 });
    expect(unb64(st['out-data'])).toBe('written\n');
    const h = await v.qga.guestFileOpen({ path: '/srv/frozen-write' });
    expect(unb64((await v.qga.guestFileRead({ handle: h }))['buf-b64'])).toBe('x\n');
    await v.qga.guestFileClose({ handle: h });
  });

  it('guest-fsfreeze-freeze-list freezes only what it names: /srv alone flushes only the IDE disk', async () => {
    const s0 = stats();
    expect(await v.qga.guestFsfreezeFreezeList({ mountpoints: ['/srv'] })).toBe(1);
    expect(await v.qga.guestFsfreezeStatus()).toBe('frozen');
    const s1 = stats();
    expect(Object.fromEntries(Object.keys(DRIVES).map((k) => [k, s1[k]!.flushes - s0[k]!.flushes]))).toEqual({ root: 0, sata: 0, ide: 1, scsiA: 0, scsiB: 0 });
    expect(await v.qga.guestFsfreezeThaw()).toBe(1);
    expect(await v.qga.guestFsfreezeStatus()).toBe('thawed');
  });
});
