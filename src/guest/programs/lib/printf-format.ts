/**
 * The printf(1) engine: conversions %d %i %u %o %x %X %c %s %b %f %F %e %E %g %G %%,
 * flags, widths and precisions (also from `*` arguments), escapes in the format, and
 * reuse of the format while arguments remain. Numeric arguments are parsed the way
 * coreutils does, with its diagnostics; integers are 64-bit like intmax_t.
 */
import { ByteBuilder } from './bytes.js';
import { expandEscapes, decodeEscape, type EscapeFlavour } from './escapes.js';
import { DOUBLE_BITS, LONG_DOUBLE_BITS, decimalExponent, formatExponential, formatFixed, parseDecimal, roundRational, type BinaryFloat } from './float-format.js';

/** A problem with an argument or the format. */
export interface PrintfError {
  /** What went wrong. */
  kind: 'numeric' | 'partial' | 'range' | 'directive' | 'universal';
  /** The argument, or the bad directive. */
  text: string;
}

/** Result of running a format. */
export interface PrintfResult {
  /** Output bytes. */
  out: Uint8Array;
  /** Diagnostics in order. */
  errors: PrintfError[];
  /** True if a bad directive stopped processing (output so far is kept). */
  fatal: boolean;
  /** The first argument left unused because the format takes none (coreutils warns). */
  excess: string | undefined;
}

/** A diagnostic as coreutils' printf words it. */
export function coreutilsPrintfMessage(e: PrintfError): string {
  switch (e.kind) {
    case 'numeric':
      return `'${e.text}': expected a numeric value`;
    case 'partial':
      return `'${e.text}': value not completely converted`;
    case 'range':
      return `'${e.text}': Numerical result out of range`;
    case 'directive':
      return `${e.text}: invalid conversion specification`;
    case 'universal':
      return `invalid universal character name ${e.text}`;
  }
}

