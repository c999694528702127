/**
 * QEMU's JSON lexer: a byte-at-a-time state machine whose exact transitions decide what
 * garbage turns into (which bytes an error swallows, how many errors a run of junk
 * produces, when a number is complete). Two tables: 7.2's, which enters a recovery state
 * after an error and skips to the next structural byte, control byte, 0xFE or 0xFF; and
 * 2.5's, which reports and drops each bad byte on its own. Tokens are handed to a sink
 * as soon as they are complete; nothing is buffered but the token in progress.
 */
import type { QemuJsonDialect } from './json-writer.js';
import {
  JSON_MAX_TOKEN_BYTES,
  TOK_COLON,
  TOK_COMMA,
  TOK_END_OF_INPUT,
  TOK_ERROR,
  TOK_FLOAT,
  TOK_INTEGER,
  TOK_INTERP,
  TOK_KEYWORD,
  TOK_LCURLY,
  TOK_LSQUARE,
  TOK_RCURLY,
  TOK_RSQUARE,
  TOK_STRING,
  type TokenType,
} from './json-limits.js';

/** Receives tokens from the lexer. */
export interface TokenSink {
  /**
   * A complete token, `buf[start..end)`; the bytes are only valid during the call
   * (punctuation gets a shared copy). A range rather than a subarray: no allocation per token.
   */
  token(type: TokenType, buf: Uint8Array, start: number, end: number): void;
  /** A token cut off for exceeding JSON_MAX_TOKEN_BYTES; `length` is what it had reached. */
  oversize(length: number): void;
}

// Table entries: a next state, a "token complete" result, or 0 for a lexical error,
// optionally flagged LOOKAHEAD (the byte is not part of this token and is lexed again).
const R_ERROR = 0;
const S_START = 1;
const S_RECOVERY = 2;
const S_DQ = 3;
const S_DQ_ESC = 4;
const S_SQ = 5;
const S_SQ_ESC = 6;
const S_ZERO = 7;
const S_DIGITS = 8;
const S_SIGN = 9;
const S_MANTISSA = 10;
const S_MANTISSA_DIGITS = 11;
const S_EXP_E = 12;
const S_EXP_SIGN = 13;
const S_EXP_DIGITS = 14;
const S_KEYWORD = 15;
const S_WHITESPACE = 16;
const S_DQ_U0 = 17;
const S_SQ_U0 = 21;
const S_INTERP = 25;
const S_INTERP_L = 26;
const S_INTERP_LL = 27;
const S_INTERP_I = 28;
const S_INTERP_I6 = 29;
const S_INTERP_I64 = 30;
const STATE_COUNT = 31;
/** 2.5 whitespace ends as a token that is thrown away. */
const R_SKIP = 63;
/** Results R_TOKEN + TOK_* complete a token. */
const R_TOKEN = 64;
const LOOKAHEAD = 0x80;
const VALUE_MASK = 0x7f;

const DIGITS = '0123456789';
const HEX = '0123456789abcdefABCDEF';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const WS = ' \t\r\n';

class TableBuilder {
  readonly t = new Uint8Array(STATE_COUNT * 256);
  range(state: number, lo: number, hi: number, v: number): this {
    this.t.fill(v, state * 256 + lo, state * 256 + hi + 1);
    return this;
  }
  chars(state: number, chars: string, v: number): this {
    for (let i = 0; i < chars.length; i++) this.t[state * 256 + chars.charCodeAt(i)] = v;
    return this;
  }
}

function tok(type: TokenType): number {
  return R_TOKEN + type;
}

function startState(b: TableBuilder, legacy: boolean): void {
  b.chars(S_START, '"', S_DQ)
    .chars(S_START, "'", S_SQ)
    .chars(S_START, '0', S_ZERO)
    .chars(S_START, '123456789', S_DIGITS)
    .chars(S_START, '-', S_SIGN)
    .chars(S_START, '{', tok(TOK_LCURLY))
    .chars(S_START, '}', tok(TOK_RCURLY))
    .chars(S_START, '[', tok(TOK_LSQUARE))
    .chars(S_START, ']', tok(TOK_RSQUARE))
    .chars(S_START, ',', tok(TOK_COMMA))
    .chars(S_START, ':', tok(TOK_COLON))
    .chars(S_START, LOWER, S_KEYWORD)
    .chars(S_START, WS, legacy ? S_WHITESPACE : S_START);
}

