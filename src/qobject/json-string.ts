/**
 * Turning a string token (quotes included) into a JS string, with QEMU's checks and
 * messages: 7.2 validates escapes and UTF-8 in the parser (the lexer passes any byte
 * 0x20..0xFD); 2.5's lexer had already vetted the escapes and its parser copied raw bytes
 * through unchecked, so there the raw bytes are read the way the writer will print them.
 */
import { asciiToString, bytesToQemuString, isValidCodepoint, putUtf8, scanEnd, scanModUtf8, utf8ToString } from './utf8.js';

/** A string token the parser must reject, with the text after "JSON parse error, ". */
export class StringTokenError {
  constructor(
    /** The parser's message, e.g. `invalid escape sequence in string`. */
    readonly message: string,
  ) {}
}

const BACKSLASH = 0x5c;
const LOWER_U = 0x75;

function hexDigit(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/** Four hex digits at p, or -1 at the first non-digit (reading past the end counts as one). */
function hex4(tok: Uint8Array, p: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const d = hexDigit(tok[p + k]);
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** Decodes the string token `buf[start..end)` (quotes included) for the given dialect. */
export function decodeStringToken(buf: Uint8Array, start: number, end: number, legacy: boolean): string | StringTokenError {
  const last = end - 1;
  for (let p = start + 1; p < last; p++) {
    const b = buf[p]!;
    if (b === BACKSLASH || b >= 0x80) {
      const tok = buf.subarray(start, end);
      return legacy ? decodeLegacy(tok, tok.length - 1) : decodeModern(tok, tok.length - 1);
    }
  }
  return asciiToString(buf, start + 1, last);
}

function escapedByte(c: number): number {
  switch (c) {
    case 0x22:
    case 0x27:
    case 0x5c:
    case 0x2f:
      return c;
    case 0x62:
      return 0x08;
    case 0x66:
      return 0x0c;
    case 0x6e:
      return 0x0a;
    case 0x72:
      return 0x0d;
    case 0x74:
      return 0x09;
    default:
      return -1;
  }
}

function decodeModern(tok: Uint8Array, end: number): string | StringTokenError {
  // Escapes only shrink and raw sequences copy through, so the token length bounds the output.
  const out = new Uint8Array(end);
  let o = 0;
  let p = 1;
  while (p < end) {
    const b = tok[p]!;
    if (b === BACKSLASH) {
      const beg = p;
      const c = tok[p + 1]!;
      p += 2;
      if (c !== LOWER_U) {
        const e = escapedByte(c);
        if (e < 0) return new StringTokenError('invalid escape sequence in string');
        out[o++] = e;
        continue;
      }
      let cp = hex4(tok, p);
      p += 4;
      if (cp >= 0xd800 && cp <= 0xdbff && tok[p] === BACKSLASH && tok[p + 1] === LOWER_U) {
        cp = 0x10000 + ((cp & 0x3ff) << 10);
        const trailing = hex4(tok, p + 2);
        if (trailing >= 0xdc00 && trailing <= 0xdfff) {
          cp |= trailing & 0x3ff;
          p += 6;
        } else {
          cp = -1;
        }
      }
      if (!isValidCodepoint(cp)) {
        // QEMU prints the escape as written ("%.*s"), cut at the token's end.
        const shown = bytesToQemuString(tok.subarray(beg, Math.min(p, tok.length)));
        return new StringTokenError(`${shown} is not a valid Unicode character`);
      }
      o = putUtf8(out, o, cp);
    } else if (b < 0x80) {
      out[o++] = b;
      p++;
    } else {
      const cp = scanModUtf8(tok, p, tok.length);
      if (cp < 0) return new StringTokenError('invalid UTF-8 sequence in string');
      o = putUtf8(out, o, cp);
      p = scanEnd;
    }
  }
  return utf8ToString(out, 0, o);
}

function decodeLegacy(tok: Uint8Array, end: number): string | StringTokenError {
  // A raw bad byte becomes EF BF BD (3 bytes), so the output may outgrow the input.
  const out = new Uint8Array(end * 3);
  let o = 0;
  let p = 1;
  while (p < end) {
    const b = tok[p]!;
    if (b === BACKSLASH) {
      const c = tok[p + 1]!;
      p += 2;
      if (c !== LOWER_U) {
        const e = escapedByte(c);
        if (e < 0) return new StringTokenError('invalid escape sequence in string');
        out[o++] = e;
        continue;
      }
      const u = hex4(tok, p);
      if (u < 0) return new StringTokenError('invalid hex escape sequence in string');
      p += 4;
      // 2.5 encoded the 16-bit unit alone: \u0000 wrote an empty C string (nothing), and
      // each half of a surrogate pair became bytes its writer prints as \uFFFD.
      if (u === 0) continue;
      o = putUtf8(out, o, u >= 0xd800 && u <= 0xdfff ? 0xfffd : u);
    } else if (b < 0x80) {
      out[o++] = b;
      p++;
    } else {
      const cp = scanModUtf8(tok, p, end);
      o = putUtf8(out, o, cp < 0 ? 0xfffd : cp);
      p = scanEnd;
    }
  }
  return utf8ToString(out, 0, o);
}
