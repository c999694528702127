/**
 * The block layer (kernel.block): drivers register whole disks, the layer gives each a
 * device node, sysfs directory and statistics, reads its partition table asynchronously
 * and registers the partitions it finds. Filesystems, swap and device-mapper open devices
 * by dev_t. Boot code waits for partition scans the way it waits for `udevadm settle`.
 */
import type { Kernel } from '../kernel.js';
import { Errno } from '../errno.js';
import { S_ISBLK, S_ISDIR, makedev } from '../constants.js';
import { WaitQueue } from '../waitqueue.js';
import { blockDeviceOps, type BdevHost } from './bdev-file.js';
import { DmControl, type DmLinearSegment } from './dm-control.js';
import type { DmDevice } from './dm.js';
import { Gendisk, Partition } from './gendisk.js';
import type { BlockEnv, BlockNode } from './node.js';
import { scanPartitions } from './partitions/scan.js';
import type { PartitionTable } from './partitions/types.js';
import { addDiskSysfs, addPartitionSysfs, removeNodeSysfs, type DiskNode } from './sysfs.js';
import { SwapTable } from './swap.js';
import { SECTOR_SIZE, type BlockDevice, type GendiskSpec } from './types.js';

/** Group of block device nodes ("disk" in Debian's /etc/group). */
export const DISK_GID = 6;
/** Permission bits of block device nodes. */
export const DISK_NODE_MODE = 0o660;
/** Most bytes one partition-table read may ask for (a corrupt table must not read the whole disk). */
export const MAX_SCAN_READ_BYTES = 1024 * 1024;
/** Largest logical block size a driver may declare. */
const MAX_LOGICAL_BLOCK_SIZE = 65536;

/** What a finished scan reported, for callers that want to know. */
export interface ScanToken {
  /** Set when the scan has finished and its partitions are registered. */
  done: boolean;
}

/** The kernel's block layer. */
export class BlockLayer implements BdevHost {
  /** Woken whenever a partition scan finishes (BLKRRPART and settle waiters sleep here). */
  readonly settleQueue = new WaitQueue('block-settle');
  /** Use the backup GPT when the primary is invalid (also set by "gpt" on the kernel command line, as in Linux). */
  forceGpt = false;
  /** Device-mapper. */
  readonly dm: DmControl;
  /** Active swap areas (/proc/swaps). */
  readonly swap: SwapTable;
  /** Services for block devices (clock, deferral, kernel log). */
  readonly env: BlockEnv;
  private readonly nodes = new Map<number, BlockNode>();
  private readonly disks: DiskNode[] = [];
  private scans = 0;
  private readonly settleCallbacks: (() => void)[] = [];
  private probes = 0;
  private readonly scanning = new Set<Gendisk>();
  private diskseq = 0;

  constructor(private readonly kernel: Kernel) {
    this.env = {
      now: () => kernel.sched.now(),
      defer: (label, fn) => void kernel.sched.after(0, label, fn),
      log: (msg) => kernel.trace.emit(kernel.sched.now(), 'guest', 'kernel', msg),
    };
    kernel.procfs.registerText('partitions', () => this.procPartitions());
    kernel.procfs.registerText('diskstats', () => this.procDiskstats());
    this.swap = new SwapTable(kernel, this);
    this.dm = new DmControl(kernel, this);
  }

  // --- disks --------------------------------------------------------------------

  /** Registers a driver's disk: node, sysfs, then an asynchronous partition scan (if it has minors for partitions). */
  addDisk(spec: GendiskSpec): Gendisk {
    validateSpec(spec);
    if (this.byName(spec.name) !== undefined) throw new Errno('EEXIST', `block device ${spec.name}`);
    for (let m = spec.firstMinor; m < spec.firstMinor + spec.minors; m++) {
      if (this.kernel.devices.lookup('block', makedev(spec.major, m)) !== undefined) {
        throw new Errno('EBUSY', `block ${spec.major}:${m}`);
      }
    }
    const disk = new Gendisk(this.env, spec, ++this.diskseq);
    this.attach(disk, spec.driverName, () => addDiskSysfs(this.kernel.sysfs, disk, spec.sysfsParent, this.env.now, '[none] mq-deadline'));
    this.disks.push(disk);
    if (disk.maxPartitions > 0) this.scan(disk);
    return disk;
  }

