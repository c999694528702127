import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDiskImage } from '../../devices/block/file-disk-image.js';
import { writeGpt } from '../../src/disk-image/partition.js';
import { DiskImageSlice } from '../../src/disk-image/slice.js';
import { writeSwap } from '../../src/disk-image/swap.js';
import { parseDriveOption } from '../../src/machine/drive-options.js';
import { closeMachineDrives } from '../../src/machine/drives.js';
import { CLOCK_MONOTONIC, O_RDONLY, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { discardParkedImage, parkedImageIds } from '../../src/guest/hibernate.js';
import { LINUX_REBOOT_CMD_SW_SUSPEND } from '../../src/abi/linux-reboot.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { MS, SEC, advance, bootRig, runIn, type PowerRig } from './helpers.js';

const MiB_SECTORS = 2048;
let dir: string | undefined;
const rigs: PowerRig[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) closeMachineDrives(r.m);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A sparse 48 MiB disk: vda1 (16 MiB, unformatted), vda2 (24 MiB swap). Returns the path and vda2's byte offset. */
function makeDisk(): { path: string; swapOffset: number } {
  dir = mkdtempSync(join(tmpdir(), 'qga-sim-s4-'));
  const path = join(dir, 'disk.img');
  writeFileSync(path, new Uint8Array(0));
  truncateSync(path, 48 * 1024 * 1024);
  const img = new FileDiskImage(path);
  const placed = writeGpt(img, [{ sectors: 16 * MiB_SECTORS }, { kind: 'swap', sectors: 24 * MiB_SECTORS }]);
  const p2 = placed[1]!;
  writeSwap(new DiskImageSlice(img, p2.start, p2.sectors), { seed: 's4' });
  img.close();
  return { path, swapOffset: p2.start * 512 };
}

function signatureAt(path: string, offset: number): string {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(10);
  readSync(fd, b, 0, 10, offset + 4086);
  closeSync(fd);
  return b.toString('latin1').replace(/\0+$/, '');
}

const withDisk = (path: string, extra?: (c: MachineConfig) => void) => (c: MachineConfig) => {
  c.drives.push(parseDriveOption(`file=${path},if=virtio,format=raw`, c.drives));
  c.append = 'resume=/dev/vda2';
  extra?.(c);
};

async function rig(configure: (c: MachineConfig) => void): Promise<PowerRig> {
  const r = await bootRig(configure);
  rigs.push(r);
  advance(r, 100 * MS);
  return r;
}

describe('hibernation (suspend to disk, ACPI S4) through the swap area', () => {
  it('echo disk > /sys/power/state: image on swap, SUSPEND_DISK + SHUTDOWN; the next boot with that disk resumes every process and open file', async () => {
    const { path, swapOffset } = makeDisk();
    const a = await rig(withDisk(path));
    expect(runIn(a, ['swapon', '/dev/vda2']).code).toBe(0);
    const kernel = a.os().kernel;
    kernel.writeFile('/root/data.txt', 'hello, hibernating world');
    const seen: string[] = [];
    kernel.spawn(function* (sys: Syscalls): Program {
      const fd = yield* sys.open('/root/data.txt', O_RDONLY);
      seen.push(new TextDecoder().decode(yield* sys.read(fd, 7)));
      const t0 = sys.clockGettime(CLOCK_MONOTONIC);
      yield* sys.sleep(3 * SEC);
      const t1 = sys.clockGettime(CLOCK_MONOTONIC);
      seen.push(new TextDecoder().decode(yield* sys.read(fd, 100)));
      seen.push(`slept ${t1.sec - t0.sec}s`);
      return 0;
    }, ['reader']);
    advance(a, SEC);
    expect(seen).toEqual(['hello, ']);
    const writer = kernel.spawn('/bin/sh', ['sh', '-c', 'echo disk > /sys/power/state && echo resumed'], { stdin: 'null' });
    advance(a, SEC);
    expect(a.names()).toEqual(['SUSPEND_DISK', 'SHUTDOWN']);
    expect(a.events[1]?.data).toEqual({ guest: true, reason: 'guest-shutdown' });
    expect(a.quit.asked).toBe(true);
    expect(signatureAt(path, swapOffset)).toBe('S1SUSPEND');
    expect(parkedImageIds()).toHaveLength(1);
    closeMachineDrives(a.m);

    // A new machine with the same disk: the boot finds the image and the old kernel carries on.
    const b = await rig(withDisk(path));
    advance(b, 5 * SEC);
    expect(b.os().kernel).toBe(kernel);
    expect(b.log).toContain('kernel: PM: hibernation: hibernation exit');
    expect(writer.stdout?.text()).toBe('resumed\n');
    expect(seen).toEqual(['hello, ', 'hibernating world', 'slept 3s']);
    expect(signatureAt(path, swapOffset)).toBe('SWAPSPACE2');
    expect(parkedImageIds()).toEqual([]);
    expect(b.names()).toEqual([]);
    // The resumed kernel drives the new machine's devices: disk I/O and programs work.
    expect(runIn(b, ['sh', '-c', 'cat /proc/swaps | wc -l']).out.trim()).toBe('2');
    expect(runIn(b, ['echo', 'still here']).out).toBe('still here\n');
  });

  it('an image whose kernel is not parked in this process (written by another run) is discarded: signature restored, normal boot', async () => {
    const { path, swapOffset } = makeDisk();
    const a = await rig(withDisk(path));
    runIn(a, ['swapon', '/dev/vda2']);
    const old = a.os().kernel;
    runIn(a, ['sh', '-c', 'echo disk > /sys/power/state'], { budgetNs: SEC });
    expect(a.names()).toEqual(['SUSPEND_DISK', 'SHUTDOWN']);
    closeMachineDrives(a.m);
    for (const id of parkedImageIds()) discardParkedImage(id);
    const b = await rig(withDisk(path));
    advance(b, SEC);
    expect(b.os().kernel).not.toBe(old);
    expect(b.log.some((l) => /image .* is not held by this host process; discarded/.test(l))).toBe(true);
    expect(signatureAt(path, swapOffset)).toBe('SWAPSPACE2');
    expect(runIn(b, ['echo', 'fresh']).out).toBe('fresh\n');
  });

  it('reboot(LINUX_REBOOT_CMD_SW_SUSPEND) hibernates too, and returns 0 in the resumed kernel', async () => {
    const { path } = makeDisk();
    const a = await rig(withDisk(path));
    runIn(a, ['swapon', '/dev/vda2']);
    const results: string[] = [];
    a.os().kernel.spawn(function* (sys: Syscalls): Program {
      try {
        yield* sys.reboot(LINUX_REBOOT_CMD_SW_SUSPEND);
        results.push('returned');
      } catch (e) {
        results.push(String(e));
      }
      return 0;
    }, ['hibernate']);
    advance(a, SEC);
    expect(a.names()).toEqual(['SUSPEND_DISK', 'SHUTDOWN']);
    expect(results).toEqual([]);
    closeMachineDrives(a.m);
    const b = await rig(withDisk(path));
    advance(b, SEC);
    expect(results).toEqual(['returned']);
  });

  it('/sys/power/disk = reboot: the image is written, the machine resets (RESET), and that very boot resumes it', async () => {
    const { path, swapOffset } = makeDisk();
    const a = await rig(withDisk(path));
    runIn(a, ['swapon', '/dev/vda2']);
    const kernel = a.os().kernel;
    const writer = kernel.spawn('/bin/sh', ['sh', '-c', 'echo reboot > /sys/power/disk; echo disk > /sys/power/state && echo back'], { stdin: 'null' });
    advance(a, 2 * SEC);
    expect(a.names()).toEqual(['RESET']);
    expect(a.os().kernel).toBe(kernel);
    expect(writer.stdout?.text()).toBe('back\n');
    expect(signatureAt(path, swapOffset)).toBe('SWAPSPACE2');
  });

  it('/sys/power/disk = test_resume: the image is written and resumed at once, without leaving the machine', async () => {
    const { path, swapOffset } = makeDisk();
    const a = await rig(withDisk(path));
    runIn(a, ['swapon', '/dev/vda2']);
    const r = runIn(a, ['sh', '-c', 'echo test_resume > /sys/power/disk; echo disk > /sys/power/state && echo back']);
    expect(r.out).toBe('back\n');
    advance(a, 100 * MS);
    expect(a.names()).toEqual([]);
    expect(signatureAt(path, swapOffset)).toBe('SWAPSPACE2');
    expect(parkedImageIds()).toEqual([]);
    expect(a.os().power.cycles).toBe(1);
  });

  it('with disable_s4 hibernation ends in a plain power-off (S5): SHUTDOWN without SUSPEND_DISK', async () => {
    const { path } = makeDisk();
    const a = await rig(withDisk(path, (c) => c.globals.push({ driver: 'PIIX4_PM', prop: 'disable_s4', value: '1' })));
    runIn(a, ['swapon', '/dev/vda2']);
    runIn(a, ['sh', '-c', 'echo disk > /sys/power/state'], { budgetNs: SEC });
    expect(a.names()).toEqual(['SHUTDOWN']);
    for (const id of parkedImageIds()) discardParkedImage(id);
  });
});
