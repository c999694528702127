/**
 * How a SCSI host adapter model (virtio-scsi, and later AHCI/PIIX via SAT) hands commands to
 * the logical units on its bus. The data phase is a stream in the host's own buffers, so a
 * large READ never becomes one large allocation and each host keeps its own buffer format.
 */

/** Direction of a command's data phase. */
export type ScsiXferMode = 'none' | 'from-device' | 'to-device';

/** The initiator's buffers for one command. */
export interface ScsiDataPhase {
  /** Direction the initiator set up. */
  readonly mode: ScsiXferMode;
  /** Bytes offered: data-out length, or room for data-in. */
  readonly length: number;
  /** to-device: the next `n` bytes of data-out (fewer at the end). */
  readOut(n: number): Uint8Array;
  /** from-device: appends `data` to the data-in buffers; returns the bytes stored. */
  writeIn(data: Uint8Array): number;
}

/** How a command ended at the logical unit. */
export interface ScsiCommandResult {
  /** SAM status byte. */
  status: number;
  /** Fixed-format sense data with CHECK CONDITION. */
  sense?: Uint8Array;
  /** Data-phase bytes moved (in either direction). */
  transferred: number;
}

/** A logical unit as its bus sees it. */
export interface ScsiLogicalUnit {
  /** Channel (bus) number. */
  readonly channel: number;
  /** Target id. */
  readonly id: number;
  /** LUN. */
  readonly lun: number;
  /** The qdev id (`-device ...,id=`), '' when none. */
  readonly qdevId: string;
  /** Runs one CDB addressed to this unit. */
  execute(cdb: Uint8Array, data: ScsiDataPhase): ScsiCommandResult;
  /** Device reset (LOGICAL UNIT RESET, bus reset). */
  reset(): void;
}
