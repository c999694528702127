/**
 * sd, the SCSI disk driver: when the scan finds a direct-access unit it takes the next name
 * (sda, sdb, ... one sequence per kernel), reads capacity (READ CAPACITY(16), falling back to
 * (10)), the VPD pages that say how big a request and an UNMAP may be and whether UNMAP is
 * supported, and the caching mode page, then registers the disk with the block layer under
 * the unit's /sys directory. Bios become READ(16)/WRITE(16), SYNCHRONIZE CACHE(10) and UNMAP.
 */
import {
  ILLEGAL_REQUEST,
  MODE_CACHING_WCE,
  MODE_DSP_WP,
  MODE_HEADER_6_SIZE,
  MODE_PAGE_CACHING,
  RC16_BLOCK_LENGTH,
  RC16_LAST_LBA,
  RC16_LBP,
  RC16_LBPME,
  READ_CAPACITY_10_OVERFLOW,
  READ_CAPACITY_10_SIZE,
  READ_CAPACITY_16_SIZE,
  SAM_STAT_GOOD,
  TYPE_DISK,
  VPD_BLOCK_LIMITS,
  VPD_BL_MAX_TRANSFER,
  VPD_BL_MAX_UNMAP_LBA_COUNT,
  VPD_BL_UNMAP_GRANULARITY,
  VPD_HEADER_SIZE,
  VPD_LBP,
  VPD_LBP_FLAGS,
  VPD_LBP_LBPU,
  VPD_SUPPORTED_PAGES,
  getBe,
  getBe64,
} from '../../../abi/scsi.js';
import type { ErrnoCode } from '../../kernel/errno.js';
import type { Kernel } from '../../kernel/index.js';
import type { Bio, BlockDriver } from '../../kernel/block/types.js';
import { formatDiskSize, registerDisk } from '../block-port.js';
import { diskName, KernelCounters } from '../disk-names.js';
import {
  inquiryCdb,
  modeSense6Cdb,
  readCapacity10Cdb,
  readCapacity16Cdb,
  rw16Cdb,
  syncCacheCdb,
  testUnitReadyCdb,
  unmapCommand,
} from './cdb.js';
import { senseKey, type ScsiDeviceInfo, type ScsiHost } from './host.js';
import type { ScsiResult } from './types.js';

/** Peripheral types sd takes. */
export const SD_DEVICE_TYPES: readonly number[] = [TYPE_DISK];
/** Minors per disk (the disk and 15 partitions). */
export const SD_MINORS = 16;
/** Disks sd can name with the classic majors (8, 65-71, 128-135). */
export const SD_MAX_DISKS = 256;
/** Linux's cap on one UNMAP when the device gives none (SD_MAX_WS16_BLOCKS). */
export const SD_MAX_UNMAP_BLOCKS = 0x7f_ffff;
/** Allocation for VPD pages and the caching mode page. */
const SD_VPD_ALLOC = 64;
/** Allocation for MODE SENSE(6) of the caching page. */
const SD_MODE_ALLOC = 32;

/** The major of sd index `i` (16 disks per major). */
export function sdMajor(index: number): number {
  const m = index >> 4;
  if (m === 0) return 8;
  if (m < 8) return 64 + m;
  return 128 + m - 8;
}

const counters = new KernelCounters();
const disksByKernel = new WeakMap<Kernel, SdDisk[]>();

/** The sd disks of a kernel, in attach order. */
export function sdDisks(kernel: Kernel): readonly SdDisk[] {
  return disksByKernel.get(kernel) ?? [];
}

/** What sd learned about a disk. */
export interface SdGeometry {
  /** Logical block size. */
  blockSize: number;
  /** Logical blocks. */
  blocks: number;
  /** READ CAPACITY(16) said LBPME. */
  lbpme: boolean;
  /** The LBP page said UNMAP works. */
  lbpu: boolean;
  /** Largest READ/WRITE in blocks (0 = no limit given). */
  maxTransferBlocks: number;
  /** Largest UNMAP in blocks (0 = no limit given). */
  maxUnmapBlocks: number;
  /** Unmap granularity in blocks. */
  unmapGranularity: number;
  /** Write cache enabled. */
  writeCache: boolean;
  /** Write protected. */
  readOnly: boolean;
}

