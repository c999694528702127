/**
 * The block devices' part of /sys, at Linux's paths: the disk directory under its parent
 * device (or /devices/virtual/block), its attributes and queue/ directory, partitions as
 * subdirectories, and the /sys/block, /sys/class/block and /sys/dev/block links udev and
 * lsblk walk. Values are computed when read, so counters and sizes are always current.
 */
import type { Nanos } from '../../../core/scheduler.js';
import type { Sysfs } from '../sysfs/sysfs.js';
import type { Partition } from './gendisk.js';
import type { BlockNode } from './node.js';

/** Requests a queue admits before submitters wait (what sysfs nr_requests shows). */
const NR_REQUESTS = 256;
/** Read-ahead Linux gives a disk by default, in KiB. */
const READ_AHEAD_KB = 128;

/** A whole disk as sysfs describes it. */
export type DiskNode = BlockNode & {
  /** Linux's diskseq. */
  readonly diskseq: number;
  /** Minors reserved for the disk and its partitions. */
  readonly minorsReserved: number;
};

function common(sysfs: Sysfs, n: BlockNode, now: () => Nanos, uevent: () => string): void {
  const p = n.sysfsPath;
  sysfs.dir(p);
  sysfs.value(`${p}/dev`, () => n.devString);
  sysfs.value(`${p}/size`, () => n.capacity);
  sysfs.value(`${p}/ro`, () => (n.readOnly ? 1 : 0));
  sysfs.value(`${p}/alignment_offset`, () => 0);
  sysfs.value(`${p}/discard_alignment`, () => 0);
  sysfs.attr(`${p}/stat`, { mode: 0o444, show: () => n.stats.sysfsStat(now()) });
  sysfs.attr(`${p}/inflight`, { mode: 0o444, show: () => n.stats.inflight().map((v) => String(v).padStart(8)).join(' ') + '\n' });
  sysfs.attr(`${p}/uevent`, { mode: 0o644, show: uevent, store: () => undefined });
  sysfs.dir(`${p}/holders`);
  sysfs.dir(`${p}/power`);
  sysfs.link(`${p}/subsystem`, '/class/block');
  sysfs.link(`/class/block/${n.name}`, p);
  sysfs.link(`/dev/block/${n.devString}`, p);
}

function queue(sysfs: Sysfs, n: BlockNode, scheduler: string): void {
  const q = `${n.sysfsPath}/queue`;
  const lim = (): typeof n.limits => n.limits;
  const pbs = (): number => lim().physicalBlockSize ?? lim().logicalBlockSize;
  sysfs.value(`${q}/logical_block_size`, () => lim().logicalBlockSize);
  sysfs.value(`${q}/hw_sector_size`, () => lim().logicalBlockSize);
  sysfs.value(`${q}/physical_block_size`, pbs);
  sysfs.value(`${q}/minimum_io_size`, pbs);
  sysfs.value(`${q}/optimal_io_size`, () => 0);
  sysfs.value(`${q}/max_sectors_kb`, () => Math.floor(lim().maxSectors / 2));
  sysfs.value(`${q}/max_hw_sectors_kb`, () => Math.floor(lim().maxSectors / 2));
  sysfs.value(`${q}/discard_granularity`, () => lim().discard?.granularity ?? 0);
  sysfs.value(`${q}/discard_max_bytes`, () => (lim().discard?.maxSectors ?? 0) * 512);
  sysfs.value(`${q}/discard_max_hw_bytes`, () => (lim().discard?.maxSectors ?? 0) * 512);
  sysfs.value(`${q}/discard_zeroes_data`, () => 0);
  sysfs.value(`${q}/rotational`, () => (lim().rotational ?? true ? 1 : 0));
  sysfs.value(`${q}/write_cache`, () => (lim().writeCache ? 'write back' : 'write through'));
  sysfs.value(`${q}/nr_requests`, () => NR_REQUESTS);
  sysfs.value(`${q}/read_ahead_kb`, () => READ_AHEAD_KB);
  sysfs.value(`${q}/scheduler`, () => scheduler);
  sysfs.value(`${q}/nomerges`, () => 0);
  sysfs.value(`${q}/iostats`, () => 1);
  sysfs.value(`${q}/add_random`, () => 0);
}

/** Creates a whole disk's directory, attributes and links (dm devices included). */
export function addDiskSysfs(sysfs: Sysfs, d: DiskNode, parent: string | undefined, now: () => Nanos, scheduler: string): void {
  const p = d.sysfsPath;
  common(sysfs, d, now, () => `MAJOR=${d.major}\nMINOR=${d.minor}\nDEVNAME=${d.name}\nDEVTYPE=disk\nDISKSEQ=${d.diskseq}\n`);
  sysfs.value(`${p}/removable`, () => 0);
  sysfs.value(`${p}/hidden`, () => 0);
  sysfs.value(`${p}/range`, () => d.minorsReserved);
  sysfs.value(`${p}/ext_range`, () => d.minorsReserved);
  sysfs.value(`${p}/diskseq`, () => d.diskseq);
  sysfs.dir(`${p}/slaves`);
  queue(sysfs, d, d.minorsReserved > 1 ? '[none] mq-deadline' : 'none');
  if (parent !== undefined) sysfs.link(`${p}/device`, parent);
  sysfs.link(`/block/${d.name}`, p);
}

/** Creates a partition's directory inside its disk's, and its links. */
export function addPartitionSysfs(sysfs: Sysfs, part: Partition, now: () => Nanos): void {
  const p = part.sysfsPath;
  const name = part.info.name;
  common(sysfs, part, now, () =>
    `MAJOR=${part.major}\nMINOR=${part.minor}\nDEVNAME=${part.name}\nDEVTYPE=partition\nDISKSEQ=${part.disk.diskseq}\nPARTN=${part.partno}\n` +
    (name !== undefined ? `PARTNAME=${name}\n` : ''));
  sysfs.value(`${p}/partition`, () => part.partno);
  sysfs.value(`${p}/start`, () => part.start);
}

/** Removes a device's directory and the links that name it. */
export function removeNodeSysfs(sysfs: Sysfs, n: BlockNode, wholeDisk: boolean): void {
  sysfs.remove(`/dev/block/${n.devString}`);
  sysfs.remove(`/class/block/${n.name}`);
  if (wholeDisk) sysfs.remove(`/block/${n.name}`);
  sysfs.remove(n.sysfsPath);
}

/** Records that `holder` (a dm device) sits on `slave`: slaves/ and holders/ links. */
export function linkHolder(sysfs: Sysfs, holder: BlockNode, slave: BlockNode): void {
  sysfs.link(`${holder.sysfsPath}/slaves/${slave.name}`, slave.sysfsPath);
  sysfs.link(`${slave.sysfsPath}/holders/${holder.name}`, holder.sysfsPath);
}

/** Undoes linkHolder. */
export function unlinkHolder(sysfs: Sysfs, holder: BlockNode, slave: BlockNode): void {
  sysfs.remove(`${holder.sysfsPath}/slaves/${slave.name}`);
  sysfs.remove(`${slave.sysfsPath}/holders/${holder.name}`);
}
