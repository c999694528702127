/**
 * A window onto part of a disk image, so host tools that format one partition (mkswap,
 * mkfs) can address it from sector 0 the way the guest sees /dev/vda1.
 */
import { DISK_SECTOR_SIZE, checkDiskRange, type DiskImage, type DiskImageStats } from '../../devices/block/disk-image.js';

/** The sectors [start, start+sectors) of `image` as an image of their own. */
export class DiskImageSlice implements DiskImage {
  constructor(
    private readonly image: DiskImage,
    /** First sector of the window in the underlying image. */
    readonly start: number,
    /** Size of the window in sectors. */
    readonly sectors: number,
  ) {
    checkDiskRange(image.sectors, start, sectors);
  }

  /** Read-only when the underlying image is. */
  get readOnly(): boolean {
    return this.image.readOnly;
  }

  /** Reads `count` sectors from `sector` of the window. */
  read(sector: number, count: number): Uint8Array {
    checkDiskRange(this.sectors, sector, count);
    return this.image.read(this.start + sector, count);
  }

  /** Writes whole sectors at `sector` of the window. */
  write(sector: number, data: Uint8Array): void {
    checkDiskRange(this.sectors, sector, Math.ceil(data.length / DISK_SECTOR_SIZE));
    this.image.write(this.start + sector, data);
  }

  /** Discards a range of the window. */
  discard(sector: number, count: number): void {
    checkDiskRange(this.sectors, sector, count);
    this.image.discard(this.start + sector, count);
  }

  /** Flushes the underlying image. */
  flush(): void {
    this.image.flush();
  }

  /** The underlying image's counters. */
  stats(): DiskImageStats {
    return this.image.stats();
  }
}
