/**
 * What a disk looks like from userspace: /dev nodes (block, 0660, group disk), the sysfs
 * directory under the parent device with Linux's attributes, and the /sys/block,
 * /sys/class/block and /sys/dev/block links that lsblk and udev resolve with realpath.
 */
import { describe, expect, it } from 'vitest';
import { writeGpt } from '../../src/disk-image/partition.js';
import { O_RDONLY, S_IFBLK, S_IFMT, major, minor, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { dec, expectNoFaults, runToIdle } from '../guest-kernel/helpers.js';
import { addImageDisk, bootBlock, imageMiB, settle } from './helpers.js';

const PARENT = '/devices/pci0000:00/0000:00:05.0/virtio2';

function setup(): ReturnType<typeof bootBlock> {
  const b = bootBlock();
  const img = imageMiB(32);
  writeGpt(img, [{ name: 'root', sectors: 16 * 2048 }, { name: 'data' }]);
  addImageDisk(b.kernel, b.sched, 'vda', img, { sysfsParent: PARENT, limits: { logicalBlockSize: 512, discard: { maxSectors: 4096, granularity: 4096 } } });
  settle(b);
  return b;
}

describe('block device nodes', () => {
  it('creates /dev/vda and /dev/vdaN as block devices, mode 0660, group disk, with the right dev_t', () => {
    const b = setup();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      for (const n of ['/dev/vda', '/dev/vda1', '/dev/vda2']) {
        const st = yield* sys.stat(n);
        out.push([n, st.mode & S_IFMT, st.mode & 0o7777, st.gid, major(st.rdev), minor(st.rdev)]);
      }
      try {
        yield* sys.open('/dev/vda3', O_RDONLY);
      } catch (e) {
        out.push((e as Error).message);
      }
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([
      ['/dev/vda', S_IFBLK, 0o660, 6, 254, 0],
      ['/dev/vda1', S_IFBLK, 0o660, 6, 254, 1],
      ['/dev/vda2', S_IFBLK, 0o660, 6, 254, 2],
      'No such file or directory',
    ]);
  });
});

describe('sysfs layout of a disk', () => {
  it('resolves /sys/dev/block/M:m, /sys/block and /sys/class/block links to the device directory', () => {
    const b = setup();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      out.push(yield* sys.readlink('/sys/dev/block/254:0'));
      out.push(yield* sys.readlink('/sys/dev/block/254:1'));
      out.push(yield* sys.readlink('/sys/block/vda'));
      out.push(yield* sys.readlink('/sys/class/block/vda2'));
      out.push(yield* sys.realpath('/sys/dev/block/254:0'));
      out.push(yield* sys.realpath('/sys/dev/block/254:2'));
      out.push(yield* sys.realpath('/sys/block/vda/device'));
      out.push(yield* sys.realpath('/sys/class/block/vda1/subsystem'));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([
      `../..${PARENT}/block/vda`,
      `../..${PARENT}/block/vda/vda1`,
      `..${PARENT}/block/vda`,
      `../..${PARENT}/block/vda/vda2`,
      `/sys${PARENT}/block/vda`,
      `/sys${PARENT}/block/vda/vda2`,
      `/sys${PARENT}`,
      '/sys/class/block',
    ]);
  });

  it('shows dev, size, ro, removable, queue limits and partition attributes', () => {
    const b = setup();
    const k = b.kernel;
    const read = (p: string): string => dec(k.readFile(`/sys${p}`));
    const d = `/block/vda`;
    expect([read(`${d}/dev`), read(`${d}/size`), read(`${d}/ro`), read(`${d}/removable`), read(`${d}/range`)]).toEqual(['254:0\n', '65536\n', '0\n', '0\n', '16\n']);
    expect([
      read(`${d}/queue/logical_block_size`), read(`${d}/queue/discard_granularity`), read(`${d}/queue/discard_max_bytes`),
      read(`${d}/queue/rotational`), read(`${d}/queue/max_sectors_kb`), read(`${d}/queue/write_cache`),
    ]).toEqual(['512\n', '4096\n', '2097152\n', '0\n', '128\n', 'write back\n']);
    expect([read(`${d}/vda2/partition`), read(`${d}/vda2/start`), read(`${d}/vda2/size`), read(`${d}/vda2/dev`)]).toEqual(['2\n', `${2048 + 16 * 2048}\n`, `${65536 - 2048 - 16 * 2048 - 33}\n`, '254:2\n']);
    expect(read(`${d}/uevent`)).toBe('MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\nDISKSEQ=1\n');
    expect(read(`${d}/stat`).trim().split(/\s+/)).toHaveLength(17);
    expect(k.sysfs.exists(`${PARENT}/block/vda/holders`)).toBe(true);
    expect(k.sysfs.exists(`${PARENT}/block/vda/vda1/holders`)).toBe(true);
    expect(k.sysfs.exists('/block/vda1')).toBe(false);
  });

  it('removes nodes, directories and links when the disk goes away', () => {
    const b = setup();
    const k = b.kernel;
    const disk = k.block.byName('vda');
    if (disk === undefined || !('partitions' in disk)) throw new Error('no vda');
    k.block.removeDisk(disk as Parameters<typeof k.block.removeDisk>[0]);
    expect(['/dev/block/254:0', '/dev/block/254:1', '/block/vda', '/class/block/vda2', `${PARENT}/block/vda`].map((p) => k.sysfs.exists(p))).toEqual([false, false, false, false, false]);
    expect(() => k.stat('/dev/vda1')).toThrow();
    expect(k.block.lookup(disk.dev)).toBeUndefined();
    expect(() => k.block.open(disk.dev)).toThrow('No such device or address');
    expect(dec(k.readFile('/proc/partitions'))).toBe('major minor  #blocks  name\n\n');
  });
});
