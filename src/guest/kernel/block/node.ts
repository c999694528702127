/**
 * What disks, partitions and dm devices have in common: a dev_t and name, I/O counters,
 * open and claim bookkeeping, a sysfs directory, and the checks every bio goes through
 * before it is passed on (range, buffer size, alignment, read-only, discard support).
 */
import type { Nanos } from '../../../core/scheduler.js';
import { Errno, type ErrnoCode } from '../errno.js';
import { makedev } from '../constants.js';
import { IoStats } from './stats.js';
import { SECTOR_SIZE, type Bio, type BlockDevice, type QueueLimits } from './types.js';

/** What block devices need from the kernel. */
export interface BlockEnv {
  /** Virtual time. */
  now(): Nanos;
  /** Runs `fn` as a fresh scheduler event (completions never run inside submit). */
  defer(label: string, fn: () => void): void;
  /** A kernel log line. */
  log(msg: string): void;
}

/** A block device of any kind. */
export abstract class BlockNode implements BlockDevice {
  /** I/O counters (/proc/diskstats, sysfs stat). */
  readonly stats = new IoStats();
  /** Files open on its device node. */
  opens = 0;
  /** Set once the device is gone: new bios fail with EIO, opens with ENXIO. */
  dead = false;
  private readonly claims = new Map<string, number>();

  constructor(
    /** Kernel services. */
    protected readonly env: BlockEnv,
    /** Kernel name. */
    readonly name: string,
    /** Major number. */
    readonly major: number,
    /** Minor number. */
    readonly minor: number,
  ) {}

  /** Encoded dev_t. */
  get dev(): number {
    return makedev(this.major, this.minor);
  }

  /** "major:minor". */
  get devString(): string {
    return `${this.major}:${this.minor}`;
  }

  /** Capacity in 512-byte sectors. */
  abstract get capacity(): number;
  /** Queue limits. */
  abstract get limits(): QueueLimits;
  /** Read-only. */
  abstract get readOnly(): boolean;
  /** Its sysfs directory. */
  abstract get sysfsPath(): string;
  /** Queues a request relative to this device. */
  abstract submit(bio: Bio): void;

  /** Claims exclusive use for `holder` (the same holder may claim again). */
  claim(holder: string): void {
    if (this.dead) throw new Errno('ENXIO');
    if (this.claims.size > 0 && !this.claims.has(holder)) throw new Errno('EBUSY');
    this.claims.set(holder, (this.claims.get(holder) ?? 0) + 1);
  }

  /** Drops one claim of `holder`. */
  release(holder: string): void {
    const n = this.claims.get(holder);
    if (n === undefined) return;
    if (n <= 1) this.claims.delete(holder);
    else this.claims.set(holder, n - 1);
  }

  /** True while someone holds a claim. */
  get claimed(): boolean {
    return this.claims.size > 0;
  }

  /** Completes a bio with an error from a fresh event. */
  protected fail(bio: Bio, err: ErrnoCode): void {
    this.env.defer(`${this.name} bio error`, () => bio.end(err));
  }

  /** Why a bio cannot be accepted by this device, or undefined when it can. */
  protected check(bio: Bio): ErrnoCode | undefined {
    if (this.dead) return 'EIO';
    const { sector, count } = bio;
    if (!Number.isSafeInteger(sector) || !Number.isSafeInteger(count) || sector < 0 || count < 0) return 'EINVAL';
    if (bio.op === 'flush') return undefined;
    if (count === 0) return 'EINVAL';
    if (sector + count > this.capacity) return 'EIO';
    const blockSectors = this.limits.logicalBlockSize / SECTOR_SIZE;
    if (sector % blockSectors !== 0 || count % blockSectors !== 0) return 'EINVAL';
    if (bio.op === 'read' || bio.op === 'write') {
      if (bio.data === undefined || bio.data.length < count * SECTOR_SIZE) return 'EINVAL';
    }
    if (bio.op !== 'read' && this.readOnly) return 'EROFS';
    if (bio.op === 'discard' && this.limits.discard === undefined) return 'EOPNOTSUPP';
    return undefined;
  }
}

/** A bio for part of `parent`: `count` sectors at `sector`, data from `offset` sectors into the parent's. */
export function childBio(parent: Bio, sector: number, count: number, offset: number, end: (err?: ErrnoCode) => void): Bio {
  const data = parent.data?.subarray(offset * SECTOR_SIZE, (offset + count) * SECTOR_SIZE);
  return { op: parent.op, sector, count, ...(data !== undefined ? { data } : {}), end };
}

/** An end() that completes `parent` once `n` children have, with the first error seen. */
export function fanIn(parent: Bio, n: number): (err?: ErrnoCode) => void {
  let left = n;
  let first: ErrnoCode | undefined;
  return (err) => {
    if (err !== undefined && first === undefined) first = err;
    if (--left === 0) parent.end(first);
  };
}

/** Wraps a bio so its issue and completion are counted on every node of `nodes`. */
export function accounted(bio: Bio, nodes: readonly BlockNode[], env: BlockEnv): Bio {
  const t0 = env.now();
  for (const n of nodes) n.stats.start(bio.op, t0);
  return {
    op: bio.op,
    sector: bio.sector,
    count: bio.count,
    ...(bio.data !== undefined ? { data: bio.data } : {}),
    end: (err) => {
      const now = env.now();
      for (const n of nodes) n.stats.done(bio.op, bio.op === 'flush' ? 0 : bio.count, t0, now);
      bio.end(err);
    },
  };
}
