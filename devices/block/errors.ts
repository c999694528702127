/**
 * Realize-time errors of drives and the storage devices that use them, worded as QEMU words
 * them (blockdev.c, qdev's drive property, virtio-blk and SCSI realize) so a tool matching on
 * QEMU's text sees the same thing. Guest-triggered problems are never errors: they become
 * status bytes, sense data or NEEDS_RESET.
 */

/** A drive or storage device could not be created. */
export class StorageError extends Error {
  /** Wraps a QEMU-worded message. */
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

/** The message texts, one builder each, so tests and callers share the wording. */
export const STORAGE_ERR = {
  /** A device that needs a drive got none. */
  driveNotSet: (): string => 'drive property not set',
  /** A device that needs a medium got an empty drive. */
  needsMedia: (): string => 'Device needs media, but drive is empty',
  /** `drive=` names no drive (typename is the device holding the property, e.g. virtio-blk-device). */
  driveNotFound: (typeName: string, id: string): string => `Property '${typeName}.drive' can't find value '${id}'`,
  /** The drive is attached to another device that was created for it by `if=`. */
  driveInUseAuto: (id: string): string =>
    `Drive '${id}' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)`,
  /** The drive is attached to another device. */
  driveInUseBy: (id: string): string => `Drive '${id}' is already in use by another device`,
  /** Two drives with one id. */
  duplicateDriveId: (id: string): string => `Duplicate ID '${id}' for drive`,
  /** `if=` names an interface QEMU does not have. */
  badInterface: (value: string): string => `unsupported bus type '${value}'`,
  /** `media=` is neither disk nor cdrom. */
  badMedia: (value: string): string => `'${value}' invalid media`,
  /** `cache=` is not a cache mode. */
  badCache: (): string => 'invalid cache option',
  /** `discard=` is not ignore/off/unmap/on. */
  badDiscard: (): string => 'Invalid discard option',
  /** `format=` names no block driver. */
  unknownDriver: (format: string): string => `Unknown driver '${format}'`,
  /** `format=` names a QEMU driver this build does not allow (as a whitelisting QEMU says). */
  notWhitelisted: (format: string): string => `Driver '${format}' is not whitelisted`,
  /** virtio-blk queue-size too small. */
  queueSizeTooSmall: (n: number): string => `invalid queue-size property (${n}), must be > 2`,
  /** virtio-blk queue-size not a power of two or too large. */
  queueSizeNotPow2: (n: number, max: number): string => `invalid queue-size property (${n}), must be a power of 2 (max ${max})`,
  /** virtio-blk num-queues = 0. */
  numQueuesZero: (): string => 'num-queues property must be larger than 0',
  /** virtio-blk max-discard-sectors out of range. */
  maxDiscardSectors: (n: number, max: number): string => `invalid max-discard-sectors property (${n}), must be between 1 and ${max}`,
  /** virtio-blk max-write-zeroes-sectors out of range. */
  maxWriteZeroesSectors: (n: number, max: number): string => `invalid max-write-zeroes-sectors property (${n}), must be between 1 and ${max}`,
  /** A SCSI device on a machine without a SCSI bus. */
  noScsiBus: (type: string): string => `No 'SCSI' bus found for device '${type}'`,
  /** channel above the bus's max_channel. */
  badChannel: (n: number): string => `bad scsi channel id: ${n}`,
  /** scsi-id above the bus's max_target. */
  badTarget: (n: number): string => `bad scsi device id: ${n}`,
  /** lun above the bus's max_lun. */
  badLun: (n: number): string => `bad scsi device lun: ${n}`,
  /** The address is taken. */
  lunInUse: (byId: string): string => `lun already used by '${byId}'`,
  /** No free target for an automatically placed device. */
  noFreeTarget: (): string => 'no free target',
  /** No free lun on the given target. */
  noFreeLun: (): string => 'no free lun',
} as const;
