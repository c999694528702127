/**
 * PCI ABI shared by device models and by firmware/guest drivers: config-space offsets,
 * register bits, class codes, capability ids, and the two config-access mechanisms
 * (port 0xCF8/0xCFC and ECAM). Values are PCI Local Bus 3.0 / PCIe base spec ones.
 */

/** Size of conventional config space. */
export const PCI_CONFIG_SPACE_SIZE = 0x100;
/** Size of PCIe extended config space (what ECAM exposes per function). */
export const PCIE_CONFIG_SPACE_SIZE = 0x1000;
/** Devices per bus. */
export const PCI_SLOT_MAX = 32;
/** Functions per device. */
export const PCI_FUNC_MAX = 8;
/** Buses per domain (segment). */
export const PCI_BUS_MAX = 256;

/** Type 0 and type 1 common header offsets. */
export const PCI_VENDOR_ID = 0x00;
/** Device id (16 bits). */
export const PCI_DEVICE_ID = 0x02;
/** Command register (16 bits). */
export const PCI_COMMAND = 0x04;
/** Status register (16 bits). */
export const PCI_STATUS = 0x06;
/** Revision id (8 bits). */
export const PCI_REVISION_ID = 0x08;
/** Programming interface (8 bits). */
export const PCI_CLASS_PROG = 0x09;
/** Sub-class and base class (16 bits). */
export const PCI_CLASS_DEVICE = 0x0a;
/** Cache line size (8 bits). */
export const PCI_CACHE_LINE_SIZE = 0x0c;
/** Latency timer (8 bits). */
export const PCI_LATENCY_TIMER = 0x0d;
/** Header type (8 bits; bit 7 = multifunction). */
export const PCI_HEADER_TYPE = 0x0e;
/** BIST (8 bits). */
export const PCI_BIST = 0x0f;
/** First base address register. */
export const PCI_BASE_ADDRESS_0 = 0x10;
/** Subsystem vendor id (type 0). */
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
/** Subsystem id (type 0). */
export const PCI_SUBSYSTEM_ID = 0x2e;
/** Expansion ROM base (type 0). */
export const PCI_ROM_ADDRESS = 0x30;
/** Capabilities pointer. */
export const PCI_CAPABILITY_LIST = 0x34;
/** Interrupt line (written by firmware). */
export const PCI_INTERRUPT_LINE = 0x3c;
/** Interrupt pin (0 none, 1..4 = INTA..INTD). */
export const PCI_INTERRUPT_PIN = 0x3d;
/** Min grant (type 0). */
export const PCI_MIN_GNT = 0x3e;
/** Max latency (type 0). */
export const PCI_MAX_LAT = 0x3f;
/** First byte after the standard header, where capabilities start. */
export const PCI_CONFIG_HEADER_SIZE = 0x40;

/** Base address of BAR n. */
export function pciBarOffset(n: number): number {
  return PCI_BASE_ADDRESS_0 + 4 * n;
}

/** Type 1 (bridge) header offsets. */
export const PCI_PRIMARY_BUS = 0x18;
/** Secondary bus number. */
export const PCI_SECONDARY_BUS = 0x19;
/** Subordinate bus number. */
export const PCI_SUBORDINATE_BUS = 0x1a;
/** Secondary latency timer. */
export const PCI_SEC_LATENCY_TIMER = 0x1b;
/** I/O base (upper nibble = address bits 15:12, lower = decode type). */
export const PCI_IO_BASE = 0x1c;
/** I/O limit. */
export const PCI_IO_LIMIT = 0x1d;
/** Secondary status (16 bits). */
export const PCI_SEC_STATUS = 0x1e;
/** Memory base (bits 31:20 in the upper 12 bits). */
export const PCI_MEMORY_BASE = 0x20;
/** Memory limit. */
export const PCI_MEMORY_LIMIT = 0x22;
/** Prefetchable memory base. */
export const PCI_PREF_MEMORY_BASE = 0x24;
/** Prefetchable memory limit. */
export const PCI_PREF_MEMORY_LIMIT = 0x26;
/** Prefetchable base, upper 32 bits. */
export const PCI_PREF_BASE_UPPER32 = 0x28;
/** Prefetchable limit, upper 32 bits. */
export const PCI_PREF_LIMIT_UPPER32 = 0x2c;
/** I/O base, upper 16 bits. */
export const PCI_IO_BASE_UPPER16 = 0x30;
/** I/O limit, upper 16 bits. */
export const PCI_IO_LIMIT_UPPER16 = 0x32;
/** Expansion ROM base (type 1). */
export const PCI_ROM_ADDRESS1 = 0x38;
/** Bridge control (16 bits). */
export const PCI_BRIDGE_CONTROL = 0x3e;
/** Bridge control: secondary bus reset; while set, cycles are not forwarded. */
export const PCI_BRIDGE_CTL_BUS_RESET = 0x40;
/** I/O base/limit low nibble: 16-bit decode. */
export const PCI_IO_RANGE_TYPE_16 = 0x00;
/** I/O base/limit low nibble: 32-bit decode. */
export const PCI_IO_RANGE_TYPE_32 = 0x01;
/** Prefetchable base/limit low nibble: 64-bit decode. */
export const PCI_PREF_RANGE_TYPE_64 = 0x01;

