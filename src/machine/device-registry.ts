/**
 * `-device` types: how each driver name is built from its properties and plugged in.
 * New device families register here; the CLI's `-device help` lists this table.
 */
import { OptsReader, QemuOptsError } from '../cli/qemu-opts.js';
import type { DeviceSpec } from './config.js';
import type { Machine } from './machine.js';
import { MAX_EXTRA_ROOTS, EXTRA_GSI_BASE, EXTRA_ROOT_BUSES, extraEcamBase } from './memory-map.js';
import { PciBridgeDevice } from '../../devices/pci/bridge.js';
import { PciTestdev } from '../../devices/misc/pci-testdev.js';
import { PciRootComplex } from '../../devices/chipset/pci-root-complex.js';
import type { PciFunction } from '../../devices/pci/pci-function.js';
import type { PciDeviceOptions } from '../../devices/pci/options.js';
import { VirtioPciError, parseOnOffAuto } from '../../devices/virtio-pci/options.js';
import { VIRTIO_SERIAL_PCI, VIRTIO_SERIAL_PCI_NON_TRANSITIONAL, VIRTIO_SERIAL_PCI_TRANSITIONAL, VirtioSerialPci, virtioSerialBusesOf } from '../../devices/virtio-pci/virtio-serial-pci.js';
import { VirtioSerialError } from '../../devices/virtio-serial/errors.js';
import { registerMemoryDeviceTypes } from './device-types/memory.js';
import { registerNetDeviceTypes } from './device-types/net.js';
import { registerStorageVirtioDeviceTypes } from './device-types/storage-virtio.js';
import { registerStorageAtaDeviceTypes } from './device-types/storage-ata.js';
import { openMachineDrives } from './drives.js';

/** A device the machine created from the configuration. */
export interface PluggedDevice {
  /** Driver name. */
  driver: string;
  /** The -device id (may be empty). */
  id: string;
  /** The PCI function, for PCI devices. */
  pci?: PciFunction;
  /** Hot-unplug, for devices that support it (QMP device_del). */
  unplug?: () => void;
}

/** How one -device type is made. */
export interface DeviceType {
  /** Driver name as on the command line. */
  name: string;
  /** Category shown by `-device help`. */
  category: 'Controller/Bridge/Hub' | 'Misc' | 'Storage' | 'Network' | 'Input';
  /** One-line description. */
  desc: string;
  /** Builds and plugs the device; read properties through `props` (unread ones are errors). */
  create(m: Machine, props: OptsReader, common: PciDeviceOptions): PluggedDevice;
  /** May be added while the machine runs (QMP device_add). */
  hotpluggable?: boolean;
}

/** QEMU's error for an unknown -device driver. */
export class DeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}

const registry = new Map<string, DeviceType>();

/** Adds a device type (later issues register virtio, storage, network devices). */
export function registerDeviceType(t: DeviceType): void {
  registry.set(t.name, t);
}

/** All registered types, sorted by name. */
export function deviceTypes(): DeviceType[] {
  return [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Plugs a PCI function into the bus its `bus=` names, searching every root complex. */
export function plugPci(m: Machine, fn: PciFunction, common: PciDeviceOptions): void {
  const host = common.bus === undefined ? m.i440fx : m.hosts.find((h) => h.findBusByName(common.bus!));
  if (!host) throw new DeviceError(`Bus '${common.bus}' not found`);
  host.plug(fn);
}

/** Creates every configured device in order; throws DeviceError / QemuOptsError / PciError with QEMU's texts. */
export function plugConfiguredDevices(m: Machine, specs: readonly DeviceSpec[]): void {
  // Drives open first; the devices their if= implies come after the -device list, as in QEMU.
  for (const spec of [...specs, ...openMachineDrives(m)]) createDevice(m, spec, false);
}

/** QMP device_add: creates a hot-pluggable device on the running machine. */
export function hotplugDevice(m: Machine, spec: DeviceSpec): PluggedDevice {
  return createDevice(m, spec, true);
}

/** QMP device_del: removes a device by id; throws QEMU's texts. */
export function unplugDevice(m: Machine, id: string): void {
  const i = m.devices.findIndex((d) => d.id === id);
  if (i < 0) throw new DeviceError(`Device '${id}' not found`);
  const dev = m.devices[i]!;
  if (!dev.unplug) throw new DeviceError(`Bus '${dev.pci?.bus?.name ?? 'main-system-bus'}' does not support hotplugging`);
  dev.unplug();
  m.devices.splice(i, 1);
  m.emitEvent('DEVICE_DELETED', { device: id, path: `/machine/peripheral/${id}` });
}

function createDevice(m: Machine, spec: DeviceSpec, hotplug: boolean): PluggedDevice {
  const t = registry.get(spec.driver);
  if (!t) throw new DeviceError(`'${spec.driver}' is not a valid device model name`);
  const globals: [string, string][] = m.config.globals.filter((g) => g.driver === spec.driver).map((g) => [g.prop, g.value]);
  const props = new OptsReader({ pairs: [...globals, ...spec.props] }, spec.driver);
  const id = props.str('id') ?? '';
  if (id && m.devices.some((d) => d.id === id)) throw new DeviceError(`Duplicate ID '${id}' for device`);
  const common: PciDeviceOptions = { id: id || undefined, addr: props.str('addr'), bus: props.str('bus'), multifunction: props.bool('multifunction', false) };
  if (hotplug && !t.hotpluggable) throw new DeviceError(`Bus '${common.bus ?? 'pci.0'}' does not support hotplugging`);
  const dev = t.create(m, props, common);
  unknownProperty(props, spec.driver);
  m.devices.push(dev);
  return dev;
}

function unknownProperty(props: OptsReader, driver: string): void {
  try {
    props.rejectUnknown();
  } catch (e) {
    if (e instanceof QemuOptsError) throw new DeviceError(e.message.replace(/^Invalid parameter '(.*)'$/, `Property '${driver}.$1' not found`));
    throw e;
  }
}

registerDeviceType({
  name: 'pci-bridge',
  category: 'Controller/Bridge/Hub',
  desc: 'Standard PCI Bridge',
  create(m, props, common) {
    const fn = new PciBridgeDevice({ ...common, chassis_nr: props.uint('chassis_nr', 0), msi: props.bool('msi', false), shpc: props.bool('shpc', false) });
    plugPci(m, fn, common);
    return { driver: 'pci-bridge', id: common.id ?? '', pci: fn };
  },
});

registerDeviceType({
  name: 'pci-testdev',
  category: 'Misc',
  desc: 'PCI Test Device',
  create(m, props, common) {
    const fn = new PciTestdev({ ...common, membar: props.str('membar') });
    plugPci(m, fn, common);
    return { driver: 'pci-testdev', id: common.id ?? '', pci: fn };
  },
});

registerDeviceType({
  name: 'pci-root-complex',
  category: 'Controller/Bridge/Hub',
  desc: 'Extra PCI root complex with its own domain (qga-sim)',
  create(m, props, common) {
    const k = m.hosts.length - 1;
    if (k >= MAX_EXTRA_ROOTS) throw new DeviceError(`pci-root-complex: at most ${MAX_EXTRA_ROOTS} extra root complexes are supported`);
    if (!common.id) throw new DeviceError(`pci-root-complex: an id is required (it names the root bus)`);
    if (common.bus !== undefined || common.addr !== undefined) throw new DeviceError(`pci-root-complex is a host bridge: it takes no bus or addr`);
    const domain = props.uint('domain', Math.max(...m.hosts.map((h) => h.domain)) + 1);
    if (domain === 0 || domain > 0xffff || m.hosts.some((h) => h.domain === domain)) throw new DeviceError(`pci-root-complex: domain ${domain} is not free (use 1-65535, unique)`);
    const host = new PciRootComplex({ ctx: m.pciCtx, domain, busName: common.id, ecamBase: extraEcamBase(k), ecamBuses: EXTRA_ROOT_BUSES, gsiBase: EXTRA_GSI_BASE + 4 * k });
    m.hosts.push(host);
    return { driver: 'pci-root-complex', id: common.id };
  },
});

/** Runs a virtio constructor, turning its QEMU-worded errors into DeviceError for the CLI. */
function virtioRealize<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof VirtioPciError || e instanceof VirtioSerialError) throw new DeviceError(e.message);
    throw e;
  }
}

