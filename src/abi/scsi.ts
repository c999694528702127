/**
 * SCSI as the guest's midlayer and the simulator's targets speak it (SAM-5, SPC-4, SBC-3):
 * status bytes, operation codes, CDB field offsets, fixed-format sense data with the
 * sense keys and additional sense codes used here, INQUIRY and VPD layouts, READ CAPACITY,
 * MODE SENSE, REPORT LUNS and UNMAP parameter layouts. Multi-byte SCSI fields are big-endian.
 * Shared by devices/scsi (the target), the guest's sd/scan code, and the ATA translation.
 */

// ---------------------------------------------------------------------------------------------
// Status (SAM-5 §5.3)
// ---------------------------------------------------------------------------------------------

/** GOOD. */
export const SAM_STAT_GOOD = 0x00;
/** CHECK CONDITION: sense data says why. */
export const SAM_STAT_CHECK_CONDITION = 0x02;
/** BUSY. */
export const SAM_STAT_BUSY = 0x08;
/** TASK SET FULL. */
export const SAM_STAT_TASK_SET_FULL = 0x28;

// ---------------------------------------------------------------------------------------------
// Operation codes
// ---------------------------------------------------------------------------------------------

/** TEST UNIT READY. */
export const TEST_UNIT_READY = 0x00;
/** REQUEST SENSE. */
export const REQUEST_SENSE = 0x03;
/** READ(6). */
export const READ_6 = 0x08;
/** WRITE(6). */
export const WRITE_6 = 0x0a;
/** INQUIRY. */
export const INQUIRY = 0x12;
/** MODE SELECT(6). */
export const MODE_SELECT_6 = 0x15;
/** MODE SENSE(6). */
export const MODE_SENSE_6 = 0x1a;
/** START STOP UNIT. */
export const START_STOP_UNIT = 0x1b;
/** PREVENT ALLOW MEDIUM REMOVAL. */
export const PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1e;
/** READ CAPACITY(10). */
export const READ_CAPACITY_10 = 0x25;
/** READ(10). */
export const READ_10 = 0x28;
/** WRITE(10). */
export const WRITE_10 = 0x2a;
/** VERIFY(10). */
export const VERIFY_10 = 0x2f;
/** SYNCHRONIZE CACHE(10). */
export const SYNCHRONIZE_CACHE_10 = 0x35;
/** WRITE SAME(10). */
export const WRITE_SAME_10 = 0x41;
/** UNMAP. */
export const UNMAP = 0x42;
/** MODE SELECT(10). */
export const MODE_SELECT_10 = 0x55;
/** MODE SENSE(10). */
export const MODE_SENSE_10 = 0x5a;
/** ATA PASS-THROUGH(16) (SAT). */
export const ATA_16 = 0x85;
/** READ(16). */
export const READ_16 = 0x88;
/** WRITE(16). */
export const WRITE_16 = 0x8a;
/** SYNCHRONIZE CACHE(16). */
export const SYNCHRONIZE_CACHE_16 = 0x91;
/** WRITE SAME(16). */
export const WRITE_SAME_16 = 0x93;
/** SERVICE ACTION IN(16): READ CAPACITY(16) is its service action 0x10. */
export const SERVICE_ACTION_IN_16 = 0x9e;
/** Service action of SERVICE ACTION IN(16): READ CAPACITY(16). */
export const SAI_READ_CAPACITY_16 = 0x10;
/** REPORT LUNS. */
export const REPORT_LUNS = 0xa0;
/** READ(12). */
export const READ_12 = 0xa8;
/** WRITE(12). */
export const WRITE_12 = 0xaa;

/** Largest CDB this simulator builds or parses (a 32-byte virtio-scsi CDB field holds it). */
export const SCSI_MAX_CDB_SIZE = 16;

// ---------------------------------------------------------------------------------------------
// Fixed-format sense data (SPC-4 §4.5.3)
// ---------------------------------------------------------------------------------------------