/** Command register bits. */
export const PCI_COMMAND_IO = 0x1;
/** Memory space enable. */
export const PCI_COMMAND_MEMORY = 0x2;
/** Bus master enable (needed for DMA and MSI). */
export const PCI_COMMAND_MASTER = 0x4;
/** Parity error response. */
export const PCI_COMMAND_PARITY = 0x40;
/** SERR# enable. */
export const PCI_COMMAND_SERR = 0x100;
/** INTx emulation disable. */
export const PCI_COMMAND_INTX_DISABLE = 0x400;

/** Status register bits. */
export const PCI_STATUS_INTERRUPT = 0x08;
/** Capabilities list present. */
export const PCI_STATUS_CAP_LIST = 0x10;
/** 66 MHz capable. */
export const PCI_STATUS_66MHZ = 0x20;
/** Fast back-to-back capable. */
export const PCI_STATUS_FAST_BACK = 0x80;
/** Master data parity error (write 1 to clear). */
export const PCI_STATUS_PARITY = 0x100;
/** Signaled target abort (W1C). */
export const PCI_STATUS_SIG_TARGET_ABORT = 0x800;
/** Received target abort (W1C). */
export const PCI_STATUS_REC_TARGET_ABORT = 0x1000;
/** Received master abort (W1C). */
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000;
/** Signaled system error (W1C). */
export const PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000;
/** Detected parity error (W1C). */
export const PCI_STATUS_DETECTED_PARITY = 0x8000;
/** All write-1-to-clear status bits. */
export const PCI_STATUS_W1C_MASK =
  PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

/** Header type values. */
export const PCI_HEADER_TYPE_NORMAL = 0;
/** PCI-to-PCI bridge. */
export const PCI_HEADER_TYPE_BRIDGE = 1;
/** Multifunction bit of the header type byte. */
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;

/** BAR bits. */
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
/** Memory BAR type field mask. */
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
/** 32-bit memory BAR. */
export const PCI_BASE_ADDRESS_MEM_TYPE_32 = 0x00;
/** 64-bit memory BAR (consumes two BAR slots). */
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
/** Prefetchable memory BAR. */
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
/** Address bits of a memory BAR. */
export const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;
/** Address bits of an I/O BAR. */
export const PCI_BASE_ADDRESS_IO_MASK = 0xfffffffc;
/** Number of BARs in a type 0 header. */
export const PCI_NUM_BARS_TYPE0 = 6;
/** Number of BARs in a type 1 header. */
export const PCI_NUM_BARS_TYPE1 = 2;

/** Capability ids. */
export const PCI_CAP_ID_PM = 0x01;
/** MSI capability. */
export const PCI_CAP_ID_MSI = 0x05;
/** Vendor-specific capability (virtio uses these). */
export const PCI_CAP_ID_VNDR = 0x09;
/** Bridge subsystem vendor capability. */
export const PCI_CAP_ID_SSVID = 0x0d;
/** PCI Express capability. */
export const PCI_CAP_ID_EXP = 0x10;
/** MSI-X capability. */
export const PCI_CAP_ID_MSIX = 0x11;
/** Offset of the next pointer within a capability. */
export const PCI_CAP_LIST_NEXT = 1;

/** MSI-X capability layout. */
export const PCI_MSIX_FLAGS = 2;
/** Table size field (N-1) of the MSI-X flags. */
export const PCI_MSIX_FLAGS_QSIZE = 0x07ff;
/** MSI-X function mask. */
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
/** MSI-X enable. */
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
/** Table offset/BIR dword. */
export const PCI_MSIX_TABLE = 4;
/** PBA offset/BIR dword. */
export const PCI_MSIX_PBA = 8;
/** BIR field mask of table/PBA dwords. */
export const PCI_MSIX_BIR_MASK = 0x7;
/** Size of the MSI-X capability. */
export const PCI_MSIX_CAP_SIZE = 12;
/** Bytes per MSI-X table entry. */
export const PCI_MSIX_ENTRY_SIZE = 16;
/** Entry: message address low. */
export const PCI_MSIX_ENTRY_LOWER_ADDR = 0;
/** Entry: message address high. */
export const PCI_MSIX_ENTRY_UPPER_ADDR = 4;
/** Entry: message data. */
export const PCI_MSIX_ENTRY_DATA = 8;
/** Entry: vector control (bit 0 = masked). */
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
/** Vector control mask bit. */
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 1;

