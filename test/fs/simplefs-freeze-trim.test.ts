import { describe, expect, it } from 'vitest';
import {
  Errno,
  FIFREEZE,
  FITHAW,
  FITRIM,
  FSTRIM_RANGE_SIZE,
  O_DIRECTORY,
  O_RDONLY,
  makedev,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { SFS_BLOCK_SIZE, SFS_SECTORS_PER_BLOCK } from '../../src/abi/simplefs.js';
import { bootWithDisks, dec, formattedImage, pattern, readWhole, runProgram, vda1, writeWhole, type FsBooted } from './helpers.js';

const S = 1e9;

function code(e: unknown): string {
  if (e instanceof Errno) return e.code;
  throw e;
}

function mounted(type: 'ext4' | 'xfs' = 'ext4', discard = true): FsBooted & { image: ReturnType<typeof formattedImage> } {
  const image = formattedImage({ type, uuidSeed: `ft-${type}` });
  const b = bootWithDisks([vda1(image, { discard })]);
  runProgram(b, function* (sys) {
    yield* sys.mount('/dev/vda1', '/mnt', type);
    return 0;
  });
  return { ...b, image };
}

function trimRange(start: bigint, len: bigint, minlen: bigint): Uint8Array {
  const r = new Uint8Array(FSTRIM_RANGE_SIZE);
  const v = new DataView(r.buffer);
  v.setBigUint64(0, start, true);
  v.setBigUint64(8, len, true);
  v.setBigUint64(16, minlen, true);
  return r;
}

const trimmedLen = (r: Uint8Array): bigint => new DataView(r.buffer).getBigUint64(8, true);

describe('FIFREEZE / FITHAW', () => {
  it('a frozen filesystem blocks writers until thaw (virtual time), lets readers through, and was synced to the disk by the freeze', () => {
    const b = mounted();
    runProgram(b, function* (sys) {
      yield* writeWhole(sys, '/mnt/existing', 'before the freeze');
      return 0;
    });
    const events: string[] = [];
    const at = (what: string): void => void events.push(`${what}@${b.sched.now() / S}`);
    const t0 = b.sched.now();
    b.kernel.spawn(function* (sys: Syscalls): Program {
      yield* writeWhole(sys, '/mnt/last', 'written just before the freeze');
      const fd = yield* sys.open('/mnt', O_RDONLY | O_DIRECTORY);
      yield* sys.ioctl(fd, FIFREEZE, 0);
      at('frozen');
      try {
        yield* sys.ioctl(fd, FIFREEZE, 0);
      } catch (e) {
        at(`refreeze:${code(e)}`);
      }
      yield* sys.sleep(30 * S);
      yield* sys.ioctl(fd, FITHAW, 0);
      at('thawed');
      try {
        yield* sys.ioctl(fd, FITHAW, 0);
      } catch (e) {
        at(`rethaw:${code(e)}`);
      }
      return 0;
    }, ['freezer']);
    b.kernel.spawn(function* (sys: Syscalls): Program {
      yield* sys.sleep(1 * S);
      at('write-start');
      yield* writeWhole(sys, '/mnt/during', 'waited for the thaw');
      at('written');
      return 0;
    }, ['writer']);
    b.kernel.spawn(function* (sys: Syscalls): Program {
      yield* sys.sleep(2 * S);
      at(`read:${dec(yield* readWhole(sys, '/mnt/existing'))}`);
      return 0;
    }, ['reader']);

    b.sched.run(t0 + 20 * S);
    expect(events.filter((e) => e.startsWith('written'))).toEqual([]);
    expect(events.some((e) => e.startsWith('read:before the freeze@'))).toBe(true);
    expect(events.some((e) => e.startsWith('refreeze:EBUSY@'))).toBe(true);

    // The freeze wrote everything back: another machine reading the image sees the last file.
    const peek = bootWithDisks([vda1(b.image)]);
    let last = '';
    runProgram(peek, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      last = dec(yield* readWhole(sys, '/mnt/last'));
      return 0;
    });
    expect(last).toBe('written just before the freeze');

    b.sched.run();
    const time = (name: string): number => Number((events.find((e) => e.startsWith(name)) ?? '@NaN').split('@')[1]);
    expect(time('written')).toBeGreaterThanOrEqual(time('thawed'));
    expect(time('thawed') - time('frozen')).toBeCloseTo(30, 0);
    expect(events.some((e) => e.startsWith('rethaw:EINVAL@'))).toBe(true);
    expect(b.kernel.faults).toEqual([]);
  });

  it('needs root (EPERM), and a filesystem without freeze support says EOPNOTSUPP', () => {
    const b = mounted();
    const codes: string[] = [];
    runProgram(b, function* (sys) {
      yield* sys.chmod('/mnt', 0o755);
      return 0;
    });
    b.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/mnt', O_RDONLY | O_DIRECTORY);
      for (const req of [FIFREEZE, FITHAW]) {
        try {
          yield* sys.ioctl(fd, req, 0);
        } catch (e) {
          codes.push(code(e));
        }
      }
      return 0;
    }, ['user'], { uid: 1000, gid: 1000 });
    b.sched.run();
    runProgram(b, function* (sys) {
      const fd = yield* sys.open('/tmp', O_RDONLY | O_DIRECTORY);
      try {
        yield* sys.ioctl(fd, FIFREEZE, 0);
      } catch (e) {
        codes.push(code(e));
      }
      return 0;
    });
    expect(codes).toEqual(['EPERM', 'EPERM', 'EOPNOTSUPP']);
  });
});

