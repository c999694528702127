import { describe, it, expect } from 'vitest';
import {
  JSON_MAX_NESTING,
  JsonStreamParser,
  parseQemuJson,
  qdict,
  toQemuJson,
  type JsonMessage,
} from '../../src/qobject/index.js';
import { collector, feedAll, feedChunks, q, raw, render, utf8 } from './helpers.js';

const STRAY_FF = "ERR \"JSON parse error, stray '\\uFFFD'\"";

/** Several requests back to back, with raw UTF-8, escapes and a trailing scalar. */
const STREAM = utf8(
  `{"execute":"guest-sync-delimited","arguments":{"id":5}}{"execute":"guest-ping","id":"a"}\n` +
    `[1, -2.5e3, "x\u00e9\\n\\u20ac\u{1F600}", true, null, {}] 'single \\' "q"' 42 `,
);
const STREAM_OUT = [
  '{"execute": "guest-sync-delimited", "arguments": {"id": 5}}',
  '{"execute": "guest-ping", "id": "a"}',
  '[1, -2500, "x\\u00E9\\n\\u20AC\\uD83D\\uDE00", true, null, {}]',
  '"single \' \\"q\\""',
  '42',
];

/** Garbage that exercises errors, recovery and lookahead across chunk boundaries. */
const GARBAGE = raw('\xff\xff{"a":\xff{"b":1}@@@ junk {}[0123]"x\x01y"} foo 1.} "\\uD800" 7\n');

describe('JSON stream parser: framing', () => {
  it('gives the same messages whatever the chunk boundaries', () => {
    for (const input of [STREAM, GARBAGE]) {
      const whole = feedAll(input);
      for (let k = 0; k <= input.length; k++) {
        expect(feedChunks([input.subarray(0, k), input.subarray(k)])).toEqual(whole);
      }
      const bytewise = feedChunks([...input].map((b) => new Uint8Array([b])));
      expect(bytewise).toEqual(whole);
    }
    expect(feedAll(STREAM)).toEqual(STREAM_OUT);
  });

  it('gives the same messages for every three-way split', () => {
    const whole = feedAll(GARBAGE);
    for (let a = 0; a < GARBAGE.length; a += 3) {
      for (let b = a; b <= GARBAGE.length; b += 2) {
        expect(feedChunks([GARBAGE.subarray(0, a), GARBAGE.subarray(a, b), GARBAGE.subarray(b)])).toEqual(whole);
      }
    }
  });

  it('completes an object at its closing brace without a newline', () => {
    const c = collector();
    c.parser.feed(utf8('{"execute":"guest-ping"'));
    expect(c.out).toEqual([]);
    c.parser.feed(utf8('}'));
    expect(c.out).toEqual(['{"execute": "guest-ping"}']);
  });

  it('emits several messages from one chunk, in order', () => {
    expect(feedAll(utf8('{}[]"a"1 true\n'))).toEqual(['{}', '[]', '"a"', '1', 'true']);
  });

  it('holds back a top-level number or keyword until a following byte ends it', () => {
    const c = collector();
    c.parser.feed(utf8('42'));
    expect(c.out).toEqual([]);
    c.parser.feed(utf8(' '));
    expect(c.out).toEqual(['42']);
    c.parser.feed(utf8('nul'));
    c.parser.feed(utf8('l'));
    expect(c.out).toEqual(['42']);
    c.parser.feed(utf8('['));
    expect(c.out).toEqual(['42', 'null']);
    c.parser.feed(utf8('1.5e2]'));
    expect(c.out).toEqual(['42', 'null', '[150]']);
  });

  it('accepts single-quoted strings and only space, tab, CR and LF as whitespace', () => {
    expect(feedAll(utf8(" \t\r\n{'a' : \"it's\"}"))).toEqual(['{"a": "it\'s"}']);
    expect(feedAll(raw('\x0b1 '))).toEqual(["ERR \"JSON parse error, stray '\\u000B'\""]);
  });

  it('keeps QEMU key order for parsed objects', () => {
    expect(feedAll(utf8('{"id": 1, "return": 2}'))).toEqual(['{"return": 2, "id": 1}']);
  });

  it('reset() drops a partial message and the recovery state', () => {
    const c = collector();
    c.parser.feed(utf8('{"execute":"guest-'));
    c.parser.reset();
    c.parser.feed(utf8('{"execute":"guest-ping"}'));
    expect(c.out).toEqual(['{"execute": "guest-ping"}']);
    // Without the reset the 5 would be skipped as part of the garbage run.
    c.parser.feed(raw('\xffabc'));
    c.parser.reset();
    c.parser.feed(utf8('5 '));
    expect(c.out).toEqual(['{"execute": "guest-ping"}', STRAY_FF, '5']);
  });

  it('flush() completes a trailing scalar and reports an unfinished message', () => {
    expect(parseQemuJson('42').map((m) => render(m))).toEqual(['42']);
    expect(parseQemuJson('[1,').map((m) => render(m))).toEqual(['ERR "JSON parse error, premature EOI"']);
    expect(parseQemuJson('"abc').map((m) => render(m))).toEqual(["ERR \"JSON parse error, stray '\\\"abc'\""]);
    expect(parseQemuJson('').length).toBe(0);
  });
});

