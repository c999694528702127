/**
 * What an ATA command is, to a drive, whichever transport carried it: the taskfile it
 * arrived with (an IDE channel's register pair FIFOs, or an AHCI host-to-device register
 * FIS), the protocol its data phase uses, and the registers it ends with.
 */

/** The command registers as the drive sees them when the command byte arrives. */
export interface AtaTaskfile {
  /** Command opcode. */
  command: number;
  /** Features, 16 bits (high byte: the "previous" / exp value, only meaningful for EXT commands). */
  features: number;
  /** Sector count, 16 bits (high byte likewise). */
  count: number;
  /** LBA, 48 bits: low 24 from the current registers, high 24 from the previous ones. */
  lba: number;
  /** Device register (bit 6 LBA, bits 3:0 LBA 27:24 for LBA28 commands). */
  device: number;
}

/** How the data phase of a command moves. */
export type AtaProtocol = 'non-data' | 'pio-in' | 'pio-out' | 'dma-in' | 'dma-out';

/** The registers a command ends with. */
export interface AtaOutput {
  /** Status register. */
  status: number;
  /** Error register. */
  error: number;
  /** LBA outputs, when the command returns one (READ NATIVE MAX ADDRESS, signature). */
  lba?: number;
  /** Count output (CHECK POWER MODE, signature). */
  count?: number;
  /** Device register output. */
  device?: number;
}

/**
 * A command the drive accepted (or rejected: protocol 'non-data' ending in ABRT). The
 * transport moves `sectors` 512-byte blocks in DRQ blocks of `drqBlock` sectors (PIO) or
 * through its DMA engine, calling readIn/writeOut for each piece, then finish().
 */
export interface AtaCommand {
  /** Name for traces (ATA8-ACS command name). */
  readonly name: string;
  /** The decoded operands for traces (" lba 2048 count 8"), empty when there are none. */
  readonly detail: string;
  /** Data phase protocol. */
  readonly protocol: AtaProtocol;
  /** Length of the data phase in 512-byte blocks (0 for non-data). */
  readonly sectors: number;
  /** Whether the command touches the medium (the transport adds media latency). */
  readonly media: boolean;
  /** Sectors per DRQ block for PIO protocols. */
  readonly drqBlock: number;
  /** Data-in: blocks [first, first+count) of the data phase. */
  readIn(first: number, count: number): Uint8Array;
  /** Data-out: blocks starting at `first` of the data phase (whole blocks). */
  writeOut(first: number, data: Uint8Array): void;
  /** Ends the command: its effect (flush, discards) and the status it reports. */
  finish(): AtaOutput;
}

/** Sector count of an EXT command (0 means 65536). */
export function count48Of(tf: AtaTaskfile): number {
  return (tf.count & 0xffff) || 0x10000;
}

/** Sector count of an LBA28 command (0 means 256). */
export function count28Of(tf: AtaTaskfile): number {
  return (tf.count & 0xff) || 0x100;
}
