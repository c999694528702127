/**
 * The whole path: a raw image file prepared on the host (GPT, ext4 root with an fstab, an
 * xfs data partition), attached with -drive if=virtio, booted with -append root=/dev/vda1.
 * The guest's virtio-blk driver, block layer and ext4 driver bring the root up; what the
 * guest writes and syncs is in the file afterwards.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDiskImage } from '../../devices/block/file-disk-image.js';
import { writeGpt } from '../../src/disk-image/partition.js';
import { DiskImageSlice } from '../../src/disk-image/slice.js';
import { mkfs, uuidFromSeed } from '../../src/disk-image/mkfs.js';
import { formatUuid } from '../../src/abi/simplefs.js';
import { bootStorageRig } from '../virtio-blk/harness.js';
import { O_CREAT, O_TRUNC, O_WRONLY, type Program, type Syscalls } from '../../src/guest/kernel/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function prepareImage(): { path: string; dataStart: number; dataSectors: number } {
  const dir = mkdtempSync(join(tmpdir(), 'qga-sim-fs-'));
  dirs.push(dir);
  const path = join(dir, 'disk.raw');
  writeFileSync(path, '');
  truncateSync(path, 96 * 1024 * 1024);
  const image = new FileDiskImage(path);
  const [root, data] = writeGpt(image, [{ name: 'root', sectors: 64 * 2048 }, { name: 'data' }]);
  if (root === undefined || data === undefined) throw new Error('partitioning failed');
  const rootUuid = uuidFromSeed('machine-root');
  mkfs(new DiskImageSlice(image, root.start, root.sectors), {
    type: 'ext4',
    label: 'root',
    uuid: rootUuid,
    files: {
      etc: { kind: 'dir', entries: { fstab: { kind: 'file', data: `UUID=${formatUuid(rootUuid)} / ext4 errors=remount-ro 0 1\nLABEL=data /srv xfs defaults 0 2\n` } } },
      dev: { kind: 'dir' }, proc: { kind: 'dir', mode: 0o555 }, sys: { kind: 'dir', mode: 0o555 }, srv: { kind: 'dir' },
    },
  });
  mkfs(new DiskImageSlice(image, data.start, data.sectors), { type: 'xfs', label: 'data', uuidSeed: 'machine-data' });
  image.close();
  return { path, dataStart: data.start, dataSectors: data.sectors };
}

describe('booting a machine from an ext4 root on virtio-blk', () => {
  it('mounts root= and fstab through the real drivers, and what the guest syncs is in the image file', () => {
    const { path } = prepareImage();
    const rig = bootStorageRig({ drives: [`file=${path},if=virtio,format=raw`], configure: (cfg) => (cfg.append = 'root=/dev/vda1 rw') });
    rig.step(2000);
    const k = rig.os.kernel;
    const info = new TextDecoder().decode(k.readFile('/proc/1/mountinfo'));
    expect(info).toMatch(/^\d+ \d+ 254:1 \/ \/ rw,relatime - ext4 \/dev\/vda1 rw$/m);
    expect(info).toMatch(/ \/srv rw,relatime - xfs \/dev\/vda2 /);
    let wrote = '';
    k.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/srv/note', O_WRONLY | O_CREAT | O_TRUNC, 0o644);
      yield* sys.write(fd, 'from-the-guest\n');
      sys.close(fd);
      yield* sys.sync();
      wrote = 'synced';
      return 0;
    }, ['writer']);
    rig.step(2000);
    expect(wrote).toBe('synced');
    expect(k.faults).toEqual([]);

    // A second machine over the same file finds the note.
    const again = bootStorageRig({ drives: [`file=${path},if=virtio,format=raw`], configure: (cfg) => (cfg.append = 'root=/dev/vda1') });
    again.step(2000);
    const q = again.os.kernel.spawn('/bin/cat', ['cat', '/srv/note'], { stdout: 'pipe' });
    again.step(100);
    expect(q.stdout?.text()).toBe('from-the-guest\n');
  });
});