describe('FITRIM', () => {
  it('discards only free space down to the disk, reports the bytes, and leaves files intact', () => {
    const b = mounted('ext4');
    const keep = pattern(1 << 20, 3);
    const r: Record<string, unknown> = {};
    const range = trimRange(0n, 0xffff_ffff_ffff_ffffn, 0n);
    runProgram(b, function* (sys) {
      yield* writeWhole(sys, '/mnt/keep', keep);
      yield* writeWhole(sys, '/mnt/scratch', pattern(2 << 20, 4));
      yield* sys.unlink('/mnt/scratch');
      const fd = yield* sys.open('/mnt/keep', O_RDONLY);
      r.ret = yield* sys.ioctl(fd, FITRIM, range);
      r.bfree = (yield* sys.statfs('/mnt')).bfree;
      sys.close(fd);
      return 0;
    });
    const trimmed = Number(trimmedLen(range));
    expect(r.ret).toBe(0);
    expect(trimmed).toBeGreaterThan(2 << 20);
    expect(trimmed % SFS_BLOCK_SIZE).toBe(0);
    // Every free block was trimmed (minlen 0 and a 4 KiB discard granularity).
    expect(trimmed).toBe((r.bfree as number) * SFS_BLOCK_SIZE);
    expect(b.image.stats().discards).toBeGreaterThan(0);

    const vol = b.driver.volume(makedev(254, 1));
    const discards = (b.devices[0]?.seen ?? []).filter((x) => x.op === 'discard');
    let discardedBlocks = 0;
    for (const d of discards) {
      expect(d.sector % SFS_SECTORS_PER_BLOCK).toBe(0);
      for (let blk = d.sector / SFS_SECTORS_PER_BLOCK; blk < (d.sector + d.count) / SFS_SECTORS_PER_BLOCK; blk++) {
        expect(vol?.blockBitmap.test(blk)).toBe(false);
        discardedBlocks++;
      }
    }
    expect(discardedBlocks * SFS_BLOCK_SIZE).toBe(trimmed);

    // A fresh kernel reads the file from the trimmed disk: its blocks were never discarded.
    const again = bootWithDisks([vda1(b.image)]);
    let back: Uint8Array = new Uint8Array(0);
    runProgram(again, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      back = yield* readWhole(sys, '/mnt/keep');
      return 0;
    });
    expect(Buffer.from(back).equals(Buffer.from(keep))).toBe(true);
  });

  it('ext4 skips groups already trimmed since their last free; xfs trims them again', () => {
    for (const type of ['ext4', 'xfs'] as const) {
      const b = mounted(type);
      const lens: bigint[] = [];
      runProgram(b, function* (sys) {
        const fd = yield* sys.open('/mnt', O_RDONLY | O_DIRECTORY);
        for (let i = 0; i < 2; i++) {
          const range = trimRange(0n, 0xffff_ffff_ffff_ffffn, 0n);
          yield* sys.ioctl(fd, FITRIM, range);
          lens.push(trimmedLen(range));
        }
        return 0;
      });
      expect(lens[0]).toBeGreaterThan(0n);
      expect(lens[1]).toBe(type === 'ext4' ? 0n : lens[0]);
    }
  });

  it('honours start, len and minlen, takes an object argument too, and refuses bad ranges', () => {
    const b = mounted('xfs');
    const out: Record<string, unknown> = {};
    runProgram(b, function* (sys) {
      const fd = yield* sys.open('/mnt', O_RDONLY | O_DIRECTORY);
      const part = { start: 16 << 20, len: 1 << 20, minlen: 0 };
      yield* sys.ioctl(fd, FITRIM, part);
      out.part = part.len;
      try {
        yield* sys.ioctl(fd, FITRIM, trimRange(1n << 40n, 1n << 20n, 0n));
      } catch (e) {
        out.beyond = code(e);
      }
      try {
        yield* sys.ioctl(fd, FITRIM, trimRange(0n, 512n, 0n));
      } catch (e) {
        out.short = code(e);
      }
      return 0;
    });
    expect(out).toEqual({ part: 1 << 20, beyond: 'EINVAL', short: 'EINVAL' });
  });

  it('a device without discard support gives EOPNOTSUPP and nothing reaches the disk', () => {
    const b = mounted('ext4', false);
    const before = b.image.stats().discards;
    let err = '';
    runProgram(b, function* (sys) {
      const fd = yield* sys.open('/mnt', O_RDONLY | O_DIRECTORY);
      try {
        yield* sys.ioctl(fd, FITRIM, trimRange(0n, 1n << 40n, 0n));
      } catch (e) {
        err = code(e);
      }
      return 0;
    });
    expect(err).toBe('EOPNOTSUPP');
    expect(b.image.stats().discards).toBe(before);
  });
});

