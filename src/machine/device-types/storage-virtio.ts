/**
 * `-device` types of virtio storage: virtio-blk-pci and virtio-scsi-pci (with their
 * -transitional / -non-transitional variants) and scsi-hd on a virtio-scsi bus. Drives come
 * from the machine's drive table (`drive=ID`). Registered through a function the registry
 * calls, so the import cycle between the registry and its device families never touches an
 * uninitialised binding.
 */
import type { OptsReader } from '../../cli/qemu-opts.js';
import { StorageError, STORAGE_ERR } from '../../../devices/block/errors.js';
import { VirtioPciError, parseOnOffAuto, type OnOffAuto } from '../../../devices/virtio-pci/options.js';
import { VIRTIO_BLK_DEVICE, VIRTIO_BLK_PCI, VIRTIO_BLK_PCI_NON_TRANSITIONAL, VIRTIO_BLK_PCI_TRANSITIONAL, VirtioBlkPci } from '../../../devices/virtio-blk/virtio-blk-pci.js';
import { VIRTIO_SCSI_PCI, VIRTIO_SCSI_PCI_NON_TRANSITIONAL, VIRTIO_SCSI_PCI_TRANSITIONAL, VirtioScsiPci } from '../../../devices/virtio-scsi/virtio-scsi-pci.js';
import type { ScsiBus } from '../../../devices/scsi/bus.js';
import { ScsiDisk } from '../../../devices/scsi/disk.js';
import { virtioSerialBusesOf } from '../../../devices/virtio-pci/virtio-serial-pci.js';
import { DeviceError, plugPci, type DeviceType, type PluggedDevice } from '../device-registry.js';
import type { Machine } from '../machine.js';
import { machineDrives, type MachineDrive } from '../drives.js';

/** Type name of the SCSI disk. */
export const SCSI_HD = 'scsi-hd';

/** The SCSI buses of one machine, in creation order, with QEMU's names for id-less ones. */
export class ScsiBuses {
  private readonly buses: ScsiBus[] = [];
  private automatic = 0;

  /** Bus name the next adapter gets: `<id>.0`, or `scsi.N` counting id-less adapters. */
  nextBusName(id: string | undefined): string {
    return id ? `${id}.0` : `scsi.${this.automatic++}`;
  }

  /** Records an adapter's bus. */
  add(bus: ScsiBus): void {
    this.buses.push(bus);
  }

  /** All buses. */
  list(): readonly ScsiBus[] {
    return this.buses;
  }

  /** The bus named `name`. */
  find(name: string): ScsiBus | undefined {
    return this.buses.find((b) => b.name === name);
  }
}

const busesByMachine = new WeakMap<object, ScsiBuses>();

/** The SCSI buses of machine `m`. */
export function scsiBusesOf(m: object): ScsiBuses {
  let b = busesByMachine.get(m);
  if (!b) busesByMachine.set(m, (b = new ScsiBuses()));
  return b;
}

/** Turns the storage families' QEMU-worded errors into DeviceError for the CLI and QMP. */
function realize<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof StorageError || e instanceof VirtioPciError) throw new DeviceError(e.message);
    throw e;
  }
}

/** Claims `drive=` for a device whose property belongs to `typeName`, runs `make`, and lets the drive go if that fails. */
function withDrive<T>(m: Machine, props: OptsReader, typeName: string, make: (drive: MachineDrive) => T): T {
  return realize(() => {
    const id = props.str('drive');
    if (id === undefined) throw new StorageError(STORAGE_ERR.driveNotSet());
    const drive = machineDrives(m).claim(id, typeName);
    try {
      return make(drive);
    } catch (e) {
      machineDrives(m).release(id);
      throw e;
    }
  });
}

/** The mode properties only the generic type has. */
function modeProps(generic: boolean, props: OptsReader): { disableLegacy?: OnOffAuto; disableModern?: boolean } {
  return generic ? { disableLegacy: parseOnOffAuto('disable-legacy', props.str('disable-legacy')), disableModern: props.bool('disable-modern', false) } : {};
}

function virtioBlkType(name: typeof VIRTIO_BLK_PCI | typeof VIRTIO_BLK_PCI_TRANSITIONAL | typeof VIRTIO_BLK_PCI_NON_TRANSITIONAL): DeviceType {
  return {
    name,
    category: 'Storage',
    desc: 'Virtio block device on PCI (virtio-pci transport)',
    create(m, props, common): PluggedDevice {
      const fn = withDrive(m, props, VIRTIO_BLK_DEVICE, (drive) => {
        const vectors = props.str('vectors');
        const dev = new VirtioBlkPci(name, {
          ...common,
          ...modeProps(name === VIRTIO_BLK_PCI, props),
          mem: m.mem,
          backend: drive.backend,
          serial: props.str('serial') ?? drive.spec.serial,
          queueSize: props.uint('queue-size', 256),
          numQueues: props.uint('num-queues', 1),
          discard: props.bool('discard', true),
          writeZeroes: props.bool('write-zeroes', true),
          configWce: props.bool('config-wce', true),
          maxDiscardSectors: props.uint('max-discard-sectors', 0x3f_ffff),
          maxWriteZeroesSectors: props.uint('max-write-zeroes-sectors', 0x3f_ffff),
          vectors: vectors === undefined ? undefined : props.uint('vectors', 0),
          classCode: props.uint('class', 0x0100),
        });
        props.str('bootindex');
        plugPci(m, dev, common);
        return dev;
      });
      return { driver: name, id: common.id ?? '', pci: fn };
    },
  };
}