describe('JSON stream parser: lexical errors and recovery (7.2)', () => {
  it("answers a leading 0xFF with stray '\\uFFFD' and then processes the request", () => {
    expect(feedAll(raw('\xff{"execute":"guest-sync-delimited","arguments":{"id":5}}'))).toEqual([
      STRAY_FF,
      '{"execute": "guest-sync-delimited", "arguments": {"id": 5}}',
    ]);
  });

  it('reports two errors for two 0xFF bytes, since 0xFF is itself a sync point', () => {
    expect(feedAll(raw('\xff\xff'))).toEqual([STRAY_FF, STRAY_FF]);
  });

  it('reports one error per run of garbage and resyncs at a structural byte', () => {
    expect(feedAll(utf8('@@@ junk {}'))).toEqual(["ERR \"JSON parse error, stray '@'\"", '{}']);
  });

  it('resyncs at newline and other control bytes but not at tab', () => {
    expect(feedAll(utf8('@abc\n5 '))).toEqual(["ERR \"JSON parse error, stray '@'\"", '5']);
    expect(feedAll(utf8('@\t5 \n6 '))).toEqual(["ERR \"JSON parse error, stray '@'\"", '6']);
  });

  it('throws away a partial request when 0xFF arrives in the middle of it', () => {
    expect(feedAll(raw('{"execute":\xff{"execute":"guest-ping"}'))).toEqual([STRAY_FF, '{"execute": "guest-ping"}']);
  });

  it('includes the consumed bytes of the bad token in the message, escaped by the writer', () => {
    const cases: [string, string][] = [
      ['"ab\x01cd"', '"ab\u0001'],
      ['"ab\x00', '"ab'],
      ['"\xfe"', '"\uFFFD'],
      ['"\xc3\xa9\xff', '"\u00e9\uFFFD'],
      ['-x', '-x'],
      ['- ', '- '],
      ['1.}', '1.}'],
      ['1e+]', '1e+]'],
      ['0123', '01'],
      ['%d', '%'],
      ['+1', '+'],
      ['.5', '.'],
    ];
    for (const [input, token] of cases) {
      const m = feedAll(raw(input))[0];
      expect(m, input).toBe(`ERR ${q(`JSON parse error, stray '${token}'`)}`);
    }
  });

  it('writes the stray-byte error as qemu-ga sends it', () => {
    const msgs: JsonMessage[] = [];
    new JsonStreamParser((m) => msgs.push(m)).feed(raw('\xff'));
    expect(msgs[0]).toEqual({ error: "JSON parse error, stray '\uFFFD'", cause: 'lexical' });
    const rsp = qdict({ error: qdict({ class: 'GenericError', desc: msgs[0]!.error! }) });
    expect(toQemuJson(rsp)).toBe('{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\uFFFD\'"}}');
  });

  it('costs an error for the garbage and one more for each closer it strands', () => {
    // The bad byte's error discards the open object; the skipped run ends at '}', which
    // then closes nothing.
    expect(feedAll(raw('{"a":"x\x01y"}'))).toEqual([
      "ERR \"JSON parse error, stray '\\\"x\\u0001'\"",
      'ERR "JSON parse error, expecting value"',
    ]);
    expect(feedAll(utf8('[0123]'))).toEqual([
      "ERR \"JSON parse error, stray '01'\"",
      'ERR "JSON parse error, expecting value"',
    ]);
  });

  it('lets a top-level number end at a following 0xFF', () => {
    expect(feedAll(raw('1\xff'))).toEqual(['1', STRAY_FF]);
  });
});

