/**
 * Backslash escapes as echo -e, dash's echo, printf's format string and printf's %b
 * understand them. The dialects differ in small ways (which octal forms, \e, \x, \u),
 * so each is a named flavour.
 */
import { ByteBuilder } from './bytes.js';

/**
 * - 'echo': coreutils echo -e and printf %b: \0ooo and \ooo, \xHH, \e, \c stops.
 * - 'dash': dash's echo and printf %b: \0ooo and \ooo, no \x or \e, \c stops.
 * - 'format': a printf format string: \ooo (1-3 digits), \xHH, \e, \", \c stops (\u is the caller's).
 */
export type EscapeFlavour = 'echo' | 'dash' | 'format';

const SIMPLE: Readonly<Record<string, number>> = { '\\': 0x5c, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * Decodes the escape that starts at s[i] (the character after the backslash) into `out`.
 * Returns the index after it, or -1 for \c (stop all further output).
 */
export function decodeEscape(s: string, i: number, flavour: EscapeFlavour, out: ByteBuilder): number {
  const c = s[i];
  if (c === undefined) {
    out.byte(0x5c);
    return i;
  }
  if (c === 'c') return -1;
  const simple = SIMPLE[c];
  if (simple !== undefined) {
    out.byte(simple);
    return i + 1;
  }
  if (c === 'e' && flavour !== 'dash') {
    out.byte(27);
    return i + 1;
  }
  if (c === '"' && flavour === 'format') {
    out.byte(0x22);
    return i + 1;
  }
  if (isOctal(c)) {
    let j = i;
    // In echo and %b, a leading 0 introduces up to three more digits.
    if (flavour !== 'format' && c === '0') j++;
    let v = 0;
    const start = j;
    while (j < s.length && j - start < 3 && isOctal(s[j])) v = v * 8 + Number(s[j++]);
    out.byte(v);
    return j;
  }
  if (c === 'x' && flavour !== 'dash' && isHex(s[i + 1])) {
    let j = i + 1;
    let v = 0;
    while (j < s.length && j - i - 1 < 2 && isHex(s[j])) v = v * 16 + parseInt(s[j++] ?? '0', 16);
    out.byte(v);
    return j;
  }
  // Unknown escapes stay as written.
  out.byte(0x5c);
  out.text(c);
  return i + 1;
}

/** Expands every escape in `s`; `stopped` is true if a \c ended it. */
export function expandEscapes(s: string, flavour: EscapeFlavour, out = new ByteBuilder()): { out: ByteBuilder; stopped: boolean } {
  let i = 0;
  let lit = '';
  while (i < s.length) {
    const ch = s[i] ?? '';
    if (ch !== '\\') {
      lit += ch;
      i++;
      continue;
    }
    out.text(lit);
    lit = '';
    const next = decodeEscape(s, i + 1, flavour, out);
    if (next < 0) return { out, stopped: true };
    i = next;
  }
  out.text(lit);
  return { out, stopped: false };
}
