/**
 * Memory blocks in the guest's /sys/devices/system/memory, built from the firmware's e820
 * map: one memoryN per block of RAM, Linux 6.1's attribute formats, and its write rules for
 * `state` and `online`; blocks holding kernel memory refuse to go offline.
 */
import { describe, expect, it } from 'vitest';
import { bootHwMachine } from '../helpers/hw-machine.js';

const GiB = 1024 ** 3;

describe('memory blocks of boot RAM', () => {
  it('has one memoryN per 128 MiB block of RAM with Linux’s formats', async () => {
    const h = await bootHwMachine((c) => {
      c.ramSize = 2 * GiB;
      c.maxMem = 2 * GiB;
    });
    expect(h.read('/sys/devices/system/memory/block_size_bytes')).toBe('8000000\n');
    const blocks = h.sh('ls /sys/devices/system/memory').out.split('\n').filter((n) => /^memory\d+$/.test(n));
    expect(blocks.length).toBe(16);
    expect(h.read('/sys/devices/system/memory/memory10/phys_index')).toBe('0000000a\n');
    expect(h.read('/sys/devices/system/memory/memory10/state')).toBe('online\n');
    expect(h.read('/sys/devices/system/memory/memory10/online')).toBe('1\n');
    expect(h.read('/sys/devices/system/memory/memory10/phys_device')).toBe('0\n');
    expect(h.read('/sys/devices/system/memory/memory10/valid_zones')).toBe('DMA32\n');
    expect(h.read('/sys/devices/system/memory/memory0/valid_zones')).toBe('none\n');
    // Linux 6.1 always answers 1 here (CONFIG_MEMORY_HOTREMOVE); whether offlining works is another matter.
    expect(h.read('/sys/devices/system/memory/memory0/removable')).toBe('1\n');
    expect(h.read('/sys/devices/system/memory/auto_online_blocks')).toBe('offline\n');
  });

  it('offlines and onlines a free block; kernel blocks answer EBUSY; bad words and repeats are EINVAL', async () => {
    const h = await bootHwMachine();
    const state = '/sys/devices/system/memory/memory12/state';
    expect(h.sh(`echo offline > ${state}`).code).toBe(0);
    expect(h.read(state)).toBe('offline\n');
    expect(h.read('/sys/devices/system/memory/memory12/online')).toBe('0\n');
    expect(h.read('/sys/devices/system/memory/memory12/valid_zones')).toBe('DMA32 Movable\n');
    expect(h.sh(`/bin/echo offline > ${state}`).err).toMatch(/Invalid argument/);
    expect(h.sh(`/bin/echo sideways > ${state}`).err).toMatch(/Invalid argument/);
    expect(h.sh(`echo online > ${state}`).code).toBe(0);
    expect(h.read(state)).toBe('online\n');
    // The `online` file is the device core's: repeating a state is not an error there.
    expect(h.sh('echo 1 > /sys/devices/system/memory/memory12/online').code).toBe(0);
    expect(h.sh('echo 0 > /sys/devices/system/memory/memory12/online').code).toBe(0);
    expect(h.read(state)).toBe('offline\n');

    const busy = h.sh('/bin/echo offline > /sys/devices/system/memory/memory0/state');
    expect(busy.code).not.toBe(0);
    expect(busy.err).toMatch(/Device or resource busy/);
    expect(h.read('/sys/devices/system/memory/memory0/state')).toBe('online\n');
  });

  it('refuses writes from a non-root user through the file permissions', async () => {
    const h = await bootHwMachine();
    const r = h.sh('echo offline > /sys/devices/system/memory/memory12/state', { uid: 1000 });
    expect(r.err).toMatch(/Permission denied/);
    expect(h.read('/sys/devices/system/memory/memory12/state')).toBe('online\n');
  });

  it('keeps the kernel’s allocator out of offline memory', async () => {
    const h = await bootHwMachine();
    h.sh('echo offline > /sys/devices/system/memory/memory1/state');
    const alloc = h.os.platform.alloc;
    const at = alloc.alloc(256 * 1024 * 1024, 4096);
    const block = 128 * 1024 * 1024;
    expect(at >= 2 * block || at + 256 * 1024 * 1024 <= block).toBe(true);
  });
});
