// -append: the VMM publishes the command line in fw_cfg (keys 0x14/0x15), firmware's boot loader hands it over, the kernel shows it in /proc/cmdline.
import { describe, expect, it } from 'vitest';
import { createDefaultMachine } from '../../src/default-machine.js';
import type { GuestOs } from '../../src/guest/boot.js';
import { parseArgs } from '../../src/cli/args.js';

describe('kernel command line', () => {
  it('reaches /proc/cmdline through fw_cfg and the hand-off', async () => {
    const { machine: m } = await createDefaultMachine({ configure: (cfg) => (cfg.append = 'root=/dev/vda1 ro quiet') });
    m.boot();
    m.runUntilIdle(m.sched.now() + 1_000_000);
    const os = m.guest as GuestOs;
    expect(new TextDecoder().decode(os.kernel.readFile('/proc/cmdline'))).toBe('root=/dev/vda1 ro quiet\n');
  });

  it('is taken from -append on the command line', () => {
    expect(parseArgs(['-append', 'console=ttyS0 root=/dev/vda1']).config.append).toBe('console=ttyS0 root=/dev/vda1');
  });
});
