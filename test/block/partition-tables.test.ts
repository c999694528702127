/**
 * Partition tables written by the host tool (src/disk-image/partition.ts) are read back
 * by the guest kernel's scanner: names, minors, starts and sizes (UEFI §5.3 GPT, the DOS
 * MBR with an EBR chain), CRC-checked GPT headers, and the settle point boot code waits on.
 */
import { describe, expect, it } from 'vitest';
import { GPT_HDR_CRC, GPT_TYPE_LINUX_LVM, GPT_TYPE_LINUX_SWAP } from '../../src/abi/partition.js';
import { writeGpt, writeMbr } from '../../src/disk-image/partition.js';
import { Partition } from '../../src/guest/kernel/block/index.js';
import { dec } from '../guest-kernel/helpers.js';
import { addImageDisk, bootBlock, imageMiB, settle } from './helpers.js';

const MiB = 2048;

function parts(disk: { partitions: Map<number, Partition> }): [string, number, number, number][] {
  return [...disk.partitions.values()].sort((a, b) => a.partno - b.partno).map((p) => [p.name, p.minor, p.start, p.capacity]);
}

describe('GPT (UEFI §5.3) written on the host, scanned by the guest', () => {
  it('registers each used entry as vdaN with minor = disk minor + N, start and size from the entry', () => {
    const b = bootBlock();
    const img = imageMiB(64);
    const placed = writeGpt(img, [
      { name: 'root', sectors: 32 * MiB },
      { kind: 'swap', name: 'swap', sectors: 8 * MiB },
      { kind: 'lvm', name: 'pv' },
    ], { seed: 'disk-a' });
    const { disk } = addImageDisk(b.kernel, b.sched, 'vda', img);
    expect(b.kernel.block.settled()).toBe(false);
    settle(b);
    expect(parts(disk)).toEqual([
      ['vda1', 1, 2048, 32 * MiB],
      ['vda2', 2, 2048 + 32 * MiB, 8 * MiB],
      ['vda3', 3, 2048 + 40 * MiB, 64 * MiB - 2048 - 40 * MiB - 33],
    ]);
    expect(disk.table?.kind).toBe('gpt');
    const p2 = disk.partitions.get(2);
    expect(p2?.info.name).toBe('swap');
    expect(p2?.info.type).toBe(GPT_TYPE_LINUX_SWAP);
    expect(p2?.info.uuid).toBe(placed[1]?.guid);
    expect(disk.partitions.get(3)?.info.type).toBe(GPT_TYPE_LINUX_LVM);
    // What root=PARTUUID=... and root=PARTLABEL=... resolve to.
    expect(b.kernel.block.findPartition({ uuid: (placed[1]?.guid ?? '').toUpperCase() })?.name).toBe('vda2');
    expect(b.kernel.block.findPartition({ label: 'root' })?.name).toBe('vda1');
    expect(b.kernel.block.findPartition({ label: 'nope' })).toBeUndefined();
    const k = b.kernel;
    expect(dec(k.readFile('/proc/partitions'))).toBe(
      'major minor  #blocks  name\n\n' +
      ' 254        0      65536 vda\n' +
      ' 254        1      32768 vda1\n' +
      ' 254        2       8192 vda2\n' +
      ` 254        3 ${String(Math.floor((64 * MiB - 2048 - 40 * MiB - 33) / 2)).padStart(10)} vda3\n`,
    );
    expect(dec(k.readFile('/sys/class/block/vda2/uevent'))).toBe('MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\nDISKSEQ=1\nPARTN=2\nPARTNAME=swap\n');
  });

  it('is deterministic: the same seed gives the same bytes, another seed other GUIDs', () => {
    const a = imageMiB(8);
    const b = imageMiB(8);
    const c = imageMiB(8);
    writeGpt(a, [{ name: 'x' }], { seed: 's' });
    writeGpt(b, [{ name: 'x' }], { seed: 's' });
    const pc = writeGpt(c, [{ name: 'x' }], { seed: 't' });
    expect(a.read(0, 40)).toEqual(b.read(0, 40));
    expect(a.read(a.sectors - 33, 33)).toEqual(b.read(b.sectors - 33, 33));
    expect(pc[0]?.guid).not.toBe(writeGpt(imageMiB(8), [{ name: 'x' }], { seed: 's' })[0]?.guid);
  });

  it('ignores a primary header with a bad CRC unless "gpt" is given, then uses the backup', () => {
    const corrupt = (): ReturnType<typeof imageMiB> => {
      const img = imageMiB(16);
      writeGpt(img, [{ name: 'a', sectors: 4 * MiB }, { name: 'b' }]);
      const hdr = img.read(1, 1);
      hdr[GPT_HDR_CRC] = (hdr[GPT_HDR_CRC] ?? 0) ^ 0xff;
      img.write(1, hdr);
      return img;
    };
    const b = bootBlock();
    const { disk } = addImageDisk(b.kernel, b.sched, 'vda', corrupt());
    settle(b);
    expect(disk.partitions.size).toBe(0);
    expect(disk.table).toBeUndefined();

    const b2 = bootBlock();
    b2.kernel.cmdline = 'root=/dev/vda2 gpt';
    const { disk: d2 } = addImageDisk(b2.kernel, b2.sched, 'vda', corrupt());
    settle(b2);
    expect(parts(d2).map((p) => p[0])).toEqual(['vda1', 'vda2']);
    expect(d2.partitions.get(2)?.info.name).toBe('b');
    expect(b2.log.some((m) => m.includes('Primary GPT is invalid, using alternate GPT.'))).toBe(true);
  });

  it('rejects an entry array whose CRC does not match, and never falls back to the protective MBR', () => {
    const img = imageMiB(16);
    writeGpt(img, [{ name: 'a' }]);
    const entries = img.read(2, 1);
    entries[100] = (entries[100] ?? 0) ^ 1;
    img.write(2, entries);
    const b = bootBlock();
    const { disk } = addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    expect(disk.partitions.size).toBe(0);
  });

  it('warns but keeps the primary when only the backup is corrupt', () => {
    const img = imageMiB(16);
    writeGpt(img, [{ name: 'a' }]);
    img.write(img.sectors - 1, new Uint8Array(512));
    const b = bootBlock();
    const { disk } = addImageDisk(b.kernel, b.sched, 'vda', img);
    settle(b);
    expect(disk.partitions.size).toBe(1);
    expect(b.log.some((m) => m.includes('Alternate GPT is invalid, using primary GPT.'))).toBe(true);
  });

  it('leaves out partitions beyond the minors the driver reserved', () => {
    const img = imageMiB(16);
    writeGpt(img, [1, 2, 3, 4, 5].map(() => ({ sectors: MiB })));
    const b = bootBlock();
    const { disk } = addImageDisk(b.kernel, b.sched, 'vda', img, { minors: 4 });
    settle(b);
    expect(parts(disk).map((p) => p[0])).toEqual(['vda1', 'vda2', 'vda3']);
  });
});

