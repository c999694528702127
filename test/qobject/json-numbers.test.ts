import { describe, it, expect } from 'vitest';
import { INT64_MAX, INT64_MIN, QNum, UINT64_MAX, isQNum, parseQemuJson, type QemuJsonDialect } from '../../src/qobject/index.js';

function num(text: string, dialect: QemuJsonDialect = '7.2'): QNum {
  const [m] = parseQemuJson(`[${text}]`, { dialect });
  if (m?.value === undefined || !Array.isArray(m.value) || !isQNum(m.value[0])) throw new Error(`no number from ${text}: ${m?.error}`);
  return m.value[0];
}

describe('number classification (7.2)', () => {
  it('keeps every int64 exactly, including both ends', () => {
    expect(num('9223372036854775807')).toEqual(QNum.int(INT64_MAX));
    expect(num('-9223372036854775808')).toEqual(QNum.int(INT64_MIN));
    expect(num('0').kind).toBe('i64');
    expect(num('123456789012345').value).toBe(123456789012345n);
    expect(num('9007199254740993').value).toBe(9007199254740993n);
  });

  it('makes unsigned values above INT64_MAX uint64, up to UINT64_MAX', () => {
    expect(num('9223372036854775808')).toEqual(QNum.uint(INT64_MAX + 1n));
    expect(num('18446744073709551615')).toEqual(QNum.uint(UINT64_MAX));
  });

  it('makes integers beyond both ranges doubles', () => {
    const big = num('18446744073709551616');
    expect(big.kind).toBe('double');
    expect(big.value).toBe(18446744073709551616);
    const neg = num('-9223372036854775809');
    expect(neg.kind).toBe('double');
    expect(neg.value).toBe(-9223372036854775808);
    expect(num('1' + '0'.repeat(400)).value).toBe(Infinity);
  });

  it('treats -0 as the integer 0 but -0.0 as negative zero', () => {
    const z = num('-0');
    expect(z.kind).toBe('i64');
    expect(z.value).toBe(0n);
    const dz = num('-0.0');
    expect(dz.kind).toBe('double');
    expect(Object.is(dz.value, -0)).toBe(true);
  });

  it('makes anything with a fraction or exponent a double', () => {
    expect(num('1e3')).toEqual(QNum.double(1000));
    expect(num('1E+2')).toEqual(QNum.double(100));
    expect(num('2.5e-3')).toEqual(QNum.double(0.0025));
    expect(num('1.0')).toEqual(QNum.double(1));
    expect(num('1e400').value).toBe(Infinity);
    expect(num('-1e400').value).toBe(-Infinity);
    expect(num('4.9e-324').value).toBe(5e-324);
  });
});

describe('number classification (2.5)', () => {
  it('overflows anything outside int64 to a double, as strtoll ERANGE did', () => {
    expect(num('9223372036854775807', '2.5')).toEqual(QNum.int(INT64_MAX));
    expect(num('9223372036854775808', '2.5')).toEqual(QNum.double(9223372036854775808));
    expect(num('18446744073709551615', '2.5').kind).toBe('double');
  });
});

describe('QNum accessors', () => {
  it('answers the qnum_get_try_* questions like QEMU', () => {
    expect(QNum.int(-1).getTryInt()).toBe(-1n);
    expect(QNum.int(-1).getTryUint()).toBeUndefined();
    expect(QNum.uint(UINT64_MAX).getTryInt()).toBeUndefined();
    expect(QNum.uint(5).getTryInt()).toBe(5n);
    expect(QNum.double(1).getTryInt()).toBeUndefined();
    expect(QNum.uint(UINT64_MAX).getDouble()).toBe(18446744073709551616);
  });

  it('refuses values outside the kind', () => {
    expect(() => QNum.int(INT64_MAX + 1n)).toThrow(RangeError);
    expect(() => QNum.uint(-1)).toThrow(RangeError);
    expect(() => QNum.int(1.5)).toThrow(RangeError);
  });

  it('picks the natural kind for JS values', () => {
    expect(QNum.from(3).kind).toBe('i64');
    expect(QNum.from(3.5).kind).toBe('double');
    expect(QNum.from(-0).kind).toBe('double');
    expect(QNum.from(2 ** 60).kind).toBe('double');
    expect(QNum.from(2n ** 60n).kind).toBe('i64');
    expect(QNum.from(2n ** 63n).kind).toBe('u64');
  });
});
