/**
 * The firmware-to-kernel hand-off: what firmware found, written into guest RAM at a fixed
 * address, as a real BIOS leaves the e820 map and ACPI tables for the OS. The guest kernel
 * reads it from RAM and from nowhere else.
 */

/** Guest-physical address of the hand-off block (conventional memory below the EBDA). */
export const HANDOFF_ADDRESS = 0x0007_0000;
/** Largest hand-off block (header + payload); firmware fails loudly past it. */
export const HANDOFF_MAX_SIZE = 0x0002_0000;
/** Magic bytes at the start of the block. */
export const HANDOFF_MAGIC = 'QSIMHOFF';
/** Layout version of the payload. */
export const HANDOFF_VERSION = 1;
/** Header: 8 magic bytes, u32 version, u32 payload length (payload is UTF-8 JSON). */
export const HANDOFF_HEADER_SIZE = 16;

/** One BAR as firmware assigned it. */
export interface HandoffBar {
  /** BAR index (0-5; a 64-bit BAR is reported at its low index). */
  index: number;
  /** Address space. */
  kind: 'io' | 'mem32' | 'mem64';
  /** Prefetchable memory. */
  prefetchable: boolean;
  /** Assigned address. */
  base: number;
  /** Size in bytes. */
  size: number;
}

/** One PCI function firmware found. */
export interface HandoffPciFunction {
  /** Segment. */
  domain: number;
  /** Bus number firmware assigned. */
  bus: number;
  /** Device number. */
  slot: number;
  /** Function number. */
  fn: number;
  /** Vendor id. */
  vendor: number;
  /** Device id. */
  device: number;
  /** Subsystem vendor id (type 0 only). */
  subsystemVendor: number;
  /** Subsystem id (type 0 only). */
  subsystem: number;
  /** Class code: base << 16 | sub << 8 | prog-if. */
  classCode: number;
  /** Revision. */
  revision: number;
  /** Header type without the multifunction bit. */
  headerType: number;
  /** INTx pin 1..4, or 0. */
  irqPin: number;
  /** GSI firmware routed INTx to (the interrupt-line register), or 255 for none. */
  irqLine: number;
  /** Assigned BARs. */
  bars: HandoffBar[];
  /** For bridges: the bus numbers firmware gave it. */
  bridge?: { primary: number; secondary: number; subordinate: number };
}

/** A sleep state as firmware describes it to the OS (the ACPI \_Sx package). */
export interface HandoffSleepState {
  /** Whether the OS may enter it. */
  enabled: boolean;
  /** Value to write to PM1_CNT.SLP_TYP. */
  slpTyp: number;
}

/** The ISA real-time clock (ACPI PNP0B00) firmware found. */
export interface HandoffRtc {
  /** First of its two ports (index, data). */
  ioBase: number;
  /** Its ISA IRQ (= GSI on this machine). */
  irq: number;
}

/** Memory facts: Linux's memory block size and where the memory hotplug registers are. */
export interface HandoffMemory {
  /** Memory block size in bytes. */
  blockSize: number;
  /** The ACPI memory hotplug block (absent without DIMM slots). */
  hotplug?: { ioBase: number; slots: number; gpe0Base: number; gpeMask: number };
}

/** Everything firmware hands to the kernel. */
export interface Handoff {
  /** Usable and reserved RAM ranges. */
  e820: { base: number; length: number; type: number }[];
  /** CPUs present at boot, and the maximum. */
  cpus: { boot: number; max: number };
  /** Root complexes with their config access method. */
  pciRoots: { segment: number; busStart: number; busEnd: number; ecamBase: number }[];
  /** Every function found, depth-first per root. */
  pci: HandoffPciFunction[];
  /** ACPI PM: the PM1 register block's I/O base and the SCI GSI. */
  acpi: { pmBase: number; sciGsi: number };
  /** Sleep states S3, S4, S5. */
  sleep: { s3: HandoffSleepState; s4: HandoffSleepState; s5: HandoffSleepState };
  /** Kernel command line (QEMU's -append), as the boot loader passes it. */
  cmdline: string;
  /** Memory block size and the ACPI memory hotplug block, when the machine describes them. */
  memory?: HandoffMemory;
  /** The RTC, when firmware found one. */
  rtc?: HandoffRtc;
  /** Guest-physical address of the FACS (where the OS leaves its S3 waking vector). */
  facs?: number;
}

/** Encodes a hand-off block (header + JSON payload). */
export function encodeHandoff(h: Handoff): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(HANDOFF_HEADER_SIZE + payload.length);
  out.set(new TextEncoder().encode(HANDOFF_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, HANDOFF_VERSION, true);
  dv.setUint32(12, payload.length, true);
  out.set(payload, HANDOFF_HEADER_SIZE);
  if (out.length > HANDOFF_MAX_SIZE) throw new RangeError(`hand-off block of ${out.length} bytes exceeds ${HANDOFF_MAX_SIZE}`);
  return out;
}

/** Reads the header of a hand-off block: payload length, or an error text. */
export function decodeHandoffHeader(hdr: Uint8Array): { length: number } | { error: string } {
  const magic = new TextDecoder().decode(hdr.subarray(0, 8));
  if (magic !== HANDOFF_MAGIC) return { error: 'no firmware hand-off block' };
  const dv = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
  if (dv.getUint32(8, true) !== HANDOFF_VERSION) return { error: `hand-off version ${dv.getUint32(8, true)} unsupported` };
  const length = dv.getUint32(12, true);
  if (length > HANDOFF_MAX_SIZE - HANDOFF_HEADER_SIZE) return { error: 'hand-off block too large' };
  return { length };
}
