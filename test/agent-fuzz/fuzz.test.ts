/**
 * Fuzz smoke test: 100,000 seeded random and mutated inputs (inputs.ts), each followed by
 * 0xFF + guest-sync-delimited, which must bring the agent back in step every time with
 * nothing but well-formed replies before it (check.ts). Most inputs go straight to the
 * protocol engine, for both wire generations; a sample goes through the whole machine
 * (pipe chardev → virtio-serial → guest driver → qemu-ga with every command handler).
 * QGA_FUZZ_SEED and QGA_FUZZ_N override the seed and count; a failure prints both and
 * the input.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { AgentProtocol } from '../../src/agent/protocol/index.js';
import { Prng } from '../../src/core/prng.js';
import { createDefaultMachine } from '../../src/default-machine.js';
import { guestLoader } from '../../src/guest/loader.js';
import { REAL_QGA_BLOCKED } from '../agent-diff/real-qga.js';
import { checkReplies, resync, showInput } from './check.js';
import { FuzzInputs } from './inputs.js';

const SEED = Number(process.env['QGA_FUZZ_SEED'] ?? 20240501);
const TOTAL = Number(process.env['QGA_FUZZ_N'] ?? 100_000);
/** Inputs sent through the whole machine (the rest go to the engine in-process). */
const MACHINE_SAMPLE = Math.min(2_000, Math.floor(TOTAL / 50));
/** One in this many in-process inputs goes to a 2.5 agent. */
const LEGACY_EVERY = 5;

function failure(where: string, i: number, input: Buffer, what: string): Error {
  return new Error(`agent fuzz (${where}) failed: seed ${SEED}, input #${i}: ${what}\n  input ${showInput(input)}\n  rerun: QGA_FUZZ_SEED=${SEED} npx vitest run test/agent-fuzz`);
}

describe('agent fuzz smoke test', () => {
  it(`survives ${TOTAL - MACHINE_SAMPLE} inputs in-process and resyncs after each (seed ${SEED})`, () => {
    const inputs = new FuzzInputs(new Prng(SEED));
    const modern = new AgentProtocol({ profile: '7.2' });
    const legacy = new AgentProtocol({ profile: '2.5' });
    let bytes = 0;
    for (let i = 0; i < TOTAL - MACHINE_SAMPLE; i++) {
      const input = inputs.next();
      bytes += input.length;
      const isLegacy = i % LEGACY_EVERY === 0;
      const agent = isLegacy ? legacy : modern;
      const id = 0x7000_0000 + i;
      let out: Buffer;
      try {
        agent.feed(input);
        out = Buffer.from(agent.process(resync(id)));
      } catch (e) {
        throw failure(isLegacy ? 'engine 2.5' : 'engine 7.2', i, input, `threw ${String(e)}`);
      }
      const bad = checkReplies(out, id, isLegacy);
      if (bad !== undefined) throw failure(isLegacy ? 'engine 2.5' : 'engine 7.2', i, input, `${bad}\n  output ${showInput(out)}`);
    }
    expect(modern.pending).toBe(0);
    expect(bytes).toBeGreaterThan(0);
  }, 120_000);

  it(`survives ${MACHINE_SAMPLE} inputs through the whole machine (seed ${SEED})`, async () => {
    const { machine: m, agent: host } = await createDefaultMachine({
      host: { guest: guestLoader({ qemuGaArgs: ['-b', REAL_QGA_BLOCKED.join(',')] }) },
    });
    let got = Buffer.alloc(0);
    host.on('data', (d) => (got = Buffer.concat([got, Buffer.from(d)])));
    m.boot();
    m.sched.run(undefined, 100_000);
    host.connect();
    // A different stream from the in-process one, without the 64 MiB inputs.
    const inputs = new FuzzInputs(new Prng(SEED ^ 0x5a5a5a5a), 0);
    for (let i = 0; i < MACHINE_SAMPLE; i++) {
      const input = inputs.next();
      const id = 0x6000_0000 + i;
      const tail = Buffer.from(`\xff{"return": ${id}}\n`, 'latin1');
      host.write(Buffer.concat([input, resync(id)]));
      let steps = 0;
      while (got.indexOf(tail) < 0) {
        if (++steps > 20_000) throw failure('machine', i, input, `no resync reply; got ${showInput(got)}`);
        await new Promise<void>((r) => setImmediate(r));
        // The agent sleeps without timers while waiting, so "until idle" is one exchange.
        m.sched.run(undefined, 1_000_000);
      }
      const end = got.indexOf(tail) + tail.length;
      const out = got.subarray(0, end);
      got = got.subarray(end);
      const bad = checkReplies(out, id, false);
      if (bad !== undefined) throw failure('machine', i, input, `${bad}\n  output ${showInput(out)}`);
    }
    const os = m.guest as { kernel: { faults: unknown[] } };
    expect(os.kernel.faults).toEqual([]);
  }, 120_000);
});
