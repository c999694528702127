/**
 * The data libata-scsi makes up for an ATA disk, from its IDENTIFY data (SAT-3 as Linux
 * implements it): standard INQUIRY with vendor "ATA", the VPD pages sd reads (supported
 * pages, unit serial, device identification, ATA information, block limits, block device
 * characteristics, logical block provisioning), READ CAPACITY(10/16), mode pages, and
 * the ATA PASS-THROUGH sense data that carries registers.
 */
import {
  INQUIRY_ADDITIONAL_LENGTH,
  INQUIRY_FLAGS7,
  INQUIRY_MAX_SIZE,
  INQUIRY_PRODUCT,
  INQUIRY_PRODUCT_LEN,
  INQUIRY_RESPONSE_FORMAT,
  INQUIRY_REVISION,
  INQUIRY_REVISION_LEN,
  INQUIRY_VENDOR,
  INQUIRY_VERSION,
  LBP_THIN,
  MODE_PAGE_CACHING,
  MODE_PAGE_RW_ERROR,
  RC16_LBPME,
  SCSI_VERSION_SPC3,
  TYPE_DISK,
  VPD_BLOCK_CHARACTERISTICS,
  VPD_BLOCK_LIMITS,
  VPD_BLOCK_LIMITS_LENGTH,
  VPD_BL_MAX_UNMAP_DESCRIPTORS,
  VPD_BL_MAX_UNMAP_LBA_COUNT,
  VPD_BL_MAX_WRITE_SAME,
  VPD_BL_UNMAP_GRANULARITY,
  VPD_DEVICE_ID,
  VPD_HEADER_SIZE,
  VPD_LBP,
  VPD_LBP_FLAGS,
  VPD_LBP_LBPU,
  VPD_LBP_LBPWS,
  VPD_LBP_LENGTH,
  VPD_LBP_PROVISIONING,
  VPD_SUPPORTED_PAGES,
  VPD_UNIT_SERIAL,
  encodeCachingPage,
  encodeFixedSense,
  encodeModePage,
  encodeReadCapacity10,
  encodeReadCapacity16,
  encodeRwErrorRecoveryPage,
  encodeVpdPage,
  putAscii,
  putBe,
} from '../../../abi/scsi.js';
import { ATA_CMD_ID_ATA, ATA_DSM_ENTRIES_PER_BLOCK, ATA_DSM_RANGE_MAX, ATA_ID_FW_REV, ATA_ID_PROD, ATA_ID_SERNO, ATA_ID_WORDS, ATA_SECTOR_SIZE } from '../../../abi/ata.js';
import type { AtaDeviceInfo } from './identify.js';

/** VPD page: ATA information (SAT-3 §10.4.3). */
export const VPD_ATA_INFO = 0x89;
/** ATA information page length after the header. */
export const VPD_ATA_INFO_LENGTH = 0x238;
/** UNMAP block descriptors libata-style translation accepts per command (one DSM block of ranges). */
export const ATA_UNMAP_MAX_DESCRIPTORS = ATA_DSM_ENTRIES_PER_BLOCK;
/** Largest UNMAP / WRITE SAME length, in blocks: one DSM block full of maximal ranges. */
export const ATA_UNMAP_MAX_LBA_COUNT = ATA_DSM_RANGE_MAX * ATA_DSM_ENTRIES_PER_BLOCK;
/** ASC/ASCQ 00/1D: ATA PASS THROUGH INFORMATION AVAILABLE. */
export const ASC_ATA_PT_INFO = 0x00;
/** ASCQ of ATA PASS THROUGH INFORMATION AVAILABLE. */
export const ASCQ_ATA_PT_INFO = 0x1d;

/** An IDENTIFY string without trimming (the raw characters libata copies). */
function idChars(id: Uint16Array, word: number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars / 2; i++) s += String.fromCharCode(id[word + i]! >> 8, id[word + i]! & 0xff);
  return s;
}

/** Whether sd should see logical block provisioning (TRIM, which this translation sends by DMA). */
export function lbpEnabled(info: AtaDeviceInfo, dma: boolean): boolean {
  return info.trim && dma;
}

