/**
 * Reading and writing block device files: bytes land at the right place of the image
 * (whole disk and partitions), unaligned writes keep their neighbours, the file ends at
 * the device's size, fsync reaches the medium as a flush, and the block ioctls
 * (BLKGETSIZE64, BLKSSZGET, BLKDISCARD, BLKFLSBUF, BLKRRPART) behave as on Linux.
 */
import { describe, expect, it } from 'vitest';
import { writeGpt } from '../../src/disk-image/partition.js';
import { BLKDISCARD, BLKFLSBUF, BLKGETSIZE64, BLKRRPART, BLKSSZGET } from '../../src/guest/kernel/block/index.js';
import { Errno, O_EXCL, O_RDONLY, O_RDWR, SEEK_END, SEEK_SET, type Program, type SysCall, type Syscalls } from '../../src/guest/kernel/index.js';
import { enc, expectNoFaults, runToIdle } from '../guest-kernel/helpers.js';
import { addImageDisk, bootBlock, imageMiB, settle } from './helpers.js';

function* attempt<T>(op: () => SysCall<T>): SysCall<T | string> {
  try {
    return yield* op();
  } catch (e) {
    if (e instanceof Errno) return e.code;
    throw e;
  }
}

function u64(v: bigint, w = 0n): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigUint64(0, v, true);
  new DataView(b.buffer).setBigUint64(8, w, true);
  return b;
}

describe('/dev/vda read and write', () => {
  it('writes bytes where they belong, with read-modify-write around unaligned edges', () => {
    const b = bootBlock();
    const img = imageMiB(4);
    img.write(0, new Uint8Array(1024).fill(0xaa));
    const { driver } = addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    driver.log.length = 0;
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDWR);
      out.push(yield* sys.pwrite(fd, 'hello', 510));
      out.push([...(yield* sys.pread(fd, 9, 508))]);
      sys.lseek(fd, 4096, SEEK_SET);
      out.push(yield* sys.write(fd, new Uint8Array(8192).fill(7)));
      out.push(sys.lseek(fd, 0, SEEK_END));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([5, [0xaa, 0xaa, ...enc('hello'), 0xaa, 0xaa], 8192, 4 * 1024 * 1024]);
    const s0 = img.read(0, 2);
    expect([...s0.subarray(505, 517)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, ...enc('hello'), 0xaa, 0xaa]);
    expect(img.read(8, 16).every((x) => x === 7)).toBe(true);
    // The unaligned write read sectors 0 and 1 first, then wrote both back in one request;
    // the 8 KiB write went out whole (the queue's limit is 256 sectors).
    expect(driver.log).toEqual(['read 0+1', 'read 1+1', 'write 0+2', 'read 0+2', 'write 8+16']);
  });

  it('ends at the device size: reads return 0 bytes, writes ENOSPC, lseek past the end EINVAL', () => {
    const b = bootBlock();
    addImageDisk(b.kernel, b.sched, 'vda', imageMiB(1));
    settle(b);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDWR);
      const size = 1024 * 1024;
      out.push((yield* sys.pread(fd, 100, size - 10)).length);
      out.push((yield* sys.pread(fd, 100, size)).length);
      out.push(yield* sys.pwrite(fd, new Uint8Array(100), size - 10));
      out.push(yield* attempt(() => sys.pwrite(fd, 'x', size)));
      try {
        sys.lseek(fd, size + 1, SEEK_SET);
      } catch (e) {
        out.push((e as Errno).code);
      }
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([10, 0, 10, 'ENOSPC', 'EINVAL']);
  });

  it('offsets partition I/O by the partition start and keeps it inside the partition', () => {
    const b = bootBlock();
    const img = imageMiB(8);
    writeGpt(img, [{ sectors: 2048 }, {}]);
    addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda2', O_RDWR);
      out.push(yield* sys.pwrite(fd, 'part2', 0));
      const p1 = yield* sys.open('/dev/vda1', O_RDWR);
      out.push(yield* sys.pwrite(p1, new Uint8Array(600).fill(1), 1024 * 1024 - 100));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([5, 100]);
    expect(new TextDecoder().decode(img.read(4096, 1).subarray(0, 5))).toBe('part2');
    expect(img.read(4095, 1)[511]).toBe(1);
    expect(img.read(4096, 1)[5]).toBe(0);
  });

  it('handles a 4 KiB logical block size: unaligned writes go out as whole blocks', () => {
    const b = bootBlock();
    const img = imageMiB(4);
    img.write(0, new Uint8Array(8192).fill(0x55));
    const { driver } = addImageDisk(b.kernel, b.sched, 'vda', img, { limits: { logicalBlockSize: 4096 } });
    settle(b);
    driver.log.length = 0;
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDWR);
      yield* sys.pwrite(fd, 'abc', 4094);
      return 0;
    });
    expectNoFaults(b);
    expect(driver.log).toEqual(['read 0+8', 'read 8+8', 'write 0+16']);
    const d = img.read(0, 16);
    expect([d[4093], d[4094], d[4095], d[4096], d[4097]]).toEqual([0x55, 0x61, 0x62, 0x63, 0x55]);
  });

  it('fsync sends a flush to a disk with a write cache; a read-only disk refuses writes with EPERM', () => {
    const b = bootBlock();
    const img = imageMiB(1);
    addImageDisk(b.kernel, b.sched, 'vda', img);
    addImageDisk(b.kernel, b.sched, 'vdb', imageMiB(1), { readOnly: true });
    settle(b);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDWR);
      yield* sys.write(fd, 'x');
      yield* sys.fsync(fd);
      const ro = yield* sys.open('/dev/vdb', O_RDWR);
      out.push(yield* attempt(() => sys.write(ro, 'x')));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual(['EPERM']);
    expect(img.stats().flushes).toBe(1);
  });
});

