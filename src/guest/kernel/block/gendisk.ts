/**
 * Whole disks and their partitions. A disk hands bios to its driver after splitting them
 * to the queue's limits; a partition offsets and bounds-checks bios and passes them to
 * its disk, and both are counted (as Linux counts partition I/O on the disk too).
 */
import { accounted, BlockNode, childBio, fanIn, type BlockEnv } from './node.js';
import type { FoundPartition } from './partitions/types.js';
import { SECTOR_SIZE, type Bio, type GendiskSpec, type QueueLimits } from './types.js';

/** Largest bio the layer sends a driver when its queue claims no smaller limit. */
export const MAX_REQUEST_SECTORS = 2048;

/** A registered whole disk (Linux's gendisk plus its request queue). */
export class Gendisk extends BlockNode {
  /** Partitions by number. */
  readonly partitions = new Map<number, Partition>();
  /** Partition table found by the last scan (undefined: none, or not scanned yet). */
  table: { kind: 'gpt' | 'dos'; uuid: string } | undefined;
  private sectors: number;

  constructor(
    env: BlockEnv,
    /** What the driver registered. */
    readonly spec: GendiskSpec,
    /** Linux's diskseq: a number never reused for another disk. */
    readonly diskseq: number,
  ) {
    super(env, spec.name, spec.major, spec.firstMinor);
    this.sectors = spec.capacity;
  }

  /** Capacity in sectors. */
  get capacity(): number {
    return this.sectors;
  }

  /** The driver's queue limits. */
  get limits(): QueueLimits {
    return this.spec.limits;
  }

  /** Read-only medium. */
  get readOnly(): boolean {
    return this.spec.readOnly === true;
  }

  /** `${sysfsParent}/block/<name>`, or under /devices/virtual/block. */
  get sysfsPath(): string {
    return `${this.spec.sysfsParent ?? '/devices/virtual'}/block/${this.name}`;
  }

  /** Minors reserved for the disk and its partitions. */
  get minorsReserved(): number {
    return this.spec.minors;
  }

  /** Partition numbers this disk has minors for. */
  get maxPartitions(): number {
    return this.spec.minors - 1;
  }

  /** Records a new size (a driver saw the device resized). */
  setCapacity(sectors: number): void {
    if (!Number.isSafeInteger(sectors) || sectors < 0 || sectors === this.sectors) return;
    this.env.log(`${this.name}: detected capacity change from ${this.sectors} to ${sectors}`);
    this.sectors = sectors;
  }

  /** Queues a bio addressed to the whole disk. */
  submit(bio: Bio): void {
    this.dispatch(bio, [this]);
  }

  /**
   * Checks, counts on `nodes`, splits to the queue limits and hands the pieces to the
   * driver. A flush to a disk without a volatile cache completes at once.
   */
  dispatch(bio: Bio, nodes: readonly BlockNode[]): void {
    const err = this.check(bio);
    if (err !== undefined) return this.fail(bio, err);
    if (bio.op === 'flush' && !this.limits.writeCache) {
      this.env.defer(`${this.name} flush`, () => bio.end());
      return;
    }
    const counted = accounted(bio, nodes, this.env);
    const blockSectors = this.limits.logicalBlockSize / SECTOR_SIZE;
    const limit = bio.op === 'discard' ? (this.limits.discard?.maxSectors ?? 0) : this.limits.maxSectors;
    let max = Math.floor(Math.min(limit > 0 ? limit : MAX_REQUEST_SECTORS, Number.MAX_SAFE_INTEGER) / blockSectors) * blockSectors;
    if (max <= 0) max = blockSectors;
    const pieces: Bio[] = [];
    if (bio.op === 'flush' || bio.count <= max) pieces.push(counted);
    else {
      const n = Math.ceil(bio.count / max);
      const end = fanIn(counted, n);
      for (let i = 0; i < n; i++) {
        const len = Math.min(max, bio.count - i * max);
        pieces.push(childBio(counted, bio.sector + i * max, len, i * max, end));
      }
    }
    for (const p of pieces) {
      try {
        this.spec.driver.submit(p);
      } catch (e) {
        // A driver that throws instead of failing the bio must not take the kernel down.
        this.env.log(`${this.name}: driver refused a ${p.op} request: ${String(e)}`);
        this.fail(p, 'EIO');
      }
    }
  }
}

/** One partition of a disk. */
export class Partition extends BlockNode {
  constructor(
    env: BlockEnv,
    /** The disk it belongs to. */
    readonly disk: Gendisk,
    /** What the table says. */
    readonly info: FoundPartition,
    /** Size after clipping to the disk. */
    private readonly sectors: number,
  ) {
    super(env, `${disk.name}${/\d$/.test(disk.name) ? 'p' : ''}${info.number}`, disk.major, disk.minor + info.number);
  }

  /** Partition number. */
  get partno(): number {
    return this.info.number;
  }

  /** First sector on the disk. */
  get start(): number {
    return this.info.start;
  }

  /** Size in sectors. */
  get capacity(): number {
    return this.sectors;
  }

  /** The disk's limits. */
  get limits(): QueueLimits {
    return this.disk.limits;
  }

  /** Read-only when the disk is. */
  get readOnly(): boolean {
    return this.disk.readOnly;
  }

  /** A subdirectory of the disk's sysfs directory. */
  get sysfsPath(): string {
    return `${this.disk.sysfsPath}/${this.name}`;
  }

  /** Offsets the bio onto the disk after checking it against the partition's bounds. */
  submit(bio: Bio): void {
    const err = this.check(bio);
    if (err !== undefined) return this.fail(bio, err);
    const sector = bio.op === 'flush' ? 0 : bio.sector + this.start;
    this.disk.dispatch(childBio(bio, sector, bio.count, 0, (e) => bio.end(e)), [this, this.disk]);
  }
}
