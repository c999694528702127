/**
 * Boot mounting on the real block layer: the kernel waits for root=/dev/vda1, mounts it
 * and switches root; the second stage puts the userland on it, mounts /etc/fstab in
 * order (UUID=, LABEL=, tmpfs, nofail) and enables fstab's swap.
 */
import { describe, expect, it } from 'vitest';
import { writeGpt } from '../../src/disk-image/partition.js';
import { DiskImageSlice } from '../../src/disk-image/slice.js';
import { writeSwap } from '../../src/disk-image/swap.js';
import { mkfs, uuidFromSeed } from '../../src/disk-image/mkfs.js';
import { formatUuid } from '../../src/abi/simplefs.js';
import { parseRootOptions, startBootMounts, type BootMountResult } from '../../src/guest/fs/boot-mounts.js';
import { bootLayer, imageMiB, sh, type LayerBooted } from './block-layer-helpers.js';

const MS = 1_000_000;

function systemDisk() {
  const image = imageMiB(96);
  const [p1, p2, p3] = writeGpt(image, [{ name: 'root', sectors: 48 * 2048 }, { name: 'data', sectors: 24 * 2048 }, { kind: 'swap', name: 'swap' }]);
  if (p1 === undefined || p2 === undefined || p3 === undefined) throw new Error('partitioning failed');
  const rootUuid = uuidFromSeed('root');
  const swap = writeSwap(new DiskImageSlice(image, p3.start, p3.sectors), { seed: 'swap' });
  const fstab = [
    '# /etc/fstab: static file system information.',
    `UUID=${formatUuid(rootUuid)} / ext4 errors=remount-ro 0 1`,
    'LABEL=data /srv xfs defaults 0 2',
    `UUID=${swap.uuid} none swap sw 0 0`,
    'tmpfs /tmp tmpfs nosuid,nodev,size=1m 0 0',
    '/dev/vdz1 /mnt ext4 defaults,nofail 0 2',
    '',
  ].join('\n');
  const dir = (mode = 0o755) => ({ kind: 'dir' as const, mode });
  mkfs(new DiskImageSlice(image, p1.start, p1.sectors), {
    type: 'ext4',
    label: 'root',
    uuid: rootUuid,
    files: {
      etc: { kind: 'dir', entries: { fstab: { kind: 'file', data: fstab }, hostname: { kind: 'file', data: 'disk-root\n' } } },
      dev: dir(), proc: dir(0o555), sys: dir(0o555), run: dir(), srv: dir(), mnt: dir(), tmp: dir(0o1777), root: dir(0o700),
    },
  });
  mkfs(new DiskImageSlice(image, p2.start, p2.sectors), { type: 'xfs', label: 'data', uuidSeed: 'data', files: { hello: { kind: 'file', data: 'hello from xfs\n' } } });
  return { image, swap };
}

function bootOnto(image: ReturnType<typeof imageMiB>, cmdline = 'root=/dev/vda1 rootwait rw'): { b: LayerBooted; result: () => BootMountResult | undefined } {
  const b = bootLayer({ cmdline });
  let result: BootMountResult | undefined;
  startBootMounts(b.kernel, { ...parseRootOptions(b.kernel.cmdline), onDone: (r) => (result = r) });
  // The disk driver binds a little later than the kernel starts, as virtio_blk would.
  b.sched.run(b.sched.now() + 20 * MS);
  b.addDisk('vda', image);
  b.sched.run();
  return { b, result: () => result };
}

describe('boot mounts', () => {
  it('waits for root=, switches onto it, moves /dev /proc /sys, then mounts fstab in order and enables its swap', () => {
    const { image } = systemDisk();
    const { b, result } = bootOnto(image);
    expect(b.log).toContain('Waiting for root device /dev/vda1...');
    expect(result()).toMatchObject({ root: 'switched', mountAll: 0, swaps: ['/dev/vda3'] });
    expect(b.log.filter((l) => l.includes('cannot install') || l.startsWith('mount:'))).toEqual([]);

    const info = sh(b, 'cat /proc/self/mountinfo').out.trim().split('\n');
    const fields = info.map((l) => {
      const f = l.split(' ');
      const dash = f.indexOf('-');
      return { id: f[0], parent: f[1], dev: f[2], target: f[4], opts: f[5], type: f[dash + 1], source: f[dash + 2], superOpts: f[dash + 3] };
    });
    expect(fields[0]).toMatchObject({ dev: '254:1', target: '/', opts: 'rw,relatime', type: 'ext4', source: '/dev/vda1', superOpts: 'rw' });
    // The root's parent is the hidden rootfs, as on Linux after switch_root.
    expect(fields.some((f) => f.id === fields[0]?.parent)).toBe(false);
    expect(fields.some((f) => f.type === 'rootfs')).toBe(false);
    expect(fields.map((f) => f.target)).toEqual(['/', '/dev', '/sys', '/proc', '/srv', '/tmp']);
    expect(fields[4]).toMatchObject({ dev: '254:2', type: 'xfs', source: '/dev/vda2' });
    expect(fields[5]).toMatchObject({ type: 'tmpfs', opts: 'rw,nosuid,nodev,relatime', superOpts: 'rw,size=1024k' });

    const r = sh(b, 'cat /srv/hello /etc/hostname && ls /bin/cat /bin/mount /dev/null; cat /proc/swaps');
    expect(r.out).toContain('hello from xfs\ndisk-root\n');
    expect(r.out).toContain('/bin/cat\n');
    expect(r.out).toContain('/dev/null\n');
    expect(r.out).toMatch(/^\/dev\/vda3\s+partition\s+\d+\s+0\s+-2$/m);
  });

  it('a second boot of the same disk installs nothing again and sees what the first one wrote and synced', () => {
    const { image } = systemDisk();
    const first = bootOnto(image);
    expect(first.result()?.installed).toBeGreaterThan(10);
    expect(sh(first.b, 'echo persisted > /root/note && sync').status).toBe(0);

    const second = bootOnto(image);
    expect(second.result()).toMatchObject({ root: 'switched', mountAll: 0, installed: 0 });
    expect(sh(second.b, 'cat /root/note').out).toBe('persisted\n');
  });

  it('gives up on a root device that never appears and stays on the rootfs', () => {
    const b = bootLayer();
    let result: BootMountResult | undefined;
    startBootMounts(b.kernel, { root: '/dev/vdb1', waitNs: 100 * MS, onDone: (r) => (result = r) });
    b.sched.run();
    expect(result?.root).toBe('failed');
    expect(b.log).toContain('VFS: Cannot open root device "/dev/vdb1": no such device');
    expect(sh(b, 'echo still here').out).toBe('still here\n');
  });

  it('parses the root options of a kernel command line', () => {
    expect(parseRootOptions('BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro rootfstype=xfs rootflags=discard rootwait quiet')).toEqual({
      root: '/dev/vda1',
      readOnly: true,
      rootfstype: 'xfs',
      rootflags: 'discard',
      rootwait: true,
    });
  });
});
