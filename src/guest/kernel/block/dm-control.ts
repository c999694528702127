/**
 * Device-mapper's control side: creating and removing dm devices, loading tables and
 * swapping them in on resume, and the /dev/mapper/control misc device whose ioctls
 * dmsetup uses. Each dm device gets /dev/dm-N, /dev/mapper/<name>, its sysfs directory
 * under /devices/virtual/block with dm/name, and slaves/holders links to what it maps.
 */
import type { Kernel } from '../kernel.js';
import { Errno } from '../errno.js';
import { isRoot } from '../cred.js';
import { major, makedev, minor } from '../constants.js';
import type { DeviceOps } from '../devices.js';
import type { OpenFile } from '../vfs/file.js';
import type { IoctlArg } from '../vfs/types.js';
import { DmDevice, type DmTarget } from './dm.js';
import {
  DM_ACTIVE_PRESENT_FLAG, DM_DEV_CREATE, DM_DEV_REMOVE, DM_DEV_STATUS, DM_DEV_SUSPEND, DM_INACTIVE_PRESENT_FLAG, DM_INTERFACE_VERSION,
  DM_LIST_DEVICES, DM_MAX_TARGETS, DM_NAME_MAX, DM_READONLY_FLAG, DM_REMOVE_ALL, DM_STATUS_TABLE_FLAG, DM_SUSPEND_FLAG, DM_TABLE_CLEAR,
  DM_TABLE_DEPS, DM_TABLE_LOAD, DM_TABLE_STATUS, DM_VERSION, type DmIoctlArg, type DmTargetSpec,
} from './ioctl.js';
import type { BlockEnv, BlockNode } from './node.js';
import { linkHolder, unlinkHolder, type DiskNode } from './sysfs.js';
import { SECTOR_SIZE } from './types.js';

/** Major of misc character devices. */
export const MISC_MAJOR = 10;
/** Minor of /dev/mapper/control. */
export const MAPPER_CTRL_MINOR = 236;
/** dm devices a kernel allows (minors handed out). */
export const DM_MAX_DEVICES = 1024;
/** The claim holder of every device a dm table uses (shared, so two tables may use one device). */
const DM_HOLDER = 'device-mapper';

/** One linear mapping for DmControl.create: `length` sectors at `start` map to `dev` from `offset`. */
export interface DmLinearSegment {
  /** First sector of the dm device. */
  start: number;
  /** Sectors. */
  length: number;
  /** dev_t of the device underneath. */
  dev: number;
  /** First sector on that device. */
  offset: number;
}

/** What device-mapper needs from the block layer. */
export interface DmHost {
  /** The device with that dev_t. */
  lookup(dev: number): BlockNode | undefined;
  /** dev_t of a block device node path. */
  resolvePath(path: string): number;
  /** Registers a dm device's node, sysfs directory and links. */
  addVirtualDisk(node: DiskNode): void;
  /** Undoes addVirtualDisk. */
  removeVirtualDisk(node: DiskNode): void;
  /** A new diskseq. */
  nextDiskseq(): number;
  /** True when /dev exists. */
  haveDev(): boolean;
  /** Services for block devices. */
  readonly env: BlockEnv;
}

/** Device-mapper. */
export class DmControl {
  private dmMajor: number | undefined;
  private readonly byName = new Map<string, DmDevice>();

  constructor(
    private readonly kernel: Kernel,
    private readonly host: DmHost,
  ) {
    kernel.registerCharDevice(MISC_MAJOR, MAPPER_CTRL_MINOR, this.controlOps(), 'misc');
    if (host.haveDev()) kernel.createDeviceNode('/dev/mapper/control', MISC_MAJOR, MAPPER_CTRL_MINOR, { mode: 0o600 });
  }

  /** The dm device called `name`. */
  get(name: string): DmDevice | undefined {
    return this.byName.get(name);
  }

  /** dm devices sorted by name. */
  list(): DmDevice[] {
    return [...this.byName.values()].sort((a, b) => (a.dmName < b.dmName ? -1 : a.dmName > b.dmName ? 1 : 0));
  }

  /** Creates, loads and resumes a linear device in one go (what `dmsetup create` does). */
  create(name: string, table: readonly DmLinearSegment[], opts: { uuid?: string; readOnly?: boolean } = {}): DmDevice {
    const dev = this.devCreate(name, opts.uuid ?? '', opts.readOnly === true);
    try {
      this.load(dev, table.map((s) => ({ start: s.start, length: s.length, slave: this.slave(s.dev), offset: s.offset })));
      this.resume(dev);
    } catch (e) {
      this.devRemove(dev);
      throw e;
    }
    return dev;
  }

