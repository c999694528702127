/**
 * Guest RAM as sparse 4 KiB pages: untouched memory reads as zero and costs nothing, so a
 * 4 GiB guest allocates only what it writes. RAM is cut into memory blocks (Linux's
 * memoryN sysfs units) so block online/offline and DIMM hot-add map onto it.
 */
import { OutOfRangeAccessError } from './errors.js';

/** Size of one backing page. */
export const RAM_PAGE_SIZE = 4096;
const PAGE_MASK = RAM_PAGE_SIZE - 1;
/** Default memory block size (what Linux x86-64 uses for guests of a few GiB). */
export const DEFAULT_MEMORY_BLOCK_SIZE = 128 * 1024 * 1024;

/** A linear RAM store addressed by RAM offset (not guest-physical address). */
export class GuestRam {
  private pages = new Map<number, Uint8Array>();
  /** Size in bytes (grows with DIMM hot-add). */
  size: number;
  /** Bytes per memory block. */
  readonly blockSize: number;

  /** Creates RAM of `size` bytes cut into blocks of `blockSize` bytes. */
  constructor(size: number, blockSize = DEFAULT_MEMORY_BLOCK_SIZE) {
    if (blockSize <= 0 || blockSize % RAM_PAGE_SIZE !== 0) throw new RangeError(`memory block size ${blockSize} must be a multiple of 4096`);
    if (size < 0 || size % RAM_PAGE_SIZE !== 0) throw new RangeError(`RAM size ${size} must be a multiple of 4096`);
    this.size = size;
    this.blockSize = blockSize;
  }

  /** Number of memory blocks (the last one may be partial). */
  get blockCount(): number {
    return Math.ceil(this.size / this.blockSize);
  }

  /** Bytes actually allocated (touched pages). */
  get residentBytes(): number {
    return this.pages.size * RAM_PAGE_SIZE;
  }

  /** Extends RAM (DIMM hot-add); returns the RAM offset where the new bytes start. */
  grow(bytes: number): number {
    if (bytes <= 0 || bytes % RAM_PAGE_SIZE !== 0) throw new RangeError(`cannot add ${bytes} bytes of RAM`);
    const at = this.size;
    this.size += bytes;
    return at;
  }

  /** Copies `len` bytes at RAM offset `off` into a new buffer. */
  read(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(off, out);
    return out;
  }

  /** Copies bytes at RAM offset `off` into `dst`. */
  readInto(off: number, dst: Uint8Array): void {
    this.check(off, dst.length);
    let done = 0;
    while (done < dst.length) {
      const a = off + done;
      const inPage = a & PAGE_MASK;
      const n = Math.min(RAM_PAGE_SIZE - inPage, dst.length - done);
      const page = this.pages.get(Math.floor(a / RAM_PAGE_SIZE));
      if (page) dst.set(page.subarray(inPage, inPage + n), done);
      else dst.fill(0, done, done + n);
      done += n;
    }
  }

  /** Copies `src` to RAM offset `off`. */
  write(off: number, src: Uint8Array): void {
    this.check(off, src.length);
    let done = 0;
    while (done < src.length) {
      const a = off + done;
      const inPage = a & PAGE_MASK;
      const n = Math.min(RAM_PAGE_SIZE - inPage, src.length - done);
      this.page(Math.floor(a / RAM_PAGE_SIZE)).set(src.subarray(done, done + n), inPage);
      done += n;
    }
  }

  /** Fills `len` bytes at `off` with `value`; zero-filling untouched pages allocates nothing. */
  fill(off: number, len: number, value: number): void {
    this.check(off, len);
    let done = 0;
    while (done < len) {
      const a = off + done;
      const inPage = a & PAGE_MASK;
      const n = Math.min(RAM_PAGE_SIZE - inPage, len - done);
      const pn = Math.floor(a / RAM_PAGE_SIZE);
      if (value === 0 && n === RAM_PAGE_SIZE) this.pages.delete(pn);
      else if (value !== 0 || this.pages.has(pn)) this.page(pn).fill(value, inPage, inPage + n);
      done += n;
    }
  }

  /** Reads an unsigned little-endian integer of 1, 2 or 4 bytes. */
  readUint(off: number, size: 1 | 2 | 4): number {
    this.check(off, size);
    const inPage = off & PAGE_MASK;
    if (inPage + size <= RAM_PAGE_SIZE) {
      const page = this.pages.get(Math.floor(off / RAM_PAGE_SIZE));
      if (!page) return 0;
      if (size === 1) return page[inPage]!;
      if (size === 2) return page[inPage]! | (page[inPage + 1]! << 8);
      return (page[inPage]! | (page[inPage + 1]! << 8) | (page[inPage + 2]! << 16) | (page[inPage + 3]! << 24)) >>> 0;
    }
    const b = this.read(off, size);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + b[i]!;
    return v;
  }

  /** Writes an unsigned little-endian integer of 1, 2 or 4 bytes. */
  writeUint(off: number, size: 1 | 2 | 4, value: number): void {
    this.check(off, size);
    const inPage = off & PAGE_MASK;
    if (inPage + size <= RAM_PAGE_SIZE) {
      const page = this.page(Math.floor(off / RAM_PAGE_SIZE));
      page[inPage] = value & 0xff;
      if (size >= 2) page[inPage + 1] = (value >>> 8) & 0xff;
      if (size === 4) {
        page[inPage + 2] = (value >>> 16) & 0xff;
        page[inPage + 3] = (value >>> 24) & 0xff;
      }
      return;
    }
    const b = new Uint8Array(size);
    for (let i = 0; i < size; i++) b[i] = (value >>> (8 * i)) & 0xff;
    this.write(off, b);
  }

  private page(pn: number): Uint8Array {
    let p = this.pages.get(pn);
    if (!p) {
      p = new Uint8Array(RAM_PAGE_SIZE);
      this.pages.set(pn, p);
    }
    return p;
  }

  private check(off: number, len: number): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.size) {
      throw new OutOfRangeAccessError('ram', off, len, `is outside RAM of ${this.size} bytes`);
    }
  }
}
