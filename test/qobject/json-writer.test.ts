import { describe, it, expect } from 'vitest';
import {
  INT64_MAX,
  INT64_MIN,
  QNum,
  UINT64_MAX,
  fromPlain,
  parseQemuJson,
  qdict,
  toPlain,
  toQemuJson,
  toQemuJsonBytes,
} from '../../src/qobject/index.js';

const d = (x: number): string => toQemuJson(QNum.double(x));
const legacy = (x: number): string => toQemuJson(QNum.double(x), { dialect: '2.5' });

describe('JSON writer layout', () => {
  it('separates with ": " and ", " and nothing else', () => {
    expect(toQemuJson(qdict({ return: [1, 'a', true, null, [], {}] }))).toBe('{"return": [1, "a", true, null, [], {}]}');
    expect(toQemuJson(qdict({}))).toBe('{}');
    expect(toQemuJson([])).toBe('[]');
    expect(toQemuJson(fromPlain([[1], [2, [3]]]))).toBe('[[1], [2, [3]]]');
  });

  it('produces ASCII bytes ready for the channel', () => {
    const bytes = toQemuJsonBytes(qdict({ return: 'é' }));
    expect([...bytes].every((b) => b < 0x80)).toBe(true);
    expect(new TextDecoder().decode(bytes)).toBe('{"return": "\\u00E9"}');
  });
});

describe('JSON writer string escaping', () => {
  it('uses short escapes for quote, backslash and \\b \\f \\n \\r \\t, and leaves / alone', () => {
    expect(toQemuJson('"\\\b\f\n\r\t/')).toBe('"\\"\\\\\\b\\f\\n\\r\\t/"');
  });

  it('escapes other controls, DEL and non-ASCII as uppercase \\uXXXX', () => {
    expect(toQemuJson('\u0000\u0001\u001f\u007f\u00e9\u20ac\uabcd')).toBe('"\\u0000\\u0001\\u001F\\u007F\\u00E9\\u20AC\\uABCD"');
  });

  it('writes characters beyond the BMP as a surrogate pair', () => {
    expect(toQemuJson('\u{1F600}\u{10FFFD}')).toBe('"\\uD83D\\uDE00\\uDBFF\\uDFFD"');
  });

  it('writes what QEMU could not encode as \\uFFFD: lone surrogates and noncharacters', () => {
    expect(toQemuJson('a\ud800b\udc00')).toBe('"a\\uFFFDb\\uFFFD"');
    expect(toQemuJson('\ufffe\uffff\ufdd0\u{1FFFF}')).toBe('"\\uFFFD\\uFFFD\\uFFFD\\uFFFD"');
  });

  it('escapes strings longer than its internal block size correctly', () => {
    const s = 'é'.repeat(70000) + '\u{1F600}' + 'x'.repeat(10);
    const out = toQemuJson(s);
    expect(out).toBe('"' + '\\u00E9'.repeat(70000) + '\\uD83D\\uDE00' + 'x'.repeat(10) + '"');
    // A surrogate pair straddling the block boundary stays a pair.
    const straddle = 'a'.repeat(65535) + '\u{1F600}\n';
    expect(toQemuJson(straddle)).toBe('"' + 'a'.repeat(65535) + '\\uD83D\\uDE00\\n"');
  });
});

describe('JSON writer numbers', () => {
  it('prints integers in decimal, full 64-bit range', () => {
    expect(toQemuJson([QNum.int(INT64_MIN), QNum.int(INT64_MAX), QNum.uint(UINT64_MAX), QNum.uint(3)])).toBe(
      '[-9223372036854775808, 9223372036854775807, 18446744073709551615, 3]',
    );
  });

  it('prints doubles with %.17g (7.2)', () => {
    expect(d(0.1)).toBe('0.10000000000000001');
    expect(d(100)).toBe('100');
    expect(d(1.5)).toBe('1.5');
    expect(d(1e21)).toBe('1e+21');
    expect(d(1e-5)).toBe('1.0000000000000001e-05');
    expect(d(1e-7)).toBe('9.9999999999999995e-08');
    expect(d(123456789012345678)).toBe('1.2345678901234568e+17');
    expect(d(1e16)).toBe('10000000000000000');
    expect(d(5e-324)).toBe('4.9406564584124654e-324');
    expect(d(-0)).toBe('-0');
    expect(d(Infinity)).toBe('inf');
    expect(d(-Infinity)).toBe('-inf');
    expect(d(NaN)).toBe('nan');
  });

  it('rounds exact ties to even as glibc does', () => {
    expect(d(1 + 2 ** -17)).toBe('1.0000076293945312');
    expect(legacy(1 / 128)).toBe('0.007812');
  });

  it('prints doubles with %f minus trailing zeros and dot (2.5)', () => {
    expect(legacy(1.5)).toBe('1.5');
    expect(legacy(100)).toBe('100');
    expect(legacy(0.1)).toBe('0.1');
    expect(legacy(1e-7)).toBe('0');
    expect(legacy(-1e-9)).toBe('-0');
    expect(legacy(1e22)).toBe('10000000000000000000000');
    expect(legacy(2.5e-3)).toBe('0.0025');
  });
});

describe('JSON writer round trip', () => {
  it('parses its own output back to the same value', () => {
    const v = fromPlain({ a: [1, -2, 2.5, 'é\n"\u{1F600}', true, null], b: { c: 2n ** 63n, d: {} } });
    const [m] = parseQemuJson(toQemuJson(v));
    expect(toPlain(m!.value!)).toEqual(toPlain(v));
    expect(toQemuJson(m!.value!)).toBe(toQemuJson(v));
  });
});
