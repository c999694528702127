/** An agent engine on the device side of an in-memory chardev pipe, for client tests. */
import { Buffer } from 'node:buffer';
import { AgentProtocol, type AgentProtocolOptions } from '../../src/agent/protocol/index.js';
import { createChardevPipe, type ChardevPipeHost, type MemoryChardev } from '../../src/chardev/index.js';

/** What a blocking test handler yields. */
export interface Block {
  op: string;
}

/** The agent side: every byte it got, and control over a suspended drain. */
export interface AgentHarness {
  chardev: MemoryChardev;
  host: ChardevPipeHost;
  proto: AgentProtocol<Block>;
  /** Everything the agent received, as latin1 text (0xFF as `<FF>`). */
  received(): string;
  /** Bytes to send ahead of the agent's next reply (stale data from "earlier"). */
  inject(text: string): void;
  /** Resumes a drain suspended in a blocking handler, passing `value`. */
  resume(value?: unknown): void;
  /** Whether a handler is blocked. */
  blocked(): boolean;
}

/** Creates the pipe and the agent; the client connects the host end. */
export async function agentHarness(options: AgentProtocolOptions<Block> = {}): Promise<AgentHarness> {
  const { chardev, host } = createChardevPipe('qga0');
  await chardev.open();
  const got: Buffer[] = [];
  let pending: string[] = [];
  let gen: Generator<Block, void, unknown> | undefined;
  const proto = new AgentProtocol<Block>({
    ...options,
    write: (b) => {
      for (const t of pending) chardev.write(new Uint8Array(Buffer.from(t.replaceAll('<FF>', '\xff'), 'latin1')));
      pending = [];
      chardev.write(b);
    },
  });
  const step = (value?: unknown) => {
    if (gen === undefined) return;
    const r = gen.next(value);
    if (r.done === true) gen = undefined;
  };
  chardev.on('data', (b) => {
    got.push(Buffer.from(b));
    proto.feed(b);
    if (gen === undefined) {
      gen = proto.drain();
      step();
    }
  });
  return {
    chardev,
    host,
    proto,
    received: () => Buffer.concat(got).toString('latin1').replaceAll('\xff', '<FF>'),
    inject: (text) => pending.push(text),
    resume: (value) => {
      step(value);
      // Requests that arrived while blocked are answered now.
      if (gen === undefined && proto.pending > 0) {
        gen = proto.drain();
        step();
      }
    },
    blocked: () => gen !== undefined,
  };
}

/** Waits for real time to pass. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
