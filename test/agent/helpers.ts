/** Shared helpers for the agent protocol tests. */
import { Buffer } from 'node:buffer';
import { AgentProtocol, type AgentProtocolOptions } from '../../src/agent/protocol/index.js';

/** Bytes of a string, with `<FF>` standing for a raw 0xFF byte. */
export function wire(s: string): Uint8Array {
  const parts = s.split('<FF>');
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(Buffer.from([0xff]));
    out.push(Buffer.from(p, 'utf8'));
  });
  return new Uint8Array(Buffer.concat(out));
}

/** Reply bytes as text, a 0xFF shown as `<FF>` (the agent's output is otherwise ASCII). */
export function show(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1').replaceAll('\xff', '<FF>');
}

/** An agent with synchronous handlers; `ask` feeds it and returns what it answered. */
export function agent(options: AgentProtocolOptions = {}): { proto: AgentProtocol; ask: (input: string) => string } {
  const proto = new AgentProtocol(options);
  return { proto, ask: (input) => show(proto.process(wire(input))) };
}

/** The `desc` of a single error reply. */
export function desc(reply: string): string {
  const m = /"desc": "((?:[^"\\]|\\.)*)"/.exec(reply);
  if (m === null) throw new Error(`not an error reply: ${reply}`);
  return JSON.parse(`"${m[1]}"`) as string;
}
