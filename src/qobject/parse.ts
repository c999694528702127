/**
 * One-shot parsing for callers that hold the whole input (tests, fixtures, replies read
 * in full): the stream parser fed once and flushed.
 */
import { Buffer } from 'node:buffer';
import { JsonStreamParser, type JsonMessage, type JsonStreamParserOptions } from './json-streamer.js';

/**
 * Every message in `input` (a string is taken as UTF-8), in order, including what the
 * end of input completes or rejects (a trailing number, an unfinished message in 7.2).
 */
export function parseQemuJson(input: string | Uint8Array, options: JsonStreamParserOptions = {}): JsonMessage[] {
  const out: JsonMessage[] = [];
  const parser = new JsonStreamParser((m) => out.push(m), options);
  parser.feed(typeof input === 'string' ? new Uint8Array(Buffer.from(input, 'utf8')) : input);
  parser.flush();
  return out;
}