  /** Removes the device called `name` (EBUSY while open or claimed). */
  remove(name: string): void {
    this.devRemove(this.named(name));
  }

  private named(name: unknown): DmDevice {
    if (typeof name !== 'string') throw new Errno('EINVAL');
    const d = this.byName.get(name);
    if (d === undefined) throw new Errno('ENXIO');
    return d;
  }

  private slave(dev: number): BlockNode {
    const n = this.host.lookup(dev);
    if (n === undefined || n.dead) throw new Errno('ENXIO');
    return n;
  }

  private devCreate(name: string, uuid: string, readOnly: boolean): DmDevice {
    if (name === '' || name.length > DM_NAME_MAX || name.includes('/') || name === '.' || name === '..') throw new Errno('EINVAL');
    if (this.byName.has(name)) throw new Errno('EBUSY');
    if (uuid !== '' && [...this.byName.values()].some((d) => d.uuid === uuid)) throw new Errno('EBUSY');
    const used = new Set([...this.byName.values()].map((d) => d.minor));
    let m = 0;
    while (used.has(m)) m++;
    if (m >= DM_MAX_DEVICES) throw new Errno('ENXIO');
    this.dmMajor ??= this.kernel.allocBlockMajor('device-mapper');
    const dev = new DmDevice(this.host.env, this.dmMajor, m, name, uuid, this.host.nextDiskseq());
    dev.readOnlyFlag = readOnly;
    this.host.addVirtualDisk(dev);
    const p = dev.sysfsPath;
    this.kernel.sysfs.value(`${p}/dm/name`, () => dev.dmName);
    this.kernel.sysfs.value(`${p}/dm/uuid`, () => dev.uuid);
    this.kernel.sysfs.value(`${p}/dm/suspended`, () => (dev.suspended ? 1 : 0));
    this.kernel.sysfs.value(`${p}/dm/use_blk_mq`, () => 0);
    if (this.host.haveDev()) this.kernel.createSymlink(`/dev/mapper/${name}`, `../${dev.name}`);
    this.byName.set(name, dev);
    return dev;
  }

  private devRemove(dev: DmDevice): void {
    if (dev.opens > 0 || dev.claimed) throw new Errno('EBUSY');
    dev.dead = true;
    dev.failHeld();
    this.drop(dev, dev.live);
    if (dev.inactive !== undefined) for (const t of dev.inactive) t.slave.release(DM_HOLDER);
    dev.inactive = undefined;
    this.host.removeVirtualDisk(dev);
    if (this.host.haveDev()) this.kernel.removeNode(`/dev/mapper/${dev.dmName}`);
    this.byName.delete(dev.dmName);
  }

  // Releases a table's claims and its slaves/holders links.
  private drop(dev: DmDevice, table: readonly DmTarget[]): void {
    for (const t of table) t.slave.release(DM_HOLDER);
    for (const s of new Set(table.map((t) => t.slave))) unlinkHolder(this.kernel.sysfs, dev, s);
  }

  private load(dev: DmDevice, targets: DmTarget[]): void {
    if (targets.length === 0 || targets.length > DM_MAX_TARGETS) throw new Errno('EINVAL');
    const blockSectors = Math.max(...targets.map((t) => t.slave.limits.logicalBlockSize)) / SECTOR_SIZE;
    let next = 0;
    for (const t of targets) {
      const ok = [t.start, t.length, t.offset].every((v) => Number.isSafeInteger(v) && v >= 0) && t.length > 0 && t.start === next;
      if (!ok || t.slave === dev || t.offset + t.length > t.slave.capacity) throw new Errno('EINVAL');
      if (t.start % blockSectors !== 0 || t.length % blockSectors !== 0 || t.offset % blockSectors !== 0) throw new Errno('EINVAL');
      next += t.length;
    }
    const claimed: BlockNode[] = [];
    try {
      for (const t of targets) {
        t.slave.claim(DM_HOLDER);
        claimed.push(t.slave);
      }
    } catch (e) {
      for (const s of claimed) s.release(DM_HOLDER);
      throw e;
    }
    if (dev.inactive !== undefined) for (const t of dev.inactive) t.slave.release(DM_HOLDER);
    dev.inactive = targets;
  }

  private resume(dev: DmDevice): void {
    const before = dev.capacity;
    const old = dev.swapTable();
    if (old !== undefined) {
      this.drop(dev, old);
      for (const s of new Set(dev.live.map((t) => t.slave))) linkHolder(this.kernel.sysfs, dev, s);
      if (dev.capacity !== before) this.host.env.log(`${dev.name}: detected capacity change from ${before} to ${dev.capacity}`);
    }
    dev.resume();
  }

