/**
 * Publishes the platform to firmware through fw_cfg: CPU counts, RAM map, host bridges
 * and sleep states, the facts a real board gives its firmware through straps and tables.
 */
import {
  E820_ENTRY_SIZE,
  E820_RAM,
  FW_CFG_CMDLINE_DATA,
  FW_CFG_CMDLINE_SIZE,
  FW_CFG_FILE_E820,
  FW_CFG_FILE_EXTRA_PCI_ROOTS,
  FW_CFG_FILE_HOST_BRIDGES,
  FW_CFG_FILE_SYSTEM_STATES,
  FW_CFG_MAX_CPUS,
  FW_CFG_NB_CPUS,
  FW_CFG_RAM_SIZE,
  SYSTEM_STATE_ENABLED,
  encodeHostBridges,
  type HostBridgeEntry,
} from '../abi/fw-cfg.js';
import { FwCfg, le } from '../../devices/chipset/fw-cfg.js';
import { HIGHMEM_BASE, type RamLayout } from './memory-map.js';

/** What the platform tells firmware. */
export interface PlatformFacts {
  /** Boot vCPUs. */
  cpus: number;
  /** Maximum vCPUs. */
  maxCpus: number;
  /** Total boot RAM. */
  ramSize: number;
  /** Where RAM is. */
  layout: RamLayout;
  /** Root complexes. */
  hostBridges: HostBridgeEntry[];
  /** S3/S4 availability and SLP_TYP values, from PIIX4_PM's properties. */
  sleep: { s3: boolean; s4: boolean; s4Val: number };
  /** Kernel command line. */
  cmdline: string;
}

/** Fills fw_cfg with the platform facts. */
export function publishPlatform(fw: FwCfg, p: PlatformFacts): void {
  fw.setItem(FW_CFG_NB_CPUS, le(p.cpus, 2));
  fw.setItem(FW_CFG_MAX_CPUS, le(p.maxCpus, 2));
  fw.setItem(FW_CFG_RAM_SIZE, le(p.ramSize, 8));
  fw.setFile(FW_CFG_FILE_E820, e820(p.layout));
  fw.setFile(FW_CFG_FILE_HOST_BRIDGES, encodeHostBridges(p.hostBridges));
  fw.setFile(FW_CFG_FILE_EXTRA_PCI_ROOTS, le(p.hostBridges.length - 1, 8));
  // S0..S5: S0 and S5 always on; S3 uses SLP_TYP 1 and S4 its s4_val, as QEMU's PIIX4 does.
  const states = new Uint8Array(6);
  states[0] = SYSTEM_STATE_ENABLED;
  states[3] = (p.sleep.s3 ? SYSTEM_STATE_ENABLED : 0) | 1;
  states[4] = (p.sleep.s4 ? SYSTEM_STATE_ENABLED : 0) | (p.sleep.s4Val & 7);
  states[5] = SYSTEM_STATE_ENABLED;
  fw.setFile(FW_CFG_FILE_SYSTEM_STATES, states);
  const cmdline = new TextEncoder().encode(p.cmdline + '\0');
  fw.setItem(FW_CFG_CMDLINE_SIZE, le(cmdline.length, 4));
  fw.setItem(FW_CFG_CMDLINE_DATA, cmdline);
}

function e820(layout: RamLayout): Uint8Array {
  const entries: [number, number][] = [[0, layout.below4g]];
  if (layout.above4g > 0) entries.push([HIGHMEM_BASE, layout.above4g]);
  const out = new Uint8Array(entries.length * E820_ENTRY_SIZE);
  const dv = new DataView(out.buffer);
  entries.forEach(([base, len], i) => {
    dv.setBigUint64(i * E820_ENTRY_SIZE, BigInt(base), true);
    dv.setBigUint64(i * E820_ENTRY_SIZE + 8, BigInt(len), true);
    dv.setUint32(i * E820_ENTRY_SIZE + 16, E820_RAM, true);
  });
  return out;
}