/** Class codes (base class << 8 | sub class). */
export const PCI_CLASS_STORAGE_SCSI = 0x0100;
/** IDE controller. */
export const PCI_CLASS_STORAGE_IDE = 0x0101;
/** SATA controller. */
export const PCI_CLASS_STORAGE_SATA = 0x0106;
/** Other storage. */
export const PCI_CLASS_STORAGE_OTHER = 0x0180;
/** Ethernet controller. */
export const PCI_CLASS_NETWORK_ETHERNET = 0x0200;
/** Other display. */
export const PCI_CLASS_DISPLAY_OTHER = 0x0380;
/** Host bridge. */
export const PCI_CLASS_BRIDGE_HOST = 0x0600;
/** ISA bridge. */
export const PCI_CLASS_BRIDGE_ISA = 0x0601;
/** PCI-to-PCI bridge. */
export const PCI_CLASS_BRIDGE_PCI = 0x0604;
/** Other bridge (PIIX4 PM function reports this). */
export const PCI_CLASS_BRIDGE_OTHER = 0x0680;
/** Other communication controller (virtio-serial). */
export const PCI_CLASS_COMMUNICATION_OTHER = 0x0780;
/** Unclassified / other. */
export const PCI_CLASS_OTHERS = 0x00ff;

/** Vendor ids. */
export const PCI_VENDOR_ID_INTEL = 0x8086;
/** Red Hat (QEMU's own devices: pci-bridge, pci-testdev). */
export const PCI_VENDOR_ID_REDHAT = 0x1b36;
/** Red Hat / Qumranet (virtio). */
export const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;

/** Device ids of the chipset and QEMU devices modelled here. */
export const PCI_DEVICE_ID_INTEL_82441 = 0x1237;
/** PIIX3 ISA bridge. */
export const PCI_DEVICE_ID_INTEL_82371SB_0 = 0x7000;
/** PIIX3 IDE. */
export const PCI_DEVICE_ID_INTEL_82371SB_1 = 0x7010;
/** PIIX4 ACPI/PM function. */
export const PCI_DEVICE_ID_INTEL_82371AB_3 = 0x7113;
/** ICH9 AHCI controller. */
export const PCI_DEVICE_ID_INTEL_82801IR = 0x2922;
/** QEMU pci-bridge. */
export const PCI_DEVICE_ID_REDHAT_BRIDGE = 0x0001;
/** QEMU pci-testdev. */
export const PCI_DEVICE_ID_REDHAT_TEST = 0x0005;
/** QEMU PCIe host bridge (used for extra root complexes). */
export const PCI_DEVICE_ID_REDHAT_PCIE_HOST = 0x0008;

/** Config address port of configuration mechanism #1. */
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
/** Config data ports (0xCFC..0xCFF). */
export const PCI_CONFIG_DATA_PORT = 0xcfc;
/** Enable bit of CONFIG_ADDRESS. */
export const PCI_CONFIG_ADDRESS_ENABLE = 0x8000_0000;

/** Encodes a CONFIG_ADDRESS value for bus/device/function/register (register dword-aligned). */
export function pciConfigAddress(bus: number, slot: number, fn: number, reg: number): number {
  return (PCI_CONFIG_ADDRESS_ENABLE | (bus << 16) | (slot << 11) | (fn << 8) | (reg & 0xfc)) >>> 0;
}

/** Decodes CONFIG_ADDRESS (mechanism #1 reaches only the first 256 bytes). */
export function decodePciConfigAddress(v: number): { enabled: boolean; bus: number; slot: number; fn: number; reg: number } {
  return { enabled: (v & PCI_CONFIG_ADDRESS_ENABLE) !== 0, bus: (v >>> 16) & 0xff, slot: (v >>> 11) & 0x1f, fn: (v >>> 8) & 0x7, reg: v & 0xfc };
}

/** Offset of a function's config space inside an ECAM window (1 MiB per bus, 4 KiB per function). */
export function ecamOffset(bus: number, slot: number, fn: number, reg = 0): number {
  return bus * 0x10_0000 + slot * 0x8000 + fn * 0x1000 + reg;
}

/** Decodes an ECAM offset into bus/slot/function/register. */
export function decodeEcamOffset(off: number): { bus: number; slot: number; fn: number; reg: number } {
  return { bus: Math.floor(off / 0x10_0000) & 0xff, slot: (off >>> 15) & 0x1f, fn: (off >>> 12) & 0x7, reg: off & 0xfff };
}

