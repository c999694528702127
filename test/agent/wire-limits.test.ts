/**
 * JSON's limits as the agent answers them, byte for byte (7.2). The expected bytes are
 * what Debian's qemu-ga 7.2.22 sent for the same input followed by 0xFF and
 * guest-sync-delimited (recorded with the differential test's harness), so these hold
 * in CI where the real agent is not installed.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { AgentProtocol } from '../../src/agent/protocol/index.js';
import { JSON_MAX_NESTING, JSON_MAX_TOKEN_COUNT, JSON_MAX_TOKEN_BYTES } from '../../src/qobject/index.js';
import { show } from './helpers.js';

const err = (desc: string): string => `{"error": {"class": "GenericError", "desc": "${desc}"}}\n`;
const STRAY_FF = err("JSON parse error, stray '\\uFFFD'");
const EXPECTING = err('JSON parse error, expecting value');

/** Replies to `input` then 0xFF + guest-sync-delimited, without the final sentinel reply. */
function answer(input: Buffer): string {
  const p = new AgentProtocol();
  p.feed(input);
  const out = show(p.process(Buffer.from('\xff{"execute":"guest-sync-delimited","arguments":{"id":1}}', 'latin1')));
  expect(out.endsWith('<FF>{"return": 1}\n')).toBe(true);
  return out.slice(0, -'<FF>{"return": 1}\n'.length);
}

describe('JSON limits through the agent (qemu-ga 7.2 bytes)', () => {
  it(`nesting: ${JSON_MAX_NESTING} levels pass, one more is refused and every stranded closer costs a reply`, () => {
    expect(answer(Buffer.from('['.repeat(JSON_MAX_NESTING) + ']'.repeat(JSON_MAX_NESTING)))).toBe(err('QMP input must be a JSON object') + STRAY_FF);
    const over = JSON_MAX_NESTING + 1;
    expect(answer(Buffer.from('['.repeat(over) + ']'.repeat(over)))).toBe(err('JSON nesting depth limit exceeded') + EXPECTING.repeat(over) + STRAY_FF);
  }, 60_000);

  it(`token count: ${JSON_MAX_TOKEN_COUNT} tokens pass, one more is refused and the rest is parsed afresh`, () => {
    // `[0,...,0,[]]` with k zeros is 2k + 4 tokens; a list of n zeros is 2n + 1.
    expect(answer(Buffer.from('[' + '0,'.repeat(JSON_MAX_TOKEN_COUNT / 2 - 2) + '[]]'))).toBe(err('QMP input must be a JSON object') + STRAY_FF);
    // The refused token is the last 0; what is left is `]`.
    expect(answer(Buffer.from('[' + '0,'.repeat(JSON_MAX_TOKEN_COUNT / 2) + '0]'))).toBe(
      err('JSON token count limit exceeded') + err('QMP input must be a JSON object') + EXPECTING + STRAY_FF,
    );
  }, 60_000);

  it('token size: a string of 64 MiB is refused where it reaches the limit; 100 bytes less is a normal request', () => {
    const head = '{"execute":"guest-ping","arguments":{"x":"';
    expect(answer(Buffer.from(head + 'a'.repeat(JSON_MAX_TOKEN_BYTES) + '"}}'))).toBe(
      err('JSON token size limit exceeded') + err(`JSON parse error, stray '\\"}}\\uFFFD'`),
    );
    expect(answer(Buffer.from(head + 'a'.repeat(JSON_MAX_TOKEN_BYTES - 100) + '"}}'))).toBe(err("Parameter 'x' is unexpected") + STRAY_FF);
  }, 60_000);

  it('message size: two 32 MiB strings together exceed the 64 MiB of token bytes', () => {
    const half = 32 * 1024 * 1024;
    expect(answer(Buffer.from(`["${'a'.repeat(half)}","${'b'.repeat(half)}"]`))).toBe(err('JSON token size limit exceeded') + EXPECTING + STRAY_FF);
  }, 60_000);
});
