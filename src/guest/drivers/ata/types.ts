/**
 * The guest's libata core contract: an ATA command as a controller driver executes it (a
 * queued command, Linux's ata_queued_cmd) and what the controller reports back. The SCSI
 * translation and the device probe build these; ata_piix (SFF taskfile registers + BMDMA)
 * and ahci (command lists and FISes) execute them on their hardware.
 */
import type { SchedulerView } from '../../../core/scheduler.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';
import type { GuestPhysMemory } from '../../platform/phys-mem.js';
import type { PhysAllocator } from '../../platform/resources.js';

/** An ATA taskfile as the host writes it (48-bit LBA, 16-bit count and features). */
export interface AtaTf {
  /** Command opcode. */
  command: number;
  /** Features (high byte only sent for LBA48 commands). */
  features: number;
  /** Sector count (likewise). */
  count: number;
  /** LBA (bits 27:24 go in the device register for LBA28 commands). */
  lba: number;
  /** Device register (LBA bit and, for LBA28, nothing else: drivers add the device bit). */
  device: number;
}

/** Data phase protocol. */
export type AtaQcProtocol = 'non-data' | 'pio-in' | 'pio-out' | 'dma-in' | 'dma-out';

/** How a command ended. */
export interface AtaQcResult {
  /** Final status register. */
  status: number;
  /** Error register. */
  error: number;
  /** Result LBA (READ NATIVE MAX ADDRESS), when the transport returns registers. */
  lba?: number;
  /** Result count. */
  count?: number;
  /** The controller gave up (timeout, host bus error): status/error are not the device's. */
  failed?: 'timeout' | 'host-bus';
}

/** A queued command. */
export interface AtaQc {
  /** Registers. */
  tf: AtaTf;
  /** Whether the command uses the LBA48 register pairs. */
  lba48: boolean;
  /** Data protocol. */
  protocol: AtaQcProtocol;
  /** Data-in: buffer to fill (its length is the transfer); data-out: the bytes to send. */
  data?: Uint8Array;
  /** Completion (called once, never before issue returns). */
  done(result: AtaQcResult): void;
}

/** What every ATA port driver (AHCI port, SFF channel) is given: bus, DMA memory, clock, log. */
export interface AtaHostEnv {
  /** Name for logs ("ata3"), set once numbered. */
  name: string;
  /** The CPU's bus. */
  bus: CpuBus;
  /** Guest memory (bounce buffer, PRD table or command list). */
  mem: GuestPhysMemory;
  /** DMA memory. */
  alloc: PhysAllocator;
  /** Clock. */
  sched: SchedulerView;
  /** Kernel log. */
  log: (line: string) => void;
}

/** One ATA port as the translation layer sees it. */
export interface AtaPortOps {
  /** Issues `qc` to device `devno` (0 master / the SATA device, 1 slave); commands run in order. */
  issue(devno: number, qc: AtaQc): void;
  /** Whether the port can do DMA (BMDMA programmed, AHCI always). */
  readonly dma: boolean;
  /** Largest transfer one command may carry, in sectors (bounce buffer size). */
  readonly maxSectors: number;
  /** SET FEATURES transfer mode the port selects for a device ("XFER_*" value). */
  readonly xferMode: number;
}