describe('mount table', () => {
  it('mountinfo shows ext4 and xfs with the block devices major:minor; st_dev is that device', () => {
    const ext = formattedImage({ type: 'ext4', uuidSeed: 'mi1' });
    const xfs = formattedImage({ type: 'xfs', uuidSeed: 'mi2' });
    const b = bootWithDisks([vda1(ext), vda1(xfs, { path: '/dev/vdb1', minor: 17 })]);
    let info = '';
    let dev = 0;
    runProgram(b, function* (sys) {
      yield* sys.mkdir('/srv');
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4', 0, 'errors=remount-ro');
      yield* sys.mount('/dev/vdb1', '/srv', 'xfs');
      yield* writeWhole(sys, '/mnt/f', 'x');
      dev = (yield* sys.stat('/mnt/f')).dev;
      info = dec(yield* readWhole(sys, '/proc/self/mountinfo'));
      return 0;
    });
    expect(dev).toBe(makedev(254, 1));
    expect(info).toMatch(/^\d+ \d+ 254:1 \/ \/mnt rw,relatime - ext4 \/dev\/vda1 rw,errors=remount-ro$/m);
    expect(info).toMatch(/^\d+ \d+ 254:17 \/ \/srv rw,relatime - xfs \/dev\/vdb1 rw,attr2,inode64,logbufs=8,logbsize=32k,noquota$/m);
  });

  it('unknown filesystem options are refused with EINVAL, as ext4 does', () => {
    const b = bootWithDisks([vda1(formattedImage({ type: 'ext4' }))]);
    let err = '';
    runProgram(b, function* (sys) {
      try {
        yield* sys.mount('/dev/vda1', '/mnt', 'ext4', 0, 'bogus_option');
      } catch (e) {
        err = code(e);
      }
      return 0;
    });
    expect(err).toBe('EINVAL');
  });
});
