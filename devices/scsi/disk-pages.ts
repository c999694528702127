/**
 * The data a SCSI disk returns about itself, as QEMU's scsi-hd builds it: standard INQUIRY,
 * the VPD pages (supported pages, unit serial, device identification, block limits, block
 * device characteristics, logical block provisioning), READ CAPACITY(10/16) and MODE SENSE
 * pages. Pure functions of a DiskDescription, so a test or another target can reuse them.
 */
import {
  INQUIRY_ADDITIONAL_LENGTH,
  INQUIRY_CMDQUE,
  INQUIRY_FLAGS7,
  INQUIRY_FORMAT2_HISUP,
  INQUIRY_MAX_SIZE,
  INQUIRY_PERIPHERAL,
  INQUIRY_PRODUCT,
  INQUIRY_PRODUCT_LEN,
  INQUIRY_RESPONSE_FORMAT,
  INQUIRY_REVISION,
  INQUIRY_REVISION_LEN,
  INQUIRY_RMB,
  INQUIRY_STANDARD_SIZE,
  INQUIRY_VENDOR,
  INQUIRY_VENDOR_LEN,
  INQUIRY_VERSION,
  LBP_FULL,
  LBP_THIN,
  MODE_BLOCK_DESCRIPTOR_SIZE,
  MODE_DSP_DPOFUA,
  MODE_DSP_WP,
  MODE_PAGE_CACHING,
  MODE_PAGE_RW_ERROR,
  MODE_PC_CHANGEABLE,
  RC16_LBPME,
  RC16_LBPRZ,
  SCSI_VERSION_SPC3,
  UNMAP_MAX_DESCRIPTORS,
  VPD_BLOCK_CHARACTERISTICS,
  VPD_BLOCK_LIMITS,
  VPD_BLOCK_LIMITS_LENGTH,
  VPD_BL_MAX_TRANSFER,
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
  VPD_LBP_LBPWS10,
  VPD_LBP_LENGTH,
  VPD_LBP_PROVISIONING,
  VPD_SERIAL_MAX,
  VPD_SUPPORTED_PAGES,
  VPD_UNIT_SERIAL,
  encodeCachingPage,
  encodeReadCapacity10,
  encodeReadCapacity16,
  encodeRwErrorRecoveryPage,
  encodeVpdPage,
  putAscii,
  putBe,
} from '../../src/abi/scsi.js';

/** Block device characteristics page length (after the header): QEMU's 0x40-byte page. */
export const VPD_BLOCK_CHARACTERISTICS_LENGTH = 0x3c;
/** Longest device identification designator. */
export const VPD_DEVICE_ID_MAX = 255 - 8;

/** Everything a disk reports about itself. */
export interface DiskDescription {
  /** Peripheral device type (TYPE_DISK). */
  type: number;
  /** Removable medium (RMB). */
  removable: boolean;
  /** T10 vendor (8 chars). */
  vendor: string;
  /** Product (16 chars). */
  product: string;
  /** Revision (4 chars). */
  revision: string;
  /** Unit serial (VPD 0x80 only when set). */
  serial: string | undefined;
  /** Vendor-specific ASCII designator of VPD 0x83 (QEMU: serial, else the drive id). */
  deviceId: string | undefined;
  /** Tagged command queuing supported by the host (CMDQUE). */
  tcq: boolean;
  /** Logical block size in bytes. */
  blockSize: number;
  /** Capacity in logical blocks. */
  blocks: number;
  /** Medium is write-protected. */
  readOnly: boolean;
  /** Write cache enabled. */
  writeCache: boolean;
  /** Discard granularity in blocks; 0 disables logical block provisioning. */
  unmapGranularity: number;
  /** Largest UNMAP, in blocks. */
  maxUnmapBlocks: number;
  /** Unmapped blocks read back as zeros. */
  unmapZeroes: boolean;
  /** Largest READ/WRITE, in blocks. */
  maxTransferBlocks: number;
}

/** Standard INQUIRY data for an allocation length of `alloc`. */
export function standardInquiry(d: DiskDescription, alloc: number): Uint8Array {
  const len = Math.min(alloc, INQUIRY_MAX_SIZE);
  const b = new Uint8Array(Math.max(len, INQUIRY_STANDARD_SIZE));
  b[INQUIRY_PERIPHERAL] = d.type & 0x1f;
  b[INQUIRY_RMB] = d.removable ? 0x80 : 0;
  b[INQUIRY_VERSION] = SCSI_VERSION_SPC3;
  b[INQUIRY_RESPONSE_FORMAT] = INQUIRY_FORMAT2_HISUP;
  // A short allocation does not shrink the length the data claims.
  b[INQUIRY_ADDITIONAL_LENGTH] = (len > INQUIRY_STANDARD_SIZE ? len : INQUIRY_STANDARD_SIZE) - 5;
  b[INQUIRY_FLAGS7] = 0x10 | (d.tcq ? INQUIRY_CMDQUE : 0);
  putAscii(b, INQUIRY_VENDOR, INQUIRY_VENDOR_LEN, d.vendor);
  putAscii(b, INQUIRY_PRODUCT, INQUIRY_PRODUCT_LEN, d.product);
  putAscii(b, INQUIRY_REVISION, INQUIRY_REVISION_LEN, d.revision, 0);
  return b.subarray(0, len);
}