  /** Unregisters a disk and its partitions (hot-unplug): new I/O fails, open files get EIO. */
  removeDisk(disk: Gendisk): void {
    if (!this.disks.includes(disk)) return;
    for (const p of [...disk.partitions.values()]) this.detach(p, false);
    disk.partitions.clear();
    this.detach(disk, true);
    this.disks.splice(this.disks.indexOf(disk), 1);
  }

  /** Registers a whole-disk node made elsewhere (device-mapper). */
  addVirtualDisk(node: DiskNode): void {
    this.attach(node, undefined, () => addDiskSysfs(this.kernel.sysfs, node, undefined, this.env.now, 'none'));
    this.disks.push(node);
  }

  /** Unregisters a node added with addVirtualDisk. */
  removeVirtualDisk(node: DiskNode): void {
    this.detach(node, true);
    const i = this.disks.indexOf(node);
    if (i >= 0) this.disks.splice(i, 1);
  }

  /** The next diskseq number. */
  nextDiskseq(): number {
    return ++this.diskseq;
  }

  // --- lookup -------------------------------------------------------------------

  /** The device (disk, partition, dm) with that dev_t. */
  lookup(dev: number): BlockNode | undefined {
    return this.nodes.get(dev);
  }

  /** The device with that kernel name ("vda1", "dm-0"). */
  byName(name: string): BlockNode | undefined {
    for (const n of this.nodes.values()) if (n.name === name) return n;
    return undefined;
  }

  /** The partition whose PARTUUID (case-insensitive) or GPT name matches, as root=PARTUUID= / PARTLABEL= look it up. */
  findPartition(query: { uuid?: string; label?: string }): Partition | undefined {
    for (const n of this.nodes.values()) {
      if (!(n instanceof Partition) || n.dead) continue;
      if (query.uuid !== undefined && n.info.uuid.toLowerCase() === query.uuid.toLowerCase()) return n;
      if (query.label !== undefined && n.info.name === query.label) return n;
    }
    return undefined;
  }

  /** Creates a linear dm device from the host side (what `dmsetup create` does through ioctls). */
  dmCreate(name: string, table: readonly DmLinearSegment[], opts: { uuid?: string; readOnly?: boolean } = {}): DmDevice {
    return this.dm.create(name, table, opts);
  }

  /** Removes a dm device (EBUSY while open or claimed). */
  dmRemove(name: string): void {
    this.dm.remove(name);
  }

  /** Registered whole disks (dm devices included) in registration order. */
  listDisks(): readonly DiskNode[] {
    return [...this.disks];
  }

  /** Opens a device for a filesystem, swap or dm: ENXIO when there is none. */
  open(dev: number): BlockDevice {
    const n = this.nodes.get(dev);
    if (n === undefined || n.dead) throw new Errno('ENXIO');
    return n;
  }

  /** The dev_t of the block device node at `path` (ENOTBLK for anything else). */
  resolvePath(path: string): number {
    const st = this.kernel.stat(path);
    if (!S_ISBLK(st.mode)) throw new Errno('ENOTBLK');
    return st.rdev;
  }

  // --- partition scanning -------------------------------------------------------

  /** True when no partition scan and no driver's disk discovery is running. */
  settled(): boolean {
    return this.scans === 0 && this.probes === 0;
  }

  /** Calls `cb` (from a fresh scheduler event) once settled. */
  whenSettled(cb: () => void): void {
    if (this.settled()) this.env.defer('block settled', cb);
    else this.settleCallbacks.push(cb);
  }