/** Response code of current fixed-format sense. */
export const SENSE_FIXED_CURRENT = 0x70;
/** Fixed sense offset of the sense key (low nibble). */
export const SENSE_KEY_OFFSET = 2;
/** Fixed sense offset of ADDITIONAL SENSE LENGTH. */
export const SENSE_ADDITIONAL_LENGTH_OFFSET = 7;
/** Fixed sense offset of ASC. */
export const SENSE_ASC_OFFSET = 12;
/** Fixed sense offset of ASCQ. */
export const SENSE_ASCQ_OFFSET = 13;
/** Length of fixed sense data as built here. */
export const SENSE_FIXED_SIZE = 18;

/** Sense key: no sense. */
export const NO_SENSE = 0x0;
/** Sense key: recovered error. */
export const RECOVERED_ERROR = 0x1;
/** Sense key: not ready. */
export const NOT_READY = 0x2;
/** Sense key: medium error. */
export const MEDIUM_ERROR = 0x3;
/** Sense key: hardware error. */
export const HARDWARE_ERROR = 0x4;
/** Sense key: illegal request. */
export const ILLEGAL_REQUEST = 0x5;
/** Sense key: unit attention. */
export const UNIT_ATTENTION = 0x6;
/** Sense key: data protect. */
export const DATA_PROTECT = 0x7;
/** Sense key: aborted command. */
export const ABORTED_COMMAND = 0xb;

/** A sense key with its additional sense code and qualifier. */
export interface SenseCode {
  /** Sense key. */
  readonly key: number;
  /** Additional sense code. */
  readonly asc: number;
  /** Additional sense code qualifier. */
  readonly ascq: number;
}

/** The sense codes targets here report. */
export const SENSE = {
  /** NO SENSE. */
  noSense: { key: NO_SENSE, asc: 0x00, ascq: 0x00 },
  /** INVALID COMMAND OPERATION CODE. */
  invalidOpcode: { key: ILLEGAL_REQUEST, asc: 0x20, ascq: 0x00 },
  /** LOGICAL BLOCK ADDRESS OUT OF RANGE. */
  lbaOutOfRange: { key: ILLEGAL_REQUEST, asc: 0x21, ascq: 0x00 },
  /** INVALID FIELD IN CDB. */
  invalidField: { key: ILLEGAL_REQUEST, asc: 0x24, ascq: 0x00 },
  /** LOGICAL UNIT NOT SUPPORTED. */
  lunNotSupported: { key: ILLEGAL_REQUEST, asc: 0x25, ascq: 0x00 },
  /** INVALID FIELD IN PARAMETER LIST. */
  invalidParam: { key: ILLEGAL_REQUEST, asc: 0x26, ascq: 0x00 },
  /** PARAMETER LIST LENGTH ERROR. */
  invalidParamLength: { key: ILLEGAL_REQUEST, asc: 0x1a, ascq: 0x00 },
  /** WRITE PROTECTED. */
  writeProtected: { key: DATA_PROTECT, asc: 0x27, ascq: 0x00 },
  /** POWER ON, RESET, OR BUS DEVICE RESET OCCURRED. */
  powerOnReset: { key: UNIT_ATTENTION, asc: 0x29, ascq: 0x00 },
  /** UNRECOVERED READ ERROR. */
  readError: { key: MEDIUM_ERROR, asc: 0x11, ascq: 0x00 },
  /** WRITE ERROR. */
  writeError: { key: MEDIUM_ERROR, asc: 0x0c, ascq: 0x00 },
  /** SAVING PARAMETERS NOT SUPPORTED. */
  savingParamsNotSupported: { key: ILLEGAL_REQUEST, asc: 0x39, ascq: 0x00 },
  /** I/O PROCESS TERMINATED (QEMU's generic I/O error). */
  ioError: { key: ABORTED_COMMAND, asc: 0x00, ascq: 0x06 },
} as const satisfies Record<string, SenseCode>;

// ---------------------------------------------------------------------------------------------
// INQUIRY (SPC-4 §6.6)
// ---------------------------------------------------------------------------------------------

