/**
 * `-drive` as QEMU reads it (blockdev.c's drive_new): interface, media, index/bus/unit with
 * automatic ids ("virtio0", "ide0-hd1", "none0"), read-only, cache and discard modes, and
 * the raw format. One extension: a drive may have `size=8G` instead of `file=`, which means
 * an in-memory sparse image of that size (QEMU has no file-less disk; ours needs no host
 * file for tests and throwaway machines). Another difference: `discard` defaults to unmap
 * here (QEMU: ignore), so guest discards reach the image unless asked otherwise.
 * `serial=` is accepted on -drive as QEMU ≤ 3.0 did; the device property overrides it.
 */
import type { DiskRole } from './default-disks.js';
import type { CacheMode, DiscardMode } from '../../devices/block/backend.js';
import { STORAGE_ERR } from '../../devices/block/errors.js';
import { OptsReader, QemuOptsError, parseQemuNumber, parseQemuOpts, parseQemuSize } from '../cli/qemu-opts.js';

/** Interfaces QEMU knows (`if=`). */
export const DRIVE_INTERFACES = ['none', 'ide', 'scsi', 'floppy', 'pflash', 'mtd', 'sd', 'virtio', 'xen'] as const;
/** One of them. */
export type DriveInterface = (typeof DRIVE_INTERFACES)[number];
/** Interfaces this machine connects drives to (ide is for the ATA controllers). */
export const SUPPORTED_DRIVE_INTERFACES: readonly DriveInterface[] = ['none', 'ide', 'virtio'];

/** Units per bus of each interface (QEMU's if_max_devs; 0 = one unit per bus number). */
const MAX_DEVS: Readonly<Record<DriveInterface, number>> = { none: 0, ide: 2, scsi: 7, floppy: 0, pflash: 0, mtd: 0, sd: 0, virtio: 0, xen: 0 };

/** Block drivers QEMU has that this simulator does not implement (QEMU built with a whitelist says so). */
const KNOWN_FORMATS = new Set([
  'qcow2', 'qcow', 'vmdk', 'vdi', 'vpc', 'vhdx', 'qed', 'parallels', 'dmg', 'cloop', 'bochs', 'luks', 'vvfat',
  'file', 'host_device', 'host_cdrom', 'nbd', 'iscsi', 'rbd', 'ssh', 'http', 'https', 'null-co', 'null-aio', 'throttle', 'blkdebug', 'blkverify', 'quorum', 'compress', 'copy-on-read', 'preallocate',
]);

/** A -drive as data. */
export interface DriveSpec {
  /** `id=`, or the automatic one. */
  id: string;
  /** `if=`. */
  interface: DriveInterface;
  /** Bus number (from `bus=` or `index=`). */
  bus: number;
  /** Unit on the bus (from `unit=`, `index=`, or the first free one). */
  unit: number;
  /** `index=`, when given. */
  index?: number;
  /** `file=`: host path of a raw image. */
  file?: string;
  /** `size=` (qga-sim): bytes of an in-memory sparse image. */
  size?: number;
  /** `media=`. */
  media: 'disk' | 'cdrom';
  /** `readonly=` (or media=cdrom). */
  readOnly: boolean;
  /** `discard=` (default unmap here). */
  discard: DiscardMode;
  /** `cache=` (default writeback). */
  cache: CacheMode;
  /** `serial=` (legacy). */
  serial?: string;
  /** The option string as written, for messages. */
  source: string;
  /** Default-machine role: the image is prepared (partitions, filesystems) while blank. Not a command-line key. */
  provision?: { role: DiskRole };
}

/** Keys accepted and ignored: they change nothing a simulated disk could show. */
const IGNORED_KEYS = ['aio', 'werror', 'rerror', 'detect-zeroes', 'copy-on-read', 'snapshot', 'bootindex', 'auto-read-only', 'cache.direct', 'cache.no-flush', 'cache.writeback'];

function cacheMode(v: string): CacheMode {
  if (v === 'off') return 'none';
  if (v === 'writeback' || v === 'none' || v === 'writethrough' || v === 'directsync' || v === 'unsafe') return v;
  throw new QemuOptsError(STORAGE_ERR.badCache());
}

function discardMode(v: string): DiscardMode {
  if (v === 'ignore' || v === 'off') return 'ignore';
  if (v === 'unmap' || v === 'on') return 'unmap';
  throw new QemuOptsError(STORAGE_ERR.badDiscard());
}

