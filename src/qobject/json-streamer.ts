/**
 * QEMU's JSON message streamer (json-streamer.c) on top of the lexer: it cuts the token
 * stream into messages by counting braces and brackets — a message ends when both are
 * back to zero or either goes negative, so a bare scalar is a message and no newline is
 * needed — enforces the size, count and nesting limits, and hands each message to the
 * parser. Every message, good or bad, produces exactly one callback.
 */
import { JsonLexer, type TokenSink } from './json-lexer.js';
import {
  JSON_ERR_LEGACY_SYNTAX,
  JSON_ERR_NESTING,
  JSON_ERR_TOKEN_COUNT,
  JSON_ERR_TOKEN_SIZE,
  JSON_MAX_MESSAGE_BYTES,
  JSON_MAX_NESTING,
  JSON_MAX_TOKEN_COUNT,
  JSON_PARSE_ERROR_PREFIX,
  TOK_END_OF_INPUT,
  TOK_ERROR,
  TOK_FLOAT,
  TOK_INTEGER,
  TOK_INTERP,
  TOK_KEYWORD,
  TOK_LCURLY,
  TOK_LSQUARE,
  TOK_OVERSIZE,
  TOK_RCURLY,
  TOK_RSQUARE,
  TOK_STRING,
  type TokenType,
} from './json-limits.js';
import { parseTokens, type TokenPayload } from './json-parser.js';
import { decodeStringToken } from './json-string.js';
import type { QemuJsonDialect } from './json-writer.js';
import { QNum } from './qnum.js';
import { asciiToString, bytesToQemuString } from './utf8.js';
import type { QValue } from './value.js';

/**
 * Why a message failed: a lexical error (stray byte), a limit, or the parser's verdict.
 * In 2.5 the first two (and a parse that failed silently) all read "Invalid JSON syntax".
 */
export type JsonErrorCause = 'lexical' | 'limit' | 'syntax';

/** One complete top-level message: a value or QEMU's error description for it. */
export type JsonMessage =
  | { value: QValue; error?: undefined; cause?: undefined }
  | { error: string; cause: JsonErrorCause; value?: undefined };

/** Parser options. */
export interface JsonStreamParserOptions {
  /** Whose behaviour to reproduce: QEMU 7.2 (default) or 2.5. */
  dialect?: QemuJsonDialect;
}

/**
 * The incremental parser: feed() raw bytes with arbitrary boundaries; onMessage runs
 * synchronously for each message as soon as QEMU would have produced it (it must not
 * call back into this parser).
 */
export class JsonStreamParser {
  /** The dialect in force. */
  readonly dialect: QemuJsonDialect;
  private readonly legacy: boolean;
  private readonly lexer: JsonLexer;
  private braceCount = 0;
  private bracketCount = 0;
  private tokenSize = 0;
  private count = 0;
  private types = new Uint8Array(64);
  private payloads: TokenPayload[] = [];

  constructor(
    private readonly onMessage: (message: JsonMessage) => void,
    options: JsonStreamParserOptions = {},
  ) {
    this.dialect = options.dialect ?? '7.2';
    this.legacy = this.dialect === '2.5';
    const sink: TokenSink = {
      token: (type, buf, start, end) =>
        this.legacy ? this.legacyToken(type, buf, start, end) : this.modernToken(type, buf, start, end),
      oversize: (length) =>
        this.legacy ? this.legacyToken(TOK_OVERSIZE, null, 0, length) : this.modernToken(TOK_OVERSIZE, null, 0, length),
    };
    this.lexer = new JsonLexer(sink, this.dialect);
  }

  /** Feeds bytes (json_message_parser_feed). */
  feed(chunk: Uint8Array): void {
    this.lexer.feed(chunk);
  }

  /**
   * End of input (json_message_parser_flush): a pending number or keyword completes, an
   * open string is a lexical error, and in 7.2 an unfinished message is parsed (and so
   * reported, typically as "premature EOI"). 2.5 kept the unfinished message.
   */
  flush(): void {
    this.lexer.flush();
  }

  /** Forgets everything, as destroying and re-creating QEMU's parser does. */
  reset(): void {
    this.lexer.reset();
    this.clear();
  }

