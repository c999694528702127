/**
 * `virtio-serial-pci` and its fixed-mode variants: a VirtioSerial behind the virtio-pci
 * transport, with QEMU's class-code coercion and virtio-serial bus naming, plus the per-machine
 * bookkeeping `virtserialport` / `virtconsole` need to find their bus.
 */
import { PCI_CLASS_COMMUNICATION_OTHER, PCI_CLASS_DISPLAY_OTHER, PCI_CLASS_OTHERS } from '../../src/abi/pci.js';
import type { Chardev } from '../../src/chardev/chardev.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { VirtioSerial, VirtioSerialRegistry } from '../virtio-serial/device.js';
import { VirtioSerialPort, type VirtioSerialPortType } from '../virtio-serial/port.js';
import { VirtioPciTransport } from './transport.js';
import { VirtioPciError, fixedVirtioPciMode, type VirtioPciOptions } from './options.js';

/** The generic type: `disable-legacy` / `disable-modern` decide the mode. */
export const VIRTIO_SERIAL_PCI = 'virtio-serial-pci';
/** Always transitional (legacy and modern). */
export const VIRTIO_SERIAL_PCI_TRANSITIONAL = 'virtio-serial-pci-transitional';
/** Always modern-only. */
export const VIRTIO_SERIAL_PCI_NON_TRANSITIONAL = 'virtio-serial-pci-non-transitional';
/** The three type names. */
export type VirtioSerialPciType = typeof VIRTIO_SERIAL_PCI | typeof VIRTIO_SERIAL_PCI_TRANSITIONAL | typeof VIRTIO_SERIAL_PCI_NON_TRANSITIONAL;

/** QEMU's bus type name, used in its "No '%s' bus found" error. */
export const VIRTIO_SERIAL_BUS_TYPE = 'virtio-serial-bus';

/** Properties of the three types. */
export interface VirtioSerialPciOptions extends Omit<VirtioPciOptions, 'classCode'> {
  /** Guest memory the device's queues live in. */
  mem: AddressSpace;
  /** `max_ports` (default 31). */
  maxPorts?: number;
  /** `emergency-write` (default on). */
  emergencyWrite?: boolean;
  /** `class` (default 0x0780; anything but 0x0780, 0x0380, 0x00ff becomes 0x0780). */
  classCode?: number;
  /** Bus name of the serial bus (default from the id: `<id>.0`). */
  busName?: string;
  /** Machine-wide port-name registry. */
  registry?: VirtioSerialRegistry;
}

/** QEMU's virtio-serial-pci class check: only three class codes are honoured. */
export function virtioSerialClassCode(requested: number | undefined): number {
  const ok = [PCI_CLASS_COMMUNICATION_OTHER, PCI_CLASS_DISPLAY_OTHER, PCI_CLASS_OTHERS];
  return requested !== undefined && ok.includes(requested) ? requested : PCI_CLASS_COMMUNICATION_OTHER;
}

/** A virtio-serial device on PCI. */
export class VirtioSerialPci extends VirtioPciTransport {
  /** The serial device (ports, control channel, events). */
  readonly serial: VirtioSerial;

  /** Realizes the device; throws VirtioSerialError / VirtioPciError with QEMU's texts. */
  constructor(typeName: VirtioSerialPciType, opts: VirtioSerialPciOptions) {
    // Checked first so an impossible mode fails before the device joins the name registry.
    const mode = fixedVirtioPciMode(typeName, { transitional: VIRTIO_SERIAL_PCI_TRANSITIONAL, nonTransitional: VIRTIO_SERIAL_PCI_NON_TRANSITIONAL }, opts);
    // The device is built before its transport exists, so its trace lines are relayed.
    const relay: { to?: VirtioPciTransport } = {};
    const serial = new VirtioSerial({
      mem: opts.mem,
      maxPorts: opts.maxPorts,
      emergencyWrite: opts.emergencyWrite,
      busName: opts.busName ?? (opts.id ? `${opts.id}.0` : undefined),
      registry: opts.registry,
      trace: (line) => relay.to?.trace(line),
    });
    super(typeName, serial, { ...opts, ...mode, classCode: virtioSerialClassCode(opts.classCode) });
    relay.to = this;
    this.serial = serial;
  }