describe('block ioctls', () => {
  it('BLKGETSIZE64 and BLKSSZGET report size and logical block size', () => {
    const b = bootBlock();
    addImageDisk(b.kernel, b.sched, 'vda', imageMiB(3));
    settle(b);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDONLY);
      const sz = new Uint8Array(8);
      yield* sys.ioctl(fd, BLKGETSIZE64, sz);
      const ss = new Uint8Array(4);
      yield* sys.ioctl(fd, BLKSSZGET, ss);
      out.push(new DataView(sz.buffer).getBigUint64(0, true), new DataView(ss.buffer).getUint32(0, true));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([3n * 1024n * 1024n, 512]);
  });

  it('BLKDISCARD reaches the image; misaligned ranges are EINVAL and read-only opens EBADF', () => {
    const b = bootBlock();
    const img = imageMiB(4);
    img.write(0, new Uint8Array(4 * 1024 * 1024).fill(9));
    addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDWR);
      out.push(yield* sys.ioctl(fd, BLKDISCARD, u64(1024n * 1024n, 2n * 1024n * 1024n)));
      out.push(yield* attempt(() => sys.ioctl(fd, BLKDISCARD, u64(100n, 512n))));
      const ro = yield* sys.open('/dev/vda', O_RDONLY);
      out.push(yield* attempt(() => sys.ioctl(ro, BLKDISCARD, u64(0n, 512n))));
      out.push(yield* attempt(() => sys.ioctl(fd, BLKFLSBUF, 0)));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([0, 'EINVAL', 'EBADF', 0]);
    // 4 MiB in total, the driver's discard limit is 8192 sectors: one request.
    expect(img.stats()).toMatchObject({ discards: 1, discardedSectors: 4096 });
    expect(img.read(2047, 1)[0]).toBe(9);
    expect(img.read(2048, 4096).every((x) => x === 0)).toBe(true);
    expect(img.read(6144, 1)[0]).toBe(9);
  });

  it('BLKRRPART picks up a table rewritten behind the kernel, and is EBUSY while a partition is open exclusively', () => {
    const b = bootBlock();
    const img = imageMiB(16);
    writeGpt(img, [{ sectors: 2048 }]);
    const { disk } = addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    writeGpt(img, [{ sectors: 2048 }, { sectors: 2048 }, {}]);
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDONLY);
      const p1 = yield* sys.open('/dev/vda1', O_RDONLY | O_EXCL);
      out.push(yield* attempt(() => sys.ioctl(fd, BLKRRPART, 0)));
      sys.close(p1);
      out.push(yield* sys.ioctl(fd, BLKRRPART, 0));
      out.push((yield* sys.stat('/dev/vda3')).rdev !== 0);
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual(['EBUSY', 0, true]);
    expect([...disk.partitions.keys()]).toEqual([1, 2, 3]);
  });
});