function num(r: OptsReader, key: string): number | undefined {
  const v = r.str(key);
  if (v === undefined) return undefined;
  const n = parseQemuNumber(v);
  if (n === undefined) throw new QemuOptsError(`Parameter '${key}' expects a number`);
  return n;
}

/**
 * Parses one `-drive` option string; `earlier` are the drives before it (automatic unit
 * numbers and ids skip what they took). Throws QemuOptsError with QEMU's texts.
 */
export function parseDriveOption(value: string, earlier: readonly DriveSpec[]): DriveSpec {
  const o = parseQemuOpts(value);
  const r = new OptsReader(o, 'drive');
  const ifName = r.str('if') ?? 'ide';
  if (!(DRIVE_INTERFACES as readonly string[]).includes(ifName)) throw new QemuOptsError(STORAGE_ERR.badInterface(ifName));
  const type = ifName as DriveInterface;
  const mediaStr = r.str('media') ?? 'disk';
  if (mediaStr !== 'disk' && mediaStr !== 'cdrom') throw new QemuOptsError(STORAGE_ERR.badMedia(mediaStr));
  const readOnlyKey = r.str('readonly') !== undefined && r.str('read-only') !== undefined;
  if (readOnlyKey) throw new QemuOptsError(`'read-only' and its alias 'readonly' can't be used at the same time`);
  const ro = r.bool('readonly', false) || r.bool('read-only', false) || mediaStr === 'cdrom';
  const cache = cacheMode(r.str('cache') ?? 'writeback');
  const discard = discardMode(r.str('discard') ?? 'unmap');
  const format = r.str('format');
  if (format !== undefined && format !== 'raw') {
    throw new QemuOptsError(KNOWN_FORMATS.has(format) ? STORAGE_ERR.notWhitelisted(format) : STORAGE_ERR.unknownDriver(format));
  }
  const file = r.str('file');
  const sizeStr = r.str('size');
  let size: number | undefined;
  if (sizeStr !== undefined) {
    size = parseQemuSize(sizeStr);
    if (size === undefined || size <= 0) throw new QemuOptsError(`Parameter 'size' expects a non-negative number below 2^64`);
    if (file !== undefined && file !== '') throw new QemuOptsError(`'size' is qga-sim's in-memory disk and cannot be combined with 'file'`);
  }
  const serial = r.str('serial');

  let bus = num(r, 'bus') ?? 0;
  let unit = num(r, 'unit');
  const index = num(r, 'index');
  const maxDevs = MAX_DEVS[type];
  if (index !== undefined) {
    if (bus !== 0 || unit !== undefined) throw new QemuOptsError('index cannot be used with bus and unit');
    bus = maxDevs > 0 ? Math.floor(index / maxDevs) : 0;
    unit = maxDevs > 0 ? index % maxDevs : index;
  }
  const taken = (b: number, u: number) => earlier.some((d) => d.interface === type && d.bus === b && d.unit === u);
  if (unit === undefined) {
    unit = 0;
    while (taken(bus, unit)) {
      unit++;
      if (maxDevs > 0 && unit >= maxDevs) {
        unit -= maxDevs;
        bus++;
      }
    }
  }
  if (maxDevs > 0 && unit >= maxDevs) throw new QemuOptsError(`unit ${unit} too big (max is ${maxDevs - 1})`);
  if (taken(bus, unit)) throw new QemuOptsError(`drive with bus=${bus}, unit=${unit} (index=${index ?? -1}) exists`);

  let id = r.str('id');
  if (id === undefined) {
    const media = type === 'ide' || type === 'scsi' ? (mediaStr === 'cdrom' ? '-cd' : '-hd') : '';
    id = maxDevs > 0 ? `${type}${bus}${media}${unit}` : `${type}${media}${unit}`;
  }
  if (earlier.some((d) => d.id === id)) throw new QemuOptsError(STORAGE_ERR.duplicateDriveId(id));
  for (const k of IGNORED_KEYS) r.str(k);
  try {
    r.rejectUnknown();
  } catch (e) {
    // What is left over goes to the block driver in QEMU, which names itself in the refusal.
    const m = e instanceof QemuOptsError ? /^Invalid parameter '(.*)'$/.exec(e.message) : null;
    if (m) throw new QemuOptsError(`Block format 'raw' does not support the option '${m[1]}'`);
    throw e;
  }
  return { id, interface: type, bus, unit, index, file: file === '' ? undefined : file, size, media: mediaStr, readOnly: ro, discard, cache, serial, source: value };
}
