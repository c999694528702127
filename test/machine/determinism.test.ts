import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { runScenario } from './fixtures/scenario.js';
import { bundleEntry } from '../helpers/bundle.js';
import { Machine } from '../../src/machine/machine.js';
import { defaultMachineConfig } from '../../src/machine/config.js';

describe('determinism: same configuration and inputs give one trace hash', () => {
  it('twice in one process', async () => {
    const a = await runScenario();
    const b = await runScenario();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it('in two separate processes, equal to the in-process hash', async () => {
    const inProcess = await runScenario();
    const script = bundleEntry('test/machine/fixtures/scenario-main.ts');
    const p1 = execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim();
    const p2 = execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim();
    expect(p1).toBe(inProcess);
    expect(p2).toBe(inProcess);
  }, 30_000);

  it('a different seed changes the hash (the hash is not blind to the PRNG)', () => {
    const boot = (seed: number) => {
      const cfg = defaultMachineConfig();
      cfg.seed = seed;
      const m = new Machine(cfg).boot();
      m.trace.emit(0, 'guest', 'probe', String(m.prng.nextU32()));
      return m.trace.digest();
    };
    expect(boot(1)).toBe(boot(1));
    expect(boot(1)).not.toBe(boot(2));
  });
});
