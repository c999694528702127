/** Reads the firmware hand-off block from guest RAM, as a kernel reads its boot parameters. */
import { HANDOFF_ADDRESS, HANDOFF_HEADER_SIZE, decodeHandoffHeader, type Handoff } from '../../abi/handoff.js';
import type { GuestPhysMemory } from './phys-mem.js';

/** Parses the hand-off; throws when firmware left none. */
export function readHandoff(mem: GuestPhysMemory): Handoff {
  const hdr = decodeHandoffHeader(mem.readBytes(HANDOFF_ADDRESS, HANDOFF_HEADER_SIZE));
  if ('error' in hdr) throw new Error(`guest boot: ${hdr.error}`);
  const text = new TextDecoder().decode(mem.readBytes(HANDOFF_ADDRESS + HANDOFF_HEADER_SIZE, hdr.length));
  return JSON.parse(text) as Handoff;
}