describe('JSON stream parser: parser errors (7.2, first error wins)', () => {
  const cases: [string, string][] = [
    ['{"a" 1}', 'missing : in object pair'],
    ['{1:2}', 'key is not a string in object'],
    ['{"a":1 "b":2}', 'expected separator in dict'],
    ['[1 2]', 'expected separator in list'],
    ['{"a":1,"a":2}', 'duplicate key'],
    ['{"a":}', 'expecting value'],
    ['{"a":[1,]}', 'expecting value'],
    [']', 'expecting value'],
    [':', 'expecting value'],
    ['{"a":1]', 'expected separator in dict'],
    ['foo ', "invalid keyword 'foo'"],
    ['[truex]', "invalid keyword 'truex'"],
    ['"\\q"', 'invalid escape sequence in string'],
    ['"\\uD800"', '\\uD800 is not a valid Unicode character'],
    ['"\\uDC00"', '\\uDC00 is not a valid Unicode character'],
    ['"\\uD800\\u0041"', '\\uD800 is not a valid Unicode character'],
    ['"\\uDBFF\\uDFFF"', '\\uDBFF\\uDFFF is not a valid Unicode character'],
    ['"\\uFFFE"', '\\uFFFE is not a valid Unicode character'],
    ['"\\uFDD0"', '\\uFDD0 is not a valid Unicode character'],
    ['"\\u12"', '\\u12" is not a valid Unicode character'],
    ['"\\u1"', '\\u1" is not a valid Unicode character'],
    ['"\\u12\xc3\xa9"', '\\u12\u00e9 is not a valid Unicode character'],
    ['"\xc3("', 'invalid UTF-8 sequence in string'],
    ['"\x80"', 'invalid UTF-8 sequence in string'],
    ['"\xc1\x81"', 'invalid UTF-8 sequence in string'],
    ['"\xed\xa0\x80"', 'invalid UTF-8 sequence in string'],
    ['"\xef\xbf\xbe"', 'invalid UTF-8 sequence in string'],
    ['"\xf4\x90\x80\x80"', 'invalid UTF-8 sequence in string'],
    ['["\\q", foo]', 'invalid escape sequence in string'],
    ['[1 "\\q"]', 'expected separator in list'],
  ];
  for (const [input, msg] of cases) {
    it(`rejects ${JSON.stringify(input)} with "${msg}"`, () => {
      expect(feedAll(raw(input))).toEqual([`ERR ${q('JSON parse error, ' + msg)}`]);
    });
  }

  it('cuts long messages at QEMU\'s 1024-byte format buffer', () => {
    const kw = 'x'.repeat(2000);
    const expected = ("invalid keyword '" + kw + "'").slice(0, 1023);
    expect(parseQemuJson(`[${kw}]`)[0]).toEqual({ error: 'JSON parse error, ' + expected, cause: 'syntax' });
  });

  it('accepts the C0 80 encoding of U+0000 and what escapes and UTF-8 spell', () => {
    expect(feedAll(raw('"a\xc0\x80b"'))).toEqual(['"a\\u0000b"']);
    expect(feedAll(utf8('"\\u0000\\/\\b\\f\\r\\t\\"\\\\\\\' \\ud83d\\ude00 \u{10FFFD}"'))).toEqual([
      '"\\u0000/\\b\\f\\r\\t\\"\\\\\' \\uD83D\\uDE00 \\uDBFF\\uDFFD"',
    ]);
  });
});

