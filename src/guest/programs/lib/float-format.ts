/**
 * printf's floating point, done exactly: an argument is parsed to the binary value
 * strtold (64-bit mantissa, coreutils) or strtod (53-bit, dash) would produce, and %f/%e
 * digits come from that value's exact decimal expansion, rounded to nearest with ties to
 * even as glibc does. (JavaScript's toFixed rounds ties up and only knows doubles.)
 */

/** A finite non-negative binary floating-point value: mant × 2^exp. */
export interface BinaryFloat {
  /** Integer significand. */
  mant: bigint;
  /** Power-of-two exponent. */
  exp: number;
}

/** Mantissa bits of x87 long double (coreutils' strtold). */
export const LONG_DOUBLE_BITS = 64;
/** Mantissa bits of an IEEE double (dash's strtod). */
export const DOUBLE_BITS = 53;

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** Rounds the rational num/den (both > 0) to `bits` significant bits, ties to even. */
export function roundRational(num: bigint, den: bigint, bits: number): BinaryFloat {
  if (num === 0n) return { mant: 0n, exp: 0 };
  let exp = bitLength(num) - bitLength(den) - bits;
  const lo = 1n << BigInt(bits - 1);
  const hi = 1n << BigInt(bits);
  for (;;) {
    const n = exp < 0 ? num << BigInt(-exp) : num;
    const d = exp > 0 ? den << BigInt(exp) : den;
    let q = n / d;
    if (q >= hi) {
      exp++;
      continue;
    }
    if (q < lo) {
      exp--;
      continue;
    }
    const twice = (n % d) * 2n;
    if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
    if (q === hi) return { mant: q >> 1n, exp: exp + 1 };
    return { mant: q, exp };
  }
}

/** Parses unsigned decimal digits "123.45e-6" (already validated) exactly, rounding to `bits`. */
export function parseDecimal(text: string, bits: number): BinaryFloat {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return { mant: 0n, exp: 0 };
  const frac = m[2] ?? '';
  const digits = BigInt(`${m[1] ?? ''}${frac}` || '0');
  const e10 = Number(m[3] ?? '0') - frac.length;
  const num = e10 >= 0 ? digits * 10n ** BigInt(e10) : digits;
  const den = e10 < 0 ? 10n ** BigInt(-e10) : 1n;
  return roundRational(num, den, bits);
}

interface ExactDecimal {
  /** Significant digits without trailing zeros ("" for zero). */
  digits: string;
  /** value = 0.digits × 10^point. */
  point: number;
}

function exactDecimal(v: BinaryFloat): ExactDecimal {
  if (v.mant === 0n) return { digits: '', point: 0 };
  const digits = v.exp >= 0 ? (v.mant << BigInt(v.exp)).toString() : (v.mant * 5n ** BigInt(-v.exp)).toString();
  const point = v.exp >= 0 ? digits.length : digits.length + v.exp;
  return { digits: digits.replace(/0+$/, ''), point };
}

// Keeps the first `keep` digits (may be <= 0), rounding to nearest, ties to even.
function roundDigits(d: ExactDecimal, keep: number): ExactDecimal {
  if (keep >= d.digits.length) return d;
  if (keep < 0) return { digits: '', point: d.point };
  const head = d.digits.slice(0, keep);
  const next = d.digits[keep] ?? '0';
  const rest = d.digits.slice(keep + 1);
  const lastEven = keep === 0 || Number(head[keep - 1] ?? '0') % 2 === 0;
  const up = next > '5' || (next === '5' && (/[1-9]/.test(rest) || !lastEven));
  if (!up) return { digits: head, point: d.point };
  const n = (BigInt(head === '' ? '0' : head) + 1n).toString();
  return { digits: n, point: d.point + (head === '' ? 1 : n.length - head.length) };
}

/** %f digits: the value with `prec` digits after the point. */
export function formatFixed(v: BinaryFloat, prec: number): string {
  const exact = exactDecimal(v);
  const d = roundDigits(exact, exact.point + prec);
  let intPart: string;
  let frac: string;
  if (d.point <= 0) {
    intPart = '0';
    frac = '0'.repeat(-d.point) + d.digits;
  } else {
    intPart = d.digits.slice(0, d.point).padEnd(d.point, '0');
    frac = d.digits.slice(d.point);
  }
  frac = frac.padEnd(prec, '0').slice(0, prec);
  return prec > 0 ? `${intPart}.${frac}` : intPart;
}

/** %e parts: mantissa "d.ddd" with `prec` decimals and the decimal exponent. */
export function formatExponential(v: BinaryFloat, prec: number): { mantissa: string; exponent: number } {
  if (v.mant === 0n) return { mantissa: prec > 0 ? `0.${'0'.repeat(prec)}` : '0', exponent: 0 };
  const d = roundDigits(exactDecimal(v), prec + 1);
  const digits = d.digits.padEnd(prec + 1, '0');
  return { mantissa: prec > 0 ? `${digits[0] ?? '0'}.${digits.slice(1, prec + 1)}` : (digits[0] ?? '0'), exponent: d.point - 1 };
}

/** The exponent %g chooses by: that of the value rounded to `prec` significant digits. */
export function decimalExponent(v: BinaryFloat, prec: number): number {
  return v.mant === 0n ? 0 : formatExponential(v, Math.max(prec - 1, 0)).exponent;
}
