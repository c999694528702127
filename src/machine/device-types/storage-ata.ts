/**
 * `-device` types of ATA storage: `ide-hd` on the board's PIIX IDE channels (ide.0, ide.1)
 * or on an AHCI port, and the `ich9-ahci` controller; plus the `-drive if=ide` drives the
 * board attaches itself before any -device, as QEMU's pc does. Drives come from the
 * machine's drive table. Serial numbers follow QEMU: "QM" and a five-digit count of ATA
 * drives in creation order, starting at 1.
 */
import type { OptsReader } from '../../cli/qemu-opts.js';
import { StorageError, STORAGE_ERR } from '../../../devices/block/errors.js';
import { AtaDrive } from '../../../devices/ata/drive.js';
import { Ich9Ahci } from '../../../devices/ahci/ich9-ahci.js';
import type { IdeChannel } from '../../../devices/ide/channel.js';
import type { AhciPort } from '../../../devices/ahci/port.js';
import { DeviceError, plugPci, type DeviceType, type PluggedDevice } from '../device-registry.js';
import type { Machine } from '../machine.js';
import { drivesOnInterface, machineDrives, type MachineDrive } from '../drives.js';

/** Type name of the ATA disk. */
export const IDE_HD = 'ide-hd';
/** Type name of the AHCI controller. */
export const ICH9_AHCI = 'ich9-ahci';
/** IDE buses of the board's PIIX function. */
const PIIX_IDE_BUSES = 2;

/** One bus an ide-hd can sit on: a PIIX channel (two units) or an AHCI port (one). */
interface AtaBus {
  name: string;
  units: number;
  used(unit: number): boolean;
  attach(unit: number, drive: AtaDrive): void;
}

/** The ATA buses of a machine and its drive serial counter. */
class AtaBuses {
  private readonly extra: AtaBus[] = [];
  /** Next number for an id-less IDE bus (the board's PIIX took ide.0 and ide.1). */
  private nextAuto = PIIX_IDE_BUSES;
  private serial = 0;

  constructor(private readonly m: Machine) {}

  /** Every bus: the board's two channels, then AHCI ports in creation order. */
  list(): AtaBus[] {
    return [...this.m.ide.channels.map(channelBus), ...this.extra];
  }

  /** Registers an AHCI controller's ports under `<id>.N`, or `ide.K` when it has no id. */
  addAhci(id: string | undefined, hba: Ich9Ahci): void {
    for (const p of hba.ports) this.extra.push(portBus(id ? `${id}.${p.index}` : `ide.${this.nextAuto++}`, p));
  }

  /** The next drive serial ("QM00001"). */
  nextSerial(): string {
    this.serial++;
    return `QM${String(this.serial).padStart(5, '0')}`;
  }
}

function channelBus(ch: IdeChannel): AtaBus {
  return { name: ch.name, units: 2, used: (u) => ch.drive(u) !== undefined, attach: (u, d) => ch.attach(u, d) };
}

function portBus(name: string, p: AhciPort): AtaBus {
  return { name, units: 1, used: () => p.device !== undefined, attach: (_u, d) => p.attach(d) };
}

const busesByMachine = new WeakMap<Machine, AtaBuses>();

/** The ATA buses of machine `m`. */
export function ataBusesOf(m: Machine): AtaBuses {
  let b = busesByMachine.get(m);
  if (!b) busesByMachine.set(m, (b = new AtaBuses(m)));
  return b;
}

/** Properties of an ide-hd beyond its drive. */
interface IdeHdProps {
  serial?: string;
  model?: string;
  ver?: string;
  discardGranularity: number;
  rotationRate: number;
  writeCache?: boolean;
}

