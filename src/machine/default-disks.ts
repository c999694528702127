/**
 * The default machine's disks, prepared on the host before first boot the way an image
 * builder prepares a cloud image: partition tables, filesystems, a swap area, the fstab
 * and an rc.local that assembles the device-mapper volume. A drive is prepared only while
 * it is blank, so a file-backed image keeps what the guest wrote on later runs.
 */
import type { DiskImage } from '../../devices/block/disk-image.js';
import { DiskImageSlice } from '../disk-image/slice.js';
import { writeGpt, writeMbr, type PlacedPartition } from '../disk-image/partition.js';
import { writeSwap } from '../disk-image/swap.js';
import { imageRange, mkfs, uuidFromSeed, type MkfsNode, type SectorDevice } from '../disk-image/mkfs.js';
import { formatUuid } from '../abi/simplefs.js';

/** The roles a default drive plays; the drive spec carries one as `provision`. */
export type DiskRole = 'root' | 'sata-data' | 'ide-srv' | 'lvm-a' | 'lvm-b';

/** Where the default volumes are mounted. */
export const DEFAULT_MOUNTS = { data: '/data', srv: '/srv', lv: '/var/lib/data' } as const;
/** Name of the device-mapper volume joining the two SCSI disks. */
export const DEFAULT_DM_NAME = 'vg0-lv0';
/** The creation time stamped on preinstalled files: Debian 12's release day, 2023-06-10. */
const IMAGE_TIME_SEC = 1_686_355_200;

/** A drive to prepare. */
export interface ProvisionTarget {
  /** Its role. */
  role: DiskRole;
  /** Its image. */
  image: DiskImage;
}

function blank(image: DiskImage): boolean {
  return image.read(0, 1).every((b) => b === 0) && image.read(1, 1).every((b) => b === 0);
}

function only(parts: PlacedPartition[], n: number): PlacedPartition {
  const p = parts[n];
  if (p === undefined) throw new Error(`default disks: partition ${n + 1} was not placed`);
  return p;
}

// Two partitions end to end as one device, as dm-linear will present them to the guest.
function linear(a: SectorDevice, b: SectorDevice): SectorDevice {
  const pick = (sector: number): [SectorDevice, number] => (sector < a.sectors ? [a, sector] : [b, sector - a.sectors]);
  const each = (sector: number, count: number, fn: (dev: SectorDevice, s: number, n: number, off: number) => void): void => {
    let s = sector;
    while (s < sector + count) {
      const [dev, local] = pick(s);
      const n = Math.min(sector + count - s, dev.sectors - local);
      fn(dev, local, n, s - sector);
      s += n;
    }
  };
  return {
    sectors: a.sectors + b.sectors,
    read: (sector, count) => {
      const out = new Uint8Array(count * 512);
      each(sector, count, (dev, s, n, off) => out.set(dev.read(s, n), off * 512));
      return out;
    },
    write: (sector, data) => each(sector, data.length / 512, (dev, s, n, off) => dev.write(s, data.subarray(off * 512, (off + n) * 512))),
    discard: (sector, count) => each(sector, count, (dev, s, n) => dev.discard?.(s, n)),
  };
}

function dir(entries: Record<string, MkfsNode> = {}, mode = 0o755): MkfsNode {
  return { kind: 'dir', mode, entries };
}

function fstab(rootUuid: string, swapUuid: string): string {
  return [
    '# /etc/fstab: static file system information.',
    '#',
    '# <file system> <mount point>   <type>  <options>       <dump>  <pass>',
    `UUID=${rootUuid} /               ext4    errors=remount-ro 0       1`,
    `UUID=${swapUuid} none            swap    sw              0       0`,
    `LABEL=data      ${DEFAULT_MOUNTS.data}           xfs     defaults        0       2`,
    `LABEL=srv       ${DEFAULT_MOUNTS.srv}            ext4    defaults        0       2`,
    `/dev/mapper/${DEFAULT_DM_NAME} ${DEFAULT_MOUNTS.lv} ext4 defaults,noauto 0 2`,
    '',
  ].join('\n');
}