/** Standard INQUIRY data: vendor "ATA", product = model, revision = firmware (last four characters unless blank). */
export function inquiryStandard(info: AtaDeviceInfo): Uint8Array {
  const out = new Uint8Array(INQUIRY_MAX_SIZE);
  out[0] = TYPE_DISK;
  out[INQUIRY_VERSION] = SCSI_VERSION_SPC3;
  out[INQUIRY_RESPONSE_FORMAT] = 2;
  out[INQUIRY_ADDITIONAL_LENGTH] = INQUIRY_MAX_SIZE - 5;
  out[INQUIRY_FLAGS7] = 2;
  putAscii(out, INQUIRY_VENDOR, 8, 'ATA');
  putAscii(out, INQUIRY_PRODUCT, INQUIRY_PRODUCT_LEN, idChars(info.id, ATA_ID_PROD, 40));
  const fw = idChars(info.id, ATA_ID_FW_REV, 8);
  putAscii(out, INQUIRY_REVISION, INQUIRY_REVISION_LEN, fw.slice(4, 8).trim() === '' ? fw.slice(0, 4) : fw.slice(4, 8));
  return out;
}

/** The VPD page `page`, or undefined when it is not supported. */
export function vpdPage(page: number, info: AtaDeviceInfo, dma: boolean): Uint8Array | undefined {
  switch (page) {
    case VPD_SUPPORTED_PAGES: {
      const pages = [VPD_SUPPORTED_PAGES, VPD_UNIT_SERIAL, VPD_DEVICE_ID, VPD_ATA_INFO, VPD_BLOCK_LIMITS, VPD_BLOCK_CHARACTERISTICS, VPD_LBP];
      return withHeader(page, Uint8Array.from(pages));
    }
    case VPD_UNIT_SERIAL: {
      const body = new Uint8Array(20);
      putAscii(body, 0, 20, idChars(info.id, ATA_ID_SERNO, 20));
      return withHeader(page, body);
    }
    case VPD_DEVICE_ID: {
      const serial = idChars(info.id, ATA_ID_SERNO, 20);
      // Vendor-specific designator with the serial, then the T10 vendor id "ATA" + model + serial.
      const d1 = new Uint8Array(4 + 20);
      d1[0] = 2; // code set ASCII
      d1[3] = 20;
      putAscii(d1, 4, 20, serial);
      const d2 = new Uint8Array(4 + 68);
      d2[0] = 2;
      d2[1] = 1; // designator type: T10 vendor id
      d2[3] = 68;
      putAscii(d2, 4, 8, 'ATA');
      putAscii(d2, 12, 40, idChars(info.id, ATA_ID_PROD, 40));
      putAscii(d2, 52, 20, serial);
      const body = new Uint8Array(d1.length + d2.length);
      body.set(d1, 0);
      body.set(d2, d1.length);
      return withHeader(page, body);
    }
    case VPD_ATA_INFO: {
      const body = new Uint8Array(VPD_ATA_INFO_LENGTH);
      putAscii(body, 4, 8, 'linux');
      putAscii(body, 12, 16, 'libata');
      putAscii(body, 28, 4, '1.0');
      // Device signature: the D2H register FIS an ATA device sends after reset.
      body[32] = 0x34;
      body[34] = 0x50; // status DRDY | DSC
      body[35] = 0x01; // error: diagnostics passed
      body[36] = 1; // LBA low
      body[44] = 1; // count
      body[52] = ATA_CMD_ID_ATA;
      const id = new DataView(body.buffer, 56, ATA_ID_WORDS * 2);
      info.id.forEach((w, i) => id.setUint16(2 * i, w, true));
      return withHeader(page, body);
    }
    case VPD_BLOCK_LIMITS: {
      const body = new Uint8Array(VPD_BLOCK_LIMITS_LENGTH);
      if (lbpEnabled(info, dma)) {
        putBe(body, VPD_BL_MAX_UNMAP_LBA_COUNT - VPD_HEADER_SIZE, 4, ATA_UNMAP_MAX_LBA_COUNT);
        putBe(body, VPD_BL_MAX_UNMAP_DESCRIPTORS - VPD_HEADER_SIZE, 4, ATA_UNMAP_MAX_DESCRIPTORS);
        putBe(body, VPD_BL_UNMAP_GRANULARITY - VPD_HEADER_SIZE, 4, 1);
        putBe(body, VPD_BL_MAX_WRITE_SAME - VPD_HEADER_SIZE, 8, ATA_UNMAP_MAX_LBA_COUNT);
      }
      return withHeader(page, body);
    }
    case VPD_BLOCK_CHARACTERISTICS: {
      const body = new Uint8Array(0x3c);
      putBe(body, 0, 2, info.rotationRate);
      return withHeader(page, body);
    }
    case VPD_LBP: {
      const body = new Uint8Array(VPD_LBP_LENGTH);
      if (lbpEnabled(info, dma)) {
        body[VPD_LBP_FLAGS - VPD_HEADER_SIZE] = VPD_LBP_LBPU | VPD_LBP_LBPWS;
        body[VPD_LBP_PROVISIONING - VPD_HEADER_SIZE] = LBP_THIN;
      }
      return withHeader(page, body);
    }
    default:
      return undefined;
  }
}

