/**
 * I/O accounting: /proc/diskstats (20 fields since Linux 5.5: major, minor, name, then
 * reads, merges, sectors, ms; writes likewise; in flight, io ms, weighted ms; discards
 * likewise; flushes and their ms) and /sys/block/<dev>/stat (the same 17 counters), per
 * disk and per partition, with partition I/O counted on the disk too.
 */
import { describe, expect, it } from 'vitest';
import { writeGpt } from '../../src/disk-image/partition.js';
import { BLKDISCARD } from '../../src/guest/kernel/block/index.js';
import { O_RDWR, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { dec, expectNoFaults, runToIdle } from '../guest-kernel/helpers.js';
import { addImageDisk, bootBlock, imageMiB, settle } from './helpers.js';

const MS = 1_000_000;

function fields(text: string, name: string): number[] {
  const line = text.split('\n').find((l) => l.trim().split(/\s+/)[2] === name);
  if (line === undefined) throw new Error(`no ${name} in\n${text}`);
  return line.trim().split(/\s+/).filter((_, i) => i !== 2).map(Number);
}

describe('/proc/diskstats and sysfs stat', () => {
  it('counts completed requests, sectors and virtual milliseconds per disk and partition', () => {
    const b = bootBlock();
    const img = imageMiB(8);
    writeGpt(img, [{ sectors: 4096 }, {}]);
    addImageDisk(b.kernel, b.sched, 'vda', img, { latencyNs: 2 * MS });
    settle(b);
    const k = b.kernel;
    const before = fields(dec(k.readFile('/proc/diskstats')), 'vda');
    // The partition scan read the protective MBR, both GPT headers and both entry arrays.
    expect(before.slice(2, 6)).toEqual([5, 0, 1 + 1 + 32 + 1 + 32, 10]);
    runToIdle(b, function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda2', O_RDWR);
      yield* sys.pwrite(fd, new Uint8Array(4096), 0);
      yield* sys.pread(fd, 1024, 8192);
      const r = new Uint8Array(16);
      new DataView(r.buffer).setBigUint64(8, 8192n, true);
      yield* sys.ioctl(fd, BLKDISCARD, r);
      yield* sys.fsync(fd);
      return 0;
    });
    expectNoFaults(b);
    const text = dec(k.readFile('/proc/diskstats'));
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => l.trim().split(/\s+/)[2])).toEqual(['vda', 'vda1', 'vda2']);
    expect(lines.every((l) => l.trim().split(/\s+/).length === 20)).toBe(true);
    expect(lines[0]?.startsWith(' 254       0 vda ')).toBe(true);
    // major minor | reads merges sectors ms | writes merges sectors ms | inflight io_ms weighted | discards merges sectors ms | flushes ms
    expect(fields(text, 'vda2')).toEqual([254, 2, 1, 0, 2, 2, 1, 0, 8, 2, 0, 8, 8, 1, 0, 16, 2, 1, 2]);
    expect(fields(text, 'vda1')).toEqual([254, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(fields(text, 'vda')).toEqual([254, 0, 6, 0, 69, 12, 1, 0, 8, 2, 0, 18, 18, 1, 0, 16, 2, 1, 2]);
    const stat = dec(k.readFile('/sys/block/vda/vda2/stat'));
    expect(stat).toBe(`${[1, 0, 2, 2, 1, 0, 8, 2, 0, 8, 8, 1, 0, 16, 2, 1, 2].map((v) => String(v).padStart(8)).join(' ')}\n`);
  });

  it('shows requests in flight while the device works on them', () => {
    const b = bootBlock();
    addImageDisk(b.kernel, b.sched, 'vda', imageMiB(1), { latencyNs: 10 * MS });
    settle(b);
    b.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/dev/vda', O_RDWR);
      yield* sys.pwrite(fd, new Uint8Array(512), 0);
      return 0;
    }, ['writer']);
    b.sched.run(b.sched.now() + 5 * MS);
    expect(dec(b.kernel.readFile('/sys/block/vda/inflight'))).toBe('       0        1\n');
    expect(fields(dec(b.kernel.readFile('/proc/diskstats')), 'vda')[10]).toBe(1);
    b.sched.run();
    expect(dec(b.kernel.readFile('/sys/block/vda/inflight'))).toBe('       0        0\n');
  });
});