function rcLocal(table: string): string {
  return [
    '#!/bin/sh -e',
    '# Assemble the volume spanning the two SCSI disks, then mount it (fstab marks it noauto).',
    `dmsetup create ${DEFAULT_DM_NAME} --table "${table}"`,
    `mount ${DEFAULT_MOUNTS.lv}`,
    'exit 0',
    '',
  ].join('\n');
}

/**
 * Prepares every blank drive of the default layout. The two SCSI disks are prepared
 * together (their volume spans both) and only when both are blank.
 */
export function provisionDefaultDisks(targets: readonly ProvisionTarget[]): void {
  const byRole = new Map(targets.map((t) => [t.role, t]));
  let dmTable = '';
  const a = byRole.get('lvm-a');
  const b = byRole.get('lvm-b');
  if (a !== undefined && b !== undefined && blank(a.image) && blank(b.image)) {
    const pa = only(writeGpt(a.image, [{ kind: 'lvm', name: 'pv0' }], { seed: 'lvm-a' }), 0);
    const pb = only(writeGpt(b.image, [{ kind: 'lvm', name: 'pv1' }], { seed: 'lvm-b' }), 0);
    const vol = linear(imageRange(a.image, pa.start, pa.sectors), imageRange(b.image, pb.start, pb.sectors));
    mkfs(vol, { type: 'ext4', label: 'lv0', uuidSeed: 'lv0', timeSec: IMAGE_TIME_SEC });
    dmTable = `0 ${pa.sectors} linear /dev/disk/by-partlabel/pv0 0\\n${pa.sectors} ${pb.sectors} linear /dev/disk/by-partlabel/pv1 0`;
  }
  const sata = byRole.get('sata-data');
  if (sata !== undefined && blank(sata.image)) {
    const p = only(writeGpt(sata.image, [{ kind: 'linux', name: 'data' }], { seed: 'sata-data' }), 0);
    mkfs(imageRange(sata.image, p.start, p.sectors), { type: 'xfs', label: 'data', uuidSeed: 'data', timeSec: IMAGE_TIME_SEC });
  }
  const ide = byRole.get('ide-srv');
  if (ide !== undefined && blank(ide.image)) {
    const p = only(writeMbr(ide.image, [{ kind: 'linux' }], { seed: 'ide-srv' }), 0);
    mkfs(imageRange(ide.image, p.start, p.sectors), { type: 'ext4', label: 'srv', uuidSeed: 'srv', timeSec: IMAGE_TIME_SEC });
  }
  const root = byRole.get('root');
  if (root !== undefined && blank(root.image)) {
    const swapSectors = Math.min(2 * 1024 * 1024, Math.floor(root.image.sectors / 8));
    const parts = writeMbr(root.image, [{ kind: 'linux', bootable: true, sectors: root.image.sectors - 2048 - swapSectors - 2048 }, { kind: 'swap' }], { seed: 'root' });
    const p1 = only(parts, 0);
    const p2 = only(parts, 1);
    const swap = writeSwap(new DiskImageSlice(root.image, p2.start, p2.sectors), { seed: 'root-swap' });
    const rootUuid = formatUuid(uuidFromSeed('root'));
    const files: Record<string, MkfsNode> = {
      etc: dir({
        fstab: { kind: 'file', data: fstab(rootUuid, swap.uuid) },
        ...(dmTable === '' ? {} : { 'rc.local': { kind: 'file', data: rcLocal(dmTable), mode: 0o755 } }),
      }),
      // Mount points the kernel moves its own filesystems onto when it switches to this root.
      dev: dir(),
      proc: dir({}, 0o555),
      sys: dir({}, 0o555),
      run: dir(),
      tmp: dir({}, 0o1777),
      data: dir(),
      srv: dir(),
      var: dir({ lib: dir({ data: dir() }) }),
    };
    mkfs(imageRange(root.image, p1.start, p1.sectors), { type: 'ext4', label: 'root', uuidSeed: 'root', timeSec: IMAGE_TIME_SEC, files });
  }
}

