/** The guest's virtio-pci driver: interface discovery, bring-up, queues and interrupts. */
export { findVirtioStructures, listVirtioCapabilities } from './caps.js';
export type { VirtioPciStructures, VirtioStructure } from './caps.js';
export {
  CONFIG_GENERATION_RETRIES,
  CONFIG_VECTOR_ENTRY,
  QUEUES_VECTOR_ENTRY,
  RESET_POLL_LIMIT,
  VirtioDriverError,
  VirtioPciDriver,
} from './driver.js';
export type { InterruptMode, VirtioPciDriverOptions, VirtioPciDriverStats, VirtioPciDriverView } from './driver.js';
export { GuestMsix } from './msix.js';
export { platformVirtioDriver, sysfsLeaf } from './platform-driver.js';
export { LegacyRegs, ModernRegs, RING_ALIGN } from './regs.js';
export type { VirtioPciRegs } from './regs.js';
export { BumpAllocator, VectorTable } from '../../platform/resources.js';
export type { GuestInterrupts, MsiMessage, PhysAllocator, VectorTableOptions } from '../../platform/resources.js';