/** Number states; `terminal` fills the bytes that end a number without belonging to it. */
function numberStates(b: TableBuilder, terminal: (state: number, result: number) => void): void {
  terminal(S_ZERO, tok(TOK_INTEGER));
  b.chars(S_ZERO, DIGITS, R_ERROR).chars(S_ZERO, '.', S_MANTISSA);
  terminal(S_DIGITS, tok(TOK_INTEGER));
  b.chars(S_DIGITS, DIGITS, S_DIGITS).chars(S_DIGITS, 'eE', S_EXP_E).chars(S_DIGITS, '.', S_MANTISSA);
  b.chars(S_SIGN, '0', S_ZERO).chars(S_SIGN, '123456789', S_DIGITS);
  b.chars(S_MANTISSA, DIGITS, S_MANTISSA_DIGITS);
  terminal(S_MANTISSA_DIGITS, tok(TOK_FLOAT));
  b.chars(S_MANTISSA_DIGITS, DIGITS, S_MANTISSA_DIGITS).chars(S_MANTISSA_DIGITS, 'eE', S_EXP_E);
  b.chars(S_EXP_E, '+-', S_EXP_SIGN).chars(S_EXP_E, DIGITS, S_EXP_DIGITS);
  b.chars(S_EXP_SIGN, DIGITS, S_EXP_DIGITS);
  terminal(S_EXP_DIGITS, tok(TOK_FLOAT));
  b.chars(S_EXP_DIGITS, DIGITS, S_EXP_DIGITS);
  terminal(S_KEYWORD, tok(TOK_KEYWORD));
  b.chars(S_KEYWORD, LOWER, S_KEYWORD);
}

function modernTable(): Uint8Array {
  const b = new TableBuilder();
  const structural = '[]{}:,';
  b.range(S_RECOVERY, 0x00, 0x1f, S_START | LOOKAHEAD)
    .range(S_RECOVERY, 0x20, 0xfd, S_RECOVERY)
    .range(S_RECOVERY, 0xfe, 0xff, S_START | LOOKAHEAD)
    .chars(S_RECOVERY, '\t', S_RECOVERY)
    .chars(S_RECOVERY, structural, S_START | LOOKAHEAD);
  for (const [str, esc, quote] of [
    [S_DQ, S_DQ_ESC, '"'],
    [S_SQ, S_SQ_ESC, "'"],
  ] as const) {
    b.range(esc, 0x20, 0xfd, str);
    b.range(str, 0x20, 0xfd, str).chars(str, '\\', esc).chars(str, quote, tok(TOK_STRING));
  }
  // 7.2's TERMINAL covers every byte, so a number followed by 0xFF is still a number.
  numberStates(b, (s, r) => b.range(s, 0x00, 0xff, r | LOOKAHEAD));
  startState(b, false);
  return b.t;
}

function legacyTable(): Uint8Array {
  const b = new TableBuilder();
  for (const [str, esc, u0, quote] of [
    [S_DQ, S_DQ_ESC, S_DQ_U0, '"'],
    [S_SQ, S_SQ_ESC, S_SQ_U0, "'"],
  ] as const) {
    b.chars(u0 + 3, HEX, str).chars(u0 + 2, HEX, u0 + 3).chars(u0 + 1, HEX, u0 + 2).chars(u0, HEX, u0 + 1);
    b.chars(esc, 'bfnrt/\\\'"', str).chars(esc, 'u', u0);
    b.range(str, 0x01, 0xbf, str).range(str, 0xc2, 0xf4, str).chars(str, '\\', esc).chars(str, quote, tok(TOK_STRING));
  }
  // 2.5's TERMINAL covers only 0x00..0x7F: a number followed by a high byte is an error.
  numberStates(b, (s, r) => b.range(s, 0x00, 0x7f, r));
  b.range(S_WHITESPACE, 0x00, 0x7f, R_SKIP).chars(S_WHITESPACE, WS, S_WHITESPACE);
  const interp = tok(TOK_INTERP);
  b.chars(S_INTERP, 'dipsf', interp).chars(S_INTERP, 'l', S_INTERP_L).chars(S_INTERP, 'I', S_INTERP_I);
  b.chars(S_INTERP_L, 'd', interp).chars(S_INTERP_L, 'l', S_INTERP_LL).chars(S_INTERP_LL, 'd', interp);
  b.chars(S_INTERP_I, '6', S_INTERP_I6).chars(S_INTERP_I6, '4', S_INTERP_I64).chars(S_INTERP_I64, 'd', interp);
  startState(b, true);
  b.chars(S_START, '%', S_INTERP);
  // 2.5 decided lookahead by comparing with the entry for byte 0: a terminal state's
  // "token complete" entries are exactly the ones equal to it.
  const t = b.t;
  for (let s = 0; s < STATE_COUNT; s++) {
    const t0 = t[s * 256]!;
    if (t0 === R_ERROR) continue;
    for (let c = 0; c < 256; c++) if (t[s * 256 + c] === t0) t[s * 256 + c] = t0 | LOOKAHEAD;
  }
  return t;
}

function plainStringBytes(legacy: boolean): Uint8Array {
  const p = new Uint8Array(256);
  if (legacy) {
    p.fill(1, 0x01, 0xc0);
    p.fill(1, 0xc2, 0xf5);
  } else {
    p.fill(1, 0x20, 0xfe);
  }
  p[0x5c] = 0;
  return p;
}

const MODERN_TABLE = modernTable();
const LEGACY_TABLE = legacyTable();
const MODERN_PLAIN = plainStringBytes(false);
const LEGACY_PLAIN = plainStringBytes(true);
const PUNCTUATION_TEXT: Uint8Array[] = [];
for (const [t, ch] of [
  [TOK_LCURLY, '{'],
  [TOK_RCURLY, '}'],
  [TOK_LSQUARE, '['],
  [TOK_RSQUARE, ']'],
  [TOK_COLON, ':'],
  [TOK_COMMA, ','],
] as const) {
  PUNCTUATION_TEXT[t] = new Uint8Array([ch.charCodeAt(0)]);
}
const EMPTY = new Uint8Array(0);

