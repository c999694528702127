/**
 * Memory devices of the `pc` machine: RAM backends (`-object` / QMP object-add
 * memory-backend-ram) and pc-dimm devices placed in the device-memory area above RAM, with
 * QEMU's slot and space checks and its error texts. Plugging maps the new RAM and tells the
 * guest through the ACPI memory hotplug controller (GPE0 bit 3 → SCI).
 */
import {
  FW_CFG_FILE_MEMORY,
  GPE0_BLK,
  GPE0_BLK_LEN,
  GPE_MEMORY_HOTPLUG,
  MEMORY_HOTPLUG_IO_BASE,
  MEMORY_HOTPLUG_IO_LEN,
  encodeMemoryInfo,
} from '../abi/acpi-memhp.js';
import { QemuOptsError, parseQemuSize } from '../cli/qemu-opts.js';
import { Gpe0Block } from '../../devices/acpi/gpe.js';
import { MemoryHotplugController } from '../../devices/acpi/memory-hotplug.js';
import { PIIX4_SCI_GSI } from '../../devices/chipset/piix4-pm.js';
import type { ObjectSpec } from './config.js';
import type { Machine } from './machine.js';

/** Alignment of DIMM placement and sizes: QEMU's RAM block alignment on x86-64 hosts (2 MiB). */
export const DIMM_ALIGN = 2 * 1024 * 1024;
/** The one object type modelled. */
export const MEMORY_BACKEND_RAM = 'memory-backend-ram';
/** memory-backend-ram properties accepted besides size (host tuning that means nothing here). */
const BACKEND_IGNORED_PROPS = ['merge', 'dump', 'prealloc', 'share', 'reserve', 'policy', 'host-nodes', 'prealloc-threads'];

/** A memory device's failure, in QEMU's words. */
export class MemoryDeviceError extends Error {
  constructor(
    message: string,
    /** QMP error class (DeviceNotFound for unresolved links). */
    readonly errorClass: 'GenericError' | 'DeviceNotFound' = 'GenericError',
  ) {
    super(message);
    this.name = 'MemoryDeviceError';
  }
}

/** A RAM backend object. */
export interface MemoryBackend {
  /** Object id. */
  id: string;
  /** Bytes. */
  size: number;
  /** Id of the DIMM using it (QEMU: "mapped"). */
  usedBy: string | undefined;
}

/** A plugged DIMM. */
export interface Dimm {
  /** qdev id ('' when none). */
  id: string;
  /** Slot. */
  slot: number;
  /** Guest-physical base. */
  addr: number;
  /** Bytes. */
  size: number;
  /** NUMA node. */
  node: number;
  /** Backend id. */
  memdev: string;
  /** Plugged after boot (QMP device_add). */
  hotplugged: boolean;
}

/** What a pc-dimm device asks for. */
export interface DimmRequest {
  /** qdev id. */
  id: string;
  /** `memdev=` backend id. */
  memdev: string | undefined;
  /** `slot=` (undefined: first free). */
  slot: number | undefined;
  /** `addr=` (undefined or 0: first fitting address). */
  addr: number | undefined;
  /** `node=`. */
  node: number;
}

/** One entry of QMP query-memory-devices. */
export interface MemoryDeviceInfo {
  /** Kind of device. */
  type: 'dimm';
  /** PCDIMMDeviceInfo: id (when set), base, size, slot, node, backend path, and how it was plugged. */
  data: { id?: string; addr: number; size: number; slot: number; node: number; memdev: string; hotplugged: boolean; hotpluggable: boolean };
}

/** A machine's memory backends, DIMMs, GPE0 block and memory hotplug controller. */
export class MemoryDevices {
  /** Backends by id, in creation order. */
  readonly backends = new Map<string, MemoryBackend>();
  /** DIMMs in plug order. */
  readonly dimms: Dimm[] = [];
  /** The GPE0 block. */
  readonly gpe: Gpe0Block;
  /** The ACPI memory hotplug controller. */
  readonly hotplug: MemoryHotplugController;
  /** Set once the command line's devices exist: DIMMs plugged later are "hotplugged". */
  coldplugDone = false;