/** CDB byte 1 bit: return a VPD page. */
export const INQUIRY_EVPD = 0x01;
/** Length of standard INQUIRY data up to the revision field. */
export const INQUIRY_STANDARD_SIZE = 36;
/** Largest INQUIRY answer a target builds. */
export const INQUIRY_MAX_SIZE = 96;
/** Standard data offset: peripheral qualifier (bits 7-5) and device type (bits 4-0). */
export const INQUIRY_PERIPHERAL = 0;
/** Standard data offset: RMB (bit 7). */
export const INQUIRY_RMB = 1;
/** Standard data offset: VERSION. */
export const INQUIRY_VERSION = 2;
/** Standard data offset: HISUP and RESPONSE DATA FORMAT. */
export const INQUIRY_RESPONSE_FORMAT = 3;
/** Standard data offset: ADDITIONAL LENGTH. */
export const INQUIRY_ADDITIONAL_LENGTH = 4;
/** Standard data offset: flags with CMDQUE (bit 1). */
export const INQUIRY_FLAGS7 = 7;
/** Standard data offset: T10 VENDOR IDENTIFICATION (8 bytes, space padded). */
export const INQUIRY_VENDOR = 8;
/** Vendor field length. */
export const INQUIRY_VENDOR_LEN = 8;
/** Standard data offset: PRODUCT IDENTIFICATION (16 bytes). */
export const INQUIRY_PRODUCT = 16;
/** Product field length. */
export const INQUIRY_PRODUCT_LEN = 16;
/** Standard data offset: PRODUCT REVISION LEVEL (4 bytes). */
export const INQUIRY_REVISION = 32;
/** Revision field length. */
export const INQUIRY_REVISION_LEN = 4;
/** VERSION value claiming SPC-3 (what QEMU's scsi-hd reports). */
export const SCSI_VERSION_SPC3 = 5;
/** RESPONSE DATA FORMAT 2 with HISUP. */
export const INQUIRY_FORMAT2_HISUP = 0x12;
/** CMDQUE bit of byte 7. */
export const INQUIRY_CMDQUE = 0x02;

/** Peripheral device type: direct-access block device. */
export const TYPE_DISK = 0x00;
/** Peripheral device type: CD/DVD. */
export const TYPE_ROM = 0x05;
/** Peripheral byte of a LUN that does not exist (qualifier 3, type 0x1f). */
export const TYPE_NO_LUN = 0x7f;
/** Mask of the device type in the peripheral byte. */
export const PERIPHERAL_TYPE_MASK = 0x1f;
/** Shift of the peripheral qualifier. */
export const PERIPHERAL_QUALIFIER_SHIFT = 5;

/** VPD: supported pages. */
export const VPD_SUPPORTED_PAGES = 0x00;
/** VPD: unit serial number. */
export const VPD_UNIT_SERIAL = 0x80;
/** VPD: device identification. */
export const VPD_DEVICE_ID = 0x83;
/** VPD: block limits. */
export const VPD_BLOCK_LIMITS = 0xb0;
/** VPD: block device characteristics. */
export const VPD_BLOCK_CHARACTERISTICS = 0xb1;
/** VPD: logical block provisioning. */
export const VPD_LBP = 0xb2;
/** VPD header size: peripheral, page code, 16-bit page length. */
export const VPD_HEADER_SIZE = 4;
/** Longest unit serial number a target reports. */
export const VPD_SERIAL_MAX = 36;