/** Places a drive on `busName` (or the first bus with room) at `unit` (or the first free one). */
function placeDrive(m: Machine, drive: MachineDrive, busName: string | undefined, unit: number | undefined, p: IdeHdProps): void {
  const buses = ataBusesOf(m);
  const all = buses.list();
  let bus: AtaBus | undefined;
  if (busName === undefined) {
    bus = all.find((b) => Array.from({ length: b.units }, (_, u) => u).some((u) => (unit === undefined || u === unit) && !b.used(u)));
    if (!bus) throw new StorageError(`No 'IDE' bus found for device '${IDE_HD}'`);
  } else {
    bus = all.find((b) => b.name === busName);
    if (!bus) {
      if (m.hosts.some((h) => h.findBusByName(busName))) throw new StorageError(`Device '${IDE_HD}' can't go on PCI bus`);
      throw new StorageError(`Bus '${busName}' not found`);
    }
  }
  const u = unit ?? Array.from({ length: bus.units }, (_, i) => i).find((i) => !bus.used(i));
  if (u === undefined) throw new StorageError(`Bus '${bus.name}' is full`);
  if (u >= bus.units) throw new StorageError(`Can't create IDE unit ${u}, bus supports only ${bus.units} units`);
  if (bus.used(u)) throw new StorageError(`IDE unit ${u} is in use`);
  const backend = drive.backend;
  if (!backend.inserted) throw new StorageError(STORAGE_ERR.needsMedia());
  if (backend.readOnly) throw new StorageError(`Can't use a read-only drive`);
  if (p.discardGranularity !== 0 && p.discardGranularity !== 512) throw new StorageError('discard_granularity must be 512 for ide');
  if (p.writeCache !== undefined) backend.writeCacheEnabled = p.writeCache;
  // Every ATA drive takes a number, whether or not it is given a serial of its own (QEMU's drive_serial).
  const auto = buses.nextSerial();
  const serial = p.serial ?? drive.spec.serial ?? auto;
  bus.attach(u, new AtaDrive({ backend, serial, model: p.model, firmware: p.ver, trim: p.discardGranularity !== 0, rotationRate: p.rotationRate }));
}

/** Turns the storage family's QEMU-worded errors into DeviceError for the CLI and QMP. */
function realize<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof StorageError) throw new DeviceError(e.message);
    throw e;
  }
}

/** `write-cache=on|off|auto`. */
function writeCacheProp(props: OptsReader): boolean | undefined {
  const v = props.str('write-cache');
  if (v === undefined || v === 'auto') return undefined;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new DeviceError(`Parameter 'write-cache' does not accept value '${v}'`);
}

const ideHd: DeviceType = {
  name: IDE_HD,
  category: 'Storage',
  desc: 'virtual IDE disk',
  create(m, props, common): PluggedDevice {
    // Not a PCI device: the PCI properties other than id and bus do not exist.
    if (common.addr !== undefined) throw new DeviceError(`Property '${IDE_HD}.addr' not found`);
    if (props.keys().includes('multifunction')) throw new DeviceError(`Property '${IDE_HD}.multifunction' not found`);
    const unitStr = props.str('unit');
    const unit = unitStr === undefined ? undefined : props.uint('unit', 0);
    const p: IdeHdProps = {
      serial: props.str('serial'),
      model: props.str('model'),
      ver: props.str('ver'),
      discardGranularity: props.size('discard_granularity', 512),
      rotationRate: props.uint('rotation_rate', 0),
      writeCache: writeCacheProp(props),
    };
    const lbs = props.size('logical_block_size', 512);
    if (lbs !== 512) throw new DeviceError(`logical_block_size must be 512 for IDE`);
    props.str('physical_block_size');
    props.str('bootindex');
    props.str('wwn');
    realize(() => {
      const id = props.str('drive');
      if (id === undefined) throw new StorageError('No drive specified');
      const drive = machineDrives(m).claim(id, IDE_HD);
      try {
        placeDrive(m, drive, common.bus, unit, p);
      } catch (e) {
        machineDrives(m).release(id);
        throw e;
      }
    });
    return { driver: IDE_HD, id: common.id ?? '' };
  },
};

const ich9Ahci: DeviceType = {
  name: ICH9_AHCI,
  category: 'Storage',
  desc: 'ICH9 AHCI SATA controller (6 ports)',
  create(m, _props, common): PluggedDevice {
    const fn = new Ich9Ahci(common);
    plugPci(m, fn, common);
    ataBusesOf(m).addAhci(common.id, fn);
    return { driver: ICH9_AHCI, id: common.id ?? '', pci: fn };
  },
};

/**
 * Attaches the `-drive if=ide` drives to the board's channels (bus = index / 2, unit =
 * index % 2), as QEMU's pc does before it creates any -device. Throws DeviceError.
 */
export function attachIdeDrives(m: Machine): void {
  realize(() => {
    for (const d of drivesOnInterface(m, 'ide')) {
      if (d.spec.bus >= PIIX_IDE_BUSES) throw new StorageError(`Too many IDE buses defined (${d.spec.bus + 1} > ${PIIX_IDE_BUSES})`);
      if (d.spec.media === 'cdrom') throw new StorageError(`'ide-cd' is not a valid device model name`);
      machineDrives(m).claim(d.spec.id, IDE_HD);
      placeDrive(m, d, `ide.${d.spec.bus}`, d.spec.unit, { discardGranularity: 512, rotationRate: 0 });
    }
  });
}

/** Registers the ATA device types. */
export function registerStorageAtaDeviceTypes(register: (t: DeviceType) => void): void {
  register(ideHd);
  register(ich9Ahci);
}
