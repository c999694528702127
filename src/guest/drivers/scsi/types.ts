/**
 * The contract between SCSI host drivers (virtio_scsi, and libata's ata_piix and ahci,
 * which translate SCSI commands to ATA as Linux's libata-scsi does) and the SCSI midlayer
 * that scans targets and attaches the sd disk driver.
 */

/** SCSI status byte values (GOOD, and CHECK CONDITION: sense data explains); defined in the SCSI ABI. */
export { SAM_STAT_CHECK_CONDITION, SAM_STAT_GOOD } from '../../../abi/scsi.js';

/** Data direction of a command. */
export type ScsiDataDirection = 'none' | 'to-device' | 'from-device';

/** One command sent to a logical unit. */
export interface ScsiCommand {
  /** Channel (bus) on the host. */
  readonly channel: number;
  /** Target id. */
  readonly id: number;
  /** Logical unit. */
  readonly lun: number;
  /** Command descriptor block. */
  readonly cdb: Uint8Array;
  /** Direction of the data phase. */
  readonly direction: ScsiDataDirection;
  /** to-device: the data; from-device: the buffer to fill (its length is the allocation). */
  readonly data?: Uint8Array;
  /** Completion: status byte, bytes transferred, sense data on CHECK CONDITION; `hostError` when the command never reached the unit (no such target). */
  done(result: ScsiResult): void;
}

/** How a command ended. */
export interface ScsiResult {
  /** SAM status. */
  status: number;
  /** Bytes of the data phase actually transferred. */
  transferred: number;
  /** Fixed-format sense data. */
  sense?: Uint8Array;
  /** Transport failure ("no-connect" for an empty target, "error" otherwise). */
  hostError?: 'no-connect' | 'error';
}

/** What a host driver gives the midlayer. */
export interface ScsiHostTemplate {
  /** Driver name for sysfs (/sys/class/scsi_host/hostN/proc_name): "virtio_scsi", "ata_piix", "ahci". */
  procName: string;
  /** Sysfs directory the hostN directory goes under ("/devices/pci0000:00/0000:00:01.1/ata1" or ".../virtio3"). */
  sysfsParent: string;
  /** Highest channel, target id and lun to scan. */
  maxChannel: number;
  /** Highest target id to scan. */
  maxId: number;
  /** Highest lun to scan. */
  maxLun: number;
  /** Largest data phase of one command in bytes (sd splits bigger requests); default 256 KiB. */
  maxTransferBytes?: number;
  /** Queues a command; completion comes later through cmd.done (never before queueCommand returns). */
  queueCommand(cmd: ScsiCommand): void;
}
