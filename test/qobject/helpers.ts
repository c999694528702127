/** Shared helpers for the qobject tests: feed bytes, render messages as QEMU would print them. */
import { JsonStreamParser, toQemuJson, type JsonMessage, type QemuJsonDialect } from '../../src/qobject/index.js';

/** Bytes from a string whose chars are all < 0x100, taken as raw byte values (so '\xff' is 0xFF). */
export function raw(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error('raw() takes byte values only');
    out[i] = c;
  }
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A message as one line: the value in QEMU's JSON, or `ERR <desc>` with desc as QEMU writes it. */
export function render(m: JsonMessage, dialect: QemuJsonDialect = '7.2'): string {
  return m.error !== undefined ? `ERR ${toQemuJson(m.error)}` : toQemuJson(m.value, { dialect });
}

/** A parser plus the rendered messages it has produced so far. */
export function collector(dialect: QemuJsonDialect = '7.2'): { parser: JsonStreamParser; out: string[]; messages: JsonMessage[] } {
  const out: string[] = [];
  const messages: JsonMessage[] = [];
  const parser = new JsonStreamParser(
    (m) => {
      messages.push(m);
      out.push(render(m, dialect));
    },
    { dialect },
  );
  return { parser, out, messages };
}

/** Feeds the chunks in order and returns the rendered messages. */
export function feedChunks(chunks: Uint8Array[], dialect: QemuJsonDialect = '7.2'): string[] {
  const c = collector(dialect);
  for (const ch of chunks) c.parser.feed(ch);
  return c.out;
}

/** Feeds the input in one chunk and returns the rendered messages. */
export function feedAll(input: Uint8Array, dialect: QemuJsonDialect = '7.2'): string[] {
  return feedChunks([input], dialect);
}

/** The JSON string literal QEMU would print for a JS string, for building expectations. */
export function q(s: string): string {
  return toQemuJson(s);
}
