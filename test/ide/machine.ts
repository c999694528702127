/**
 * Machines for the ATA tests: a `pc` built from the -drive / -device strings QEMU users
 * write and booted through firmware, either bare (device tests drive ports and MMIO through
 * the CPU bus, as qtest does) or with the guest kernel and its ata_piix/ahci drivers (guest
 * tests go through the block layer, sd, the SCSI midlayer and the drivers to the hardware).
 */
import { NS_PER_MS } from '../../src/core/scheduler.js';
import { Machine } from '../../src/machine/machine.js';
import type { GuestLoader } from '../../src/machine/guest-loader.js';
import { machineDrives } from '../../src/machine/drives.js';
import type { DiskImage } from '../../devices/block/disk-image.js';
import { GuestOs } from '../../src/guest/boot.js';
import type { GuestPciDriver } from '../../src/guest/drivers/registry.js';
import { ataPiixDriver } from '../../src/guest/drivers/ata-piix/index.js';
import { ahciDriver } from '../../src/guest/drivers/ahci/index.js';
import type { BioOp } from '../../src/guest/kernel/block/types.js';
import { guestBlockIo, guestSysFile, storageMachineConfig } from '../helpers/storage-machine.js';
import type { ErrnoCode } from '../../src/guest/kernel/errno.js';

/** Guest RAM of ATA rigs: room for bounce buffers, quick to build. */
export const ATA_RIG_RAM = 256 * 1024 * 1024;

/** What to build. */
export interface AtaMachineOptions {
  /** `-drive` option strings. */
  drives?: string[];
  /** `-device` option strings. */
  devices?: string[];
  /** Guest loader (none: firmware only). */
  guest?: GuestLoader;
  /** Collects guest kernel log lines (and device traces with `io`). */
  log?: string[];
  /** Also collect the `io` category (device traces). */
  io?: boolean;
}

/** Builds and boots a machine. */
export function bootAtaMachine(opts: AtaMachineOptions): Machine {
  const cfg = storageMachineConfig(opts.drives ?? [], opts.devices ?? [], ATA_RIG_RAM);
  const log = opts.log;
  const categories: ('guest' | 'io')[] = opts.io ? ['guest', 'io'] : ['guest'];
  const trace = log ? { categories, sink: (r: { message: string; source: string }) => void log.push(`${r.source}: ${r.message}`) } : undefined;
  const m = new Machine(cfg, { guest: opts.guest, trace });
  m.boot();
  return m;
}

/** The image behind drive `id`. */
export function driveImage(m: Machine, id: string): DiskImage {
  const img = machineDrives(m).get(id)?.backend.image;
  if (!img) throw new Error(`no drive ${id}`);
  return img;
}

/** A booted machine with a guest kernel. */
export interface AtaRig {
  /** The machine. */
  m: Machine;
  /** The guest. */
  os: GuestOs;
  /** Kernel log and (with io) device trace lines. */
  lines: string[];
  /** Runs `ms` of virtual time. */
  step(ms?: number): void;
  /** Submits a bio to block device `name` and runs until it ends; returns its error. */
  io(name: string, op: BioOp, sector: number, count: number, data?: Uint8Array): ErrnoCode | undefined;
  /** A /sys file as the guest reads it. */
  sys(path: string): string;
  /** Whether a /sys path exists. */
  exists(path: string): boolean;
  /** The image of drive `id`. */
  image(id: string): DiskImage;
}

/** Boots a guest with the ATA drivers (the built-in ones unless `drivers` is given). */
export function bootAtaRig(opts: AtaMachineOptions & { drivers?: GuestPciDriver[]; settleMs?: number }): AtaRig {
  let os: GuestOs | undefined;
  const lines = opts.log ?? [];
  const m = bootAtaMachine({ ...opts, log: lines, guest: (env) => (os = new GuestOs(env, { drivers: opts.drivers ?? [ataPiixDriver, ahciDriver] })) });
  if (!os) throw new Error('guest did not boot');
  const guest = os;
  const step = (ms = 1) => m.sched.run(m.sched.now() + ms * NS_PER_MS);
  // Reset, COMRESET and the probe take a few virtual milliseconds; the SCSI scan follows.
  step(opts.settleMs ?? 50);
  return {
    m,
    os: guest,
    lines,
    step,
    io: (name, op, sector, count, data) => guestBlockIo(guest, step, name, op, sector, count, data),
    sys: (path) => guestSysFile(guest, path),
    exists: (path) => guest.kernel.sysfs.exists(path),
    image: (id) => driveImage(m, id),
  };
}

/** `n` sectors of a recognisable pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n * 512);
  for (let i = 0; i < b.length; i++) b[i] = (i * 13 + seed * 101 + (i >> 9) * 7) & 0xff;
  return b;
}

/** Byte-wise equality without a deep diff (fast on large buffers). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
