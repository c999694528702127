/**
 * What the storage rigs (ATA, virtio-blk, virtio-scsi) share: a `pc` config with no default
 * devices built from the -drive / -device strings QEMU users write, and block I/O submitted
 * as the guest kernel would, run on the virtual clock until it ends.
 */
import { parseQemuOpts } from '../../src/cli/qemu-opts.js';
import { defaultMachineConfig, type MachineConfig } from '../../src/machine/config.js';
import { parseDriveOption } from '../../src/machine/drive-options.js';
import type { GuestOs } from '../../src/guest/boot.js';
import type { Bio, BioOp } from '../../src/guest/kernel/block/types.js';
import type { ErrnoCode } from '../../src/guest/kernel/errno.js';

/** Steps of `step()` a bio may take before the rig calls it lost. */
export const STORAGE_IO_STEP_LIMIT = 1000;

/** A config with only the given drives and devices and `ramSize` bytes of RAM. */
export function storageMachineConfig(drives: readonly string[], devices: readonly string[], ramSize: number): MachineConfig {
  const cfg = defaultMachineConfig();
  cfg.noDefaults = true;
  cfg.ramSize = cfg.maxMem = ramSize;
  for (const d of drives) cfg.drives.push(parseDriveOption(d, cfg.drives));
  for (const d of devices) {
    const o = parseQemuOpts(d, 'driver');
    cfg.devices.push({ driver: o.implied ?? '', props: o.pairs });
  }
  return cfg;
}

/** Submits a bio to guest block device `name`, stepping until it ends; returns its error. */
export function guestBlockIo(os: GuestOs, step: () => void, name: string, op: BioOp, sector: number, count: number, data?: Uint8Array): ErrnoCode | undefined {
  const node = os.kernel.block.byName(name);
  if (!node) throw new Error(`no block device ${name}`);
  const dev = os.kernel.block.open(node.dev);
  let done = false;
  let err: ErrnoCode | undefined;
  const bio: Bio = { op, sector, count, data, end: (e) => ((done = true), (err = e)) };
  dev.submit(bio);
  for (let i = 0; i < STORAGE_IO_STEP_LIMIT && !done; i++) step();
  if (!done) throw new Error(`${op} on ${name} never ended`);
  return err;
}

/** A /sys file as the guest reads it. */
export function guestSysFile(os: GuestOs, path: string): string {
  return new TextDecoder().decode(os.kernel.readFile(`/sys${path}`));
}