for (const name of [VIRTIO_SERIAL_PCI, VIRTIO_SERIAL_PCI_TRANSITIONAL, VIRTIO_SERIAL_PCI_NON_TRANSITIONAL] as const) {
  registerDeviceType({
    name,
    category: 'Input',
    desc: 'virtio-serial controller on PCI (virtio-pci transport)',
    create(m, props, common) {
      const buses = virtioSerialBusesOf(m);
      const fn = virtioRealize(() => {
        // Only the generic type has the mode properties; the variants fix them.
        const mode = name === VIRTIO_SERIAL_PCI ? { disableLegacy: parseOnOffAuto('disable-legacy', props.str('disable-legacy')), disableModern: props.bool('disable-modern', false) } : {};
        return new VirtioSerialPci(name, {
          ...common,
          ...mode,
          mem: m.mem,
          maxPorts: props.uint('max_ports', 31),
          emergencyWrite: props.bool('emergency-write', true),
          vectors: props.uint('vectors', 2),
          classCode: props.uint('class', 0x0780),
          registry: buses.registry,
          busName: buses.nextBusName(common.id),
        });
      });
      fn.serial.events.on('vserport-change', (c) => m.emitEvent('VSERPORT_CHANGE', { id: c.id, open: c.open }));
      plugPci(m, fn, common);
      buses.add(fn);
      return { driver: name, id: common.id ?? '', pci: fn };
    },
  });
}

for (const type of ['virtserialport', 'virtconsole'] as const) {
  registerDeviceType({
    name: type,
    category: 'Input',
    desc: type === 'virtconsole' ? 'virtio console port on a virtio-serial bus' : 'virtio serial port on a virtio-serial bus',
    hotpluggable: true,
    create(m, props, common) {
      // Ports are not PCI devices: the common PCI properties other than id and bus do not exist.
      if (common.addr !== undefined) throw new DeviceError(`Property '${type}.addr' not found`);
      if (props.keys().includes('multifunction')) throw new DeviceError(`Property '${type}.multifunction' not found`);
      const req = { type, bus: common.bus, id: common.id, chardev: props.str('chardev'), name: props.str('name'), nr: props.uint('nr', 0xffff_ffff) };
      const isPciBus = (bus: string) => (m.hosts.some((h) => h.findBusByName(bus)) ? 'PCI' : undefined);
      const buses = virtioSerialBusesOf(m);
      const port = virtioRealize(() => buses.plugPort(req, (id) => m.chardevs.get(id), isPciBus));
      const unplug = () => buses.list().find((d) => d.serial.ports.includes(port))?.serial.removePort(port);
      return { driver: type, id: common.id ?? '', unplug };
    },
  });
}

registerStorageVirtioDeviceTypes(registerDeviceType);
registerStorageAtaDeviceTypes(registerDeviceType);

registerMemoryDeviceTypes(registerDeviceType);
registerNetDeviceTypes(registerDeviceType);
