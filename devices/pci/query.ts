/**
 * QMP `query-pci` descriptions in QEMU's QAPI shape (qapi/pci.json): plain objects with
 * QEMU's member names and member order, optional members present exactly when QEMU
 * emits them (irq only with an interrupt pin, subsystem ids only for type 0 headers,
 * prefetch/mem_type_64 only for memory BARs, bridge devices only when the bridge has a
 * non-zero secondary bus number).
 */
import { PCI_INTERRUPT_LINE, PCI_INTERRUPT_PIN, PCI_SUBSYSTEM_ID, PCI_SUBSYSTEM_VENDOR_ID, PCI_CLASS_DEVICE, PCI_DEVICE_ID, PCI_VENDOR_ID, PCI_HEADER_TYPE_NORMAL } from '../../src/abi/pci.js';
import { PciToPciBridge } from './bridge.js';
import type { PciBus } from './bus.js';
import type { PciFunction } from './pci-function.js';

/** QAPI PciMemoryRange. */
export interface PciMemoryRange {
  /** First address. */
  base: number;
  /** Last address. */
  limit: number;
}

/** QAPI PciMemoryRegion. */
export interface PciMemoryRegion {
  /** BAR index. */
  bar: number;
  /** 'io' or 'memory'. */
  type: 'io' | 'memory';
  /** Decoded address, -1 when the BAR is not enabled or not valid. */
  address: number;
  /** Size in bytes. */
  size: number;
  /** Memory BARs only. */
  prefetch?: boolean;
  /** Memory BARs only. */
  mem_type_64?: boolean;
}

/** QAPI PciBusInfo. */
export interface PciBusInfo {
  /** Primary bus number register. */
  number: number;
  /** Secondary bus number register. */
  secondary: number;
  /** Subordinate bus number register. */
  subordinate: number;
  /** I/O window. */
  io_range: PciMemoryRange;
  /** Memory window. */
  memory_range: PciMemoryRange;
  /** Prefetchable window. */
  prefetchable_range: PciMemoryRange;
}

/** QAPI PciBridgeInfo. */
export interface PciBridgeInfo {
  /** Bus numbers and windows. */
  bus: PciBusInfo;
  /** Devices on the secondary bus, when it resolves. */
  devices?: PciDeviceInfo[];
}

/** QAPI PciDeviceClass. */
export interface PciDeviceClass {
  /** Informational class name, when QEMU's table has one. */
  desc?: string;
  /** Class code (base << 8 | sub). */
  class: number;
}

/** QAPI PciDeviceId. */
export interface PciDeviceId {
  /** Device id. */
  device: number;
  /** Vendor id. */
  vendor: number;
  /** Subsystem id (type 0 only). */
  subsystem?: number;
  /** Subsystem vendor id (type 0 only). */
  'subsystem-vendor'?: number;
}

/** QAPI PciDeviceInfo. */
export interface PciDeviceInfo {
  /** Bus number. */
  bus: number;
  /** Slot. */
  slot: number;
  /** Function. */
  function: number;
  /** Class. */
  class_info: PciDeviceClass;
  /** Ids. */
  id: PciDeviceId;
  /** INTERRUPT_LINE, present when the function has an interrupt pin. */
  irq?: number;
  /** INTERRUPT_PIN. */
  irq_pin: number;
  /** -device id or "". */
  qdev_id: string;
  /** Bridge details for type 1 headers. */
  pci_bridge?: PciBridgeInfo;
  /** BARs. */
  regions: PciMemoryRegion[];
}

/** QAPI PciInfo. */
export interface PciInfo {
  /** Bus number. */
  bus: number;
  /** Devices on it. */
  devices: PciDeviceInfo[];
}