  /** Creates the chipset pieces and maps their ports; call before devices are plugged. */
  constructor(private readonly m: Machine) {
    this.gpe = new Gpe0Block(m.irq.line(PIIX4_SCI_GSI), m.sched, m.trace);
    m.io.map('acpi-gpe0', GPE0_BLK, GPE0_BLK_LEN, this.gpe);
    this.hotplug = new MemoryHotplugController(m.config.memorySlots, this.gpe, m.sched, m.trace);
    this.hotplug.onOst = (info) => m.emitEvent('ACPI_DEVICE_OST', { info });
    // QEMU maps the block only when the machine has DIMM slots.
    const slots = m.config.memorySlots;
    if (slots > 0) m.io.map('acpi-mem-hotplug', MEMORY_HOTPLUG_IO_BASE, MEMORY_HOTPLUG_IO_LEN, this.hotplug);
    const hotplug = slots > 0 ? { ioBase: MEMORY_HOTPLUG_IO_BASE, slots, gpe0Base: GPE0_BLK, gpeMask: GPE_MEMORY_HOTPLUG } : undefined;
    m.fwCfg.setFile(FW_CFG_FILE_MEMORY, encodeMemoryInfo({ blockSize: m.config.memoryBlockSize, hotplug }));
    m.on('event', (ev) => {
      if (ev.event !== 'RESET') return;
      this.gpe.reset();
      this.hotplug.reset();
    });
  }

  /** Start of the device-memory area. */
  get areaBase(): number {
    return this.m.layout.deviceMemoryBase;
  }

  /** Size of the device-memory area (maxmem - RAM). */
  get areaSize(): number {
    return Math.max(0, this.m.config.maxMem - this.m.config.ramSize);
  }

  /** `-object` / object-add; throws QEMU's texts. */
  addObject(spec: ObjectSpec): void {
    if (spec.qomType !== MEMORY_BACKEND_RAM) throw new MemoryDeviceError(`Parameter 'qom-type' does not accept value '${spec.qomType}'`);
    if (this.backends.has(spec.id)) throw new MemoryDeviceError(`attempt to add duplicate property '${spec.id}' to object (type 'container')`);
    let size = 0;
    for (const [k, v] of spec.props) {
      if (k === 'size') {
        const n = parseQemuSize(v);
        if (n === undefined) throw new MemoryDeviceError(`Parameter 'size' expects a non-negative number below 2^64`);
        size = n;
      } else if (!BACKEND_IGNORED_PROPS.includes(k)) {
        throw new MemoryDeviceError(`Parameter '${k}' is unexpected`);
      }
    }
    if (size === 0) throw new MemoryDeviceError(`can't create backend with size 0`);
    this.backends.set(spec.id, { id: spec.id, size, usedBy: undefined });
    this.m.trace.emit(this.m.sched.now(), 'machine', 'objects', `${MEMORY_BACKEND_RAM} '${spec.id}', ${size} bytes`);
  }

  /** QMP object-del. */
  deleteObject(id: string): void {
    const b = this.backends.get(id);
    if (!b) throw new MemoryDeviceError(`object '${id}' not found`);
    if (b.usedBy !== undefined) throw new MemoryDeviceError(`object '${id}' is in use, can not be deleted`);
    this.backends.delete(id);
  }

  /**
   * pc-dimm pre-plug, realize and plug, with QEMU's checks in QEMU's order: the memdev link,
   * slot, backend set, free space and address (pre-plug), busy backend (realize); then the RAM
   * is mapped and the guest told.
   */
  plugDimm(req: DimmRequest, hotplugged: boolean): Dimm {
    const backend = req.memdev === undefined ? undefined : this.backends.get(req.memdev);
    if (req.memdev !== undefined && !backend) throw new MemoryDeviceError(`Device '${req.memdev}' not found`, 'DeviceNotFound');
    const slot = this.pickSlot(req.slot);
    if (!backend) throw new MemoryDeviceError(`'memdev' property must be set`);
    const addr = this.pickAddress(req.addr, backend.size);
    if (backend.usedBy !== undefined) throw new MemoryDeviceError(`can't use already busy memdev: ${backend.id}`);
    const dimm: Dimm = { id: req.id, slot, addr, size: backend.size, node: req.node, memdev: backend.id, hotplugged };
    const ramOffset = this.m.ram.grow(backend.size);
    this.m.mem.mapRam(addr, backend.size, ramOffset);
    backend.usedBy = req.id;
    this.dimms.push(dimm);
    this.hotplug.plug(slot, { id: req.id, addr, size: backend.size, node: req.node }, true);
    return dimm;
  }