/** devfn byte as Linux and QEMU encode it. */
export function pciDevfn(slot: number, fn: number): number {
  return (slot << 3) | fn;
}

/** Formats a PCI address the way Linux names sysfs entries: `0000:00:03.0`. */
export function formatPciAddress(domain: number, bus: number, slot: number, fn: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(domain, 4)}:${h(bus, 2)}:${h(slot, 2)}.${fn}`;
}

/** PIIX3 PIRQ route control registers (PIRQA..PIRQD) in the ISA bridge's config space. */
export const PIIX_PIRQCA = 0x60;
/** Bit 7 of a PIRQ route register disables routing. */
export const PIIX_PIRQ_DISABLE = 0x80;
/** Number of PIRQ lines. */
export const PIIX_NUM_PIRQS = 4;

/** The standard INTx swizzle across a bridge: pin (0-based) seen on the parent bus. */
export function pciSwizzle(slot: number, pin0: number): number {
  return (slot + pin0) & 3;
}

/** Capability header: id byte offset. */
export const PCI_CAP_LIST_ID = 0;
/** Slot identification capability (PCI-to-PCI bridge spec 13.4). */
export const PCI_CAP_ID_SLOTID = 0x04;
/** Slot id capability: expansion slot register. */
export const PCI_SID_ESR = 2;
/** Expansion slot register: number of expansion slots (bits 4:0). */
export const PCI_SID_ESR_NSLOTS = 0x1f;
/** Expansion slot register: first in chassis. */
export const PCI_SID_ESR_FIC = 0x20;
/** Slot id capability: chassis number. */
export const PCI_SID_CHASSIS_NR = 3;
/** Size of the slot id capability. */
export const PCI_SID_CAP_SIZE = 4;

/** Status: DEVSEL timing "medium" (read-only timing field value). */
export const PCI_STATUS_DEVSEL_MEDIUM = 0x200;
/** INTx pins per function (INTA..INTD). */
export const PCI_NUM_PINS = 4;
/** Expansion ROM enable bit. */
export const PCI_ROM_ADDRESS_ENABLE = 0x01;

/** Address bits of the I/O base/limit bytes (bits 15:12 of the window). */
export const PCI_IO_RANGE_MASK = 0xf0;
/** Decode-type nibble of the I/O base/limit bytes. */
export const PCI_IO_RANGE_TYPE_MASK = 0x0f;
/** Address bits of the memory base/limit words (bits 31:20 of the window). */
export const PCI_MEMORY_RANGE_MASK = 0xfff0;
/** Address bits of the prefetchable base/limit words. */
export const PCI_PREF_RANGE_MASK = 0xfff0;
/** Decode-type nibble of the prefetchable base/limit words. */
export const PCI_PREF_RANGE_TYPE_MASK = 0x0f;

/** Bridge control: parity error response. */
export const PCI_BRIDGE_CTL_PARITY = 0x01;
/** Bridge control: SERR# forwarding. */
export const PCI_BRIDGE_CTL_SERR = 0x02;
/** Bridge control: ISA enable. */
export const PCI_BRIDGE_CTL_ISA = 0x04;
/** Bridge control: VGA enable. */
export const PCI_BRIDGE_CTL_VGA = 0x08;
/** Bridge control: VGA 16-bit decode. */
export const PCI_BRIDGE_CTL_VGA_16BIT = 0x10;
/** Bridge control: master abort mode. */
export const PCI_BRIDGE_CTL_MASTER_ABORT = 0x20;
/** Bridge control: fast back-to-back enable on the secondary side. */
export const PCI_BRIDGE_CTL_FAST_BACK = 0x80;
/** Bridge control: primary discard timeout. */
export const PCI_BRIDGE_CTL_DISCARD = 0x100;
/** Bridge control: secondary discard timeout. */
export const PCI_BRIDGE_CTL_SEC_DISCARD = 0x200;
/** Bridge control: discard timer status (W1C). */
export const PCI_BRIDGE_CTL_DISCARD_STATUS = 0x400;
/** Bridge control: discard timer SERR# enable. */
export const PCI_BRIDGE_CTL_DISCARD_SERR = 0x800;

/** Subsystem vendor QEMU gives type 0 functions that do not set their own. */
export const PCI_SUBVENDOR_ID_REDHAT_QUMRANET = 0x1af4;
/** Subsystem id QEMU gives type 0 functions that do not set their own ("QEMU virtual machine"). */
export const PCI_SUBDEVICE_ID_QEMU = 0x1100;
/** Number of ISA IRQs a PIIX PIRQ route register can name; larger values disable the route. */
export const PIIX_ISA_NUM_IRQS = 16;
/** PIIX3 reset control register port (overlaps the CONFIG_ADDRESS dword). */
export const PIIX_RCR_IOPORT = 0xcf9;
