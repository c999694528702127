/**
 * A machine with storage devices from -drive / -device strings, booted with the guest's
 * storage drivers. Tests play the guest through its kernel (block devices, /sys) and look at
 * the hardware effect through the drive's image counters.
 */
import { NS_PER_MS } from '../../src/core/scheduler.js';
import type { TraceCategory, TraceRecord } from '../../src/core/trace.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { Machine } from '../../src/machine/machine.js';
import { machineDrives } from '../../src/machine/drives.js';
import { GuestOs } from '../../src/guest/boot.js';
import type { GuestPciDriver } from '../../src/guest/drivers/registry.js';
import { virtioBlkDriver } from '../../src/guest/drivers/virtio-blk/index.js';
import { virtioScsiDriver } from '../../src/guest/drivers/virtio-scsi/index.js';
import type { BioOp } from '../../src/guest/kernel/block/types.js';
import { guestBlockIo, guestSysFile, storageMachineConfig } from '../helpers/storage-machine.js';
import type { ErrnoCode } from '../../src/guest/kernel/errno.js';
import type { BlockBackend } from '../../devices/block/backend.js';

/** Guest RAM of storage rigs: enough for rings and bounce buffers, small enough to build fast. */
export const RIG_RAM = 256 * 1024 * 1024;

/** A booted storage machine. */
export interface StorageRig {
  /** The machine. */
  m: Machine;
  /** The guest. */
  os: GuestOs;
  /** Trace records of the categories asked for. */
  records: TraceRecord[];
  /** The backend of drive `id`. */
  drive(id: string): BlockBackend;
  /** Runs `ms` of virtual time. */
  step(ms?: number): void;
  /** Submits a bio to the guest block device `name` and runs until it ends; returns its error. */
  io(name: string, op: BioOp, sector: number, count: number, data?: Uint8Array): ErrnoCode | undefined;
  /** Reads a /sys file as the guest sees it. */
  sys(path: string): string;
  /** Guest kernel log lines. */
  log(): string[];
}

/** What to build: -drive and -device option strings. */
export interface StorageRigOptions {
  drives?: string[];
  devices?: string[];
  drivers?: GuestPciDriver[];
  configure?: (cfg: MachineConfig) => void;
  /** Trace categories recorded (default: the guest kernel log only, which keeps rigs fast). */
  trace?: TraceCategory[];
}

/** Builds and boots a rig. */
export function bootStorageRig(opts: StorageRigOptions): StorageRig {
  const cfg = storageMachineConfig(opts.drives ?? [], opts.devices ?? [], RIG_RAM);
  opts.configure?.(cfg);
  const records: TraceRecord[] = [];
  let os: GuestOs | undefined;
  const m = new Machine(cfg, {
    trace: { categories: opts.trace ?? ['guest'], sink: (rec) => records.push(rec) },
    guest: (env) => (os = new GuestOs(env, { drivers: opts.drivers ?? [virtioBlkDriver, virtioScsiDriver] })),
  });
  m.boot();
  if (!os) throw new Error('guest did not boot');
  const guest = os;
  const step = (ms = 1) => m.sched.run(m.sched.now() + ms * NS_PER_MS);
  step();
  return {
    m,
    os: guest,
    records,
    drive: (id) => {
      const d = machineDrives(m).get(id);
      if (!d) throw new Error(`no drive ${id}`);
      return d.backend;
    },
    step,
    io: (name, op, sector, count, data) => guestBlockIo(guest, step, name, op, sector, count, data),
    sys: (path) => guestSysFile(guest, path),
    log: () => records.filter((r) => r.category === 'guest').map((r) => r.message),
  };
}

/** `n` sectors of a recognisable pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n * 512);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return b;
}
