/**
 * A growable byte buffer: output made of UTF-8 text mixed with raw bytes from escapes
 * such as "\377", which do not have to form valid UTF-8.
 */
const encoder = new TextEncoder();

/** Collects text and raw bytes. */
export class ByteBuilder {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** Appends text as UTF-8. */
  text(s: string): void {
    if (s === '') return;
    this.raw(encoder.encode(s));
  }

  /** Appends one byte (0..255). */
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
  }

  /** Appends bytes. */
  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Bytes collected so far. */
  get length(): number {
    return this.len;
  }

  /** The collected bytes. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
