/** Firmware's reading of the machine's memory facts (block size, memory hotplug block) for the hand-off. */
import { FW_CFG_FILE_MEMORY, decodeMemoryInfo } from '../src/abi/acpi-memhp.js';
import type { Handoff } from '../src/abi/handoff.js';
import type { FwCfgClient } from './fw-cfg-client.js';

/** The hand-off's `memory` member, or nothing when the VMM publishes no memory file. */
export function readMemoryInfo(fw: FwCfgClient): Pick<Handoff, 'memory'> {
  const raw = fw.readFile(FW_CFG_FILE_MEMORY);
  const info = raw === undefined ? undefined : decodeMemoryInfo(raw);
  if (!info) return {};
  return { memory: { blockSize: info.blockSize, ...(info.hotplug ? { hotplug: info.hotplug } : {}) } };
}
