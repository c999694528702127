/**
 * Suspend to RAM (ACPI S3) with ATA disks: firmware resets both controllers on wake-up, and
 * ata_piix and ahci bring them back (channel SRST / HBA reset and COMRESET, transfer mode
 * set again, MSI reprogrammed), so the same block devices keep working afterwards.
 */
import { describe, expect, it } from 'vitest';
import { NS_PER_MS } from '../../src/core/scheduler.js';
import { O_WRONLY, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { bootAtaRig, pattern, sameBytes } from '../ide/machine.js';

describe('ACPI S3 suspend and system_wakeup with ata_piix and ahci', () => {
  it('both controllers are reset by firmware and brought back by their drivers; sda and sdb still read and write', () => {
    const rig = bootAtaRig({
      drives: ['if=none,id=ide,size=16M', 'if=none,id=sata,size=16M'],
      devices: ['ide-hd,drive=ide,bus=ide.0', 'ich9-ahci,id=ahci', 'ide-hd,drive=sata,bus=ahci.0'],
    });
    expect(rig.io('sda', 'write', 0, 8, pattern(8, 1))).toBeUndefined();
    rig.os.kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/sys/power/state', O_WRONLY);
      yield* sys.write(fd, 'mem\n');
      return 0;
    }, ['suspend']);
    rig.step(10);
    expect(rig.m.runState).toBe('suspended');
    rig.m.systemWakeup();
    rig.m.sched.run(rig.m.sched.now() + 50 * NS_PER_MS);
    expect(rig.m.runState).toBe('running');
    expect(rig.lines).toContain('kernel: ata_piix 0000:00:01.1: channels reset after system resume');
    expect(rig.lines.some((l) => /^kernel: ahci 0000:00:0\d\.0: HBA reset after system resume$/.test(l))).toBe(true);
    expect(rig.lines.filter((l) => l === 'kernel: ata3: SATA link up 1.5 Gbps (SStatus 113 SControl 300)')).toHaveLength(2);
    expect(rig.io('sdb', 'write', 100, 8, pattern(8, 2))).toBeUndefined();
    expect(sameBytes(rig.image('sata').read(100, 8), pattern(8, 2))).toBe(true);
    const buf = new Uint8Array(8 * 512);
    expect(rig.io('sda', 'read', 0, 8, buf)).toBeUndefined();
    expect(sameBytes(buf, pattern(8, 1))).toBe(true);
  });
});