  /**
   * A driver starts looking for disks (a SCSI host scan, an ATA port reset): until the
   * returned release is called, the layer is not settled, as udev's queue is not empty
   * while devices are still being probed.
   */
  beginProbe(): () => void {
    this.probes++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.probes--;
      this.settleQueue.wakeAll();
      if (this.settled()) for (const cb of this.settleCallbacks.splice(0)) cb();
    };
  }

  /** Drops a disk's partitions and reads its table again (BLKRRPART); EBUSY while any partition is in use. */
  rescan(disk: Gendisk): ScanToken {
    if (disk.dead) throw new Errno('ENXIO');
    if (this.scanning.has(disk)) throw new Errno('EBUSY');
    for (const p of disk.partitions.values()) if (p.opens > 0 || p.claimed) throw new Errno('EBUSY');
    for (const p of [...disk.partitions.values()]) this.detach(p, false);
    disk.partitions.clear();
    disk.table = undefined;
    return this.scan(disk);
  }

  private scan(disk: Gendisk): ScanToken {
    const token: ScanToken = { done: false };
    this.scans++;
    this.scanning.add(disk);
    const lbs = disk.limits.logicalBlockSize;
    const ssf = lbs / SECTOR_SIZE;
    const gen = scanPartitions({ lastLba: Math.floor(disk.capacity / ssf) - 1, blockSize: lbs, forceGpt: this.forceGpt || /(^|\s)gpt(\s|$)/.test(this.kernel.cmdline) }, disk.maxPartitions);
    const finish = (table: PartitionTable | undefined): void => {
      this.scans--;
      this.scanning.delete(disk);
      if (!disk.dead) this.addPartitions(disk, table);
      token.done = true;
      this.settleQueue.wakeAll();
      if (this.settled()) for (const cb of this.settleCallbacks.splice(0)) cb();
    };
    const step = (input: Uint8Array | undefined): void => {
      let r: IteratorResult<{ lba: number; count: number }, PartitionTable | undefined>;
      try {
        r = gen.next(input);
      } catch (e) {
        this.env.log(`${disk.name}: partition scan failed: ${String(e)}`);
        return finish(undefined);
      }
      if (r.done === true) return finish(r.value);
      const { lba, count } = r.value;
      if (!Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count <= 0 || count * lbs > MAX_SCAN_READ_BYTES || (lba + count) * ssf > disk.capacity) {
        this.env.defer(`${disk.name} scan`, () => step(undefined));
        return;
      }
      const buf = new Uint8Array(count * lbs);
      disk.submit({ op: 'read', sector: lba * ssf, count: count * ssf, data: buf, end: (err) => this.env.defer(`${disk.name} scan`, () => step(err === undefined ? buf : undefined)) });
    };
    step(undefined);
    return token;
  }

  private addPartitions(disk: Gendisk, table: PartitionTable | undefined): void {
    disk.table = table === undefined ? undefined : { kind: table.kind, uuid: table.uuid };
    if (table === undefined) return;
    for (const w of table.warnings) this.env.log(`GPT: ${disk.name}: ${w}`);
    const names: string[] = [];
    for (const info of table.partitions) {
      if (info.start >= disk.capacity) {
        this.env.log(`${disk.name}: p${info.number} start ${info.start} is beyond EOD, skipped`);
        continue;
      }
      let size = info.sectors;
      if (info.start + size > disk.capacity) {
        this.env.log(`${disk.name}: p${info.number} size ${size} extends beyond EOD, truncated`);
        size = disk.capacity - info.start;
      }
      const part = new Partition(this.env, disk, info, size);
      disk.partitions.set(info.number, part);
      this.attach(part, undefined, () => addPartitionSysfs(this.kernel.sysfs, part, this.env.now));
      names.push(part.name);
    }
    this.env.log(` ${disk.name}: ${names.join(' ')}`);
  }

  // --- registration -------------------------------------------------------------

  private attach(node: BlockNode, driverName: string | undefined, sysfs: () => void): void {
    this.kernel.registerBlockDevice(node.major, node.minor, blockDeviceOps(node, this), driverName);
    this.nodes.set(node.dev, node);
    sysfs();
    if (this.haveDev()) {
      this.kernel.createDeviceNode(`/dev/${node.name}`, node.major, node.minor, { kind: 'block', mode: DISK_NODE_MODE, gid: DISK_GID });
      for (const link of persistentLinks(node)) this.kernel.createSymlink(link, `../../${node.name}`);
    }
  }

  private detach(node: BlockNode, wholeDisk: boolean): void {
    node.dead = true;
    this.kernel.unregisterBlockDevice(node.major, node.minor);
    this.nodes.delete(node.dev);
    removeNodeSysfs(this.kernel.sysfs, node, wholeDisk);
    if (this.haveDev()) {
      this.kernel.removeNode(`/dev/${node.name}`);
      for (const link of persistentLinks(node)) this.kernel.removeNode(link);
    }
  }

  /** True when the root has a /dev to put nodes in. */
  haveDev(): boolean {
    try {
      return S_ISDIR(this.kernel.stat('/dev').mode);
    } catch {
      return false;
    }
  }

  // --- /proc --------------------------------------------------------------------

  private members(d: DiskNode): BlockNode[] {
    return d instanceof Gendisk ? [d, ...[...d.partitions.values()].sort((a, b) => a.partno - b.partno)] : [d];
  }

  private procPartitions(): string {
    let out = 'major minor  #blocks  name\n\n';
    for (const d of this.disks) {
      if (d.capacity === 0) continue;
      for (const n of this.members(d)) {
        if (n.capacity === 0) continue;
        out += `${String(n.major).padStart(4)}  ${String(n.minor).padStart(7)} ${String(Math.floor(n.capacity / 2)).padStart(10)} ${n.name}\n`;
      }
    }
    return out;
  }

  private procDiskstats(): string {
    const now = this.env.now();
    let out = '';
    for (const d of this.disks) {
      for (const n of this.members(d)) {
        if (n !== d && n.capacity === 0) continue;
        out += n.stats.diskstatsLine(n.major, n.minor, n.name, now);
      }
    }
    return out;
  }
}

