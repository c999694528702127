/**
 * Base64 as qemu-ga handles it. Decoding is GLib's g_base64_decode: characters outside
 * the alphabet are skipped, '=' counts as a zero digit that suppresses output bytes, and
 * a trailing incomplete group of four is dropped. 7.2 first checks the text with QEMU's
 * qbase64_decode ("Base64 data contains invalid characters" unless every character is in
 * A-Z a-z 0-9 + / = or a newline); 2.5 decoded without that check. The C string ends at
 * an embedded NUL. Encoding is the standard padded alphabet, no line breaks.
 */
import { Buffer } from 'node:buffer';
import { qgaGenericError } from '../protocol/errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const RANK = new Map<number, number>([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const PAD = '='.charCodeAt(0);
const VALID = /^[A-Za-z0-9+/=\n]*$/;

/** g_base64_encode. */
export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/** g_base64_decode of a C string (UTF-8 bytes, up to the first NUL). */
export function glibBase64Decode(text: string): Uint8Array {
  const src = Buffer.from(cString(text), 'utf8');
  const out: number[] = [];
  let v = 0;
  let n = 0;
  let last0 = 0;
  let last1 = 0;
  for (const c of src) {
    const rank = c === PAD ? 0 : RANK.get(c);
    if (rank === undefined) continue;
    last1 = last0;
    last0 = c;
    v = ((v << 6) | rank) & 0xffffff;
    if (++n === 4) {
      out.push(v >> 16);
      if (last1 !== PAD) out.push((v >> 8) & 0xff);
      if (last0 !== PAD) out.push(v & 0xff);
      n = 0;
    }
  }
  return Uint8Array.from(out);
}

/** qbase64_decode (7.2) or plain g_base64_decode (legacy); throws the QgaError. */
export function qgaBase64Decode(text: string, legacy: boolean): Uint8Array {
  if (!legacy && !VALID.test(cString(text))) throw qgaGenericError('Base64 data contains invalid characters');
  return glibBase64Decode(text);
}

function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