  /** QMP query-memory-devices, by address as QEMU sorts them. */
  queryMemoryDevices(): MemoryDeviceInfo[] {
    return [...this.dimms]
      .sort((a, b) => a.addr - b.addr)
      .map((d) => ({
        type: 'dimm',
        data: { ...(d.id ? { id: d.id } : {}), addr: d.addr, size: d.size, slot: d.slot, node: d.node, memdev: `/objects/${d.memdev}`, hotplugged: d.hotplugged, hotpluggable: true },
      }));
  }

  private pickSlot(hint: number | undefined): number {
    const max = this.m.config.memorySlots;
    if (hint !== undefined && (hint < 0 || hint >= max)) {
      throw new MemoryDeviceError(max <= 0 ? `no slots where allocated, please specify the 'slots' option` : `invalid slot number ${hint}, valid range is [0-${max - 1}]`);
    }
    if (max <= 0) throw new MemoryDeviceError(`no slots where allocated, please specify the 'slots' option`);
    const used = new Set(this.dimms.map((d) => d.slot));
    if (hint !== undefined) {
      if (used.has(hint)) throw new MemoryDeviceError(`slot ${hint} is busy`);
      return hint;
    }
    for (let s = 0; s < max; s++) if (!used.has(s)) return s;
    throw new MemoryDeviceError('no free slots available');
  }

  private pickAddress(hint: number | undefined, size: number): number {
    if (this.areaSize === 0) throw new MemoryDeviceError('memory devices (e.g. for memory hotplug) are not enabled, please specify the maxmem option');
    const used = this.dimms.reduce((n, d) => n + d.size, 0);
    if (used + size > this.areaSize) {
      throw new MemoryDeviceError(`not enough space, currently 0x${used.toString(16)} in use of total space for memory devices 0x${this.areaSize.toString(16)}`);
    }
    if (hint !== undefined && hint !== 0 && hint % DIMM_ALIGN !== 0) throw new MemoryDeviceError(`address must be aligned to 0x${DIMM_ALIGN.toString(16)} bytes`);
    if (size % DIMM_ALIGN !== 0) throw new MemoryDeviceError(`backend memory size must be multiple of 0x${DIMM_ALIGN.toString(16)}`);
    const start = this.areaBase;
    const end = start + this.areaSize;
    let addr = hint || start;
    if (hint) {
      if (addr < start) throw new MemoryDeviceError(`can't add memory device [0x${addr.toString(16)}:0x${size.toString(16)}] before 0x${start.toString(16)}`);
      if (addr + size > end) throw new MemoryDeviceError(`can't add memory device [0x${addr.toString(16)}:0x${size.toString(16)}] beyond 0x${end.toString(16)}`);
    }
    for (const d of [...this.dimms].sort((a, b) => a.addr - b.addr)) {
      if (addr < d.addr + d.size && d.addr < addr + size) {
        if (hint) throw new MemoryDeviceError(`address range conflicts with memory device id='${d.id || '(unnamed)'}'`);
        addr = Math.ceil((d.addr + d.size) / DIMM_ALIGN) * DIMM_ALIGN;
      }
    }
    if (addr + size > end) throw new MemoryDeviceError('could not find position in guest address space for memory device - memory fragmented due to alignments');
    return addr;
  }
}

const byMachine = new WeakMap<Machine, MemoryDevices>();

/** Creates the machine's memory devices and its `-object`s; call once, before plugging devices. */
export function attachMemoryDevices(m: Machine): MemoryDevices {
  const md = new MemoryDevices(m);
  byMachine.set(m, md);
  for (const o of m.config.objects) {
    try {
      md.addObject(o);
    } catch (e) {
      // Reported like any other bad command-line option.
      if (e instanceof MemoryDeviceError) throw new QemuOptsError(`-object ${o.qomType},id=${o.id}: ${e.message}`);
      throw e;
    }
  }
  return md;
}

/** The memory devices of `m` (attachMemoryDevices must have run). */
export function memoryDevicesOf(m: Machine): MemoryDevices {
  const md = byMachine.get(m);
  if (!md) throw new Error('machine has no memory devices attached');
  return md;
}
