/**
 * QEMU's "modified UTF-8": ordinary UTF-8 except that U+0000 is the two bytes C0 80 (so
 * C strings can carry it), and noncharacters and surrogates count as invalid. QEMU strings
 * are byte strings; ours are JS strings. The bridge is here: bytes become a JS string the
 * way QEMU's JSON writer would read them (each invalid sequence one U+FFFD), so writing
 * the JS string later yields exactly QEMU's text.
 */
import { Buffer } from 'node:buffer';

const MIN_CP_FOR_LENGTH = [0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/** Where the last scanModUtf8 call stopped (one past the sequence); avoids an allocation per call. */
export let scanEnd = 0;

/** Code points QEMU refuses: beyond U+10FFFF, noncharacters, surrogates (is_valid_codepoint). */
export function isValidCodepoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

/**
 * Decodes one sequence at `p` the way mod_utf8_codepoint does, reading nothing at or past
 * `end` (treated as the C string's NUL). Returns the code point or -1 and leaves the
 * resume position in `scanEnd`: one byte for an impossible or stray continuation byte,
 * lead plus the continuation bytes actually present for a truncated sequence, the whole
 * sequence otherwise.
 */
export function scanModUtf8(bytes: Uint8Array, p: number, end: number): number {
  const lead = bytes[p]!;
  if (lead < 0x80) {
    scanEnd = p + 1;
    return lead;
  }
  if (lead >= 0xfe || (lead & 0x40) === 0) {
    scanEnd = p + 1;
    return -1;
  }
  let len = 0;
  let mask = 0x80;
  while (lead & mask) {
    len++;
    mask >>= 1;
  }
  let cp = lead & (mask - 1);
  let q = p + 1;
  for (let i = 1; i < len; i++) {
    const b = q < end ? bytes[q]! : 0;
    if ((b & 0xc0) !== 0x80) {
      scanEnd = q;
      return -1;
    }
    q++;
    // Multiplication, not <<: six-byte forms reach 2^31 and would go negative.
    cp = cp * 64 + (b & 0x3f);
  }
  scanEnd = q;
  if (!isValidCodepoint(cp)) return -1;
  if (cp < MIN_CP_FOR_LENGTH[len - 2]! && !(cp === 0 && len === 2)) return -1;
  return cp;
}

/** Appends the UTF-8 form of a valid code point (U+0000 as a plain 0 byte, JS-side). */
export function putUtf8(out: Uint8Array, o: number, cp: number): number {
  if (cp < 0x80) {
    out[o] = cp;
    return o + 1;
  }
  if (cp < 0x800) {
    out[o] = 0xc0 | (cp >> 6);
    out[o + 1] = 0x80 | (cp & 0x3f);
    return o + 2;
  }
  if (cp < 0x10000) {
    out[o] = 0xe0 | (cp >> 12);
    out[o + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[o + 2] = 0x80 | (cp & 0x3f);
    return o + 3;
  }
  out[o] = 0xf0 | (cp >> 18);
  out[o + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[o + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[o + 3] = 0x80 | (cp & 0x3f);
  return o + 4;
}

/** Decodes bytes that are already known to be valid UTF-8. */
export function utf8ToString(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
}

/** Decodes bytes that are known to be ASCII. */
export function asciiToString(bytes: Uint8Array, start: number, end: number): string {
  // Most tokens are a few bytes long; a Buffer view per token costs more than the loop.
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end);
}

/**
 * A QEMU byte string as the JSON writer sees it: stops at the first NUL (it is a C
 * string), C0 80 is U+0000, every invalid sequence (including noncharacters and encoded
 * surrogates) becomes one U+FFFD. Use it for anything QEMU would print from raw bytes,
 * such as the stray token in a lexical error.
 */
export function bytesToQemuString(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  let ascii = true;
  for (let i = 0; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return asciiToString(bytes, 0, end);
  // Each input byte yields at most 3 output bytes (a lone bad byte becomes EF BF BD).
  const out = new Uint8Array(end * 3);
  let o = 0;
  let p = 0;
  while (p < end) {
    const b = bytes[p]!;
    if (b < 0x80) {
      out[o++] = b;
      p++;
      continue;
    }
    const cp = scanModUtf8(bytes, p, end);
    p = scanEnd;
    o = putUtf8(out, o, cp < 0 ? 0xfffd : cp);
  }
  return utf8ToString(out, 0, o);
}

/**
 * The bytes QEMU would hold for a JS string: UTF-8, with U+0000 as C0 80 and a lone
 * surrogate as its three-byte form (which QEMU itself treats as invalid).
 */
export function qemuStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp === 0) {
      out[o++] = 0xc0;
      out[o++] = 0x80;
    } else {
      o = putUtf8(out, o, cp);
    }
  }
  return out.subarray(0, o);
}