/** Block limits page length (after the header) with the unmap fields. */
export const VPD_BLOCK_LIMITS_LENGTH = 0x3c;
/** Block limits offset: MAXIMUM TRANSFER LENGTH (be32, blocks). */
export const VPD_BL_MAX_TRANSFER = 8;
/** Block limits offset: OPTIMAL TRANSFER LENGTH (be32). */
export const VPD_BL_OPT_TRANSFER = 12;
/** Block limits offset: MAXIMUM UNMAP LBA COUNT (be32). */
export const VPD_BL_MAX_UNMAP_LBA_COUNT = 20;
/** Block limits offset: MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (be32). */
export const VPD_BL_MAX_UNMAP_DESCRIPTORS = 24;
/** Block limits offset: OPTIMAL UNMAP GRANULARITY (be32). */
export const VPD_BL_UNMAP_GRANULARITY = 28;
/** Block limits offset: MAXIMUM WRITE SAME LENGTH (be64). */
export const VPD_BL_MAX_WRITE_SAME = 36;

/** LBP page length (after the header). */
export const VPD_LBP_LENGTH = 4;
/** LBP offset of the flags byte. */
export const VPD_LBP_FLAGS = 5;
/** LBP offset of PROVISIONING TYPE. */
export const VPD_LBP_PROVISIONING = 6;
/** LBP flag: UNMAP supported. */
export const VPD_LBP_LBPU = 0x80;
/** LBP flag: WRITE SAME(16) with UNMAP supported. */
export const VPD_LBP_LBPWS = 0x40;
/** LBP flag: WRITE SAME(10) with UNMAP supported. */
export const VPD_LBP_LBPWS10 = 0x20;
/** Provisioning type: thin. */
export const LBP_THIN = 2;
/** Provisioning type: full. */
export const LBP_FULL = 1;

// ---------------------------------------------------------------------------------------------
// READ CAPACITY (SBC-3 §5.15, §5.16)
// ---------------------------------------------------------------------------------------------

/** READ CAPACITY(10) answer size: be32 last LBA, be32 block length. */
export const READ_CAPACITY_10_SIZE = 8;
/** READ CAPACITY(10) last-LBA value meaning "use READ CAPACITY(16)". */
export const READ_CAPACITY_10_OVERFLOW = 0xffff_ffff;
/** READ CAPACITY(16) answer size. */
export const READ_CAPACITY_16_SIZE = 32;
/** READ CAPACITY(16) offset of be64 last LBA. */
export const RC16_LAST_LBA = 0;
/** READ CAPACITY(16) offset of be32 block length. */
export const RC16_BLOCK_LENGTH = 8;
/** READ CAPACITY(16) offset of LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT. */
export const RC16_LBPPBE = 13;
/** READ CAPACITY(16) offset of the LBPME/LBPRZ byte. */
export const RC16_LBP = 14;
/** LBPME: logical block provisioning (UNMAP) enabled. */
export const RC16_LBPME = 0x80;
/** LBPRZ: unmapped blocks read back as zeros. */
export const RC16_LBPRZ = 0x40;

// ---------------------------------------------------------------------------------------------
// MODE SENSE (SPC-4 §6.11, §7.5)
// ---------------------------------------------------------------------------------------------

/** CDB byte 1 bit: disable block descriptors. */
export const MODE_SENSE_DBD = 0x08;
/** Page code: read-write error recovery. */
export const MODE_PAGE_RW_ERROR = 0x01;
/** Page code: caching. */
export const MODE_PAGE_CACHING = 0x08;
/** Page code: return all pages. */
export const MODE_PAGE_ALL = 0x3f;
/** Mask of the page code in CDB byte 2 (the top bits are the page control). */
export const MODE_PAGE_CODE_MASK = 0x3f;
/** Caching page length (after its 2-byte header). */
export const MODE_CACHING_PAGE_LENGTH = 0x12;
/** Caching page byte 2 bit: write cache enabled. */
export const MODE_CACHING_WCE = 0x04;
/** Read-write error recovery page length (after its 2-byte header). */
export const MODE_RW_ERROR_PAGE_LENGTH = 0x0a;
/** Read-write error recovery byte 2 bit: automatic write reallocation enabled. */
export const MODE_RW_ERROR_AWRE = 0x80;
/** Page control field (CDB byte 2, bits 7-6): current, changeable, default, saved. */
export const MODE_PC_SHIFT = 6;
/** Page control: changeable values. */
export const MODE_PC_CHANGEABLE = 1;
/** Page control: saved values. */
export const MODE_PC_SAVED = 3;
/** Device-specific parameter bit of disks: DPO and FUA supported. */
export const MODE_DSP_DPOFUA = 0x10;
/** Header size of MODE SENSE(6) data. */
export const MODE_HEADER_6_SIZE = 4;
/** Header size of MODE SENSE(10) data. */
export const MODE_HEADER_10_SIZE = 8;
/** Short block descriptor size. */
export const MODE_BLOCK_DESCRIPTOR_SIZE = 8;
/** Device-specific parameter bit: write protected. */
export const MODE_DSP_WP = 0x80;

