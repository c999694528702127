/**
 * What a disk controller model reads and writes: a disk image of whole 512-byte sectors.
 * Controllers (virtio-blk, scsi-hd, ide-hd, AHCI) share it, as QEMU's device models share
 * a BlockBackend, and count what reached the medium so tests can see the hardware effect.
 */

/** Bytes per sector of every image. */
export const DISK_SECTOR_SIZE = 512;

/** Counters of what reached the medium. */
export interface DiskImageStats {
  /** Sectors read. */
  readSectors: number;
  /** Sectors written. */
  writtenSectors: number;
  /** Discard requests. */
  discards: number;
  /** Sectors discarded. */
  discardedSectors: number;
  /** Flushes. */
  flushes: number;
}

/** A disk image. Out-of-range accesses throw RangeError; callers check bounds first and report their own error. */
export interface DiskImage {
  /** Size in sectors. */
  readonly sectors: number;
  /** Read-only medium. */
  readonly readOnly: boolean;
  /** Reads `count` sectors from `sector`. */
  read(sector: number, count: number): Uint8Array;
  /** Writes whole sectors at `sector`. */
  write(sector: number, data: Uint8Array): void;
  /** Forgets the contents of a range (reads back as zeros). */
  discard(sector: number, count: number): void;
  /** Makes written data durable. */
  flush(): void;
  /** Counters. */
  stats(): DiskImageStats;
}

/** Throws RangeError unless [sector, sector+count) lies inside an image of `sectors`. */
export function checkDiskRange(sectors: number, sector: number, count: number): void {
  if (!Number.isInteger(sector) || !Number.isInteger(count) || sector < 0 || count < 0 || sector + count > sectors) {
    throw new RangeError(`sectors ${sector}+${count} outside a disk of ${sectors}`);
  }
}

/** Sectors per chunk of a sparse image: untouched chunks take no memory. */
const CHUNK_SECTORS = 128;

/** An image held in memory, allocated in 64 KiB chunks on first write. */
export class SparseDiskImage implements DiskImage {
  private readonly chunks = new Map<number, Uint8Array>();
  private readonly counters: DiskImageStats = { readSectors: 0, writtenSectors: 0, discards: 0, discardedSectors: 0, flushes: 0 };

  constructor(
    /** Size in sectors. */
    readonly sectors: number,
    /** Read-only medium. */
    readonly readOnly = false,
  ) {
    if (!Number.isInteger(sectors) || sectors < 0) throw new RangeError(`bad disk size ${sectors}`);
  }

  /** Creates an image of `bytes` (rounded up to whole sectors). */
  static ofBytes(bytes: number): SparseDiskImage {
    return new SparseDiskImage(Math.ceil(bytes / DISK_SECTOR_SIZE));
  }

  /** Reads `count` sectors from `sector`. */
  read(sector: number, count: number): Uint8Array {
    checkDiskRange(this.sectors, sector, count);
    const out = new Uint8Array(count * DISK_SECTOR_SIZE);
    this.forEachChunk(sector, count, (chunk, from, len, outOff) => {
      const c = this.chunks.get(chunk);
      if (c !== undefined) out.set(c.subarray(from * DISK_SECTOR_SIZE, (from + len) * DISK_SECTOR_SIZE), outOff * DISK_SECTOR_SIZE);
    });
    this.counters.readSectors += count;
    return out;
  }

  /** Writes whole sectors at `sector`. */
  write(sector: number, data: Uint8Array): void {
    if (data.length % DISK_SECTOR_SIZE !== 0) throw new RangeError('write of a partial sector');
    const count = data.length / DISK_SECTOR_SIZE;
    checkDiskRange(this.sectors, sector, count);
    this.forEachChunk(sector, count, (chunk, from, len, inOff) => {
      let c = this.chunks.get(chunk);
      if (c === undefined) this.chunks.set(chunk, (c = new Uint8Array(CHUNK_SECTORS * DISK_SECTOR_SIZE)));
      c.set(data.subarray(inOff * DISK_SECTOR_SIZE, (inOff + len) * DISK_SECTOR_SIZE), from * DISK_SECTOR_SIZE);
    });
    this.counters.writtenSectors += count;
  }

  /** Zeroes a range, dropping chunks it covers wholly. */
  discard(sector: number, count: number): void {
    checkDiskRange(this.sectors, sector, count);
    this.forEachChunk(sector, count, (chunk, from, len) => {
      const c = this.chunks.get(chunk);
      if (c === undefined) return;
      if (from === 0 && len === CHUNK_SECTORS) this.chunks.delete(chunk);
      else c.fill(0, from * DISK_SECTOR_SIZE, (from + len) * DISK_SECTOR_SIZE);
    });
    this.counters.discards++;
    this.counters.discardedSectors += count;
  }

  /** Nothing to make durable in memory; counted. */
  flush(): void {
    this.counters.flushes++;
  }

  /** Counters. */
  stats(): DiskImageStats {
    return { ...this.counters };
  }

  /** Bytes of memory holding data. */
  residentBytes(): number {
    return this.chunks.size * CHUNK_SECTORS * DISK_SECTOR_SIZE;
  }

  private forEachChunk(sector: number, count: number, fn: (chunk: number, from: number, len: number, offset: number) => void): void {
    let s = sector;
    while (s < sector + count) {
      const chunk = Math.floor(s / CHUNK_SECTORS);
      const from = s - chunk * CHUNK_SECTORS;
      const len = Math.min(CHUNK_SECTORS - from, sector + count - s);
      fn(chunk, from, len, s - sector);
      s += len;
    }
  }
}
