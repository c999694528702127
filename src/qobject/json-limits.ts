/**
 * The limits QEMU's JSON streamer enforces on untrusted input, the texts it reports, and
 * the token kinds passed from lexer to streamer to parser.
 */

/**
 * MAX_TOKEN_SIZE in json-streamer.c: bytes of all tokens of one message (64 MiB), so a
 * peer cannot make QEMU buffer unbounded input before parsing it.
 */
export const JSON_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** MAX_TOKEN_COUNT (2 Mi tokens per message): bounds the token queue's bookkeeping. */
export const JSON_MAX_TOKEN_COUNT = 2 * 1024 * 1024;
/** MAX_NESTING (open braces plus brackets): the parser recurses once per level. */
export const JSON_MAX_NESTING = 1024;
/** MAX_TOKEN_SIZE in json-lexer.c: one token may not grow past 64 MiB even mid-message. */
export const JSON_MAX_TOKEN_BYTES = 64 * 1024 * 1024;

/** Prefix of every parser error (and of the stray-token error). */
export const JSON_PARSE_ERROR_PREFIX = 'JSON parse error, ';
/** Total token bytes of a message over the limit (7.2). */
export const JSON_ERR_TOKEN_SIZE = 'JSON token size limit exceeded';
/** Too many tokens in one message (7.2). */
export const JSON_ERR_TOKEN_COUNT = 'JSON token count limit exceeded';
/** Too deeply nested (7.2). */
export const JSON_ERR_NESTING = 'JSON nesting depth limit exceeded';
/** QERR_JSON_PARSING: what 2.5 says for a lexical error, a limit, or a parse that failed silently. */
export const JSON_ERR_LEGACY_SYNTAX = 'Invalid JSON syntax';

/** Token kinds (QEMU's JSONTokenType, minus whitespace and interpolation). */
export const TOK_LCURLY = 1;
/** `}` */
export const TOK_RCURLY = 2;
/** `[` */
export const TOK_LSQUARE = 3;
/** `]` */
export const TOK_RSQUARE = 4;
/** `:` */
export const TOK_COLON = 5;
/** `,` */
export const TOK_COMMA = 6;
/** An integer literal. */
export const TOK_INTEGER = 7;
/** A literal with a fraction or exponent. */
export const TOK_FLOAT = 8;
/** `[a-z]+`; only true/false/null are valid. */
export const TOK_KEYWORD = 9;
/** A quoted string, quotes included. */
export const TOK_STRING = 10;
/** 2.5's `%d`-style interpolation escape, which the agent's parser (no va_list) rejects silently. */
export const TOK_INTERP = 11;
/** A lexical error; the token text is what was consumed, bad byte included. */
export const TOK_ERROR = 12;
/** A token cut off at JSON_MAX_TOKEN_BYTES (QEMU passes the lexer state as its type). */
export const TOK_OVERSIZE = 13;
/** json_lexer_flush's end-of-input marker (7.2). */
export const TOK_END_OF_INPUT = 14;

/** One of the TOK_* kinds. */
export type TokenType =
  | typeof TOK_LCURLY
  | typeof TOK_RCURLY
  | typeof TOK_LSQUARE
  | typeof TOK_RSQUARE
  | typeof TOK_COLON
  | typeof TOK_COMMA
  | typeof TOK_INTEGER
  | typeof TOK_FLOAT
  | typeof TOK_KEYWORD
  | typeof TOK_STRING
  | typeof TOK_INTERP
  | typeof TOK_ERROR
  | typeof TOK_OVERSIZE
  | typeof TOK_END_OF_INPUT;
