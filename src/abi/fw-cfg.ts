/**
 * QEMU's fw_cfg interface as firmware sees it: a selector port, a data port, fixed keys
 * and a file directory. The machine publishes the platform facts that real firmware
 * gets from the chipset and ACPI tables (RAM map, host bridges, sleep states) here.
 */

/** Selector register (16-bit write). */
export const FW_CFG_PORT_SEL = 0x510;
/** Data register (8-bit reads, auto-incrementing). */
export const FW_CFG_PORT_DATA = 0x511;
/** Ports claimed (selector, data, and the DMA address QEMU also reserves). */
export const FW_CFG_PORT_SIZE = 0x0c;

/** Key: "QEMU" signature. */
export const FW_CFG_SIGNATURE = 0x00;
/** Key: interface id/feature bits (bit 0 = traditional interface). */
export const FW_CFG_ID = 0x01;
/** Key: RAM size, u64 little-endian. */
export const FW_CFG_RAM_SIZE = 0x03;
/** Key: boot CPU count, u16 little-endian. */
export const FW_CFG_NB_CPUS = 0x05;
/** Key: maximum CPU count, u16 little-endian. */
export const FW_CFG_MAX_CPUS = 0x0f;
/** Key: kernel command line length including its NUL, u32 little-endian (QEMU's -append). */
export const FW_CFG_CMDLINE_SIZE = 0x14;
/** Key: kernel command line bytes, NUL-terminated. */
export const FW_CFG_CMDLINE_DATA = 0x15;
/** Key: file directory (big-endian, as QEMU lays it out). */
export const FW_CFG_FILE_DIR = 0x19;
/** First key used for files. */
export const FW_CFG_FILE_FIRST = 0x20;
/** Bytes of a file name in a directory entry. */
export const FW_CFG_MAX_FILE_PATH = 56;
/** Bytes of one directory entry: u32 size, u16 select, u16 reserved, name[56]. */
export const FW_CFG_DIR_ENTRY_SIZE = 64;

/** File: RAM map, entries {u64 address, u64 length, u32 type} little-endian (QEMU's etc/e820). */
export const FW_CFG_FILE_E820 = 'etc/e820';
/** Bytes of one e820 entry. */
export const E820_ENTRY_SIZE = 20;
/** e820 type: usable RAM. */
export const E820_RAM = 1;
/** e820 type: reserved. */
export const E820_RESERVED = 2;

/**
 * File: S0..S5 bytes as QEMU's PIIX4 publishes them: bit 7 = state enabled, low bits =
 * the SLP_TYP value the OS writes to PM1_CNT for it.
 */
export const FW_CFG_FILE_SYSTEM_STATES = 'etc/system-states';
/** Bit 7 of a system-states byte: the sleep state is available. */
export const SYSTEM_STATE_ENABLED = 0x80;
/** Low bits of a system-states byte: the SLP_TYP value. */
export const SYSTEM_STATE_SLP_TYP_MASK = 0x07;

/** File: number of extra PCI root buses, u64 little-endian (QEMU's etc/extra-pci-roots). */
export const FW_CFG_FILE_EXTRA_PCI_ROOTS = 'etc/extra-pci-roots';

/**
 * File: our stand-in for the ACPI MCFG table plus each host bridge's _CRS windows, since
 * we do not generate AML. One entry per root complex, little-endian:
 * u16 segment, u8 busStart, u8 busEnd, u32 intxGsiBase, u64 ecamBase,
 * u64 ioBase, u64 ioLimit, u64 mem32Base, u64 mem32Limit, u64 mem64Base, u64 mem64Limit.
 */
export const FW_CFG_FILE_HOST_BRIDGES = 'etc/qga-sim/host-bridges';
/** intxGsiBase value meaning "INTx goes through the chipset's PIRQ router". */
export const INTX_ROUTED_BY_PIRQ = 0xffff_ffff;
/** Bytes of one host-bridge entry. */
export const HOST_BRIDGE_ENTRY_SIZE = 64;

