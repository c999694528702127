/**
 * /sys/devices/system/memory: block_size_bytes (hex, no 0x), auto_online_blocks, and per
 * block memoryN/{phys_index, state, online, phys_device, removable, valid_zones} with the
 * write rules of Linux 6.1: `state` takes offline/online/online_kernel/online_movable and
 * answers EINVAL for anything else or for a block already in that state; `online` takes a
 * kstrtobool value and succeeds quietly when nothing changes.
 */
import { Errno } from '../../kernel/errno.js';
import type { Sysfs } from '../../kernel/sysfs/sysfs.js';
import { parseKernelBool } from '../cpu/files.js';
import type { MemoryBlock, MemoryBlocks, OnlineType } from './blocks.js';

/** /sys path of the memory subsystem. */
export const MEMORY_SYSFS_DIR = '/devices/system/memory';
/**
 * `removable` is a legacy file: since Linux 5.8 it always reads 1 on kernels built with
 * CONFIG_MEMORY_HOTREMOVE (Debian's), whatever the block holds; offlining is what fails.
 */
export const MEMORY_REMOVABLE_VALUE = 1;

const STATE_WORDS = ['offline', 'online', 'online_kernel', 'online_movable'] as const;

/** sysfs_streq: equal, ignoring one trailing newline on either side. */
function streq(a: string, b: string): boolean {
  return a.replace(/\n$/, '') === b.replace(/\n$/, '');
}

/** Creates the subsystem files and keeps one directory per block. */
export function registerMemoryFiles(sysfs: Sysfs, mb: MemoryBlocks): void {
  sysfs.value(`${MEMORY_SYSFS_DIR}/block_size_bytes`, () => mb.blockSize.toString(16));
  sysfs.attr(`${MEMORY_SYSFS_DIR}/auto_online_blocks`, {
    mode: 0o644,
    show: () => `${mb.autoOnline}\n`,
    store: (data) => {
      const w = STATE_WORDS.find((s) => streq(data, s));
      if (w === undefined) throw new Errno('EINVAL');
      mb.autoOnline = w;
    },
  });
  for (const b of [...mb.blocks.values()].sort((x, y) => x.id - y.id)) addBlockDir(sysfs, mb, b);
  mb.onChange((b, ev) => {
    if (ev === 'add') addBlockDir(sysfs, mb, b);
  });
}

function addBlockDir(sysfs: Sysfs, mb: MemoryBlocks, b: MemoryBlock): void {
  const dir = `${MEMORY_SYSFS_DIR}/memory${b.id}`;
  sysfs.dir(dir);
  sysfs.value(`${dir}/phys_index`, () => b.id.toString(16).padStart(8, '0'));
  sysfs.value(`${dir}/phys_device`, () => 0);
  sysfs.value(`${dir}/removable`, () => MEMORY_REMOVABLE_VALUE);
  sysfs.value(`${dir}/valid_zones`, () => mb.validZones(b.id));
  sysfs.attr(`${dir}/state`, {
    mode: 0o644,
    show: () => `${b.state}\n`,
    store: (data) => {
      const w = STATE_WORDS.find((s) => streq(data, s));
      if (w === undefined) throw new Errno('EINVAL');
      // device_online/offline report "nothing to do", which state_store turns into EINVAL.
      if ((w === 'offline') === (b.state === 'offline')) throw new Errno('EINVAL');
      if (w === 'offline') mb.offline(b.id);
      else mb.online(b.id, w as OnlineType);
    },
  });
  sysfs.attr(`${dir}/online`, {
    mode: 0o644,
    show: () => `${b.state === 'online' ? 1 : 0}\n`,
    store: (data) => {
      if (parseKernelBool(data)) mb.online(b.id);
      else mb.offline(b.id);
    },
  });
  sysfs.link(`${dir}/subsystem`, '/bus/memory');
  sysfs.link(`/bus/memory/devices/memory${b.id}`, dir);
}