/** The lexer; feed it bytes in chunks of any size. */
export class JsonLexer {
  private readonly table: Uint8Array;
  private readonly plain: Uint8Array;
  private readonly legacy: boolean;
  private state = S_START;
  /** Where the token in progress starts in the current chunk. */
  private tokStart = 0;
  /** Earlier chunks' share of the token in progress. */
  private pending: Uint8Array[] = [];
  private pendingLen = 0;

  constructor(
    private readonly sink: TokenSink,
    dialect: QemuJsonDialect = '7.2',
  ) {
    this.legacy = dialect === '2.5';
    this.table = this.legacy ? LEGACY_TABLE : MODERN_TABLE;
    this.plain = this.legacy ? LEGACY_PLAIN : MODERN_PLAIN;
  }

  /** Back to the initial state, dropping any partial token (json_lexer_init). */
  reset(): void {
    this.state = S_START;
    this.truncate(0);
  }

  /** Lexes a chunk; tokens reach the sink before this returns. */
  feed(chunk: Uint8Array): void {
    const t = this.table;
    const n = chunk.length;
    let state = this.state;
    let i = 0;
    this.tokStart = 0;
    while (i < n) {
      if (state === S_DQ || state === S_SQ) {
        // The bulk of any big message is string bytes: skip them without the table.
        const quote = state === S_DQ ? 0x22 : 0x27;
        const plain = this.plain;
        let stop = this.tokStart - this.pendingLen + JSON_MAX_TOKEN_BYTES;
        if (stop > n) stop = n;
        while (i < stop) {
          const b = chunk[i]!;
          if (plain[b] === 0 || b === quote) break;
          i++;
        }
        if (i >= n) break;
      }
      const e = t[(state << 8) | chunk[i]!]!;
      const next = e & VALUE_MASK;
      if (e & LOOKAHEAD) {
        if (next >= R_TOKEN) this.emit((next - R_TOKEN) as TokenType, chunk, i);
        // Anything else with lookahead returns to the start state (whitespace end, resync).
        this.truncate(i);
        state = S_START;
        continue;
      }
      i++;
      if (next >= R_TOKEN) {
        this.emit((next - R_TOKEN) as TokenType, chunk, i);
        this.truncate(i);
        state = S_START;
      } else if (next === R_ERROR) {
        this.emit(TOK_ERROR, chunk, i);
        this.truncate(i);
        state = this.legacy ? S_START : S_RECOVERY;
      } else if (next === S_START || next === S_RECOVERY) {
        this.truncate(i);
        state = next;
      } else {
        state = next;
        if (i - this.tokStart + this.pendingLen > JSON_MAX_TOKEN_BYTES) {
          this.sink.oversize(i - this.tokStart + this.pendingLen);
          this.truncate(i);
          state = S_START;
        }
      }
    }
    this.state = state;
    if (this.tokStart < n) {
      this.pending.push(chunk.slice(this.tokStart, n));
      this.pendingLen += n - this.tokStart;
    }
    this.tokStart = 0;
  }

  /**
   * End of input (json_lexer_flush): completes or rejects the token in progress as if a
   * NUL byte followed. In 7.2 this also tells the streamer to parse whatever it holds.
   */
  flush(): void {
    const t = this.table;
    let state = this.state;
    this.tokStart = 0;
    while (state !== S_START) {
      const next = t[state << 8]! & VALUE_MASK;
      if (next >= R_TOKEN) {
        this.emit((next - R_TOKEN) as TokenType, EMPTY, 0);
        state = S_START;
      } else if (next === R_ERROR) {
        this.emit(TOK_ERROR, EMPTY, 0);
        state = this.legacy ? S_START : S_RECOVERY;
      } else {
        state = next === R_SKIP ? S_START : next;
      }
      this.truncate(0);
      // 2.5 fed its NUL once and no more.
      if (this.legacy) state = S_START;
    }
    this.state = S_START;
    if (!this.legacy) this.sink.token(TOK_END_OF_INPUT, EMPTY, 0, 0);
  }

  private emit(type: TokenType, chunk: Uint8Array, end: number): void {
    const punct = PUNCTUATION_TEXT[type];
    if (punct !== undefined) {
      this.sink.token(type, punct, 0, 1);
      return;
    }
    if (this.pendingLen === 0) {
      this.sink.token(type, chunk, this.tokStart, end);
      return;
    }
    const text = new Uint8Array(this.pendingLen + end - this.tokStart);
    let o = 0;
    for (const part of this.pending) {
      text.set(part, o);
      o += part.length;
    }
    text.set(chunk.subarray(this.tokStart, end), o);
    this.sink.token(type, text, 0, text.length);
  }

  private truncate(pos: number): void {
    this.tokStart = pos;
    if (this.pendingLen !== 0) {
      this.pending = [];
      this.pendingLen = 0;
    }
  }
}