describe('JSON stream parser: limits', () => {
  it(`accepts nesting ${JSON_MAX_NESTING} deep and rejects ${JSON_MAX_NESTING + 1}`, () => {
    const ok = feedAll(utf8('['.repeat(1024) + ']'.repeat(1024)));
    expect(ok.length).toBe(1);
    expect(ok[0]).toBe('['.repeat(1024) + ']'.repeat(1024));
    const bad = feedAll(utf8('['.repeat(1025) + ']'.repeat(1025)));
    expect(bad[0]).toBe('ERR "JSON nesting depth limit exceeded"');
    // Every stranded ']' is a message of its own.
    expect(bad.length).toBe(1 + 1025);
    expect(new Set(bad.slice(1))).toEqual(new Set(['ERR "JSON parse error, expecting value"']));
  });

  it('counts braces and brackets together for nesting', () => {
    const open = '{"a":['.repeat(512) + '{';
    expect(feedAll(utf8(open))[0]).toBe('ERR "JSON nesting depth limit exceeded"');
  });

  it('allows 2 Mi tokens in a message and rejects the next one', () => {
    const k = 1024 * 1024;
    // '[' + k zeros separated by commas = 2k tokens; the closing ']' is token 2k+1.
    const c = collector();
    c.parser.feed(utf8('[' + '0,'.repeat(k - 1) + '0 '));
    expect(c.out).toEqual([]);
    c.parser.feed(utf8(']'));
    expect(c.out).toEqual(['ERR "JSON token count limit exceeded"']);
    const ok = collector();
    ok.parser.feed(utf8('[' + '0,'.repeat(k - 2) + '0]'));
    expect(ok.messages[0]!.value).toHaveLength(k - 1);
  });

  it('limits a message to 64 MiB of token bytes', () => {
    const mib64 = 64 * 1024 * 1024;
    // '[' (1) + string (L + 2) + ']' (1) passes while the running total plus one stays <= 64 MiB.
    const fits = mib64 - 5;
    const buf = new Uint8Array(fits + 5).fill(0x61);
    buf[0] = 0x5b;
    buf[1] = 0x22;
    buf[fits + 2] = 0x22;
    buf[fits + 3] = 0x5d;
    const c = collector();
    c.parser.feed(buf.subarray(0, fits + 4));
    expect(c.messages).toHaveLength(1);
    expect((c.messages[0]!.value as string[])[0]).toHaveLength(fits);
    const over = new Uint8Array(fits + 5).fill(0x61);
    over[0] = 0x5b;
    over[1] = 0x22;
    over[fits + 3] = 0x22;
    over[fits + 4] = 0x5d;
    const d = collector();
    d.parser.feed(over);
    expect(d.out).toEqual(['ERR "JSON token size limit exceeded"']);
  }, 60_000);

  it('cuts off a runaway string at 64 MiB without waiting for its end', () => {
    const c = collector();
    c.parser.feed(utf8('"'));
    const mib = new Uint8Array(1024 * 1024).fill(0x61);
    for (let i = 0; i < 63; i++) c.parser.feed(mib);
    c.parser.feed(mib.subarray(0, mib.length - 1));
    expect(c.out).toEqual([]);
    // One more byte makes the token 64 MiB + 1 long.
    c.parser.feed(utf8('a'));
    expect(c.out).toEqual(['ERR "JSON token size limit exceeded"']);
    // What follows is lexed afresh.
    c.parser.feed(utf8(' 5 '));
    expect(c.out).toEqual(['ERR "JSON token size limit exceeded"', '5']);
  }, 60_000);
});