describe('DOS partition table (MBR with an EBR chain)', () => {
  it('numbers primaries 1-4 and logical partitions from 5; the extended partition shows 2 sectors', () => {
    const img = imageMiB(64);
    writeMbr(img, [
      { sectors: 8 * MiB, bootable: true },
      { kind: 'swap', sectors: 4 * MiB },
      { kind: 'lvm', sectors: 4 * MiB },
      { sectors: 4 * MiB },
      { sectors: 4 * MiB },
      { kind: 'swap' },
    ], { diskSignature: 0x1234abcd });
    const b = bootBlock();
    const { disk } = addImageDisk(b.kernel, b.sched, 'vdb', img);
    settle(b);
    const base = 2048 + 16 * MiB;
    expect(parts(disk)).toEqual([
      ['vdb1', 1, 2048, 8 * MiB],
      ['vdb2', 2, 2048 + 8 * MiB, 4 * MiB],
      ['vdb3', 3, 2048 + 12 * MiB, 4 * MiB],
      ['vdb4', 4, base + 2047, 2],
      ['vdb5', 5, base + 2048, 4 * MiB],
      ['vdb6', 6, base + 6 * MiB, 4 * MiB],
      // Each logical partition needs its EBR in front, so alignment costs a MiB.
      ['vdb7', 7, base + 11 * MiB, 64 * MiB - base - 11 * MiB],
    ]);
    expect(disk.table).toEqual({ kind: 'dos', uuid: '1234abcd' });
    expect(disk.partitions.get(6)?.info).toMatchObject({ uuid: '1234abcd-06', type: '83' });
    expect(disk.partitions.get(2)?.info.type).toBe('82');
    expect(b.log.some((m) => m === ' vdb: vdb1 vdb2 vdb3 vdb4 vdb5 vdb6 vdb7')).toBe(true);
  });

  it('finds no partitions on a blank disk or one without the 55AA signature', () => {
    const b = bootBlock();
    const blank = addImageDisk(b.kernel, b.sched, 'vda', imageMiB(4)).disk;
    const img = imageMiB(4);
    writeMbr(img, [{}]);
    const s0 = img.read(0, 1);
    s0[511] = 0;
    img.write(0, s0);
    const unsigned = addImageDisk(b.kernel, b.sched, 'vdb', img).disk;
    settle(b);
    expect(blank.partitions.size + unsigned.partitions.size).toBe(0);
  });
});

describe('settling', () => {
  it('whenSettled fires once every disk added so far has been scanned', () => {
    const b = bootBlock();
    const events: string[] = [];
    for (const n of ['vda', 'vdb']) {
      const img = imageMiB(8);
      writeGpt(img, [{}]);
      addImageDisk(b.kernel, b.sched, n, img);
    }
    b.kernel.block.whenSettled(() => events.push(`settled ${[...b.kernel.block.listDisks()].map((d) => d.name).join(',')} ${b.kernel.block.byName('vdb1') !== undefined}`));
    expect(events).toEqual([]);
    b.sched.run();
    expect(events).toEqual(['settled vda,vdb true']);
    b.kernel.block.whenSettled(() => events.push('again'));
    b.sched.run();
    expect(events).toEqual(['settled vda,vdb true', 'again']);
  });
});
