/**
 * A device-mapper device with linear targets: each target maps a range of the dm
 * device onto a range of another block device. Bios are split where they cross target
 * boundaries, flushes go to every device underneath, and while suspended bios wait and
 * are issued on resume. Limits are stacked from the devices underneath.
 */
import { accounted, BlockNode, childBio, fanIn, type BlockEnv } from './node.js';
import { MAX_REQUEST_SECTORS } from './gendisk.js';
import { SECTOR_SIZE, type Bio, type QueueLimits } from './types.js';

/** One linear target of a live or loaded table. */
export interface DmTarget {
  /** First sector of the dm device it covers. */
  start: number;
  /** Sectors covered. */
  length: number;
  /** The device underneath. */
  slave: BlockNode;
  /** Sector on the device underneath where the range begins. */
  offset: number;
}

/** Bios a suspended device holds before further ones fail (a stuck suspend must not eat memory). */
export const DM_MAX_QUEUED_BIOS = 4096;

const EMPTY_LIMITS: QueueLimits = { logicalBlockSize: SECTOR_SIZE, maxSectors: MAX_REQUEST_SECTORS, writeCache: false, rotational: false };

/** Limits of a table: the strictest of its devices (discard only if all of them discard). */
export function stackLimits(targets: readonly DmTarget[]): QueueLimits {
  if (targets.length === 0) return EMPTY_LIMITS;
  const ls = targets.map((t) => t.slave.limits);
  const discards = ls.map((l) => l.discard);
  const allDiscard = discards.every((d) => d !== undefined);
  const lbs = Math.max(...ls.map((l) => l.logicalBlockSize));
  return {
    logicalBlockSize: lbs,
    physicalBlockSize: Math.max(...ls.map((l) => l.physicalBlockSize ?? l.logicalBlockSize)),
    maxSectors: Math.min(...ls.map((l) => l.maxSectors)),
    writeCache: ls.some((l) => l.writeCache),
    rotational: ls.some((l) => l.rotational ?? true),
    ...(allDiscard
      ? { discard: { maxSectors: Math.min(...discards.map((d) => d?.maxSectors ?? 0)), granularity: Math.max(...discards.map((d) => d?.granularity ?? 0)) } }
      : {}),
  };
}

/** A dm device ("dm-0", named "vg0-data"). */
export class DmDevice extends BlockNode {
  /** The table in use. */
  live: DmTarget[] = [];
  /** A loaded table waiting for resume. */
  inactive: DmTarget[] | undefined;
  /** Suspended: bios are held. */
  suspended = false;
  /** Marked read-only at creation. */
  readOnlyFlag = false;
  /** A dm device has no partitions. */
  readonly minorsReserved = 1;
  private liveLimits: QueueLimits = EMPTY_LIMITS;
  private readonly held: Bio[] = [];

  constructor(
    env: BlockEnv,
    major: number,
    minor: number,
    /** The name userspace gave it (dm/name, /dev/mapper/<name>). */
    readonly dmName: string,
    /** Optional UUID (dm/uuid). */
    readonly uuid: string,
    /** Linux's diskseq. */
    readonly diskseq: number,
  ) {
    super(env, `dm-${minor}`, major, minor);
  }

  /** Sum of the live table's lengths. */
  get capacity(): number {
    return this.live.reduce((n, t) => n + t.length, 0);
  }

  /** Stacked limits of the live table. */
  get limits(): QueueLimits {
    return this.liveLimits;
  }

  /** Read-only if created so or if any device underneath is. */
  get readOnly(): boolean {
    return this.readOnlyFlag || this.live.some((t) => t.slave.readOnly);
  }

  /** /devices/virtual/block/dm-N. */
  get sysfsPath(): string {
    return `/devices/virtual/block/${this.name}`;
  }

  /** Makes the loaded table live (on resume); returns the table it replaced. */
  swapTable(): DmTarget[] | undefined {
    if (this.inactive === undefined) return undefined;
    const old = this.live;
    this.live = this.inactive;
    this.inactive = undefined;
    this.liveLimits = stackLimits(this.live);
    return old;
  }

  /** Resumes: held bios are issued against the (possibly new) live table. */
  resume(): void {
    this.suspended = false;
    for (const bio of this.held.splice(0)) this.submit(bio);
  }

  /** Fails everything held (device removal). */
  failHeld(): void {
    for (const bio of this.held.splice(0)) this.fail(bio, 'EIO');
  }

  /** Maps a bio onto the live table. */
  submit(bio: Bio): void {
    if (this.suspended && !this.dead) {
      if (this.held.length >= DM_MAX_QUEUED_BIOS) return this.fail(bio, 'EAGAIN');
      this.held.push(bio);
      return;
    }
    const err = this.check(bio);
    if (err !== undefined) return this.fail(bio, err);
    const counted = accounted(bio, [this], this.env);
    if (bio.op === 'flush') {
      const slaves = [...new Set(this.live.map((t) => t.slave))];
      if (slaves.length === 0) return this.env.defer(`${this.name} flush`, () => counted.end());
      const end = fanIn(counted, slaves.length);
      for (const s of slaves) s.submit({ op: 'flush', sector: 0, count: 0, end });
      return;
    }
    const pieces: { target: DmTarget; from: number; len: number }[] = [];
    for (const t of this.live) {
      const from = Math.max(bio.sector, t.start);
      const to = Math.min(bio.sector + bio.count, t.start + t.length);
      if (from < to) pieces.push({ target: t, from, len: to - from });
    }
    const end = fanIn(counted, pieces.length);
    for (const p of pieces) {
      p.target.slave.submit(childBio(counted, p.target.offset + (p.from - p.target.start), p.len, p.from - bio.sector, end));
    }
  }
}