// ---------------------------------------------------------------------------------------------
// REPORT LUNS (SPC-4 §6.33) and UNMAP (SBC-3 §5.28)
// ---------------------------------------------------------------------------------------------

/** REPORT LUNS header: be32 list length, 4 reserved bytes. */
export const REPORT_LUNS_HEADER_SIZE = 8;
/** Size of one LUN entry. */
export const REPORT_LUNS_ENTRY_SIZE = 8;

/** UNMAP parameter header: be16 data length, be16 descriptor data length, 4 reserved. */
export const UNMAP_HEADER_SIZE = 8;
/** One UNMAP block descriptor: be64 LBA, be32 count, 4 reserved. */
export const UNMAP_DESCRIPTOR_SIZE = 16;
/** Most descriptors in one UNMAP (what fits in 4 KiB with the header; QEMU's limit too). */
export const UNMAP_MAX_DESCRIPTORS = 255;

/** The 8-byte SAM LUN of a REPORT LUNS entry: peripheral addressing below 256, flat above. */
export function encodeScsiLun(lun: number): Uint8Array {
  const b = new Uint8Array(REPORT_LUNS_ENTRY_SIZE);
  if (lun < 256) b[1] = lun;
  else {
    b[0] = 0x40 | ((lun >> 8) & 0x3f);
    b[1] = lun & 0xff;
  }
  return b;
}

/** The LUN number of an 8-byte SAM LUN (peripheral or flat addressing of the first level). */
export function decodeScsiLun(b: Uint8Array): number {
  return ((b[0]! & 0x3f) << 8) | b[1]!;
}

// ---------------------------------------------------------------------------------------------
// Encoders and decoders of the data above, used by targets and initiators alike
// ---------------------------------------------------------------------------------------------

/** Reads an unsigned big-endian field of `len` bytes (exact up to 6 bytes). */
export function getBe(b: Uint8Array, off: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + (b[off + i] ?? 0);
  return v;
}

/** Reads a big-endian 64-bit field as a number (exact below 2^53; larger values are out of any range anyway). */
export function getBe64(b: Uint8Array, off: number): number {
  return getBe(b, off, 4) * 2 ** 32 + getBe(b, off + 4, 4);
}

/** Writes `v` as a big-endian field of `len` bytes. */
export function putBe(b: Uint8Array, off: number, len: number, v: number): void {
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    b[off + i] = x % 256;
    x = Math.floor(x / 256);
  }
}

/** Writes `s` as a 7-bit ASCII field of `len` bytes, cut or padded with `pad` (INQUIRY/VPD text). */
export function putAscii(b: Uint8Array, off: number, len: number, s: string, pad = 0x20): void {
  for (let i = 0; i < len; i++) b[off + i] = i < s.length ? s.charCodeAt(i) & 0x7f : pad;
}

/** 18 bytes of current fixed-format sense for `code`. */
export function encodeFixedSense(code: SenseCode): Uint8Array {
  const b = new Uint8Array(SENSE_FIXED_SIZE);
  b[0] = SENSE_FIXED_CURRENT;
  b[SENSE_KEY_OFFSET] = code.key & 0x0f;
  b[SENSE_ADDITIONAL_LENGTH_OFFSET] = SENSE_FIXED_SIZE - 8;
  b[SENSE_ASC_OFFSET] = code.asc;
  b[SENSE_ASCQ_OFFSET] = code.ascq;
  return b;
}