function virtioScsiType(name: typeof VIRTIO_SCSI_PCI | typeof VIRTIO_SCSI_PCI_TRANSITIONAL | typeof VIRTIO_SCSI_PCI_NON_TRANSITIONAL): DeviceType {
  return {
    name,
    category: 'Storage',
    desc: 'Virtio SCSI host adapter on PCI (virtio-pci transport)',
    create(m, props, common): PluggedDevice {
      const buses = scsiBusesOf(m);
      const vectors = props.str('vectors');
      const fn = realize(
        () =>
          new VirtioScsiPci(name, {
            ...common,
            ...modeProps(name === VIRTIO_SCSI_PCI, props),
            mem: m.mem,
            busName: buses.nextBusName(common.id),
            numQueues: props.uint('num_queues', 1),
            queueSize: props.uint('virtqueue_size', 256),
            maxSectors: props.uint('max_sectors', 0xffff),
            cmdPerLun: props.uint('cmd_per_lun', 128),
            hotplug: props.bool('hotplug', true),
            paramChange: props.bool('param_change', true),
            vectors: vectors === undefined ? undefined : props.uint('vectors', 0),
          }),
      );
      plugPci(m, fn, common);
      buses.add(fn.scsi.bus);
      return { driver: name, id: common.id ?? '', pci: fn };
    },
  };
}

/** The bus a SCSI device goes on: `bus=` by name, else the first one; QEMU's texts otherwise. */
function findScsiBus(m: Machine, type: string, bus: string | undefined): ScsiBus {
  const buses = scsiBusesOf(m);
  if (bus === undefined) {
    const first = buses.list()[0];
    if (!first) throw new StorageError(STORAGE_ERR.noScsiBus(type));
    return first;
  }
  const found = buses.find(bus);
  if (found) return found;
  if (m.hosts.some((h) => h.findBusByName(bus))) throw new StorageError(`Device '${type}' can't go on PCI bus`);
  if (virtioSerialBusesOf(m).find(bus)) throw new StorageError(`Device '${type}' can't go on virtio-serial-bus bus`);
  throw new StorageError(`Bus '${bus}' not found`);
}

const scsiHd: DeviceType = {
  name: SCSI_HD,
  category: 'Storage',
  desc: 'virtual SCSI disk',
  create(m, props, common): PluggedDevice {
    // Not a PCI device: the PCI properties other than id and bus do not exist.
    if (common.addr !== undefined) throw new DeviceError(`Property '${SCSI_HD}.addr' not found`);
    if (props.keys().includes('multifunction')) throw new DeviceError(`Property '${SCSI_HD}.multifunction' not found`);
    const optNum = (key: string): number | undefined => (props.str(key) === undefined ? undefined : props.uint(key, 0));
    const channel = props.uint('channel', 0);
    const id = optNum('scsi-id');
    const lun = optNum('lun');
    withDrive(m, props, SCSI_HD, (drive) => {
      const bus = findScsiBus(m, SCSI_HD, common.bus);
      const where = bus.place({ channel, id, lun });
      if (!drive.backend.inserted) throw new StorageError(STORAGE_ERR.needsMedia());
      const d = new ScsiDisk({
        ...where,
        qdevId: common.id,
        backend: drive.backend,
        serial: props.str('serial') ?? drive.spec.serial,
        vendor: props.str('vendor'),
        product: props.str('product'),
        revision: props.str('ver'),
        deviceId: props.str('device_id'),
        removable: props.bool('removable', false),
        discardGranularity: props.size('discard_granularity', 4096),
        tcq: bus.info.tcq,
      });
      props.str('bootindex');
      bus.attach(d);
    });
    return { driver: SCSI_HD, id: common.id ?? '' };
  },
};

/** Registers the virtio storage device types. */
export function registerStorageVirtioDeviceTypes(register: (t: DeviceType) => void): void {
  for (const n of [VIRTIO_BLK_PCI, VIRTIO_BLK_PCI_TRANSITIONAL, VIRTIO_BLK_PCI_NON_TRANSITIONAL] as const) register(virtioBlkType(n));
  for (const n of [VIRTIO_SCSI_PCI, VIRTIO_SCSI_PCI_TRANSITIONAL, VIRTIO_SCSI_PCI_NON_TRANSITIONAL] as const) register(virtioScsiType(n));
  register(scsiHd);
}