  private modernToken(type: TokenType, buf: Uint8Array | null, start: number, end: number): void {
    const len = end - start;
    switch (type) {
      case TOK_LCURLY:
        this.braceCount++;
        break;
      case TOK_RCURLY:
        this.braceCount--;
        break;
      case TOK_LSQUARE:
        this.bracketCount++;
        break;
      case TOK_RSQUARE:
        this.bracketCount--;
        break;
      case TOK_ERROR:
        this.fail(`${JSON_PARSE_ERROR_PREFIX}stray '${bytesToQemuString(buf!.subarray(start, end))}'`, 'lexical');
        return;
      case TOK_END_OF_INPUT:
        if (this.count !== 0) this.parseAndEmit();
        return;
    }
    if (this.tokenSize + len + 1 > JSON_MAX_MESSAGE_BYTES) return this.fail(JSON_ERR_TOKEN_SIZE, 'limit');
    if (this.count + 1 > JSON_MAX_TOKEN_COUNT) return this.fail(JSON_ERR_TOKEN_COUNT, 'limit');
    if (this.braceCount + this.bracketCount > JSON_MAX_NESTING) return this.fail(JSON_ERR_NESTING, 'limit');
    this.push(type, buf, start, end);
    this.tokenSize += len;
    if ((this.braceCount > 0 || this.bracketCount > 0) && this.braceCount >= 0 && this.bracketCount >= 0) return;
    this.parseAndEmit();
  }

  private legacyToken(type: TokenType, buf: Uint8Array | null, start: number, end: number): void {
    if (type === TOK_LCURLY) this.braceCount++;
    else if (type === TOK_RCURLY) this.braceCount--;
    else if (type === TOK_LSQUARE) this.bracketCount++;
    else if (type === TOK_RSQUARE) this.bracketCount--;
    if (type === TOK_ERROR) return this.fail(JSON_ERR_LEGACY_SYNTAX, 'lexical');
    this.push(type, buf, start, end);
    this.tokenSize += end - start;
    if (this.braceCount < 0 || this.bracketCount < 0 || (this.braceCount === 0 && this.bracketCount === 0)) {
      this.parseAndEmit();
    } else if (
      this.tokenSize > JSON_MAX_MESSAGE_BYTES ||
      this.count > JSON_MAX_TOKEN_COUNT ||
      this.braceCount + this.bracketCount > JSON_MAX_NESTING
    ) {
      this.fail(JSON_ERR_LEGACY_SYNTAX, 'limit');
    }
  }

  private push(type: TokenType, buf: Uint8Array | null, start: number, end: number): void {
    if (this.count === this.types.length) {
      const grown = new Uint8Array(this.types.length * 2);
      grown.set(this.types);
      this.types = grown;
    }
    this.types[this.count] = type;
    let payload: TokenPayload;
    if (buf !== null) {
      if (type === TOK_STRING) payload = decodeStringToken(buf, start, end, this.legacy);
      else if (type === TOK_INTEGER) payload = integerPayload(buf, start, end);
      else if (type === TOK_KEYWORD) payload = keywordPayload(buf, start, end);
      else if (type === TOK_FLOAT || type === TOK_INTERP) payload = asciiToString(buf, start, end);
    }
    this.payloads[this.count] = payload;
    this.count++;
  }

  private parseAndEmit(): void {
    const outcome = parseTokens(this.types, this.payloads, this.count, this.legacy);
    this.clear();
    if (outcome.ok) this.onMessage({ value: outcome.value });
    else this.onMessage({ error: outcome.error ?? JSON_ERR_LEGACY_SYNTAX, cause: 'syntax' });
  }

  private fail(error: string, cause: JsonErrorCause): void {
    this.clear();
    this.onMessage({ error, cause });
  }

  private clear(): void {
    // A big message leaves big arrays behind; don't pin them (or its strings) between messages.
    if (this.payloads.length > 4096) {
      this.payloads = [];
      this.types = new Uint8Array(64);
    } else {
      this.payloads.fill(undefined, 0, this.count);
    }
    this.braceCount = 0;
    this.bracketCount = 0;
    this.tokenSize = 0;
    this.count = 0;
  }
}

/**
 * Small integers are classified right away (the common case, and no text kept); long
 * ones keep their text for the parser's int64 / uint64 / double decision.
 */
function integerPayload(buf: Uint8Array, start: number, end: number): TokenPayload {
  const neg = buf[start] === 0x2d;
  let i = neg ? start + 1 : start;
  if (end - i > 15) return asciiToString(buf, start, end);
  let v = 0;
  for (; i < end; i++) v = v * 10 + (buf[i]! - 0x30);
  // "-0" is the integer 0: the sign of zero only survives in doubles.
  return QNum.from(neg && v !== 0 ? -v : v);
}

/** The valid keywords as shared constants; anything else keeps its text for the message. */
function keywordPayload(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  const b0 = buf[start];
  if (len === 4 && b0 === 0x74 && buf[start + 1] === 0x72 && buf[start + 2] === 0x75 && buf[start + 3] === 0x65) return 'true';
  if (len === 4 && b0 === 0x6e && buf[start + 1] === 0x75 && buf[start + 2] === 0x6c && buf[start + 3] === 0x6c) return 'null';
  if (len === 5 && b0 === 0x66 && asciiToString(buf, start, end) === 'false') return 'false';
  return asciiToString(buf, start, end);
}
