/**
 * printf-exact formatting of doubles as QEMU's JSON writers print them: `%.17g` since
 * QEMU 4.x, `%f` with trailing zeros stripped in 2.5. JS's toPrecision/toFixed break
 * exact ties upwards where glibc rounds half to even (1 + 2^-17 has 18 significant
 * digits ending in 5), so the rounding is done here on the exact binary value.
 */

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** |x| as an exact fraction num / 2^shift (shift >= 0); x must be finite and non-zero. */
function exactBinary(x: number): { num: bigint; shift: bigint } {
  F64[0] = x;
  const hi = U32[LITTLE_ENDIAN ? 1 : 0]!;
  const lo = U32[LITTLE_ENDIAN ? 0 : 1]!;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) return { num: mant << BigInt(exp), shift: 0n };
  return { num: mant, shift: BigInt(-exp) };
}

/** num / den rounded to nearest, ties to even (glibc's printf rounding). */
function divRoundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** |x| * 10^scale rounded half-even, for scale positive or negative. */
function scaledRound(x: number, scale: number): bigint {
  const { num, shift } = exactBinary(x);
  const den = 1n << shift;
  if (scale >= 0) return divRoundHalfEven(num * 10n ** BigInt(scale), den);
  return divRoundHalfEven(num, den * 10n ** BigInt(-scale));
}

/** floor(log10(|x|)) exactly; the floating-point estimate can be one off near powers of ten. */
function decimalExponent(x: number): number {
  const { num, shift } = exactBinary(x);
  const den = 1n << shift;
  // Compares |x| = num / den with 10^e.
  const below = (e: number): boolean => (e >= 0 ? num < den * 10n ** BigInt(e) : num * 10n ** BigInt(-e) < den);
  let e = Math.floor(Math.log10(Math.abs(x)));
  while (below(e)) e--;
  while (!below(e + 1)) e++;
  return e;
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return undefined;
}

/** printf("%.Pg", x) for P >= 1, as glibc prints it. */
export function formatG(x: number, precision = 17): string {
  const nf = nonFinite(x);
  if (nf !== undefined) return nf;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + '0';
  const p = precision;
  let e = decimalExponent(x);
  let digits = scaledRound(x, p - 1 - e);
  if (digits === 10n ** BigInt(p)) {
    // Rounding carried into a new digit (9.99...95 -> 10.0...0): %g reports the new exponent.
    e++;
    digits /= 10n;
  }
  const ds = digits.toString();
  if (e < -4 || e >= p) {
    const mantissa = stripFraction(ds[0]! + '.' + ds.slice(1));
    const exp = Math.abs(e).toString().padStart(2, '0');
    return `${sign}${mantissa}e${e < 0 ? '-' : '+'}${exp}`;
  }
  let fixed: string;
  if (e >= 0) fixed = ds.slice(0, e + 1) + '.' + ds.slice(e + 1);
  else fixed = '0.' + '0'.repeat(-e - 1) + ds;
  return sign + stripFraction(fixed);
}

/** printf("%f", x): six decimals, exact, half-even. */
export function formatF(x: number): string {
  const nf = nonFinite(x);
  if (nf !== undefined) return nf;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + '0.000000';
  const ds = scaledRound(x, 6).toString().padStart(7, '0');
  return `${sign}${ds.slice(0, -6)}.${ds.slice(-6)}`;
}

/** QEMU 2.5's double format: "%f", then trailing zeros and a trailing '.' removed. */
export function formatLegacyDouble(x: number): string {
  let s = formatF(x);
  let len = s.length;
  while (len > 0 && s[len - 1] === '0') len--;
  if (len > 0 && s[len - 1] === '.') len--;
  s = s.slice(0, len);
  return s;
}

/** Drops trailing fractional zeros and a bare '.', as %g does without the '#' flag. */
function stripFraction(s: string): string {
  if (!s.includes('.')) return s;
  let len = s.length;
  while (s[len - 1] === '0') len--;
  if (s[len - 1] === '.') len--;
  return s.slice(0, len);
}
