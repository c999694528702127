/**
 * A raw disk image in a host file (`-drive file=PATH,format=raw`): the one kind of host I/O
 * the machine does synchronously, because a real disk's latency is not modelled and the
 * virtual clock must not depend on the host's. The size is the file's, in whole sectors.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { DISK_SECTOR_SIZE, checkDiskRange, type DiskImage, type DiskImageStats } from './disk-image.js';

/** Largest single host read or write (and zero-fill chunk): keeps buffers bounded. */
export const FILE_IO_CHUNK_BYTES = 1024 * 1024;

/** strerror() texts for the errors opening an image can meet, as QEMU prints them. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
};

/** An image file could not be opened; the message is QEMU's ("Could not open 'x': ..."). */
export class DiskImageOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskImageOpenError';
  }
}

/** The errno code of a Node fs error, if it has one. */
function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

/** A raw image file opened for the machine's lifetime. */
export class FileDiskImage implements DiskImage {
  /** Size in sectors (the file size rounded down; a partial last sector is not addressable). */
  readonly sectors: number;
  private fd: number | null;
  private readonly counters: DiskImageStats = { readSectors: 0, writtenSectors: 0, discards: 0, discardedSectors: 0, flushes: 0 };

  /** Opens `path` (read-write unless `readOnly`); throws DiskImageOpenError with QEMU's text. */
  constructor(
    /** Host path as given on the command line. */
    readonly path: string,
    /** Read-only medium. */
    readonly readOnly = false,
  ) {
    let fd: number;
    try {
      fd = openSync(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      throw FileDiskImage.openError(path, e);
    }
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      closeSync(fd);
      throw new DiskImageOpenError(`Could not open '${path}': ${STRERROR.EISDIR}`);
    }
    this.fd = fd;
    this.sectors = Math.floor(st.size / DISK_SECTOR_SIZE);
  }

  /** Reads `count` sectors from `sector` (bytes past the end of the file read as zeros). */
  read(sector: number, count: number): Uint8Array {
    checkDiskRange(this.sectors, sector, count);
    const out = new Uint8Array(count * DISK_SECTOR_SIZE);
    const fd = this.handle();
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, Math.min(FILE_IO_CHUNK_BYTES, out.length - done), sector * DISK_SECTOR_SIZE + done);
      if (n === 0) break;
      done += n;
    }
    this.counters.readSectors += count;
    return out;
  }

  /** Writes whole sectors at `sector`. */
  write(sector: number, data: Uint8Array): void {
    if (this.readOnly) throw new RangeError('write to a read-only image');
    if (data.length % DISK_SECTOR_SIZE !== 0) throw new RangeError('write of a partial sector');
    const count = data.length / DISK_SECTOR_SIZE;
    checkDiskRange(this.sectors, sector, count);
    this.writeAt(sector * DISK_SECTOR_SIZE, data);
    this.counters.writtenSectors += count;
  }

  /** A host file cannot drop blocks portably from Node: the range is zeroed instead. */
  discard(sector: number, count: number): void {
    if (this.readOnly) throw new RangeError('discard on a read-only image');
    checkDiskRange(this.sectors, sector, count);
    const zeros = new Uint8Array(Math.min(FILE_IO_CHUNK_BYTES, count * DISK_SECTOR_SIZE));
    let at = sector * DISK_SECTOR_SIZE;
    const end = (sector + count) * DISK_SECTOR_SIZE;
    while (at < end) {
      const n = Math.min(zeros.length, end - at);
      this.writeAt(at, zeros.subarray(0, n));
      at += n;
    }
    this.counters.discards++;
    this.counters.discardedSectors += count;
  }

  /** fdatasync: what QEMU's raw driver does for a guest flush. */
  flush(): void {
    if (!this.readOnly) fdatasyncSync(this.handle());
    this.counters.flushes++;
  }

  /** Counters. */
  stats(): DiskImageStats {
    return { ...this.counters };
  }

  /** Closes the file; later accesses throw. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private handle(): number {
    if (this.fd === null) throw new RangeError(`image '${this.path}' is closed`);
    return this.fd;
  }

  private writeAt(pos: number, data: Uint8Array): void {
    const fd = this.handle();
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, Math.min(FILE_IO_CHUNK_BYTES, data.length - done), pos + done);
  }

  private static openError(path: string, e: unknown): DiskImageOpenError {
    const code = errnoCode(e);
    const text = code !== undefined ? (STRERROR[code] ?? code) : e instanceof Error ? e.message : String(e);
    return new DiskImageOpenError(`Could not open '${path}': ${text}`);
  }
}