function withHeader(page: number, body: Uint8Array): Uint8Array {
  return encodeVpdPage(TYPE_DISK, page, body);
}

/** READ CAPACITY(10) data. */
export function readCapacity10(info: AtaDeviceInfo): Uint8Array {
  return encodeReadCapacity10(info.sectors - 1, ATA_SECTOR_SIZE);
}

/** READ CAPACITY(16) data (LBPME when TRIM is usable). */
export function readCapacity16(info: AtaDeviceInfo, dma: boolean): Uint8Array {
  return encodeReadCapacity16(info.sectors - 1, ATA_SECTOR_SIZE, lbpEnabled(info, dma) ? RC16_LBPME : 0);
}

/** Control mode page code. */
export const MODE_PAGE_CONTROL = 0x0a;
/** Control mode page length after its header. */
const MODE_CONTROL_PAGE_LENGTH = 0x0a;

/** One mode page's current values (or, with `changeable`, the mask of bits the host may change). */
export function modePage(code: number, info: AtaDeviceInfo, changeable: boolean): Uint8Array | undefined {
  switch (code) {
    case MODE_PAGE_RW_ERROR:
      return encodeRwErrorRecoveryPage(changeable);
    case MODE_PAGE_CACHING:
      return encodeCachingPage(changeable ? info.writeCacheSupported : info.writeCache);
    case MODE_PAGE_CONTROL:
      return encodeModePage(code, MODE_CONTROL_PAGE_LENGTH);
    default:
      return undefined;
  }
}

/** Page codes MODE SENSE with page 0x3f returns, in order. */
export const ALL_MODE_PAGES = [MODE_PAGE_RW_ERROR, MODE_PAGE_CACHING, MODE_PAGE_CONTROL] as const;

/** Registers an ATA PASS-THROUGH command ended with. */
export interface AtaPtRegisters {
  /** Status. */
  status: number;
  /** Error. */
  error: number;
  /** Count. */
  count: number;
  /** LBA. */
  lba: number;
  /** Device. */
  device: number;
  /** Whether the command was an EXT one. */
  extend: boolean;
}

/**
 * Fixed-format sense of ATA PASS-THROUGH with the returned registers (SAT-3 §12.2.2.6):
 * INFORMATION holds error, status, device and count, COMMAND-SPECIFIC INFORMATION the LBA.
 */
export function ataPassThroughSense(key: number, r: AtaPtRegisters): Uint8Array {
  const s = encodeFixedSense({ key, asc: ASC_ATA_PT_INFO, ascq: ASCQ_ATA_PT_INFO });
  s[3] = r.error;
  s[4] = r.status;
  s[5] = r.device;
  s[6] = r.count & 0xff;
  s[8] = (r.extend ? 0x80 : 0) | (r.count > 0xff ? 0x40 : 0) | (r.lba >= 2 ** 24 ? 0x20 : 0);
  s[9] = r.lba & 0xff;
  s[10] = Math.floor(r.lba / 0x100) & 0xff;
  s[11] = Math.floor(r.lba / 0x10000) & 0xff;
  return s;
}