/** A diagnostic as dash's printf builtin words it. */
export function dashPrintfMessage(e: PrintfError): string {
  switch (e.kind) {
    case 'numeric':
      return `${e.text}: expected numeric value`;
    case 'partial':
      return `${e.text}: not completely converted`;
    case 'range':
      return `${e.text}: Numerical result out of range`;
    case 'directive':
      return e.text === '%' ? 'missing format character' : `${e.text}: invalid directive`;
    case 'universal':
      return `invalid universal character name ${e.text}`;
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MOD = 1n << 64n;

interface Spec {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  conv: string;
}

class Args {
  private i = 0;
  constructor(private readonly list: readonly string[]) {}
  get used(): number {
    return this.i;
  }
  get remaining(): boolean {
    return this.i < this.list.length;
  }
  next(): string | undefined {
    return this.i < this.list.length ? this.list[this.i++] : undefined;
  }
}

function charCodeArg(s: string): bigint {
  // A leading quote makes the value that of the following character.
  const cp = s.codePointAt(1);
  return cp === undefined ? 0n : BigInt(cp);
}

/** Parses an integer argument like strtoimax(s, &end, 0); records coreutils' diagnostics. */
function parseInteger(s: string, errors: PrintfError[]): bigint {
  if (s.startsWith("'") || s.startsWith('"')) return charCodeArg(s);
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (m === null) {
    if (s !== '') errors.push({ kind: 'numeric', text: s });
    return 0n;
  }
  const digits = m[2] ?? '0';
  let v = digits.startsWith('0x') || digits.startsWith('0X') ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
  if (m[1] === '-') v = -v;
  if (v > INT64_MAX || v < INT64_MIN) {
    errors.push({ kind: 'range', text: s });
    v = v > 0n ? INT64_MAX : INT64_MIN;
  } else if (m[0].length < s.length) {
    errors.push({ kind: 'partial', text: s });
  }
  return v;
}

/** A parsed floating-point argument. */
interface FloatArg {
  negative: boolean;
  kind: 'finite' | 'inf' | 'nan';
  value: BinaryFloat;
}

/** Parses a floating-point argument like strtold/strtod (`bits` of mantissa). */
function parseFloatArg(s: string, errors: PrintfError[], bits: number): FloatArg {
  const zero: BinaryFloat = { mant: 0n, exp: 0 };
  if (s.startsWith("'") || s.startsWith('"')) return { negative: false, kind: 'finite', value: { mant: charCodeArg(s), exp: 0 } };
  const m = /^\s*([+-]?)(inf(?:inity)?|nan|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i.exec(s);
  if (m === null) {
    if (s !== '') errors.push({ kind: 'numeric', text: s });
    return { negative: false, kind: 'finite', value: zero };
  }
  if (m[0].length < s.length) errors.push({ kind: 'partial', text: s });
  const negative = m[1] === '-';
  const body = (m[2] ?? '').toLowerCase();
  if (body.startsWith('inf')) return { negative, kind: 'inf', value: zero };
  if (body === 'nan') return { negative, kind: 'nan', value: zero };
  if (body.startsWith('0x')) return { negative, kind: 'finite', value: roundRational(BigInt(body), 1n, bits) };
  return { negative, kind: 'finite', value: parseDecimal(body, bits) };
}

function pad(body: string, spec: Spec, zeroPadAllowed: boolean, signLength = 0): string {
  const width = spec.width ?? 0;
  if (body.length >= width) return body;
  if (spec.flags.includes('-')) return body + ' '.repeat(width - body.length);
  if (zeroPadAllowed && spec.flags.includes('0')) return body.slice(0, signLength) + '0'.repeat(width - body.length) + body.slice(signLength);
  return ' '.repeat(width - body.length) + body;
}

function signOf(negative: boolean, flags: string): string {
  if (negative) return '-';
  if (flags.includes('+')) return '+';
  if (flags.includes(' ')) return ' ';
  return '';
}

function formatInteger(v: bigint, spec: Spec): string {
  const conv = spec.conv;
  let digits: string;
  let sign = '';
  let prefix = '';
  if (conv === 'd' || conv === 'i') {
    sign = signOf(v < 0n, spec.flags);
    digits = (v < 0n ? -v : v).toString();
  } else {
    const u = v < 0n ? v + UINT64_MOD : v;
    digits = conv === 'o' ? u.toString(8) : conv === 'u' ? u.toString() : u.toString(16);
    if (conv === 'X') digits = digits.toUpperCase();
    if (spec.flags.includes('#') && u !== 0n && (conv === 'x' || conv === 'X')) prefix = conv === 'x' ? '0x' : '0X';
  }
  if (spec.precision !== undefined) {
    if (spec.precision === 0 && v === 0n) digits = '';
    digits = digits.padStart(spec.precision, '0');
  }
  if (conv === 'o' && spec.flags.includes('#') && !digits.startsWith('0')) digits = '0' + digits;
  const head = sign + prefix;
  return pad(head + digits, spec, spec.precision === undefined, head.length);
}

function expString(v: BinaryFloat, prec: number, upper: boolean): string {
  const { mantissa, exponent } = formatExponential(v, prec);
  const out = `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return upper ? out.toUpperCase() : out;
}

// %g without '#': trailing zeros of the fraction go, and the point with them.
function stripFractionZeros(body: string): string {
  const e = body.search(/[eE]/);
  const mant = e < 0 ? body : body.slice(0, e);
  const rest = e < 0 ? '' : body.slice(e);
  return (mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant) + rest;
}

function formatFloat(v: FloatArg, spec: Spec): string {
  const conv = spec.conv;
  const upper = conv === 'E' || conv === 'G' || conv === 'F';
  const sign = signOf(v.negative, spec.flags);
  if (v.kind !== 'finite') {
    const body = v.kind === 'nan' ? 'nan' : 'inf';
    return pad(sign + (upper ? body.toUpperCase() : body), spec, false);
  }
  const a = v.value;
  const prec = spec.precision ?? 6;
  const alt = spec.flags.includes('#');
  let body: string;
  if (conv === 'f' || conv === 'F') {
    body = formatFixed(a, prec);
    if (alt && prec === 0) body += '.';
  } else if (conv === 'e' || conv === 'E') {
    body = expString(a, prec, upper);
  } else {
    const p = prec === 0 ? 1 : prec;
    const x = decimalExponent(a, p);
    if (x < p && x >= -4) body = formatFixed(a, p - 1 - x);
    else body = expString(a, p - 1, upper);
    if (!alt) body = stripFractionZeros(body);
  }
  return pad(sign + body, spec, true, sign.length);
}

// %q: quoted so that a POSIX shell reads it back as the same word.
function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_\-.,:/@%+=^]+$/.test(s)) return s;
  if (!s.includes("'")) return `'${s}'`;
  if (!/[$`"\\!]/.test(s)) return `"${s}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `format` over `args`. `escapes` picks the dialect of %b (dash or coreutils).
 * The format is repeated while arguments remain and each pass consumed some.
 */
export function runPrintf(format: string, args: readonly string[], escapes: EscapeFlavour = 'echo'): PrintfResult {
  const out = new ByteBuilder();
  const errors: PrintfError[] = [];
  const a = new Args(args);
  for (;;) {
    const before = a.used;
    const r = onePass(format, a, out, errors, escapes);
    if (r === 'stop') break;
    if (r === 'fatal') return { out: out.bytes(), errors, fatal: true, excess: undefined };
    if (!a.remaining) break;
    // A format that takes no arguments would loop forever; the rest are ignored.
    if (a.used === before) return { out: out.bytes(), errors, fatal: false, excess: args[a.used] };
  }
  return { out: out.bytes(), errors, fatal: false, excess: undefined };
}

function onePass(format: string, a: Args, out: ByteBuilder, errors: PrintfError[], escapes: EscapeFlavour): 'done' | 'stop' | 'fatal' {
  let i = 0;
  let lit = '';
  const flush = (): void => {
    out.text(lit);
    lit = '';
  };
  while (i < format.length) {
    const ch = format[i] ?? '';
    if (ch === '\\') {
      flush();
      const u = /^\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/.exec(format.slice(i));
      if (u !== null) {
        // The C locale cannot show characters beyond ASCII: coreutils prints the escape itself.
        const cp = parseInt((u[1] ?? '').slice(1), 16);
        if (cp < 0xa0 && cp !== 0x24 && cp !== 0x40 && cp !== 0x60) {
          errors.push({ kind: 'universal', text: u[0] });
          return 'fatal';
        }
        out.text(cp < 0x80 ? String.fromCodePoint(cp) : `\\${(u[1] ?? '').slice(0, 1)}${(u[1] ?? '').slice(1).toUpperCase()}`);
        i += u[0].length;
        continue;
      }
      const next = decodeEscape(format, i + 1, 'format', out);
      if (next < 0) return 'stop';
      i = next;
      continue;
    }
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    flush();
    const m = /^%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d*))?([\s\S]?)/.exec(format.slice(i));
    const whole = m?.[0] ?? '%';
    const convChar = m?.[4] ?? '';
    if (m === null || !/^[diouxXcsbqfFeEgG]$/.test(convChar)) {
      errors.push({ kind: 'directive', text: whole });
      return 'fatal';
    }
    const spec: Spec = { flags: m[1] ?? '', width: undefined, precision: undefined, conv: convChar };
    if (m[2] === '*') {
      const w = Number(parseInteger(a.next() ?? '', errors));
      if (w < 0) spec.flags += '-';
      spec.width = Math.abs(w);
    } else if (m[2] !== undefined) spec.width = Number(m[2]);
    if (m[3] === '*') {
      const p = Number(parseInteger(a.next() ?? '', errors));
      spec.precision = p < 0 ? undefined : p;
    } else if (m[3] !== undefined) spec.precision = m[3] === '' ? 0 : Number(m[3]);
    i += whole.length;
    const arg = a.next();
    switch (convChar) {
      case 'd':
      case 'i':
      case 'o':
      case 'u':
      case 'x':
      case 'X':
        out.text(formatInteger(parseInteger(arg ?? '', errors), spec));
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        out.text(formatFloat(parseFloatArg(arg ?? '', errors, escapes === 'dash' ? DOUBLE_BITS : LONG_DOUBLE_BITS), spec));
        break;
      case 'c': {
        // An empty or missing argument prints a NUL byte, as coreutils does.
        const body = arg === undefined || arg === '' ? '\0' : String.fromCodePoint(arg.codePointAt(0) ?? 0);
        out.text(pad(body, spec, false));
        break;
      }
      case 'q':
        out.text(pad(shellQuote(arg ?? ''), spec, false));
        break;
      case 's': {
        let s = arg ?? '';
        if (spec.precision !== undefined) s = s.slice(0, spec.precision);
        out.text(pad(s, spec, false));
        break;
      }
      case 'b': {
        const b = expandEscapes(arg ?? '', escapes, new ByteBuilder());
        const bytes = b.out.bytes();
        const text = spec.precision !== undefined ? bytes.subarray(0, spec.precision) : bytes;
        const fill = Math.max(0, (spec.width ?? 0) - text.length);
        if (!spec.flags.includes('-')) out.text(' '.repeat(fill));
        out.raw(text);
        if (spec.flags.includes('-')) out.text(' '.repeat(fill));
        if (b.stopped) return 'stop';
        break;
      }
    }
  }
  flush();
  return 'done';
}
