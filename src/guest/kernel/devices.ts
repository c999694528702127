/**
 * Device number registry: drivers register the operations behind a (major, minor) pair,
 * and opening a device node looks them up (ENXIO when nothing is registered, as Linux's
 * chrdev_open does).
 */
import { Errno } from './errno.js';
import { makedev } from './constants.js';
import type { FileOps } from './vfs/types.js';
import type { OpenFile } from './vfs/file.js';

/** A driver's operations for one device: file operations plus open. */
export interface DeviceOps extends FileOps {
  /** Called for every open of the node; may refuse (EBUSY, ENXIO, ...) or set file.driverData. */
  open?(file: OpenFile, flags: number): void;
}

/** Character or block device. */
export type DeviceKind = 'char' | 'block';

/** One registered device. */
export interface DeviceEntry {
  /** Character or block. */
  kind: DeviceKind;
  /** Major number. */
  major: number;
  /** Minor number. */
  minor: number;
  /** Driver name (what /proc/devices lists for the major). */
  name: string;
  /** The driver's operations. */
  ops: DeviceOps;
}

// Linux hands out dynamic character majors from 254 downwards (and 511..384 after that).
const DYNAMIC_MAJOR_HIGH = 254;
const DYNAMIC_MAJOR_LOW = 234;

/** Registered character and block devices. */
export class DeviceRegistry {
  private readonly devs = new Map<string, DeviceEntry>();
  private readonly majorNames = new Map<string, string>();

  private static key(kind: DeviceKind, dev: number): string {
    return `${kind}:${dev}`;
  }

  /** Registers a device; EBUSY if that number is taken. */
  register(kind: DeviceKind, major: number, minor: number, ops: DeviceOps, name = `${kind}${major}`): void {
    if (!Number.isInteger(major) || major < 0 || major > 0xfff || !Number.isInteger(minor) || minor < 0 || minor > 0xfffff) {
      throw new Errno('EINVAL');
    }
    const k = DeviceRegistry.key(kind, makedev(major, minor));
    if (this.devs.has(k)) throw new Errno('EBUSY');
    this.devs.set(k, { kind, major, minor, name, ops });
    if (!this.majorNames.has(`${kind}:${major}`)) this.majorNames.set(`${kind}:${major}`, name);
  }

  /** Removes a registration; open files keep the operations they already have. */
  unregister(kind: DeviceKind, major: number, minor: number): void {
    this.devs.delete(DeviceRegistry.key(kind, makedev(major, minor)));
    const prefix = `${kind}:`;
    if (![...this.devs.values()].some((d) => d.kind === kind && d.major === major)) this.majorNames.delete(prefix + major);
  }

  /** The device behind an encoded dev_t, if registered. */
  lookup(kind: DeviceKind, dev: number): DeviceEntry | undefined {
    return this.devs.get(DeviceRegistry.key(kind, dev));
  }

  /** Reserves a free dynamic major under `name` (like register_chrdev(0, name)). */
  allocMajor(kind: DeviceKind, name: string): number {
    for (let m = DYNAMIC_MAJOR_HIGH; m >= DYNAMIC_MAJOR_LOW; m--) {
      if (!this.majorNames.has(`${kind}:${m}`)) {
        this.majorNames.set(`${kind}:${m}`, name);
        return m;
      }
    }
    throw new Errno('EBUSY');
  }

  /** Majors in use with their names, sorted, as /proc/devices lists them. */
  majors(kind: DeviceKind): { major: number; name: string }[] {
    const out: { major: number; name: string }[] = [];
    for (const [k, name] of this.majorNames) {
      const [kk, m] = k.split(':');
      if (kk === kind) out.push({ major: Number(m), name });
    }
    return out.sort((a, b) => a.major - b.major);
  }

  /** All registered devices in registration order. */
  list(): readonly DeviceEntry[] {
    return [...this.devs.values()];
  }
}
