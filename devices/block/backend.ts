/**
 * What a disk controller model talks to (QEMU's BlockBackend): a drive's image plus the
 * -drive policy around it — read-only, whether guest discards reach the image
 * (`discard=unmap|ignore`), and the cache mode that decides the write cache the guest sees
 * and whether flushes reach the host. Every operation returns a result instead of throwing,
 * so a controller can turn it into its own status without try/catch.
 */
import { DISK_SECTOR_SIZE, type DiskImage, type DiskImageStats } from './disk-image.js';

/** What happens to guest discards. */
export type DiscardMode = 'ignore' | 'unmap';
/** QEMU's -drive cache= modes. */
export type CacheMode = 'writeback' | 'none' | 'writethrough' | 'directsync' | 'unsafe';
/** Every cache mode, for option parsing. */
export const CACHE_MODES: readonly CacheMode[] = ['writeback', 'none', 'writethrough', 'directsync', 'unsafe'];

/** Why an operation failed. */
export type BlockError = 'read-only' | 'out-of-range' | 'no-medium' | 'io-error';
/** Outcome of a write, discard, zeroing or flush. */
export type BlockResult = { ok: true } | { ok: false; error: BlockError };
/** Outcome of a read. */
export type BlockReadResult = { ok: true; data: Uint8Array } | { ok: false; error: BlockError };

/** Largest zero-fill a write-zeroes request builds at once. */
export const ZERO_FILL_CHUNK_SECTORS = 2048;

/** How a backend is set up. */
export interface BlockBackendOptions {
  /** Drive id (`-drive id=`). */
  id: string;
  /** The medium; null for an empty drive. */
  image: DiskImage | null;
  /** `readonly=on` (or media=cdrom). */
  readOnly: boolean;
  /** `discard=` (default here: unmap). */
  discard: DiscardMode;
  /** `cache=` (default writeback). */
  cache: CacheMode;
}

const OK: BlockResult = { ok: true };

/** A drive as a device model sees it. */
export class BlockBackend {
  /** Drive id. */
  readonly id: string;
  /** The medium, if any. */
  readonly image: DiskImage | null;
  /** Writes are refused. */
  readonly readOnly: boolean;
  /** Guest discards reach the image only with 'unmap'. */
  readonly discardMode: DiscardMode;
  /** Cache mode. */
  readonly cache: CacheMode;
  /** Write cache as the guest sees it; devices with a writable cache bit change it. */
  writeCacheEnabled: boolean;
  /** Discards the guest sent that were dropped by discard=ignore. */
  ignoredDiscards = 0;

  /** Wraps `opts.image` with the drive's policy. */
  constructor(opts: BlockBackendOptions) {
    this.id = opts.id;
    this.image = opts.image;
    this.readOnly = opts.readOnly || (opts.image?.readOnly ?? false);
    this.discardMode = opts.discard;
    this.cache = opts.cache;
    this.writeCacheEnabled = opts.cache !== 'writethrough' && opts.cache !== 'directsync';
  }

  /** Whether a medium is present. */
  get inserted(): boolean {
    return this.image !== null;
  }

  /** Capacity in 512-byte sectors (0 without a medium). */
  get sectors(): number {
    return this.image?.sectors ?? 0;
  }

  /** True when [sector, sector+count) lies on the medium. */
  inRange(sector: number, count: number): boolean {
    return Number.isSafeInteger(sector) && Number.isSafeInteger(count) && sector >= 0 && count >= 0 && sector + count <= this.sectors;
  }

  /** Reads whole sectors. */
  read(sector: number, count: number): BlockReadResult {
    const img = this.image;
    if (!img) return { ok: false, error: 'no-medium' };
    if (!this.inRange(sector, count)) return { ok: false, error: 'out-of-range' };
    return this.guard(() => ({ ok: true, data: img.read(sector, count) }));
  }

  /** Writes whole sectors; with the write cache off it is flushed at once (write-through). */
  write(sector: number, data: Uint8Array): BlockResult {
    const img = this.image;
    if (!img) return { ok: false, error: 'no-medium' };
    if (this.readOnly) return { ok: false, error: 'read-only' };
    if (data.length % DISK_SECTOR_SIZE !== 0 || !this.inRange(sector, data.length / DISK_SECTOR_SIZE)) return { ok: false, error: 'out-of-range' };
    return this.guard(() => {
      img.write(sector, data);
      if (!this.writeCacheEnabled && this.cache !== 'unsafe') img.flush();
      return OK;
    });
  }

  /** Guest discard: reaches the image with discard=unmap, succeeds silently with ignore. */
  discard(sector: number, count: number): BlockResult {
    const img = this.image;
    if (!img) return { ok: false, error: 'no-medium' };
    if (this.readOnly) return { ok: false, error: 'read-only' };
    if (!this.inRange(sector, count)) return { ok: false, error: 'out-of-range' };
    if (count === 0) return OK;
    if (this.discardMode === 'ignore') {
      this.ignoredDiscards++;
      return OK;
    }
    return this.guard(() => {
      img.discard(sector, count);
      return OK;
    });
  }

  /** Zeroes a range; with `mayUnmap` and discard=unmap the image may drop it instead. */
  writeZeroes(sector: number, count: number, mayUnmap: boolean): BlockResult {
    const img = this.image;
    if (!img) return { ok: false, error: 'no-medium' };
    if (this.readOnly) return { ok: false, error: 'read-only' };
    if (!this.inRange(sector, count)) return { ok: false, error: 'out-of-range' };
    if (count === 0) return OK;
    if (mayUnmap && this.discardMode === 'unmap') return this.guard(() => (img.discard(sector, count), OK));
    return this.guard(() => {
      for (let s = sector; s < sector + count; s += ZERO_FILL_CHUNK_SECTORS) {
        const n = Math.min(ZERO_FILL_CHUNK_SECTORS, sector + count - s);
        img.write(s, new Uint8Array(n * DISK_SECTOR_SIZE));
      }
      return OK;
    });
  }

  /** Guest flush; cache=unsafe drops it, as QEMU's cache.no-flush does. */
  flush(): BlockResult {
    const img = this.image;
    if (!img) return { ok: false, error: 'no-medium' };
    if (this.cache === 'unsafe') return OK;
    return this.guard(() => {
      img.flush();
      return OK;
    });
  }

  /** The image's counters (zeros without a medium). */
  stats(): DiskImageStats {
    return this.image?.stats() ?? { readSectors: 0, writtenSectors: 0, discards: 0, discardedSectors: 0, flushes: 0 };
  }

  /** A host-side failure of the image becomes an I/O error for the guest, never a crash. */
  private guard<T extends BlockResult | BlockReadResult>(op: () => T): T | { ok: false; error: BlockError } {
    try {
      return op();
    } catch {
      return { ok: false, error: 'io-error' };
    }
  }
}
