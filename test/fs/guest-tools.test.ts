/**
 * The guest's filesystem tools over the real block layer: mkfs.ext4 / mkfs.xfs writing
 * through the device node, mount with a probed type, UUID= and LABEL=, umount, blkid,
 * fstrim and fsfreeze.
 */
import { describe, expect, it } from 'vitest';
import { writeGpt } from '../../src/disk-image/partition.js';
import { DiskImageSlice } from '../../src/disk-image/slice.js';
import { probeFilesystem } from '../../src/disk-image/mkfs.js';
import { bootLayer, imageMiB, sh } from './block-layer-helpers.js';

function setup() {
  const b = bootLayer();
  const image = imageMiB(64);
  const parts = writeGpt(image, [{ name: 'one', sectors: 24 * 2048 }, { name: 'two' }]);
  b.addDisk('vda', image);
  b.sched.run();
  const slice = (n: number) => {
    const p = parts[n - 1];
    if (p === undefined) throw new Error('no partition');
    return new DiskImageSlice(image, p.start, p.sectors);
  };
  return { b, image, slice };
}

describe('guest mkfs, mount and friends', () => {
  it('mkfs.ext4 formats a partition through its device node; mount probes the type; the data lands on the disk', () => {
    const { b, slice } = setup();
    const mk = sh(b, 'mkfs.ext4 -q -L scratch /dev/vda1');
    expect(mk).toMatchObject({ status: 0, err: '' });
    const probe = probeFilesystem(slice(1));
    expect(probe?.type).toBe('ext4');
    expect(probe?.label).toBe('scratch');

    const r = sh(b, 'mount /dev/vda1 /mnt && echo data > /mnt/file && mount && cat /mnt/file && umount /mnt && cat /mnt/file');
    expect(r.out).toMatch(/^\/dev\/vda1 on \/mnt type ext4 \(rw,relatime\)\ndata\n$/m);
    expect(r.err).toContain('/mnt/file: No such file or directory');
    const again = sh(b, 'mount LABEL=scratch /mnt && cat /mnt/file && blkid /dev/vda1');
    expect(again.status).toBe(0);
    expect(again.out).toMatch(/^data\n\/dev\/vda1: LABEL="scratch" UUID="[0-9a-f-]{36}" BLOCK_SIZE="4096" TYPE="ext4"\n$/);
    const uuid = /UUID="([^"]+)"/.exec(again.out)?.[1] ?? '';
    const byUuid = sh(b, `umount /dev/vda1 && mount UUID=${uuid} /mnt && cat /mnt/file`);
    expect(byUuid).toMatchObject({ status: 0, out: 'data\n' });
  });

  it('mkfs refuses a mounted device; mkfs.xfs wants -f over an existing filesystem', () => {
    const { b, slice } = setup();
    expect(sh(b, 'mkfs.ext4 -q /dev/vda2 && mount /dev/vda2 /mnt').status).toBe(0);
    const busy = sh(b, 'mkfs.ext4 -q /dev/vda2');
    expect(busy.status).toBe(1);
    expect(busy.err).toBe('/dev/vda2 is apparently in use by the system; will not make a filesystem here!\n');
    expect(sh(b, 'umount /mnt').status).toBe(0);
    const noForce = sh(b, 'mkfs.xfs -q /dev/vda2');
    expect(noForce.status).toBe(1);
    expect(noForce.err).toContain('appears to contain an existing filesystem (ext4)');
    expect(sh(b, 'mkfs.xfs -q -f -L logs /dev/vda2').status).toBe(0);
    expect(probeFilesystem(slice(2))?.type).toBe('xfs');
    const m = sh(b, 'mount /dev/vda2 /mnt && cat /proc/self/mountinfo');
    expect(m.out).toMatch(/ \/mnt rw,relatime - xfs \/dev\/vda2 rw,attr2,inode64,logbufs=8,logbsize=32k,noquota$/m);
  });

  it('mount reports failures the way util-linux does, with exit status 32', () => {
    const { b } = setup();
    const bad = sh(b, 'mount /dev/vda1 /mnt');
    expect(bad.status).toBe(32);
    expect(bad.err).toContain('mount: /mnt: wrong fs type, bad option, bad superblock on /dev/vda1');
    const missing = sh(b, 'mount -t ext4 /dev/vdz9 /mnt');
    expect(missing).toMatchObject({ status: 32, err: 'mount: /mnt: special device /dev/vdz9 does not exist.\n' });
    const notMounted = sh(b, 'umount /mnt');
    expect(notMounted).toMatchObject({ status: 32, err: 'umount: /mnt: not mounted.\n' });
  });

  it('fstrim -v reports what was trimmed; fsfreeze freezes and thaws', () => {
    const { b, image } = setup();
    expect(sh(b, 'mkfs.ext4 -q -E nodiscard /dev/vda1 && mount /dev/vda1 /mnt').status).toBe(0);
    const before = image.stats().discards;
    const t = sh(b, 'fstrim -v /mnt');
    expect(t.status).toBe(0);
    expect(t.out).toMatch(/^\/mnt: [\d.]+ MiB \(\d+ bytes\) trimmed\n$/);
    expect(image.stats().discards).toBeGreaterThan(before);
    const f = sh(b, 'fsfreeze -f /mnt && fsfreeze -f /mnt; fsfreeze -u /mnt && echo ok > /mnt/after && cat /mnt/after');
    expect(f.err).toBe('fsfreeze: /mnt: freeze failed: Device or resource busy\n');
    expect(f.out).toBe('ok\n');
  });
});
