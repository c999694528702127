/**
 * QEMU's compact JSON serialisation (qobject_to_json): `": "` after keys, `", "` between
 * members and elements, no other whitespace; dict members in QDict order; every character
 * outside printable ASCII escaped, so the output is always pure ASCII.
 */
import { Buffer } from 'node:buffer';
import { formatG, formatLegacyDouble } from './number-format.js';
import { QDict } from './qdict.js';
import { QNum } from './qnum.js';
import type { QValue } from './value.js';

/** Which QEMU's behaviour to reproduce where it changed: 7.2 (default) or 2.5. */
export type QemuJsonDialect = '7.2' | '2.5';

/** Writer options. */
export interface QemuJsonWriteOptions {
  /** Double formatting: `%.17g` in 7.2, `%f` with zeros stripped in 2.5. */
  dialect?: QemuJsonDialect;
}

/** Serialises a QValue exactly as QEMU prints it (no trailing newline). */
export function toQemuJson(value: QValue, options: QemuJsonWriteOptions = {}): string {
  const parts: string[] = [];
  write(value, parts, options.dialect === '2.5');
  return parts.join('');
}

/** toQemuJson as bytes, ready for a socket (the text is ASCII, so one byte per char). */
export function toQemuJsonBytes(value: QValue, options: QemuJsonWriteOptions = {}): Uint8Array {
  return new Uint8Array(Buffer.from(toQemuJson(value, options), 'latin1'));
}

/** A number as QEMU's writer prints it. */
export function formatQNum(n: QNum, dialect: QemuJsonDialect = '7.2'): string {
  if (n.kind !== 'double') return n.value.toString();
  return dialect === '2.5' ? formatLegacyDouble(n.getDouble()) : formatG(n.getDouble(), 17);
}

function write(v: QValue, out: string[], legacy: boolean): void {
  if (v === null) {
    out.push('null');
  } else if (typeof v === 'boolean') {
    out.push(v ? 'true' : 'false');
  } else if (typeof v === 'string') {
    out.push(quoteQemuString(v));
  } else if (v instanceof QNum) {
    out.push(formatQNum(v, legacy ? '2.5' : '7.2'));
  } else if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(', ');
      write(v[i]!, out, legacy);
    }
    out.push(']');
  } else if (v instanceof QDict) {
    out.push('{');
    let first = true;
    v.forEach((val, k) => {
      if (!first) out.push(', ');
      first = false;
      out.push(quoteQemuString(k), ': ');
      write(val, out, legacy);
    });
    out.push('}');
  } else {
    // Only reachable from untyped callers; a silent "{}" would hide the bug.
    throw new TypeError(`not a QValue: ${typeof v}`);
  }
}

const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const HEX_DIGITS = new Uint8Array(Buffer.from('0123456789ABCDEF', 'latin1'));
/** UTF-16 units converted per block: bounds the scratch buffer for huge strings. */
const BLOCK_UNITS = 1 << 16;
/** Worst case per unit: `\uXXXX` (a surrogate pair is two units and twelve bytes). */
const MAX_BYTES_PER_UNIT = 6;
const scratch = new Uint8Array(BLOCK_UNITS * MAX_BYTES_PER_UNIT + 16);

function putHex4(out: Uint8Array, o: number, n: number): number {
  out[o] = 0x5c;
  out[o + 1] = 0x75;
  out[o + 2] = HEX_DIGITS[(n >> 12) & 15]!;
  out[o + 3] = HEX_DIGITS[(n >> 8) & 15]!;
  out[o + 4] = HEX_DIGITS[(n >> 4) & 15]!;
  out[o + 5] = HEX_DIGITS[n & 15]!;
  return o + 6;
}

/**
 * A string literal as QEMU's writer quotes it. The JS string stands for its UTF-8 bytes,
 * so what QEMU would find invalid in those bytes (a lone surrogate, a noncharacter such
 * as U+FFFE) comes out as \uFFFD, just as QEMU prints it.
 */
export function quoteQemuString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  // The output is ASCII, so it is assembled as bytes, a block at a time.
  const parts: string[] = ['"'];
  const out = scratch;
  let i = 0;
  while (i < s.length) {
    const blockEnd = Math.min(s.length, i + BLOCK_UNITS);
    let o = 0;
    for (; i < blockEnd; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) {
        if (c === 0x22 || c === 0x5c) out[o++] = 0x5c;
        out[o++] = c;
        continue;
      }
      const short = SHORT_ESCAPES[c];
      if (short !== undefined) {
        out[o++] = 0x5c;
        out[o++] = short;
        continue;
      }
      let cp = c;
      // A pair split by the block boundary is still a pair: its low half may lie past blockEnd.
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const lo = s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      const invalid = (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
      if (invalid) {
        o = putHex4(out, o, 0xfffd);
      } else if (cp > 0xffff) {
        o = putHex4(out, o, 0xd800 + ((cp - 0x10000) >> 10));
        o = putHex4(out, o, 0xdc00 + ((cp - 0x10000) & 0x3ff));
      } else {
        o = putHex4(out, o, cp);
      }
    }
    parts.push(Buffer.from(out.buffer, out.byteOffset, o).toString('latin1'));
  }
  parts.push('"');
  return parts.join('');
}

const SHORT_ESCAPES: (number | undefined)[] = [];
SHORT_ESCAPES[0x08] = 0x62;
SHORT_ESCAPES[0x0c] = 0x66;
SHORT_ESCAPES[0x0a] = 0x6e;
SHORT_ESCAPES[0x0d] = 0x72;
SHORT_ESCAPES[0x09] = 0x74;
