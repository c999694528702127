/**
 * What libata reads out of IDENTIFY DEVICE data (ata_dev_configure): strings, capacity
 * (LBA48 words when the 48-bit feature set is there), DMA, TRIM, write cache, FLUSH CACHE
 * EXT, rotation rate.
 */
import {
  ATA_ID_CAPABILITY,
  ATA_ID_CAP_DMA,
  ATA_ID_CAP_LBA,
  ATA_ID_CFS_ENABLE_1,
  ATA_ID_COMMAND_SET_1,
  ATA_ID_COMMAND_SET_2,
  ATA_ID_CONFIG,
  ATA_ID_DATA_SET_MGMT,
  ATA_ID_FLUSH_EXT,
  ATA_ID_FW_REV,
  ATA_ID_FW_REV_LEN,
  ATA_ID_LBA48,
  ATA_ID_LBA_CAPACITY,
  ATA_ID_LBA_CAPACITY_2,
  ATA_ID_PROD,
  ATA_ID_PROD_LEN,
  ATA_ID_ROT_SPEED,
  ATA_ID_SERNO,
  ATA_ID_SERNO_LEN,
  ATA_ID_TRIM,
  ATA_ID_WCACHE,
  ATA_ID_WORDS,
  ataIdString,
} from '../../../abi/ata.js';

/** An ATA disk as libata configured it. */
export interface AtaDeviceInfo {
  /** Model number. */
  model: string;
  /** Serial number. */
  serial: string;
  /** Firmware revision. */
  firmware: string;
  /** User-addressable sectors. */
  sectors: number;
  /** 48-bit addressing. */
  lba48: boolean;
  /** DMA supported. */
  dma: boolean;
  /** DATA SET MANAGEMENT TRIM supported. */
  trim: boolean;
  /** Volatile write cache supported. */
  writeCacheSupported: boolean;
  /** Volatile write cache enabled. */
  writeCache: boolean;
  /** FLUSH CACHE EXT supported. */
  flushExt: boolean;
  /** Nominal rotation rate (1: solid state, 0: not reported). */
  rotationRate: number;
  /** The raw words, for ATA PASS-THROUGH users and sysfs. */
  id: Uint16Array;
}

/** Decodes 512 bytes of IDENTIFY DEVICE data; undefined when it is not an LBA-capable ATA disk. */
export function parseIdentify(bytes: Uint8Array): AtaDeviceInfo | undefined {
  if (bytes.length < ATA_ID_WORDS * 2) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = new Uint16Array(ATA_ID_WORDS);
  for (let i = 0; i < ATA_ID_WORDS; i++) id[i] = dv.getUint16(2 * i, true);
  // Bit 15 of word 0 set means a packet (ATAPI) device; libata wants LBA for disks.
  if (id[ATA_ID_CONFIG]! & 0x8000 || !(id[ATA_ID_CAPABILITY]! & ATA_ID_CAP_LBA)) return undefined;
  const lba48 = (id[ATA_ID_COMMAND_SET_2]! & ATA_ID_LBA48) !== 0;
  let sectors = id[ATA_ID_LBA_CAPACITY]! + id[ATA_ID_LBA_CAPACITY + 1]! * 0x10000;
  if (lba48) {
    let s48 = 0;
    for (let i = 3; i >= 0; i--) s48 = s48 * 0x10000 + id[ATA_ID_LBA_CAPACITY_2 + i]!;
    if (s48 > 0) sectors = s48;
  }
  return {
    model: ataIdString(id, ATA_ID_PROD, ATA_ID_PROD_LEN),
    serial: ataIdString(id, ATA_ID_SERNO, ATA_ID_SERNO_LEN).trimStart(),
    firmware: ataIdString(id, ATA_ID_FW_REV, ATA_ID_FW_REV_LEN),
    sectors,
    lba48,
    dma: (id[ATA_ID_CAPABILITY]! & ATA_ID_CAP_DMA) !== 0,
    trim: (id[ATA_ID_DATA_SET_MGMT]! & ATA_ID_TRIM) !== 0,
    writeCacheSupported: (id[ATA_ID_COMMAND_SET_1]! & ATA_ID_WCACHE) !== 0,
    writeCache: (id[ATA_ID_CFS_ENABLE_1]! & ATA_ID_WCACHE) !== 0,
    flushExt: (id[ATA_ID_COMMAND_SET_2]! & ATA_ID_FLUSH_EXT) !== 0,
    rotationRate: id[ATA_ID_ROT_SPEED]!,
    id,
  };
}
