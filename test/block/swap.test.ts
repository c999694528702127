/**
 * Swap areas: the version-1 header ("SWAPSPACE2" at 4086, last_page, UUID) written by the
 * host tool or the guest's mkswap is validated by swapon(2), listed in /proc/swaps in
 * Linux's layout, claims the device, and goes away with swapoff.
 */
import { describe, expect, it } from 'vitest';
import { SWAP_MAGIC_OFFSET, decodeSwapHeader } from '../../src/abi/swap.js';
import { writeGpt } from '../../src/disk-image/partition.js';
import { DiskImageSlice } from '../../src/disk-image/slice.js';
import { writeSwap } from '../../src/disk-image/swap.js';
import { humanSize } from '../../src/guest/programs/lib/human-size.js';
import { dec } from '../guest-kernel/helpers.js';
import { run, sh } from '../guest-programs/helpers.js';
import { addImageDisk, bootBlock, imageMiB, settle } from './helpers.js';

const MiB = 2048;

function setup(): ReturnType<typeof bootBlock> & { img: ReturnType<typeof imageMiB>; uuid: string } {
  const b = bootBlock();
  const img = imageMiB(32);
  const placed = writeGpt(img, [{ sectors: 8 * MiB }, { kind: 'swap', sectors: 16 * MiB }, { sectors: 4 * MiB }]);
  const p2 = placed[1];
  if (p2 === undefined) throw new Error('no partition 2');
  const area = writeSwap(new DiskImageSlice(img, p2.start, p2.sectors), { seed: 'test' });
  addImageDisk(b.kernel, b.sched, 'vda', img);
  settle(b);
  return { ...b, img, uuid: area.uuid };
}

describe('swap areas', () => {
  it('swapon accepts the host-written header and /proc/swaps lists it as Linux formats it', () => {
    const b = setup();
    expect(run(b, ['swapon', '/dev/vda2'])).toMatchObject({ code: 0, err: '' });
    const size = 16 * 1024 - 4;
    expect(dec(b.kernel.readFile('/proc/swaps'))).toBe(
      'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' +
      `/dev/vda2${' '.repeat(31)}partition\t${size}\t\t0\t\t-2\n`,
    );
    expect(b.kernel.block.swap.list()).toMatchObject([{ path: '/dev/vda2', pages: 4095, priority: -2, uuid: b.uuid }]);
    expect(run(b, ['swapon', '--show']).out).toBe('NAME      TYPE      SIZE USED PRIO\n/dev/vda2 partition  16M   0B   -2\n');
    expect(b.log).toContain(`Adding ${size}k swap on /dev/vda2.  Priority:-2 extents:1 across:${size}k SS`);
  });

  it('refuses a device without the signature (EINVAL), a second swapon (EBUSY), and frees the device on swapoff', () => {
    const b = setup();
    const bad = run(b, ['swapon', '/dev/vda3']);
    expect(bad).toMatchObject({ code: 255, err: 'swapon: /dev/vda3: swapon failed: Invalid argument\n' });
    expect(b.log).toContain('Unable to find swap-space signature');
    expect(run(b, ['swapon', '-p', '5', '/dev/vda2']).code).toBe(0);
    expect(run(b, ['swapon', '/dev/vda2']).err).toBe('swapon: /dev/vda2: swapon failed: Device or resource busy\n');
    expect(dec(b.kernel.readFile('/proc/swaps')).split('\n')[1]?.endsWith('\t5')).toBe(true);
    expect(run(b, ['swapoff', '/dev/vda2']).code).toBe(0);
    expect(run(b, ['swapoff', '/dev/vda2'])).toMatchObject({ code: 4, err: 'swapoff: /dev/vda2: swapoff failed: Invalid argument\n' });
    expect(dec(b.kernel.readFile('/proc/swaps'))).toBe('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
    expect(run(b, ['swapon', '-s']).out).toBe('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
  });

  it('mkswap in the guest writes a header swapon accepts; a swap area in use cannot be reformatted', () => {
    const b = setup();
    const r = run(b, ['mkswap', '-L', 'scratch', '/dev/vda3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Setting up swapspace version 1, size = 4 MiB \(4190208 bytes\)\nLABEL=scratch, UUID=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/);
    const page = b.img.read(2048 + 24 * MiB, 8);
    expect(new TextDecoder().decode(page.subarray(SWAP_MAGIC_OFFSET))).toBe('SWAPSPACE2');
    expect(decodeSwapHeader(page)).toMatchObject({ version: 1, lastPage: 1023, nrBadPages: 0, label: 'scratch' });
    expect(sh(b, 'swapon /dev/vda3 && swapon /dev/vda2').code).toBe(0);
    expect(b.kernel.block.swap.list().map((a) => [a.path, a.priority])).toEqual([['/dev/vda3', -2], ['/dev/vda2', -3]]);
    const again = run(b, ['mkswap', '/dev/vda3']);
    expect(again).toMatchObject({ code: 1, err: 'mkswap: cannot open /dev/vda3: Device or resource busy\n' });
    // Removing the first automatic priority moves the later one up, as Linux does.
    expect(run(b, ['swapoff', '/dev/vda3']).code).toBe(0);
    expect(b.kernel.block.swap.list().map((a) => a.priority)).toEqual([-2]);
  });

  it('mkswap sizes are printed like util-linux', () => {
    expect([humanSize(8384512), humanSize(1073737728), humanSize(4190208), humanSize(1536 * 1024), humanSize(512), humanSize(16380 * 1024, 'letter'), humanSize(0, 'letter')]).toEqual(['8 MiB', '1024 MiB', '4 MiB', '1.5 MiB', '512 B', '16M', '0B']);
  });
});