  /** Unplug takes the ports along and frees their names machine-wide. */
  protected override unrealize(): void {
    this.serial.unrealize();
  }
}

/** How a port asks for its bus and host side. */
export interface VirtioSerialPortRequest {
  /** virtserialport or virtconsole. */
  type: VirtioSerialPortType;
  /** `bus=`: a virtio-serial bus name (default: the first one). */
  bus?: string;
  /** `chardev=` id, resolved by the caller's lookup. */
  chardev?: string;
  /** `name=`. */
  name?: string;
  /** `nr=`. */
  nr?: number;
  /** qdev id. */
  id?: string;
}

/**
 * The virtio-serial buses of one machine, in creation order, with QEMU's naming of id-less
 * buses (`virtio-serial-bus.N`, N counting only those), the machine-wide port-name registry,
 * and the chardevs ports have taken.
 */
export class VirtioSerialBuses {
  /** Port names are unique across the machine. */
  readonly registry = new VirtioSerialRegistry();
  private readonly devices: VirtioSerialPci[] = [];
  private automaticIds = 0;
  private readonly chardevsInUse = new Set<string>();

  /** Bus name the next device gets: `<id>.0`, or the next automatic name. */
  nextBusName(id: string | undefined): string {
    return id ? `${id}.0` : `${VIRTIO_SERIAL_BUS_TYPE}.${this.automaticIds++}`;
  }

  /** Records a realized device. */
  add(dev: VirtioSerialPci): void {
    this.devices.push(dev);
  }

  /** All devices, in creation order. */
  list(): readonly VirtioSerialPci[] {
    return this.devices;
  }

  /** The device whose bus is named `name`. */
  find(name: string): VirtioSerialPci | undefined {
    return this.devices.find((d) => d.serial.busName === name);
  }

  /**
   * Creates and plugs a port. `lookupChardev` resolves `chardev=`; `isOtherBus` tells whether a
   * bus name exists but is not a virtio-serial bus. Throws VirtioPciError or VirtioSerialError
   * with QEMU's texts.
   */
  plugPort(req: VirtioSerialPortRequest, lookupChardev: (id: string) => Chardev | undefined, isOtherBus: (name: string) => string | undefined): VirtioSerialPort {
    const type = req.type;
    let dev: VirtioSerialPci | undefined;
    if (req.bus === undefined) {
      dev = this.devices[0];
      if (!dev) throw new VirtioPciError(`No '${VIRTIO_SERIAL_BUS_TYPE}' bus found for device '${type}'`);
    } else {
      dev = this.find(req.bus);
      if (!dev) {
        const other = isOtherBus(req.bus);
        throw new VirtioPciError(other ? `Device '${type}' can't go on ${other} bus` : `Bus '${req.bus}' not found`);
      }
    }
    let chardev: Chardev | null = null;
    if (req.chardev !== undefined) {
      chardev = lookupChardev(req.chardev) ?? null;
      if (!chardev) throw new VirtioPciError(`Property '${type}.chardev' can't find value '${req.chardev}'`);
      if (this.chardevsInUse.has(req.chardev)) throw new VirtioPciError(`Property '${type}.chardev' can't take value '${req.chardev}': Device '${req.chardev}' is in use`);
    }
    const port = dev.serial.addPort({ type, nr: req.nr, name: req.name, chardev, id: req.id });
    if (req.chardev !== undefined) this.chardevsInUse.add(req.chardev);
    return port;
  }
}

const busesByOwner = new WeakMap<object, VirtioSerialBuses>();

/** The virtio-serial buses of `owner` (a machine), created on first use. */
export function virtioSerialBusesOf(owner: object): VirtioSerialBuses {
  let b = busesByOwner.get(owner);
  if (!b) {
    b = new VirtioSerialBuses();
    busesByOwner.set(owner, b);
  }
  return b;
}
