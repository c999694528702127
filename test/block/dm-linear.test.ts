/**
 * Device-mapper linear targets: a dm device spanning partitions of two disks maps every
 * byte to the right disk and offset (bios split at the target boundary), discards pass
 * down, and sysfs shows dm/name, slaves/ and holders/ as Linux does. Driven through
 * dmsetup and /dev/mapper/control, the way userspace does it.
 */
import { describe, expect, it } from 'vitest';
import { writeGpt } from '../../src/disk-image/partition.js';
import { BLKDISCARD, BLKRRPART } from '../../src/guest/kernel/block/index.js';
import { Errno, O_RDWR, O_RDONLY, O_EXCL, makedev, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { dec, expectNoFaults, runToIdle } from '../guest-kernel/helpers.js';
import { run, sh } from '../guest-programs/helpers.js';
import { addImageDisk, bootBlock, imageMiB, settle } from './helpers.js';

const MiB = 2048;

// vdb and vdc, each with two 4 MiB partitions; the dm device uses vdb1 and vdc2.
function setup(): ReturnType<typeof bootBlock> & { imgB: ReturnType<typeof imageMiB>; imgC: ReturnType<typeof imageMiB> } {
  const b = bootBlock();
  const imgB = imageMiB(16);
  const imgC = imageMiB(16);
  writeGpt(imgB, [{ kind: 'lvm', sectors: 4 * MiB }, { sectors: 4 * MiB }]);
  writeGpt(imgC, [{ sectors: 4 * MiB }, { kind: 'lvm', sectors: 4 * MiB }]);
  addImageDisk(b.kernel, b.sched, 'vdb', imgB);
  addImageDisk(b.kernel, b.sched, 'vdc', imgC);
  settle(b);
  return { ...b, imgB, imgC };
}

describe('dm-linear across two disks', () => {
  it('dmsetup create maps the first 4 MiB to vdb1 and the next 2 MiB to vdc2 from 1 MiB in', () => {
    const b = setup();
    const r = sh(b, `dmsetup create vg0-data --table "0 ${4 * MiB} linear /dev/vdb1 0\\n${4 * MiB} ${2 * MiB} linear /dev/vdc2 ${MiB}"`);
    expect(r).toMatchObject({ code: 0, err: '' });
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      out.push(yield* sys.realpath('/dev/mapper/vg0-data'));
      const fd = yield* sys.open('/dev/mapper/vg0-data', O_RDWR);
      const data = new Uint8Array(4096);
      data.fill(0x11, 0, 2048);
      data.fill(0x22, 2048);
      // Straddles the boundary at 4 MiB: half goes to vdb1's end, half to vdc2 + 1 MiB.
      out.push(yield* sys.pwrite(fd, data, 4 * 1024 * 1024 - 2048));
      out.push([...(yield* sys.pread(fd, 4, 4 * 1024 * 1024 - 2))]);
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual(['/dev/dm-0', 4096, [0x11, 0x11, 0x22, 0x22]]);
    // vdb1 starts at sector 2048 of vdb; vdc2 at 2048 + 4 MiB of vdc.
    expect(b.imgB.read(2048 + 4 * MiB - 4, 4).every((x) => x === 0x11)).toBe(true);
    expect(b.imgC.read(2048 + 4 * MiB + MiB, 4).every((x) => x === 0x22)).toBe(true);
    expect(b.imgC.read(2048 + 4 * MiB + MiB - 1, 1).every((x) => x === 0)).toBe(true);

    const k = b.kernel;
    const read = (p: string): string => dec(k.readFile(p));
    expect(read('/sys/block/dm-0/dm/name')).toBe('vg0-data\n');
    expect(read('/sys/block/dm-0/size')).toBe(`${6 * MiB}\n`);
    expect(read('/sys/block/dm-0/dev')).toBe('253:0\n');
    const links: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      links.push(yield* sys.readlink('/sys/block/dm-0'));
      links.push((yield* sys.readdir('/sys/block/dm-0/slaves')).map((e) => e.name).sort());
      links.push(yield* sys.realpath('/sys/block/dm-0/slaves/vdb1'));
      links.push(yield* sys.realpath('/sys/class/block/vdc2/holders/dm-0'));
      links.push(yield* sys.realpath('/sys/dev/block/253:0'));
      links.push(yield* sys.readlink('/dev/mapper/vg0-data'));
      return 0;
    });
    expect(links).toEqual([
      '../devices/virtual/block/dm-0',
      ['vdb1', 'vdc2'],
      '/sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vdb/vdb1',
      '/sys/devices/virtual/block/dm-0',
      '/sys/devices/virtual/block/dm-0',
      '../dm-0',
    ]);
    expect(run(b, ['dmsetup', 'ls']).out).toBe('vg0-data\t(253:0)\n');
    expect(run(b, ['dmsetup', 'table', 'vg0-data']).out).toBe(`0 ${4 * MiB} linear 254:1 0\n${4 * MiB} ${2 * MiB} linear 254:18 ${MiB}\n`);
  });

  it('takes a multi-line table on stdin; discards pass down to both images', () => {
    const b = setup();
    expect(run(b, ['dmsetup', 'create', 'scratch'], { input: `0 ${MiB} linear /dev/vdb2 0\n${MiB} ${MiB} linear 254:17 0\n` }).code).toBe(0);
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/mapper/scratch', O_RDWR);
      const r = new Uint8Array(16);
      new DataView(r.buffer).setBigUint64(8, BigInt(2 * MiB * 512), true);
      yield* sys.ioctl(fd, BLKDISCARD, r);
      return 0;
    });
    expectNoFaults(b);
    expect(b.imgB.stats().discardedSectors).toBe(MiB);
    expect(b.imgC.stats().discardedSectors).toBe(MiB);
  });

  it('claims what it maps: BLKRRPART on a slave disk and O_EXCL opens are EBUSY; remove is EBUSY while open', () => {
    const b = setup();
    expect(sh(b, `dmsetup create d1 --table "0 ${MiB} linear /dev/vdb1 0"`).code).toBe(0);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const whole = yield* sys.open('/dev/vdb', O_RDONLY);
      try {
        yield* sys.ioctl(whole, BLKRRPART, 0);
      } catch (e) {
        out.push((e as Errno).code);
      }
      try {
        yield* sys.open('/dev/vdb1', O_RDONLY | O_EXCL);
      } catch (e) {
        out.push((e as Errno).code);
      }
      return 0;
    });
    expect(out).toEqual(['EBUSY', 'EBUSY']);
    // A process holds /dev/dm-0 open for ten seconds of virtual time.
    const holder = b.kernel.spawn(function* (sys: Syscalls): Program {
      yield* sys.open('/dev/dm-0', O_RDONLY);
      yield* sys.sleep(10_000_000_000);
      return 0;
    }, ['holder']);
    b.sched.run(b.sched.now() + 1_000_000);
    const busy = run(b, ['dmsetup', 'remove', 'd1']);
    expect(busy.code).toBe(1);
    expect(busy.err).toBe('device-mapper: remove ioctl on d1  failed: Device or resource busy\nCommand failed.\n');
    b.sched.run();
    expect(holder.status).toBe(0);
    expect(run(b, ['dmsetup', 'remove', 'd1']).code).toBe(0);
    expect(run(b, ['dmsetup', 'ls']).out).toBe('No devices found\n');
    expect(b.kernel.sysfs.exists('/devices/virtual/block/dm-0')).toBe(false);
    expect(b.kernel.sysfs.exists('/devices/pci0000:00/0000:00:05.0/virtio2/block/vdb/vdb1/holders/dm-0')).toBe(false);
    expect(() => b.kernel.stat('/dev/mapper/d1')).toThrow();
    // The partition is free again.
    runToIdle(b, function* (sys: Syscalls): Program {
      sys.close(yield* sys.open('/dev/vdb1', O_RDONLY | O_EXCL));
      return 0;
    });
    expectNoFaults(b);
  });

  it('refuses bad tables: gaps, unknown targets, ranges beyond the device, and missing devices', () => {
    const b = setup();
    const fails = (table: string): string => sh(b, `dmsetup create bad --table "${table}"`).err;
    expect(fails(`0 ${MiB} linear /dev/vdb1 0\\n${MiB + 8} 8 linear /dev/vdb1 0`)).toContain('reload ioctl on bad  failed: Invalid argument');
    expect(fails('0 8 striped 2 8 /dev/vdb1 0 /dev/vdc1 0')).toContain('Invalid argument');
    expect(fails(`0 ${4 * MiB + 1} linear /dev/vdb1 0`)).toContain('Invalid argument');
    expect(fails('0 8 linear /dev/nosuch 0')).toContain('No such file or directory');
    expect(fails('0 8 linear 254:9 0')).toContain('No such device or address');
    expect(run(b, ['dmsetup', 'ls']).out).toBe('No devices found\n');
  });

  it('the host API creates the same device and /proc/diskstats counts dm I/O and the partitions under it', () => {
    const b = setup();
    const k = b.kernel;
    const dm = k.block.dmCreate('vg0-swap', [{ start: 0, length: MiB, dev: makedev(254, 1), offset: 0 }]);
    expect([dm.name, dm.capacity]).toEqual(['dm-0', MiB]);
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/mapper/vg0-swap', O_RDWR);
      yield* sys.pwrite(fd, new Uint8Array(8192), 0);
      yield* sys.pread(fd, 4096, 0);
      return 0;
    });
    expectNoFaults(b);
    const lines = dec(k.readFile('/proc/diskstats')).split('\n');
    const line = (name: string): string[] => (lines.find((l) => l.trim().split(/\s+/)[2] === name) ?? '').trim().split(/\s+/);
    expect(line('dm-0').slice(0, 10)).toEqual(['253', '0', 'dm-0', '1', '0', '8', line('dm-0')[6] ?? '', '1', '0', '16']);
    expect(line('vdb1').slice(3, 10)).toEqual(['1', '0', '8', line('vdb1')[6] ?? '', '1', '0', '16']);
    expect(line('dm-0')).toHaveLength(20);
  });
});
