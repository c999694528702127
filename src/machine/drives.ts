/**
 * The machine's drives (QEMU's table of -drive BlockBackends): every -drive opened when the
 * machine is built, whether a device uses it or not, looked up by the `drive=` property of
 * storage devices, each attachable to one device only. `if=virtio` drives bring their own
 * virtio-blk-pci, created after the -device list as QEMU creates it. Controllers outside
 * this file (ATA) use the same table: `machineDrives(m).claim(id, typeName)`, and
 * `drivesOnInterface(m, 'ide')` for the drives they pick up by bus/unit.
 */
import { provisionDefaultDisks, type ProvisionTarget } from './default-disks.js';
import { BlockBackend } from '../../devices/block/backend.js';
import { SparseDiskImage, type DiskImage } from '../../devices/block/disk-image.js';
import { STORAGE_ERR, StorageError } from '../../devices/block/errors.js';
import { DiskImageOpenError, FileDiskImage } from '../../devices/block/file-disk-image.js';
import type { DeviceSpec } from './config.js';
import { DeviceError } from './device-registry.js';
import { SUPPORTED_DRIVE_INTERFACES, type DriveInterface, type DriveSpec } from './drive-options.js';

/** One opened drive. */
export interface MachineDrive {
  /** What the command line said. */
  readonly spec: DriveSpec;
  /** What devices talk to. */
  readonly backend: BlockBackend;
  /** Type name of the device it is attached to, once attached. */
  attachedTo: string | undefined;
}

/** The drives of one machine. */
export class DriveTable {
  private readonly drives: MachineDrive[] = [];

  /** Opens every drive; throws StorageError with QEMU's texts (the first failure wins). */
  constructor(specs: readonly DriveSpec[]) {
    try {
      for (const spec of specs) {
        if (!SUPPORTED_DRIVE_INTERFACES.includes(spec.interface)) {
          throw new StorageError(`machine type does not support if=${spec.interface},bus=${spec.bus},unit=${spec.unit}`);
        }
        if (this.get(spec.id)) throw new StorageError(STORAGE_ERR.duplicateDriveId(spec.id));
        const backend = new BlockBackend({ id: spec.id, image: openImage(spec), readOnly: spec.readOnly, discard: spec.discard, cache: spec.cache });
        this.drives.push({ spec, backend, attachedTo: undefined });
      }
      const targets: ProvisionTarget[] = [];
      for (const d of this.drives) {
        const p = d.spec.provision;
        if (p !== undefined && d.backend.image !== null && !d.backend.image.readOnly) targets.push({ role: p.role, image: d.backend.image });
      }
      if (targets.length > 0) provisionDefaultDisks(targets);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Every drive, in command-line order. */
  list(): readonly MachineDrive[] {
    return this.drives;
  }

  /** The drive with id `id`. */
  get(id: string): MachineDrive | undefined {
    return this.drives.find((d) => d.spec.id === id);
  }

  /**
   * Attaches drive `id` to a device whose `drive` property belongs to type `typeName`
   * (QEMU names the inner device: "virtio-blk-device", "scsi-hd", "ide-hd"). Throws
   * StorageError with QEMU's texts when it does not exist or is taken.
   */
  claim(id: string, typeName: string): MachineDrive {
    const d = this.get(id);
    if (!d) throw new StorageError(STORAGE_ERR.driveNotFound(typeName, id));
    if (d.attachedTo !== undefined) {
      throw new StorageError(d.spec.interface !== 'none' ? STORAGE_ERR.driveInUseAuto(id) : STORAGE_ERR.driveInUseBy(id));
    }
    d.attachedTo = typeName;
    return d;
  }

  /** Lets a drive go again (device unplugged). */
  release(id: string): void {
    const d = this.get(id);
    if (d) d.attachedTo = undefined;
  }

  /** Devices the `if=` of the drives implies (virtio-blk-pci for if=virtio). */
  impliedDevices(): DeviceSpec[] {
    return this.drives.filter((d) => d.spec.interface === 'virtio').map((d) => ({ driver: 'virtio-blk-pci', props: [['drive', d.spec.id]] }));
  }

  /** Closes host image files. */
  close(): void {
    for (const d of this.drives) if (d.backend.image instanceof FileDiskImage) d.backend.image.close();
  }
}

function openImage(spec: DriveSpec): DiskImage | null {
  if (spec.size !== undefined) return new SparseDiskImage(Math.ceil(spec.size / 512), spec.readOnly);
  if (spec.file === undefined) return null;
  try {
    return new FileDiskImage(spec.file, spec.readOnly);
  } catch (e) {
    if (e instanceof DiskImageOpenError) throw new StorageError(e.message);
    throw e;
  }
}

const tables = new WeakMap<object, DriveTable>();

/** The drive table of machine `m` (anything with a config.drives), opened on first use. */
export function machineDrives(m: { readonly config: { readonly drives?: readonly DriveSpec[] } }): DriveTable {
  let t = tables.get(m);
  if (!t) {
    t = new DriveTable(m.config.drives ?? []);
    tables.set(m, t);
  }
  return t;
}

/**
 * Opens the machine's drives and returns the devices their `if=` implies (the machine plugs
 * them last); drive errors come out as DeviceError, like every other build error.
 */
export function openMachineDrives(m: { readonly config: { readonly drives?: readonly DriveSpec[] } }): DeviceSpec[] {
  try {
    return machineDrives(m).impliedDevices();
  } catch (e) {
    if (e instanceof StorageError) throw new DeviceError(e.message);
    throw e;
  }
}

/** The drives with `if=` `type`, for controllers that pick drives up by bus and unit (IDE). */
export function drivesOnInterface(m: { readonly config: { readonly drives?: readonly DriveSpec[] } }, type: DriveInterface): readonly MachineDrive[] {
  return machineDrives(m).list().filter((d) => d.spec.interface === type);
}

/** Closes the host files of `m`'s drives (when the machine is done). */
export function closeMachineDrives(m: object): void {
  tables.get(m)?.close();
}