/** One root complex as published in FW_CFG_FILE_HOST_BRIDGES. */
export interface HostBridgeEntry {
  /** PCI segment (domain) number. */
  segment: number;
  /** First bus number decoded by the ECAM window. */
  busStart: number;
  /** Last bus number decoded. */
  busEnd: number;
  /**
   * Where this root's INTx lines go: INTX_ROUTED_BY_PIRQ for the PIIX3 router (firmware
   * programs its PIRQ registers), else GSI base + ((slot + pin - 1) & 3) at the root bus,
   * the fixed routing an ACPI _PRT would describe.
   */
  intxGsiBase: number;
  /** ECAM base address (0 = none; domain 0 is also reachable through 0xCF8/0xCFC). */
  ecamBase: number;
  /** I/O window for BARs below this root (inclusive limits). */
  ioBase: number;
  /** Last I/O port of the window. */
  ioLimit: number;
  /** 32-bit memory window. */
  mem32Base: number;
  /** Last address of the 32-bit window. */
  mem32Limit: number;
  /** 64-bit memory window (0/0 = none). */
  mem64Base: number;
  /** Last address of the 64-bit window. */
  mem64Limit: number;
}

/** Serialises host-bridge entries for fw_cfg. */
export function encodeHostBridges(list: readonly HostBridgeEntry[]): Uint8Array {
  const out = new Uint8Array(list.length * HOST_BRIDGE_ENTRY_SIZE);
  const dv = new DataView(out.buffer);
  list.forEach((e, i) => {
    const o = i * HOST_BRIDGE_ENTRY_SIZE;
    dv.setUint16(o, e.segment, true);
    dv.setUint8(o + 2, e.busStart);
    dv.setUint8(o + 3, e.busEnd);
    dv.setUint32(o + 4, e.intxGsiBase, true);
    const q = [e.ecamBase, e.ioBase, e.ioLimit, e.mem32Base, e.mem32Limit, e.mem64Base, e.mem64Limit];
    q.forEach((v, k) => dv.setBigUint64(o + 8 + 8 * k, BigInt(v), true));
  });
  return out;
}

/** Parses host-bridge entries read from fw_cfg. */
export function decodeHostBridges(b: Uint8Array): HostBridgeEntry[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: HostBridgeEntry[] = [];
  for (let o = 0; o + HOST_BRIDGE_ENTRY_SIZE <= b.length; o += HOST_BRIDGE_ENTRY_SIZE) {
    const q = (k: number) => Number(dv.getBigUint64(o + 8 + 8 * k, true));
    out.push({
      segment: dv.getUint16(o, true),
      busStart: dv.getUint8(o + 2),
      busEnd: dv.getUint8(o + 3),
      intxGsiBase: dv.getUint32(o + 4, true),
      ecamBase: q(0),
      ioBase: q(1),
      ioLimit: q(2),
      mem32Base: q(3),
      mem32Limit: q(4),
      mem64Base: q(5),
      mem64Limit: q(6),
    });
  }
  return out;
}

/** QEMU's isa-debugcon port, where SeaBIOS-style firmware writes its log. */
export const DEBUGCON_PORT = 0x402;

/** One fw_cfg directory entry. */
export interface FwCfgDirEntry {
  /** Selector key of the file. */
  key: number;
  /** Size in bytes. */
  size: number;
}

/** Decodes the file directory (u32 count, then big-endian entries), believing at most `maxEntries`. */
export function decodeFwCfgDirectory(dir: Uint8Array, maxEntries = Number.MAX_SAFE_INTEGER): Map<string, FwCfgDirEntry> {
  const dv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const count = Math.min(dir.length >= 4 ? dv.getUint32(0, false) : 0, maxEntries, Math.floor((dir.length - 4) / FW_CFG_DIR_ENTRY_SIZE));
  const out = new Map<string, FwCfgDirEntry>();
  for (let i = 0; i < count; i++) {
    const o = 4 + i * FW_CFG_DIR_ENTRY_SIZE;
    const raw = dir.subarray(o + 8, o + 8 + FW_CFG_MAX_FILE_PATH);
    const nul = raw.indexOf(0);
    out.set(new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul)), { key: dv.getUint16(o + 4, false), size: dv.getUint32(o, false) });
  }
  return out;
}