/** A VPD page, or undefined when the disk does not have it. */
export function vpdPage(d: DiskDescription, page: number): Uint8Array | undefined {
  const body: number[] = [];
  switch (page) {
    case VPD_SUPPORTED_PAGES:
      body.push(VPD_SUPPORTED_PAGES);
      if (d.serial !== undefined) body.push(VPD_UNIT_SERIAL);
      body.push(VPD_DEVICE_ID, VPD_BLOCK_LIMITS, VPD_BLOCK_CHARACTERISTICS, VPD_LBP);
      break;
    case VPD_UNIT_SERIAL: {
      if (d.serial === undefined) return undefined;
      for (const c of d.serial.slice(0, VPD_SERIAL_MAX)) body.push(c.charCodeAt(0) & 0x7f);
      break;
    }
    case VPD_DEVICE_ID: {
      const id = (d.deviceId ?? '').slice(0, VPD_DEVICE_ID_MAX);
      if (id.length > 0) {
        // Code set ASCII, designator type 0 (vendor specific), association: the unit.
        body.push(0x02, 0x00, 0x00, id.length);
        for (const c of id) body.push(c.charCodeAt(0) & 0x7f);
      }
      break;
    }
    case VPD_BLOCK_LIMITS:
      return blockLimits(d);
    case VPD_BLOCK_CHARACTERISTICS:
      // Medium rotation rate 0 (not reported), form factor not reported.
      body.push(...new Array<number>(VPD_BLOCK_CHARACTERISTICS_LENGTH).fill(0));
      break;
    case VPD_LBP: {
      const lbp = new Array<number>(VPD_LBP_LENGTH).fill(0);
      lbp[VPD_LBP_FLAGS - VPD_HEADER_SIZE] = VPD_LBP_LBPU | VPD_LBP_LBPWS | VPD_LBP_LBPWS10;
      lbp[VPD_LBP_PROVISIONING - VPD_HEADER_SIZE] = d.unmapGranularity > 0 ? LBP_THIN : LBP_FULL;
      body.push(...lbp);
      break;
    }
    default:
      return undefined;
  }
  return encodeVpdPage(d.type, page, Uint8Array.from(body));
}

function blockLimits(d: DiskDescription): Uint8Array {
  const b = encodeVpdPage(d.type, VPD_BLOCK_LIMITS, new Uint8Array(VPD_BLOCK_LIMITS_LENGTH));
  // WSNZ: a WRITE SAME of zero blocks is refused rather than meaning "to the end".
  b[4] = 0x01;
  putBe(b, VPD_BL_MAX_TRANSFER, 4, d.maxTransferBlocks);
  if (d.unmapGranularity > 0) {
    putBe(b, VPD_BL_MAX_UNMAP_LBA_COUNT, 4, d.maxUnmapBlocks);
    putBe(b, VPD_BL_MAX_UNMAP_DESCRIPTORS, 4, UNMAP_MAX_DESCRIPTORS);
    putBe(b, VPD_BL_UNMAP_GRANULARITY, 4, d.unmapGranularity);
  }
  putBe(b, VPD_BL_MAX_WRITE_SAME, 8, d.maxTransferBlocks);
  return b;
}

/** READ CAPACITY(10): last LBA (saturated) and block length. */
export function readCapacity10(d: DiskDescription): Uint8Array {
  return encodeReadCapacity10(Math.max(d.blocks - 1, 0), d.blockSize);
}

/** READ CAPACITY(16): last LBA, block length, LBPME/LBPRZ. */
export function readCapacity16(d: DiskDescription): Uint8Array {
  const lbp = d.unmapGranularity > 0 ? RC16_LBPME | (d.unmapZeroes ? RC16_LBPRZ : 0) : 0;
  return encodeReadCapacity16(Math.max(d.blocks - 1, 0), d.blockSize, lbp);
}

/** One mode page (current or changeable values), or undefined when the disk has no such page. */
export function modePage(d: DiskDescription, page: number, pageControl: number): Uint8Array | undefined {
  const changeable = pageControl === MODE_PC_CHANGEABLE;
  if (page === MODE_PAGE_RW_ERROR) return encodeRwErrorRecoveryPage(changeable);
  // WCE is the one changeable bit: MODE SELECT could toggle it.
  if (page === MODE_PAGE_CACHING) return encodeCachingPage(changeable || d.writeCache);
  return undefined;
}

/** The pages MODE SENSE with page code 0x3f returns, in page-code order. */
export const MODE_PAGES_ALL = [MODE_PAGE_RW_ERROR, MODE_PAGE_CACHING] as const;

/** Device-specific parameter byte of the mode header. */
export function modeDeviceSpecific(d: DiskDescription): number {
  return (d.readOnly ? MODE_DSP_WP : 0) | MODE_DSP_DPOFUA;
}

/** The short block descriptor (block count saturates to 0 when it does not fit in 24 bits). */
export function modeBlockDescriptor(d: DiskDescription): Uint8Array {
  const b = new Uint8Array(MODE_BLOCK_DESCRIPTOR_SIZE);
  putBe(b, 1, 3, d.blocks > 0xff_ffff ? 0 : d.blocks);
  putBe(b, 5, 3, d.blockSize);
  return b;
}
