/**
 * Mounting: the "ext4" and "xfs" filesystem types. mount(2) names a block device node;
 * its device is opened through the block layer, the superblock, bitmaps and root inode
 * are read (the syscall sleeps and is retried while they load), and a second mount of a
 * device already mounted shares its volume, as Linux shares a super_block.
 */
import { SFS_SECTORS_PER_BLOCK, decodeSuperblock, formatUuid, type SfsFlavor, type SfsSuperblock } from '../../../abi/simplefs.js';
import { Errno, WouldBlock } from '../../kernel/errno.js';
import { S_ISBLK } from '../../kernel/constants.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { FileSystemFactory } from '../../kernel/vfs/types.js';
import type { BlockDeviceLike, BlockOpener } from './block-device.js';
import { BufferCache } from './buffer-cache.js';
import { SimpleFs } from './fs.js';
import { MountOptions } from './options.js';

/** The filesystem types this driver registers. */
export const SIMPLEFS_TYPES: readonly SfsFlavor[] = ['ext4', 'xfs'];

interface Pending {
  device: BlockDeviceLike;
  cache: BufferCache;
}

const LOG_NAME: Record<SfsFlavor, string> = { ext4: 'EXT4-fs', xfs: 'XFS' };

/** The driver: one per kernel, tracking mounted volumes by device. */
export class SimplefsDriver {
  private readonly volumes = new Map<number, SimpleFs>();
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly kernel: Kernel,
    private readonly opener: () => BlockOpener | undefined,
  ) {}

  /** The mount(2) factory for one type. */
  factory(type: SfsFlavor): FileSystemFactory {
    return (source, data) => this.mount(type, source, data);
  }

  /** The live volume on a device, if mounted. */
  volume(dev: number): SimpleFs | undefined {
    const v = this.volumes.get(dev);
    return v === undefined || v.isReleased ? undefined : v;
  }

  private log(msg: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', msg);
  }

  // mount(2)'s source must be a block device node (ENOTBLK otherwise, as Linux says).
  private resolveSource(source: string): number {
    const st = this.kernel.vfs.stat(this.kernel.kernelContext(), source, true);
    if (!S_ISBLK(st.mode)) throw new Errno('ENOTBLK');
    return st.rdev;
  }

  /** Mounts (or shares) the volume on `source` as `type`; WouldBlock while it loads. */
  mount(type: SfsFlavor, source: string, data: string): SimpleFs {
    const options = MountOptions.parse(type, data);
    const rdev = this.resolveSource(source);
    const live = this.volumes.get(rdev);
    if (live !== undefined) {
      if (!live.isReleased) {
        if (live.type !== type) throw new Errno('EBUSY');
        return live;
      }
      this.volumes.delete(rdev);
    }
    let p = this.pending.get(rdev);
    if (p === undefined) {
      const opener = this.opener();
      if (opener === undefined) throw new Errno('ENXIO', 'no block layer');
      const device = opener.open(rdev);
      p = { device, cache: new BufferCache(device, Math.floor(device.capacity / SFS_SECTORS_PER_BLOCK)) };
      this.pending.set(rdev, p);
    }
    try {
      return this.load(p, rdev, type, source, options);
    } catch (e) {
      if (!(e instanceof WouldBlock)) this.pending.delete(rdev);
      throw e;
    }
  }

  private load(p: Pending, rdev: number, type: SfsFlavor, source: string, options: MountOptions): SimpleFs {
    const name = p.device.name;
    const sb = decodeSuperblock(p.cache.get(0));
    if (typeof sb === 'string') {
      this.log(`${LOG_NAME[type]} (${name}): VFS: Can't find ${type} filesystem (${sb})`);
      throw new Errno('EINVAL', `no ${type} filesystem on ${source}`);
    }
    if (sb.flavor !== type) throw new Errno('EINVAL', `${source} holds ${sb.flavor}, not ${type}`);
    if (sb.blockCount * SFS_SECTORS_PER_BLOCK > p.device.capacity) {
      this.log(`${LOG_NAME[type]} (${name}): bad geometry: block count ${sb.blockCount} exceeds size of device (${Math.floor(p.device.capacity / SFS_SECTORS_PER_BLOCK)} blocks)`);
      throw new Errno('EINVAL');
    }
    p.cache.blockCount = sb.blockCount;
    p.cache.need(SimpleFs.bootBlocks(sb));
    const holder = `${type}:${source}`;
    p.device.claim?.(holder);
    let fs: SimpleFs;
    try {
      fs = new SimpleFs({
        type, source, device: p.device, cache: p.cache, sb, sched: this.kernel.sched,
        now: () => this.kernel.clock.realtime(), options, log: (m) => this.log(m),
      });
    } catch (e) {
      p.device.release?.(holder);
      throw e;
    }
    this.pending.delete(rdev);
    this.volumes.set(rdev, fs);
    if (p.device.readOnly !== true) {
      sb.mountCount++;
      sb.mountedSec = this.kernel.clock.realtime().sec;
      fs.touchSuper();
    }
    this.logMounted(fs, sb);
    return fs;
  }

  private logMounted(fs: SimpleFs, sb: SfsSuperblock): void {
    const name = fs.device.name;
    if (fs.type === 'xfs') {
      this.log(`XFS (${name}): Mounting V5 Filesystem ${formatUuid(sb.uuid)}`);
      this.log(`XFS (${name}): Ending clean mount`);
    } else {
      this.log(`EXT4-fs (${name}): mounted filesystem ${formatUuid(sb.uuid)} ${fs.device.readOnly === true ? 'ro' : 'r/w'} with ordered data mode. Quota mode: none.`);
    }
  }
}

/** Registers "ext4" and "xfs" with the kernel; `opener` defaults to the kernel's block layer. */
export function registerSimplefs(kernel: Kernel, opener?: BlockOpener): SimplefsDriver {
  const withBlock: { block?: BlockOpener } = kernel as { block?: BlockOpener };
  const driver = new SimplefsDriver(kernel, () => opener ?? withBlock.block);
  for (const t of SIMPLEFS_TYPES) kernel.registerFilesystem(t, driver.factory(t));
  return driver;
}
