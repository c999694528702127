/**
 * QEMU's recursive-descent JSON parser, run over one message's tokens. Its error
 * reporting is part of the protocol: 7.2 keeps the first error (the innermost cause),
 * 2.5 overwrote it on the way out (so the outermost complaint wins); 7.2 rejects
 * duplicate keys where 2.5 let the last value replace the first in place.
 */
import {
  JSON_PARSE_ERROR_PREFIX,
  TOK_COLON,
  TOK_COMMA,
  TOK_FLOAT,
  TOK_INTEGER,
  TOK_INTERP,
  TOK_KEYWORD,
  TOK_LCURLY,
  TOK_LSQUARE,
  TOK_RCURLY,
  TOK_RSQUARE,
  TOK_STRING,
} from './json-limits.js';
import { StringTokenError } from './json-string.js';
import { QDict } from './qdict.js';
import { INT64_MAX, INT64_MIN, QNum, UINT64_MAX } from './qnum.js';
import type { QValue } from './value.js';

/** What the streamer keeps per token: literal text, a decoded string, an already classified integer, or nothing. */
export type TokenPayload = string | StringTokenError | QNum | undefined;

/** The parse of one message: a value, or an error text (null: failed without one, 2.5 only). */
export type ParseOutcome = { ok: true; value: QValue } | { ok: false; error: string | null };

/** QEMU formats parser messages into a 1024-byte buffer (vsnprintf), so long ones are cut. */
const MESSAGE_BUFFER = 1024;

const FAIL: unique symbol = Symbol('parse failure');
type Result = QValue | typeof FAIL;

/** Parses tokens [0, count) of one complete message. */
export function parseTokens(
  types: ArrayLike<number>,
  payloads: readonly TokenPayload[],
  count: number,
  legacy: boolean,
): ParseOutcome {
  const p = new Parser(types, payloads, count, legacy);
  const v = p.parseValue();
  if (v === FAIL) return { ok: false, error: p.error };
  return { ok: true, value: v };
}

class Parser {
  private pos = 0;
  /** The error to report; null until one happens. */
  error: string | null = null;

  constructor(
    private readonly types: ArrayLike<number>,
    private readonly payloads: readonly TokenPayload[],
    private readonly count: number,
    private readonly legacy: boolean,
  ) {}

  private fail(message: string): typeof FAIL {
    if (this.error === null || this.legacy) {
      const m = message.length >= MESSAGE_BUFFER ? message.slice(0, MESSAGE_BUFFER - 1) : message;
      this.error = JSON_PARSE_ERROR_PREFIX + m;
    }
    return FAIL;
  }

  private peek(): number {
    return this.pos < this.count ? this.types[this.pos]! : -1;
  }

  parseValue(): Result {
    switch (this.peek()) {
      case -1:
        return this.fail('premature EOI');
      case TOK_LCURLY:
        return this.parseObject();
      case TOK_LSQUARE:
        return this.parseArray();
      case TOK_INTEGER:
      case TOK_FLOAT:
      case TOK_STRING:
        return this.parseLiteral();
      case TOK_KEYWORD:
        return this.parseKeyword();
      case TOK_INTERP:
        // Only 2.5 lexes `%d` and friends; without a va_list its parser refused them
        // without a message.
        return FAIL;
      default:
        return this.fail('expecting value');
    }
  }

  private parseObject(): Result {
    this.pos++;
    const dict = new QDict();
    const peek = this.peek();
    if (peek === -1) return this.fail('premature EOI');
    if (peek === TOK_RCURLY) {
      this.pos++;
      return dict;
    }
    if (!this.parsePair(dict)) return FAIL;
    let tok = this.pop();
    if (tok === -1) return this.fail('premature EOI');
    while (tok !== TOK_RCURLY) {
      if (tok !== TOK_COMMA) return this.fail('expected separator in dict');
      if (!this.parsePair(dict)) return FAIL;
      tok = this.pop();
      if (tok === -1) return this.fail('premature EOI');
    }
    return dict;
  }

  private parsePair(dict: QDict): boolean {
    if (this.peek() === -1) {
      this.fail('premature EOI');
      return false;
    }
    const key = this.parseValue();
    if (typeof key !== 'string') {
      this.fail('key is not a string in object');
      return false;
    }
    const tok = this.pop();
    if (tok === -1) {
      this.fail('premature EOI');
      return false;
    }
    if (tok !== TOK_COLON) {
      this.fail('missing : in object pair');
      return false;
    }
    const value = this.parseValue();
    if (value === FAIL) {
      this.fail('Missing value in dict');
      return false;
    }
    if (!this.legacy && dict.has(key)) {
      this.fail('duplicate key');
      return false;
    }
    dict.set(key, value);
    return true;
  }

  private parseArray(): Result {
    this.pos++;
    const list: QValue[] = [];
    const peek = this.peek();
    if (peek === -1) return this.fail('premature EOI');
    if (peek === TOK_RSQUARE) {
      this.pos++;
      return list;
    }
    let v = this.parseValue();
    if (v === FAIL) return this.fail('expecting value');
    list.push(v);
    let tok = this.pop();
    if (tok === -1) return this.fail('premature EOI');
    while (tok !== TOK_RSQUARE) {
      if (tok !== TOK_COMMA) return this.fail('expected separator in list');
      v = this.parseValue();
      if (v === FAIL) return this.fail('expecting value');
      list.push(v);
      tok = this.pop();
      if (tok === -1) return this.fail('premature EOI');
    }
    return list;
  }

  private parseKeyword(): Result {
    const text = this.payloads[this.pos++] as string;
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (text === 'null') return null;
    return this.fail(`invalid keyword '${text}'`);
  }

  private parseLiteral(): Result {
    const type = this.types[this.pos]!;
    const payload = this.payloads[this.pos++];
    if (payload instanceof StringTokenError) return this.fail(payload.message);
    if (payload instanceof QNum) return payload;
    const text = payload as string;
    if (type === TOK_STRING) return text;
    if (type === TOK_INTEGER) {
      const n = classifyInteger(text, this.legacy);
      if (n !== undefined) return n;
    }
    // strtod: correctly rounded, overflow to infinity, as Number() does.
    return QNum.double(Number(text));
  }

  private pop(): number {
    if (this.pos >= this.count) return -1;
    return this.types[this.pos++]!;
  }
}

/**
 * An integer literal's QNum, or undefined when it must become a double: 7.2 tries int64,
 * then (unsigned literals) uint64; 2.5's strtoll took int64 or nothing.
 */
export function classifyInteger(text: string, legacy: boolean): QNum | undefined {
  const digits = text.charCodeAt(0) === 0x2d ? text.length - 1 : text.length;
  // Lexed integers have no leading zeros, so the digit count alone rules out huge values
  // without building a bigint from a possibly 64 MiB literal.
  if (digits > 20) return undefined;
  const b = BigInt(text);
  if (b >= INT64_MIN && b <= INT64_MAX) return QNum.int(b);
  if (!legacy && b > 0n && b <= UINT64_MAX) return QNum.uint(b);
  return undefined;
}