/** The sense key, ASC and ASCQ of fixed or descriptor sense bytes (undefined when too short). */
export function parseSense(b: Uint8Array): SenseCode | undefined {
  const fmt = (b[0] ?? 0) & 0x7f;
  if (fmt === 0x72 || fmt === 0x73) return b.length >= 4 ? { key: b[1]! & 0x0f, asc: b[2]!, ascq: b[3]! } : undefined;
  return b.length > SENSE_ASCQ_OFFSET ? { key: b[SENSE_KEY_OFFSET]! & 0x0f, asc: b[SENSE_ASC_OFFSET]!, ascq: b[SENSE_ASCQ_OFFSET]! } : undefined;
}

/** A VPD page: the 4-byte header (device type, page code, length) in front of `body`. */
export function encodeVpdPage(deviceType: number, page: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(VPD_HEADER_SIZE + body.length);
  b[0] = deviceType & PERIPHERAL_TYPE_MASK;
  b[1] = page;
  putBe(b, 2, 2, body.length);
  b.set(body, VPD_HEADER_SIZE);
  return b;
}

/** READ CAPACITY(10) data; a last LBA beyond 32 bits saturates to "use READ CAPACITY(16)". */
export function encodeReadCapacity10(lastLba: number, blockSize: number): Uint8Array {
  const b = new Uint8Array(READ_CAPACITY_10_SIZE);
  putBe(b, 0, 4, Math.min(lastLba, READ_CAPACITY_10_OVERFLOW));
  putBe(b, 4, 4, blockSize);
  return b;
}

/** READ CAPACITY(16) data with the LBPME/LBPRZ byte `lbp`. */
export function encodeReadCapacity16(lastLba: number, blockSize: number, lbp: number): Uint8Array {
  const b = new Uint8Array(READ_CAPACITY_16_SIZE);
  putBe(b, RC16_LAST_LBA, 8, lastLba);
  putBe(b, RC16_BLOCK_LENGTH, 4, blockSize);
  b[RC16_LBP] = lbp;
  return b;
}

/** An empty mode page of `length` bytes after its 2-byte header (page code, page length). */
export function encodeModePage(code: number, length: number): Uint8Array {
  const p = new Uint8Array(2 + length);
  p[0] = code;
  p[1] = length;
  return p;
}

/** The read-write error recovery page (AWRE set in current values, nothing changeable). */
export function encodeRwErrorRecoveryPage(changeable: boolean): Uint8Array {
  const p = encodeModePage(MODE_PAGE_RW_ERROR, MODE_RW_ERROR_PAGE_LENGTH);
  if (!changeable) p[2] = MODE_RW_ERROR_AWRE;
  return p;
}

/** The caching page with WCE as given (in the changeable mask: whether WCE may change). */
export function encodeCachingPage(wce: boolean): Uint8Array {
  const p = encodeModePage(MODE_PAGE_CACHING, MODE_CACHING_PAGE_LENGTH);
  p[2] = wce ? MODE_CACHING_WCE : 0;
  return p;
}

/** MODE SENSE(6) or (10) data: header, optional block descriptor, then the pages in order. */
export function encodeModeSense(ten: boolean, pages: readonly Uint8Array[], deviceSpecific = 0, blockDescriptor: Uint8Array = new Uint8Array(0)): Uint8Array {
  const hdr = ten ? MODE_HEADER_10_SIZE : MODE_HEADER_6_SIZE;
  const total = hdr + blockDescriptor.length + pages.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  if (ten) {
    putBe(out, 0, 2, total - 2);
    out[3] = deviceSpecific;
    putBe(out, 6, 2, blockDescriptor.length);
  } else {
    out[0] = total - 1;
    out[2] = deviceSpecific;
    out[3] = blockDescriptor.length;
  }
  out.set(blockDescriptor, hdr);
  let at = hdr + blockDescriptor.length;
  for (const p of pages) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
