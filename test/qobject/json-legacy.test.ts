import { describe, it, expect } from 'vitest';
import { parseQemuJson, toQemuJson } from '../../src/qobject/index.js';
import { collector, feedAll, feedChunks, raw, utf8 } from './helpers.js';

const INVALID = 'ERR "Invalid JSON syntax"';
const legacy = (s: string): string[] => feedAll(raw(s), '2.5');

describe('QEMU 2.5 dialect', () => {
  it('answers every invalid byte with "Invalid JSON syntax", one each', () => {
    expect(legacy('\xff{"execute":"guest-ping"}')).toEqual([INVALID, '{"execute": "guest-ping"}']);
    expect(legacy('\xff\xff')).toEqual([INVALID, INVALID]);
    expect(legacy('@@@ {}')).toEqual([INVALID, INVALID, INVALID, '{}']);
  });

  it('resumes lexing right after the bad byte', () => {
    expect(legacy('@@@ junk {}')).toEqual([INVALID, INVALID, INVALID, 'ERR "JSON parse error, invalid keyword \'junk\'"', '{}']);
    expect(legacy('[0123]')).toEqual([INVALID, '23', 'ERR "JSON parse error, expecting value"']);
  });

  it('tags lexical errors as such so a QMP monitor can tell them from parse errors', () => {
    const c = collector('2.5');
    c.parser.feed(raw('\xff[1,]'));
    expect(c.messages.map((m) => m.cause)).toEqual(['lexical', 'syntax']);
  });

  it('reports the outermost parse error (last one wins)', () => {
    expect(legacy('{"a":}')).toEqual(['ERR "JSON parse error, Missing value in dict"']);
    expect(legacy('{"a":[1,]}')).toEqual(['ERR "JSON parse error, Missing value in dict"']);
    expect(legacy('[1 2]')).toEqual(['ERR "JSON parse error, expected separator in list"']);
  });

  it('lets a duplicate key replace the earlier value', () => {
    expect(legacy('{"a":1,"b":2,"a":3}')).toEqual([toQemuJson(parseQemuJson('{"a":3,"b":2}')[0]!.value!)]);
  });

  it('fails silently on %-interpolation, which the agent never enabled', () => {
    expect(legacy('%d')).toEqual([INVALID]);
    expect(legacy('[%d]')).toEqual(['ERR "JSON parse error, expecting value"']);
  });

  it('takes raw control characters in strings, drops \\u0000, and blanks surrogate escapes', () => {
    expect(legacy('"a\tb\x01"')).toEqual(['"a\\tb\\u0001"']);
    expect(legacy('"a\\u0000b"')).toEqual(['"ab"']);
    expect(legacy('"\\uD83D\\uDE00"')).toEqual(['"\\uFFFD\\uFFFD"']);
    expect(legacy('"\\uFFFE"')).toEqual(['"\\uFFFD"']);
    expect(legacy('"\xc3\xa9\x80"')).toEqual(['"\\u00E9\\uFFFD"']);
  });

  it('rejects bad escapes in the lexer, byte by byte', () => {
    const c = collector('2.5');
    c.parser.feed(raw('"\\x" 5 '));
    // The x is dropped and the following quote opens a new string.
    expect(c.out).toEqual([INVALID]);
    c.parser.feed(raw('"'));
    expect(c.out).toEqual([INVALID, '" 5 "']);
  });

  it('rejects bytes 0xC0, 0xC1 and 0xF5..0xFF inside strings', () => {
    expect(legacy('"\xc0\x80"')).toEqual([INVALID, INVALID]);
  });

  it('needs an ASCII byte to end a number: a high byte after it is an error', () => {
    expect(legacy('1\xff')).toEqual([INVALID]);
  });

  it('reports limits as "Invalid JSON syntax"', () => {
    const bad = feedAll(utf8('['.repeat(1025) + ']'), '2.5');
    expect(bad).toEqual([INVALID, 'ERR "JSON parse error, expecting value"']);
  });

  it('gives the same messages whatever the chunk boundaries', () => {
    const input = raw('\xff{"a":"\\u00e9x\\n"}@@ 12 [true, 1.5e1]"\x01\xc3\xa9"\n');
    const whole = feedAll(input, '2.5');
    expect(whole).toEqual([INVALID, '{"a": "\\u00E9x\\n"}', INVALID, INVALID, '12', '[true, 15]', '"\\u0001\\u00E9"']);
    for (let k = 0; k <= input.length; k++) {
      expect(feedChunks([input.subarray(0, k), input.subarray(k)], '2.5')).toEqual(whole);
    }
  });
});