/** An attached SCSI disk. */
export class SdDisk implements BlockDriver {
  /** "[sda]"-style prefix of log lines. */
  private readonly tag: string;

  /** A disk named `name` on `dev` of `host`. */
  constructor(
    readonly host: ScsiHost,
    readonly dev: ScsiDeviceInfo,
    readonly name: string,
    readonly index: number,
    readonly geometry: SdGeometry,
  ) {
    this.tag = `sd ${dev.host}:${dev.channel}:${dev.id}:${dev.lun}: [${name}]`;
  }

  /** Capacity in 512-byte sectors. */
  get capacity(): number {
    return (this.geometry.blocks * this.geometry.blockSize) / 512;
  }

  /** UNMAP is used for discards. */
  get discardSupported(): boolean {
    return this.geometry.lbpme && this.geometry.lbpu;
  }

  /** Blocks per READ/WRITE command. */
  get maxBlocksPerCommand(): number {
    const g = this.geometry;
    const byHost = Math.max(1, Math.floor(this.host.maxTransferBytes / g.blockSize));
    return g.maxTransferBlocks > 0 ? Math.min(g.maxTransferBlocks, byHost) : byHost;
  }

  /** BlockDriver: a bio becomes one or more commands. */
  submit(bio: Bio): void {
    const g = this.geometry;
    const perBlock = g.blockSize / 512;
    if (bio.op === 'flush') return this.run(bio, [{ cdb: syncCacheCdb(), dir: 'none' }]);
    if (bio.sector % perBlock !== 0 || bio.count % perBlock !== 0) return this.endLater(bio, 'EINVAL');
    const lba = bio.sector / perBlock;
    const blocks = bio.count / perBlock;
    if (bio.op === 'discard') {
      if (!this.discardSupported) return this.endLater(bio, 'EOPNOTSUPP');
      const max = g.maxUnmapBlocks || SD_MAX_UNMAP_BLOCKS;
      const cmds: Cmd[] = [];
      for (let d = 0; d < blocks; d += max) {
        const u = unmapCommand(lba + d, Math.min(max, blocks - d));
        cmds.push({ cdb: u.cdb, dir: 'to-device', data: u.params });
      }
      return this.run(bio, cmds, true);
    }
    if (!bio.data || bio.data.length < bio.count * 512) return this.endLater(bio, 'EINVAL');
    const max = this.maxBlocksPerCommand;
    const cmds: Cmd[] = [];
    for (let d = 0; d < blocks; d += max) {
      const n = Math.min(max, blocks - d);
      const data = bio.data.subarray(d * g.blockSize, (d + n) * g.blockSize);
      cmds.push({ cdb: rw16Cdb(bio.op === 'write', lba + d, n), dir: bio.op === 'write' ? 'to-device' : 'from-device', data, expect: n * g.blockSize });
    }
    this.run(bio, cmds);
  }

  /** Issues `cmds` together; the bio ends when all have, with the first error. */
  private run(bio: Bio, cmds: Cmd[], discard = false): void {
    if (cmds.length === 0) return this.endLater(bio, undefined);
    let left = cmds.length;
    let error: ErrnoCode | undefined;
    for (const c of cmds) {
      this.host.execute(this.dev, c.cdb, c.dir, c.data, (r) => {
        error ??= resultError(r, c.expect, discard);
        if (--left === 0) bio.end(error);
      });
    }
  }

  private endLater(bio: Bio, error: ErrnoCode | undefined): void {
    this.host.kernel.sched.after(0, 'sd end', () => bio.end(error));
  }

  /** Kernel log line about this disk. */
  log(line: string): void {
    this.host.log(`${this.tag} ${line}`);
  }
}

interface Cmd {
  cdb: Uint8Array;
  dir: 'none' | 'to-device' | 'from-device';
  data?: Uint8Array;
  expect?: number;
}

function resultError(r: ScsiResult, expect: number | undefined, discard: boolean): ErrnoCode | undefined {
  if (r.hostError !== undefined) return 'EIO';
  if (r.status !== SAM_STAT_GOOD) return discard && senseKey(r.sense) === ILLEGAL_REQUEST ? 'EOPNOTSUPP' : 'EIO';
  if (expect !== undefined && r.transferred < expect) return 'EIO';
  return undefined;
}

