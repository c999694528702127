/**
 * QEMU's ACPI memory hotplug register block (docs/specs/acpi_mem_hotplug.rst) and the PIIX4
 * GPE0 block whose bit 3 announces it, shared by the device model and the guest's ACPI
 * memory-hotplug driver. Firmware learns where they are from fw_cfg (our stand-in for the
 * DSDT's MHPD device) and passes it on in the hand-off.
 */

/** I/O base of the memory hotplug block on the `pc` machine. */
export const MEMORY_HOTPLUG_IO_BASE = 0x0a00;
/** Bytes of the block (0xa00-0xa17). */
export const MEMORY_HOTPLUG_IO_LEN = 24;

/** Read: DIMM base address, low 32 bits. Write: slot selector. */
export const MHP_REG_ADDR_LO = 0x00;
/** Write offset of the slot selector. */
export const MHP_REG_SELECTOR = 0x00;
/** Read: DIMM base address, high 32 bits. Write: _OST event code. */
export const MHP_REG_ADDR_HI = 0x04;
/** Write offset of the _OST event code. */
export const MHP_REG_OST_EVENT = 0x04;
/** Read: DIMM size, low 32 bits. Write: _OST status code (QEMU then emits ACPI_DEVICE_OST). */
export const MHP_REG_SIZE_LO = 0x08;
/** Write offset of the _OST status code. */
export const MHP_REG_OST_STATUS = 0x08;
/** Read: DIMM size, high 32 bits. */
export const MHP_REG_SIZE_HI = 0x0c;
/** Read: proximity domain (NUMA node). */
export const MHP_REG_PROXIMITY = 0x10;
/** Read: status flags. Write: control flags. */
export const MHP_REG_FLAGS = 0x14;

/** Status: a DIMM is plugged in the selected slot and usable. */
export const MHP_STATUS_ENABLED = 0x01;
/** Status: insert event not yet acknowledged by the OS. */
export const MHP_STATUS_INSERT_EVENT = 0x02;
/** Status: remove event not yet acknowledged. */
export const MHP_STATUS_REMOVE_EVENT = 0x04;
/** Control: acknowledges the insert event of the selected slot. */
export const MHP_CTRL_CLEAR_INSERT = 0x02;
/** Control: acknowledges the remove event of the selected slot. */
export const MHP_CTRL_CLEAR_REMOVE = 0x04;
/** Control: ejects the selected DIMM (unplug; not modelled here). */
export const MHP_CTRL_EJECT = 0x08;

/** ACPI notify code the OS reports in _OST after handling a hot-add (Device Check). */
export const ACPI_NOTIFY_DEVICE_CHECK = 0x01;
/** ACPI notify code of an eject request. */
export const ACPI_NOTIFY_EJECT_REQUEST = 0x03;
/** _OST status: success. */
export const ACPI_OST_SC_SUCCESS = 0x00;
/** _OST status: non-specific failure. */
export const ACPI_OST_SC_NON_SPECIFIC_FAILURE = 0x01;

/** I/O base of PIIX4's GPE0 block (status bytes, then enable bytes). */
export const GPE0_BLK = 0xafe0;
/** Bytes of the GPE0 block: 2 status + 2 enable. */
export const GPE0_BLK_LEN = 4;
/** Offset of the GPE0 enable bytes inside the block. */
export const GPE0_EN_OFFSET = GPE0_BLK_LEN / 2;
/** GPE0 status/enable bit of memory hotplug (QEMU's ACPI_MEMORY_HOTPLUG_STATUS, GPE.3). */
export const GPE_MEMORY_HOTPLUG = 0x08;

/**
 * fw_cfg file describing memory to firmware (our stand-in for the DSDT's memory hotplug
 * device and for the block size Linux would pick): u32 memory block size, u16 hotplug I/O
 * base (0: no hotplug block), u16 slot count, u16 GPE0 block base, u16 GPE bit mask;
 * little-endian.
 */
export const FW_CFG_FILE_MEMORY = 'etc/qga-sim/memory';
/** Size of that file. */
export const MEMORY_INFO_SIZE = 12;

/** Where the memory hotplug block is, as firmware reports it. */
export interface MemoryHotplugInfo {
  /** I/O base of the register block. */
  ioBase: number;
  /** DIMM slots. */
  slots: number;
  /** GPE0 block base. */
  gpe0Base: number;
  /** GPE0 bit (mask) that signals memory hotplug. */
  gpeMask: number;
}

/** Memory facts the machine publishes. */
export interface MemoryInfo {
  /** Memory block size (Linux's block_size_bytes). */
  blockSize: number;
  /** The hotplug block, when the machine has DIMM slots. */
  hotplug: MemoryHotplugInfo | undefined;
}

/** Serialises the fw_cfg file. */
export function encodeMemoryInfo(i: MemoryInfo): Uint8Array {
  const out = new Uint8Array(MEMORY_INFO_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, i.blockSize, true);
  dv.setUint16(4, i.hotplug?.ioBase ?? 0, true);
  dv.setUint16(6, i.hotplug?.slots ?? 0, true);
  dv.setUint16(8, i.hotplug?.gpe0Base ?? 0, true);
  dv.setUint16(10, i.hotplug?.gpeMask ?? 0, true);
  return out;
}

/** Parses the fw_cfg file; undefined when it is too short or names no block size. */
export function decodeMemoryInfo(b: Uint8Array): MemoryInfo | undefined {
  if (b.length < MEMORY_INFO_SIZE) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const blockSize = dv.getUint32(0, true);
  if (blockSize === 0) return undefined;
  const ioBase = dv.getUint16(4, true);
  const hotplug = ioBase === 0 ? undefined : { ioBase, slots: dv.getUint16(6, true), gpe0Base: dv.getUint16(8, true), gpeMask: dv.getUint16(10, true) };
  return { blockSize, hotplug };
}