// QEMU's informational class table (hw/pci/pci.c); classes not listed get no desc.
const CLASS_DESCRIPTIONS = new Map<number, string>([
  [0x0001, 'VGA controller'], [0x0100, 'SCSI controller'], [0x0101, 'IDE controller'], [0x0102, 'Floppy controller'],
  [0x0103, 'IPI controller'], [0x0104, 'RAID controller'], [0x0106, 'SATA controller'], [0x0107, 'SAS controller'],
  [0x0180, 'Storage controller'], [0x0200, 'Ethernet controller'], [0x0201, 'Token Ring controller'], [0x0202, 'FDDI controller'],
  [0x0203, 'ATM controller'], [0x0280, 'Network controller'], [0x0300, 'VGA controller'], [0x0301, 'XGA controller'],
  [0x0302, '3D controller'], [0x0380, 'Display controller'], [0x0400, 'Video controller'], [0x0401, 'Audio controller'],
  [0x0402, 'Phone'], [0x0403, 'Audio controller'], [0x0480, 'Multimedia controller'], [0x0500, 'RAM controller'],
  [0x0501, 'Flash controller'], [0x0580, 'Memory controller'], [0x0600, 'Host bridge'], [0x0601, 'ISA bridge'],
  [0x0602, 'EISA bridge'], [0x0603, 'MC bridge'], [0x0604, 'PCI bridge'], [0x0605, 'PCMCIA bridge'], [0x0606, 'NUBUS bridge'],
  [0x0607, 'CARDBUS bridge'], [0x0608, 'RACEWAY bridge'], [0x0680, 'Bridge'], [0x0700, 'Serial port'], [0x0701, 'Parallel port'],
  [0x0800, 'Interrupt controller'], [0x0801, 'DMA controller'], [0x0802, 'Timer'], [0x0803, 'RTC'], [0x0900, 'Keyboard'],
  [0x0901, 'Pen'], [0x0902, 'Mouse'], [0x0a00, 'Dock station'], [0x0b00, 'i386 cpu'], [0x0c00, 'Firewire controller'],
  [0x0c01, 'Access bus controller'], [0x0c02, 'SSA controller'], [0x0c03, 'USB controller'], [0x0c04, 'Fibre channel controller'],
  [0x0c05, 'SMBus'],
]);

/** QEMU's description of a class code, if it has one. */
export function pciClassDescription(classCode: number): string | undefined {
  return CLASS_DESCRIPTIONS.get(classCode);
}

/** Describes one function. */
export function describeFunction(f: PciFunction, busNum: number): PciDeviceInfo {
  const c = f.config;
  const cls = c.get16(PCI_CLASS_DEVICE);
  const desc = pciClassDescription(cls);
  const pin = c.get8(PCI_INTERRUPT_PIN);
  const id: PciDeviceId =
    f.headerType === PCI_HEADER_TYPE_NORMAL
      ? { device: c.get16(PCI_DEVICE_ID), vendor: c.get16(PCI_VENDOR_ID), subsystem: c.get16(PCI_SUBSYSTEM_ID), 'subsystem-vendor': c.get16(PCI_SUBSYSTEM_VENDOR_ID) }
      : { device: c.get16(PCI_DEVICE_ID), vendor: c.get16(PCI_VENDOR_ID) };
  const regions = f.barList().map((b): PciMemoryRegion =>
    b.kind === 'io'
      ? { bar: b.index, type: 'io', address: b.address, size: b.size }
      : { bar: b.index, type: 'memory', address: b.address, size: b.size, prefetch: b.prefetchable, mem_type_64: b.kind === 'mem64' },
  );
  const bridge = f instanceof PciToPciBridge ? describeBridge(f) : undefined;
  return {
    bus: busNum,
    slot: f.slot,
    function: f.fn,
    class_info: desc !== undefined ? { desc, class: cls } : { class: cls },
    id,
    ...(pin !== 0 ? { irq: c.get8(PCI_INTERRUPT_LINE) } : {}),
    irq_pin: pin,
    qdev_id: f.qdevId,
    ...(bridge ? { pci_bridge: bridge } : {}),
    regions,
  };
}

// QEMU lists the devices behind a bridge once its secondary bus number is non-zero; that
// number then names the bridge's own secondary bus, which is what is described here.
function describeBridge(f: PciToPciBridge): PciBridgeInfo {
  const n = f.busNumbers();
  const info: PciBridgeInfo = {
    bus: {
      number: n.primary,
      secondary: n.secondary,
      subordinate: n.subordinate,
      io_range: f.ioWindow(),
      memory_range: f.memoryWindow(),
      prefetchable_range: f.prefetchableWindow(),
    },
  };
  if (n.secondary !== 0) info.devices = describeBus(f.secondary, n.secondary);
  return info;
}

/** Describes every function on `bus` (devfn order), numbering them `busNum`. */
export function describeBus(bus: PciBus, busNum: number): PciDeviceInfo[] {
  return bus.functions().map((f) => describeFunction(f, busNum));
}