/**
 * Revalidates a new disk unit (capacity, limits, cache) and registers it as the next sdX;
 * `done` runs afterwards whether or not the disk could be attached.
 */
export function sdProbe(host: ScsiHost, dev: ScsiDeviceInfo, done: () => void): void {
  const kernel = host.kernel;
  const index = counters.next(kernel, 'sd');
  const hctl = `${dev.host}:${dev.channel}:${dev.id}:${dev.lun}`;
  if (index >= SD_MAX_DISKS) {
    host.log(`sd ${hctl}: no sd index left`);
    done();
    return;
  }
  const name = diskName('sd', index);
  const g: SdGeometry = { blockSize: 512, blocks: 0, lbpme: false, lbpu: false, maxTransferBlocks: 0, maxUnmapBlocks: 0, unmapGranularity: 1, writeCache: false, readOnly: false };
  const exec = (cdb: Uint8Array, alloc: number, cb: (ok: boolean, buf: Uint8Array) => void): void => {
    const buf = new Uint8Array(alloc);
    host.execute(dev, cdb, alloc > 0 ? 'from-device' : 'none', alloc > 0 ? buf : undefined, (r) => cb(r.hostError === undefined && r.status === SAM_STAT_GOOD, buf.subarray(0, r.transferred)));
  };
  const fail = (why: string): void => {
    host.log(`sd ${hctl}: [${name}] ${why}`);
    done();
  };

  const capacity16 = (): void =>
    exec(readCapacity16Cdb(READ_CAPACITY_16_SIZE), READ_CAPACITY_16_SIZE, (ok, b) => {
      if (!ok || b.length < READ_CAPACITY_16_SIZE - 16) return capacity10();
      g.blocks = getBe64(b, RC16_LAST_LBA) + 1;
      g.blockSize = getBe(b, RC16_BLOCK_LENGTH, 4);
      g.lbpme = ((b[RC16_LBP] ?? 0) & RC16_LBPME) !== 0;
      checkBlockSize();
    });
  const capacity10 = (): void =>
    exec(readCapacity10Cdb(), READ_CAPACITY_10_SIZE, (ok, b) => {
      if (!ok || b.length < READ_CAPACITY_10_SIZE) return fail('Read Capacity failed');
      const last = getBe(b, 0, 4);
      if (last === READ_CAPACITY_10_OVERFLOW) return fail('Read Capacity(10) overflow and Read Capacity(16) failed');
      g.blocks = last + 1;
      g.blockSize = getBe(b, 4, 4);
      checkBlockSize();
    });
  const checkBlockSize = (): void => {
    if (g.blockSize < 512 || g.blockSize > 4096 || (g.blockSize & (g.blockSize - 1)) !== 0) return fail(`Unsupported sector size ${g.blockSize}.`);
    vpdPages();
  };
  const vpdPages = (): void =>
    exec(inquiryCdb(SD_VPD_ALLOC, VPD_SUPPORTED_PAGES), SD_VPD_ALLOC, (ok, b) => {
      const pages = ok ? Array.from(b.subarray(VPD_HEADER_SIZE, VPD_HEADER_SIZE + getBe(b, 2, 2))) : [];
      blockLimits(pages);
    });
  const blockLimits = (pages: number[]): void => {
    if (!pages.includes(VPD_BLOCK_LIMITS)) return provisioning(pages);
    exec(inquiryCdb(SD_VPD_ALLOC, VPD_BLOCK_LIMITS), SD_VPD_ALLOC, (ok, b) => {
      if (ok && b.length >= VPD_BL_UNMAP_GRANULARITY + 4) {
        g.maxTransferBlocks = getBe(b, VPD_BL_MAX_TRANSFER, 4);
        g.maxUnmapBlocks = getBe(b, VPD_BL_MAX_UNMAP_LBA_COUNT, 4);
        g.unmapGranularity = Math.max(1, getBe(b, VPD_BL_UNMAP_GRANULARITY, 4));
      }
      provisioning(pages);
    });
  };
  const provisioning = (pages: number[]): void => {
    if (!g.lbpme || !pages.includes(VPD_LBP)) return caching();
    exec(inquiryCdb(SD_VPD_ALLOC, VPD_LBP), SD_VPD_ALLOC, (ok, b) => {
      g.lbpu = ok && ((b[VPD_LBP_FLAGS] ?? 0) & VPD_LBP_LBPU) !== 0;
      caching();
    });
  };
  const caching = (): void =>
    exec(modeSense6Cdb(MODE_PAGE_CACHING, SD_MODE_ALLOC), SD_MODE_ALLOC, (ok, b) => {
      if (ok && b.length >= MODE_HEADER_6_SIZE) {
        g.readOnly = ((b[2] ?? 0) & MODE_DSP_WP) !== 0;
        const page = MODE_HEADER_6_SIZE + (b[3] ?? 0);
        if (((b[page] ?? 0) & 0x3f) === MODE_PAGE_CACHING) g.writeCache = ((b[page + 2] ?? 0) & MODE_CACHING_WCE) !== 0;
      } else {
        host.log(`sd ${hctl}: [${name}] Assuming drive cache: write through`);
      }
      attach();
    });
  const attach = (): void => {
    const disk = new SdDisk(host, dev, name, index, g);
    try {
      registerDisk(kernel, {
        name,
        major: sdMajor(index),
        firstMinor: (index & 0x0f) * SD_MINORS,
        minors: SD_MINORS,
        capacity: disk.capacity,
        limits: {
          logicalBlockSize: g.blockSize,
          maxSectors: (disk.maxBlocksPerCommand * g.blockSize) / 512,
          discard: disk.discardSupported ? { maxSectors: ((g.maxUnmapBlocks || SD_MAX_UNMAP_BLOCKS) * g.blockSize) / 512, granularity: g.unmapGranularity * g.blockSize } : undefined,
          writeCache: g.writeCache,
        },
        readOnly: g.readOnly,
        sysfsParent: dev.sysfsDir,
        driver: disk,
        driverName: 'sd',
      });
    } catch (e) {
      return fail(`not registered: ${e instanceof Error ? e.message : String(e)}`);
    }
    dev.disk = name;
    addSdSysfs(host, dev, disk);
    const list = disksByKernel.get(kernel) ?? [];
    list.push(disk);
    disksByKernel.set(kernel, list);
    disk.log(`${g.blocks} ${g.blockSize}-byte logical blocks: (${formatDiskSize(g.blocks * g.blockSize)})`);
    disk.log(`Write Protect is ${g.readOnly ? 'on' : 'off'}`);
    disk.log(`Write cache: ${g.writeCache ? 'enabled' : 'disabled'}, read cache: enabled, doesn't support DPO or FUA`);
    host.log(`sd ${hctl}: [${name}] Attached SCSI disk`);
    done();
  };
  // A unit that just powered on may answer UNIT ATTENTION first; execute() retries that.
  exec(testUnitReadyCdb(), 0, () => capacity16());
}

function addSdSysfs(host: ScsiHost, dev: ScsiDeviceInfo, disk: SdDisk): void {
  const sysfs = host.kernel.sysfs;
  const hctl = `${dev.host}:${dev.channel}:${dev.id}:${dev.lun}`;
  const cls = `${dev.sysfsDir}/scsi_disk/${hctl}`;
  sysfs.value(`${cls}/cache_type`, () => (disk.geometry.writeCache ? 'write back' : 'write through'));
  sysfs.value(`${cls}/provisioning_mode`, () => (disk.discardSupported ? 'unmap' : 'full'));
  sysfs.value(`${cls}/thin_provisioning`, () => (disk.geometry.lbpme ? 1 : 0));
  sysfs.value(`${cls}/FUA`, () => 0);
  sysfs.link(`${cls}/subsystem`, '/class/scsi_disk');
  sysfs.link(`/class/scsi_disk/${hctl}`, cls);
  sysfs.link(`${dev.sysfsDir}/driver`, '/bus/scsi/drivers/sd');
  sysfs.link(`/bus/scsi/drivers/sd/${hctl}`, dev.sysfsDir);
}