  private parseTargets(specs: unknown): DmTarget[] {
    if (!Array.isArray(specs) || specs.length > DM_MAX_TARGETS) throw new Errno('EINVAL');
    return specs.map((raw: unknown): DmTarget => {
      const s = raw as Partial<DmTargetSpec> | null;
      if (s === null || typeof s !== 'object' || typeof s.type !== 'string' || typeof s.params !== 'string') throw new Errno('EINVAL');
      if (s.type !== 'linear') throw new Errno('EINVAL', `unknown target type ${s.type}`);
      const [devText = '', offText = '', ...rest] = s.params.trim().split(/\s+/);
      if (rest.length > 0 || !/^\d+$/.test(offText)) throw new Errno('EINVAL');
      const mm = /^(\d+):(\d+)$/.exec(devText);
      const devt = mm !== null ? makedev(Number(mm[1]), Number(mm[2])) : this.host.resolvePath(devText);
      return { start: Number(s.start), length: Number(s.length), slave: this.slave(devt), offset: Number(offText) };
    });
  }

  private flags(dev: DmDevice): number {
    return (dev.readOnlyFlag ? DM_READONLY_FLAG : 0) | (dev.suspended ? DM_SUSPEND_FLAG : 0) |
      (dev.live.length > 0 ? DM_ACTIVE_PRESENT_FLAG : 0) | (dev.inactive !== undefined ? DM_INACTIVE_PRESENT_FLAG : 0);
  }

  private fill(a: DmIoctlArg, dev: DmDevice): number {
    a.dev = dev.dev;
    a.flags = this.flags(dev);
    a.targetCount = dev.live.length;
    a.openCount = dev.opens;
    return 0;
  }

  private ioctl(request: number, a: DmIoctlArg): number {
    switch (request) {
      case DM_VERSION:
        a.version = [...DM_INTERFACE_VERSION];
        return 0;
      case DM_REMOVE_ALL:
        for (const d of this.list()) if (d.opens === 0 && !d.claimed) this.devRemove(d);
        return 0;
      case DM_LIST_DEVICES:
        a.names = this.list().map((d) => ({ name: d.dmName, dev: d.dev }));
        return 0;
      case DM_DEV_CREATE: {
        if (typeof a.name !== 'string') throw new Errno('EINVAL');
        const uuid = typeof a.uuid === 'string' ? a.uuid : '';
        return this.fill(a, this.devCreate(a.name, uuid, ((a.flags ?? 0) & DM_READONLY_FLAG) !== 0));
      }
      case DM_DEV_REMOVE:
        this.devRemove(this.named(a.name));
        return 0;
      case DM_DEV_SUSPEND: {
        const dev = this.named(a.name);
        if (((a.flags ?? 0) & DM_SUSPEND_FLAG) !== 0) dev.suspended = true;
        else this.resume(dev);
        return this.fill(a, dev);
      }
      case DM_DEV_STATUS:
        return this.fill(a, this.named(a.name));
      case DM_TABLE_LOAD: {
        const dev = this.named(a.name);
        this.load(dev, this.parseTargets(a.targets));
        return this.fill(a, dev);
      }
      case DM_TABLE_CLEAR: {
        const dev = this.named(a.name);
        if (dev.inactive !== undefined) for (const t of dev.inactive) t.slave.release(DM_HOLDER);
        dev.inactive = undefined;
        return this.fill(a, dev);
      }
      case DM_TABLE_DEPS: {
        const dev = this.named(a.name);
        a.deps = [...new Set(dev.live.map((t) => t.slave.dev))];
        return this.fill(a, dev);
      }
      case DM_TABLE_STATUS: {
        const dev = this.named(a.name);
        const table = ((a.flags ?? 0) & DM_STATUS_TABLE_FLAG) !== 0;
        a.targets = dev.live.map((t) => ({
          start: t.start, length: t.length, type: 'linear',
          params: table ? `${major(t.slave.dev)}:${minor(t.slave.dev)} ${t.offset}` : '',
        }));
        return this.fill(a, dev);
      }
      default:
        throw new Errno('ENOTTY');
    }
  }

  private controlOps(): DeviceOps {
    return {
      ioctl: (file: OpenFile, request: number, arg: IoctlArg): number => {
        if (!isRoot(file.opener.cred)) throw new Errno('EACCES');
        if (typeof arg !== 'object' || arg === null || arg instanceof Uint8Array) throw new Errno('EFAULT');
        return this.ioctl(request, arg as DmIoctlArg);
      },
    };
  }
}
