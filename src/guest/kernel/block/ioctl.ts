/**
 * Block and device-mapper ioctl numbers with Linux's x86_64 encodings, and the argument
 * objects of the device-mapper control ioctls. Block ioctls take byte buffers laid out
 * as the C types (u64 little-endian, int); dm ioctls take one object the kernel reads and
 * fills in, in place of struct dm_ioctl and its trailing data.
 */

/** BLKROGET: int, 1 if read-only. */
export const BLKROGET = 0x125e;
/** BLKRRPART: re-read the partition table (root only, whole disks only). */
export const BLKRRPART = 0x125f;
/** BLKGETSIZE: unsigned long, size in 512-byte sectors. */
export const BLKGETSIZE = 0x1260;
/** BLKFLSBUF: write back and drop cached buffers (root only). */
export const BLKFLSBUF = 0x1261;
/** BLKSSZGET: int, logical block size. */
export const BLKSSZGET = 0x1268;
/** BLKBSZGET: int, the block size buffered I/O uses. */
export const BLKBSZGET = 0x8008_1270;
/** BLKGETSIZE64: u64, size in bytes. */
export const BLKGETSIZE64 = 0x8008_1272;
/** BLKDISCARD: u64 range[2] = {start, length} in bytes, both aligned to the logical block size. */
export const BLKDISCARD = 0x1277;
/** BLKIOMIN: unsigned int, minimum I/O size. */
export const BLKIOMIN = 0x1278;
/** BLKIOOPT: unsigned int, optimal I/O size. */
export const BLKIOOPT = 0x1279;
/** BLKPBSZGET: unsigned int, physical block size. */
export const BLKPBSZGET = 0x127b;
/** BLKROTATIONAL: unsigned short, 1 for spinning media. */
export const BLKROTATIONAL = 0x127e;

/** dm ioctl: interface version. */
export const DM_VERSION = 0xc138_fd00;
/** dm ioctl: remove every device. */
export const DM_REMOVE_ALL = 0xc138_fd01;
/** dm ioctl: list devices (fills `names`). */
export const DM_LIST_DEVICES = 0xc138_fd02;
/** dm ioctl: create a device without a table. */
export const DM_DEV_CREATE = 0xc138_fd03;
/** dm ioctl: remove a device. */
export const DM_DEV_REMOVE = 0xc138_fd04;
/** dm ioctl: suspend (flags has DM_SUSPEND_FLAG) or resume, swapping in a loaded table. */
export const DM_DEV_SUSPEND = 0xc138_fd06;
/** dm ioctl: device status (fills dev, flags, targetCount, openCount). */
export const DM_DEV_STATUS = 0xc138_fd07;
/** dm ioctl: load an inactive table (`targets`). */
export const DM_TABLE_LOAD = 0xc138_fd09;
/** dm ioctl: drop the inactive table. */
export const DM_TABLE_CLEAR = 0xc138_fd0a;
/** dm ioctl: devices the table uses (fills `deps`). */
export const DM_TABLE_DEPS = 0xc138_fd0b;
/** dm ioctl: table or status lines (fills `targets`; DM_STATUS_TABLE_FLAG picks the table). */
export const DM_TABLE_STATUS = 0xc138_fd0c;

/** dm flag: read-only device. */
export const DM_READONLY_FLAG = 1 << 0;
/** dm flag: suspend (DM_DEV_SUSPEND) / is suspended (status). */
export const DM_SUSPEND_FLAG = 1 << 1;
/** dm flag: DM_TABLE_STATUS returns the table rather than the status. */
export const DM_STATUS_TABLE_FLAG = 1 << 4;
/** dm flag (out): a live table is present. */
export const DM_ACTIVE_PRESENT_FLAG = 1 << 5;
/** dm flag (out): an inactive table is loaded. */
export const DM_INACTIVE_PRESENT_FLAG = 1 << 6;

/** The device-mapper interface version reported by DM_VERSION (Linux 6.1's). */
export const DM_INTERFACE_VERSION: readonly [number, number, number] = [4, 47, 0];
/** Longest device name (DM_NAME_LEN - 1). */
export const DM_NAME_MAX = 127;
/** Largest table a load may carry. */
export const DM_MAX_TARGETS = 1024;

/** One table line: `start length type params`. */
export interface DmTargetSpec {
  /** First sector of the dm device this target covers. */
  start: number;
  /** Sectors covered. */
  length: number;
  /** Target type ("linear"). */
  type: string;
  /** Target parameters ("/dev/vdb1 0" or "254:17 0"). */
  params: string;
}

/** The argument of every dm ioctl: inputs set by the caller, outputs filled by the kernel. */
export interface DmIoctlArg extends Record<string, unknown> {
  /** Device name. */
  name?: string;
  /** Device UUID (optional at create). */
  uuid?: string;
  /** DM_*_FLAG bits. */
  flags?: number;
  /** Table for DM_TABLE_LOAD; filled by DM_TABLE_STATUS. */
  targets?: DmTargetSpec[];
  /** Out: encoded dev_t. */
  dev?: number;
  /** Out: DM_VERSION. */
  version?: [number, number, number];
  /** Out: DM_LIST_DEVICES. */
  names?: { name: string; dev: number }[];
  /** Out: DM_TABLE_DEPS. */
  deps?: number[];
  /** Out: targets in the live table. */
  targetCount?: number;
  /** Out: opens of the device. */
  openCount?: number;
}