function validateSpec(spec: GendiskSpec): void {
  const l = spec.limits;
  const ok =
    /^[a-z][a-z0-9_-]{0,31}$/.test(spec.name) &&
    Number.isInteger(spec.major) && spec.major > 0 &&
    Number.isInteger(spec.firstMinor) && spec.firstMinor >= 0 &&
    Number.isInteger(spec.minors) && spec.minors >= 1 &&
    Number.isSafeInteger(spec.capacity) && spec.capacity >= 0 &&
    Number.isInteger(l.logicalBlockSize) && l.logicalBlockSize >= SECTOR_SIZE && l.logicalBlockSize <= MAX_LOGICAL_BLOCK_SIZE &&
    (l.logicalBlockSize & (l.logicalBlockSize - 1)) === 0 &&
    Number.isInteger(l.maxSectors) && l.maxSectors >= l.logicalBlockSize / SECTOR_SIZE;
  if (!ok) throw new Errno('EINVAL', `bad disk ${spec.name}`);
}

// The names udev's persistent-storage rules give a partition, so scripts need not guess
// which sdX a disk became: /dev/disk/by-partuuid/<PARTUUID>, /dev/disk/by-partlabel/<PARTNAME>.
function persistentLinks(node: BlockNode): string[] {
  if (!(node instanceof Partition)) return [];
  const out = [`/dev/disk/by-partuuid/${node.info.uuid.toLowerCase()}`];
  if (node.info.name !== undefined && node.info.name !== '' && !node.info.name.includes('/')) out.push(`/dev/disk/by-partlabel/${node.info.name}`);
  return out;
}
