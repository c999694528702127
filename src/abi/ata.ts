/**
 * ATA ABI shared by the IDE/AHCI device models and the guest's libata-like drivers:
 * the taskfile registers of a legacy IDE channel (ATA8-ACS / ATA/ATAPI-6 §7), status,
 * error and device-control bits, the command opcodes this machine implements, the
 * IDENTIFY DEVICE words that matter, the PCI IDE bus-master DMA (BMDMA) block and its
 * physical region descriptors, and the DATA SET MANAGEMENT (TRIM) range entry.
 */

/** Bytes per ATA logical sector on every drive of this machine. */
export const ATA_SECTOR_SIZE = 512;
/** IDENTIFY DEVICE data: one sector of 256 little-endian words. */
export const ATA_ID_WORDS = 256;

// --- Legacy ISA placement (PIIX in compatibility mode) --------------------------------

/** Primary channel command block base. */
export const ATA_PRIMARY_CMD = 0x1f0;
/** Primary channel control block (alternate status / device control). */
export const ATA_PRIMARY_CTL = 0x3f6;
/** Secondary channel command block base. */
export const ATA_SECONDARY_CMD = 0x170;
/** Secondary channel control block. */
export const ATA_SECONDARY_CTL = 0x376;
/** ISA IRQ (GSI on this machine) of the primary channel. */
export const ATA_PRIMARY_IRQ = 14;
/** ISA IRQ of the secondary channel. */
export const ATA_SECONDARY_IRQ = 15;
/** Ports in a command block. */
export const ATA_CMD_BLOCK_SIZE = 8;

// --- Command block register offsets -------------------------------------------------

/** Data register (16-bit PIO; 32-bit accesses move two words). */
export const ATA_REG_DATA = 0;
/** Error (read) / Features (write). */
export const ATA_REG_ERROR = 1;
/** Features (write side of offset 1). */
export const ATA_REG_FEATURE = 1;
/** Sector count. */
export const ATA_REG_NSECT = 2;
/** LBA low (sector number). */
export const ATA_REG_LBAL = 3;
/** LBA mid (cylinder low). */
export const ATA_REG_LBAM = 4;
/** LBA high (cylinder high). */
export const ATA_REG_LBAH = 5;
/** Device (drive/head). */
export const ATA_REG_DEVICE = 6;
/** Status (read; clears INTRQ) / Command (write). */
export const ATA_REG_STATUS = 7;
/** Command (write side of offset 7). */
export const ATA_REG_CMD = 7;

// --- Status register ----------------------------------------------------------------

/** Busy. */
export const ATA_BUSY = 0x80;
/** Device ready. */
export const ATA_DRDY = 0x40;
/** Device fault. */
export const ATA_DF = 0x20;
/** Seek complete (obsolete, still set by QEMU and most drives). */
export const ATA_DSC = 0x10;
/** Data request: the data register wants a transfer. */
export const ATA_DRQ = 0x08;
/** Error: see the error register. */
export const ATA_ERR = 0x01;

// --- Error register -----------------------------------------------------------------

/** Interface CRC error. */
export const ATA_ICRC = 0x80;
/** Uncorrectable data error. */
export const ATA_UNC = 0x40;
/** Address (ID) not found: LBA outside the medium. */
export const ATA_IDNF = 0x10;
/** Command aborted: unsupported command or bad parameters. */
export const ATA_ABORTED = 0x04;
/** Diagnostic code left in the error register after reset: "device 0 passed". */
export const ATA_DIAG_PASSED = 0x01;

// --- Device register and device control ----------------------------------------------

/** Device register: LBA addressing. */
export const ATA_LBA = 0x40;
/** Device register: select device 1 (slave). */
export const ATA_DEV1 = 0x10;
/** Device register bits 7 and 5: obsolete, traditionally written as ones. */
export const ATA_DEVICE_OBS = 0xa0;
/** Device control: high-order byte read-back of the LBA48 registers. */
export const ATA_HOB = 0x80;
/** Device control: software reset. */
export const ATA_SRST = 0x04;
/** Device control: interrupts disabled. */
export const ATA_NIEN = 0x02;

// --- Commands ---------------------------------------------------------------------------

/** NOP. */
export const ATA_CMD_NOP = 0x00;
/** DATA SET MANAGEMENT (features bit 0: TRIM). */
export const ATA_CMD_DSM = 0x06;
/** DEVICE RESET (packet devices only; an ATA disk aborts it). */
export const ATA_CMD_DEVICE_RESET = 0x08;
/** RECALIBRATE (obsolete; completes). */
export const ATA_CMD_RESTORE = 0x10;
/** READ SECTORS. */
export const ATA_CMD_READ_PIO = 0x20;
/** READ SECTORS (without retries, obsolete alias). */
export const ATA_CMD_READ_PIO_NORETRY = 0x21;
/** READ SECTORS EXT. */
export const ATA_CMD_READ_PIO_EXT = 0x24;
/** READ DMA EXT. */
export const ATA_CMD_READ_DMA_EXT = 0x25;
/** READ NATIVE MAX ADDRESS EXT. */
export const ATA_CMD_READ_NATIVE_MAX_EXT = 0x27;
/** READ MULTIPLE EXT. */
export const ATA_CMD_READ_MULTI_EXT = 0x29;
/** WRITE SECTORS. */
export const ATA_CMD_WRITE_PIO = 0x30;
/** WRITE SECTORS (without retries). */
export const ATA_CMD_WRITE_PIO_NORETRY = 0x31;
/** WRITE SECTORS EXT. */
export const ATA_CMD_WRITE_PIO_EXT = 0x34;
/** WRITE DMA EXT. */
export const ATA_CMD_WRITE_DMA_EXT = 0x35;
/** WRITE MULTIPLE EXT. */
export const ATA_CMD_WRITE_MULTI_EXT = 0x39;
/** READ VERIFY SECTORS. */
export const ATA_CMD_VERIFY = 0x40;
/** READ VERIFY SECTORS EXT. */
export const ATA_CMD_VERIFY_EXT = 0x42;
/** READ FPDMA QUEUED (NCQ; not offered by this machine's drives). */
export const ATA_CMD_FPDMA_READ = 0x60;
/** WRITE FPDMA QUEUED (NCQ). */
export const ATA_CMD_FPDMA_WRITE = 0x61;
/** EXECUTE DEVICE DIAGNOSTIC. */
export const ATA_CMD_EDD = 0x90;
/** INITIALIZE DEVICE PARAMETERS (CHS geometry; obsolete). */
export const ATA_CMD_INIT_DEV_PARAMS = 0x91;
/** IDENTIFY PACKET DEVICE (an ATA disk aborts it, which is how hosts tell the two apart). */
export const ATA_CMD_ID_ATAPI = 0xa1;
/** READ MULTIPLE. */
export const ATA_CMD_READ_MULTI = 0xc4;
/** WRITE MULTIPLE. */
export const ATA_CMD_WRITE_MULTI = 0xc5;
/** SET MULTIPLE MODE. */
export const ATA_CMD_SET_MULTI = 0xc6;
/** READ DMA. */
export const ATA_CMD_READ_DMA = 0xc8;
/** READ DMA (without retries). */
export const ATA_CMD_READ_DMA_NORETRY = 0xc9;
/** WRITE DMA. */
export const ATA_CMD_WRITE_DMA = 0xca;
/** WRITE DMA (without retries). */
export const ATA_CMD_WRITE_DMA_NORETRY = 0xcb;
/** STANDBY IMMEDIATE. */
export const ATA_CMD_STANDBY_NOW = 0xe0;
/** IDLE IMMEDIATE. */
export const ATA_CMD_IDLE_NOW = 0xe1;
/** STANDBY. */
export const ATA_CMD_STANDBY = 0xe2;
/** IDLE. */
export const ATA_CMD_IDLE = 0xe3;
/** CHECK POWER MODE. */
export const ATA_CMD_CHK_POWER = 0xe5;
/** FLUSH CACHE. */
export const ATA_CMD_FLUSH = 0xe7;
/** FLUSH CACHE EXT. */
export const ATA_CMD_FLUSH_EXT = 0xea;
/** IDENTIFY DEVICE. */
export const ATA_CMD_ID_ATA = 0xec;
/** SET FEATURES. */
export const ATA_CMD_SET_FEATURES = 0xef;
/** READ NATIVE MAX ADDRESS. */
export const ATA_CMD_READ_NATIVE_MAX = 0xf8;

/** SET FEATURES subcommand: enable volatile write cache. */
export const SETFEATURES_WC_ON = 0x02;
/** SET FEATURES subcommand: set transfer mode (count register holds the mode). */
export const SETFEATURES_XFER = 0x03;
/** SET FEATURES subcommand: disable read look-ahead. */
export const SETFEATURES_RA_OFF = 0x55;
/** SET FEATURES subcommand: disable reverting to power-on defaults. */
export const SETFEATURES_REVERT_OFF = 0x66;
/** SET FEATURES subcommand: disable volatile write cache. */
export const SETFEATURES_WC_OFF = 0x82;
/** SET FEATURES subcommand: enable read look-ahead. */
export const SETFEATURES_RA_ON = 0xaa;
/** SET FEATURES subcommand: enable reverting to power-on defaults. */
export const SETFEATURES_REVERT_ON = 0xcc;
/** DATA SET MANAGEMENT features bit 0: the ranges are to be trimmed. */
export const ATA_DSM_TRIM = 0x01;
/** CHECK POWER MODE result (count register): active or idle. */
export const ATA_POWER_ACTIVE = 0xff;

/** Transfer mode values for SET FEATURES / XFER: PIO flow-control modes (08h + n). */
export const XFER_PIO_0 = 0x08;
/** Multiword DMA mode 0 (20h + n). */
export const XFER_MW_DMA_0 = 0x20;
/** Ultra DMA mode 0 (40h + n). */
export const XFER_UDMA_0 = 0x40;

/** Largest sector count an LBA28 command can carry (count 0 means this). */
export const ATA_MAX_SECTORS_LBA28 = 256;
/** Largest sector count an LBA48 command can carry (count 0 means this). */
export const ATA_MAX_SECTORS_LBA48 = 65536;
/** First LBA an LBA28 command cannot address. */
export const ATA_LBA28_LIMIT = 1 << 28;
/** Largest DRQ block for READ/WRITE MULTIPLE (IDENTIFY word 47 low byte). */
export const ATA_MAX_MULT_SECTORS = 16;

// --- IDENTIFY DEVICE word indices (ATA8-ACS table 22) -----------------------------------

/** General configuration (bit 15 clear: ATA device). */
export const ATA_ID_CONFIG = 0;
/** Default cylinders. */
export const ATA_ID_CYLS = 1;
/** Default heads. */
export const ATA_ID_HEADS = 3;
/** Default sectors per track. */
export const ATA_ID_SECTORS = 6;
/** Serial number: 20 ASCII characters, byte-swapped in each word. */
export const ATA_ID_SERNO = 10;
/** Serial number length in characters. */
export const ATA_ID_SERNO_LEN = 20;
/** Firmware revision: 8 characters. */
export const ATA_ID_FW_REV = 23;
/** Firmware revision length. */
export const ATA_ID_FW_REV_LEN = 8;
/** Model number: 40 characters. */
export const ATA_ID_PROD = 27;
/** Model number length. */
export const ATA_ID_PROD_LEN = 40;
/** READ/WRITE MULTIPLE: maximum sectors per DRQ block (low byte). */
export const ATA_ID_MAX_MULTSECT = 47;
/** Capabilities: bit 9 LBA, bit 8 DMA. */
export const ATA_ID_CAPABILITY = 49;
/** Fields valid: bit 1 words 64-70, bit 2 word 88. */
export const ATA_ID_FIELD_VALID = 53;
/** Current multiple setting: bit 8 valid, low byte the count. */
export const ATA_ID_MULTSECT = 59;
/** Total user-addressable sectors for LBA28 (two words). */
export const ATA_ID_LBA_CAPACITY = 60;
/** Multiword DMA modes. */
export const ATA_ID_MWDMA_MODES = 63;
/** PIO modes 3-4 supported. */
export const ATA_ID_PIO_MODES = 64;
/** Additional supported: bit 14 deterministic read after TRIM. */
export const ATA_ID_ADDITIONAL_SUPP = 69;
/** Queue depth (NCQ). */
export const ATA_ID_QUEUE_DEPTH = 75;
/** SATA capabilities (bit 8 NCQ). */
export const ATA_ID_SATA_CAPABILITY = 76;
/** Major version number. */
export const ATA_ID_MAJOR_VER = 80;
/** Command sets supported (1): bit 5 write cache. */
export const ATA_ID_COMMAND_SET_1 = 82;
/** Command sets supported (2): bit 10 LBA48, 12 FLUSH CACHE, 13 FLUSH CACHE EXT. */
export const ATA_ID_COMMAND_SET_2 = 83;
/** Command set/feature supported extension. */
export const ATA_ID_CSFO = 84;
/** Command sets enabled (1): bit 5 write cache enabled. */
export const ATA_ID_CFS_ENABLE_1 = 85;
/** Command sets enabled (2). */
export const ATA_ID_CFS_ENABLE_2 = 86;
/** Ultra DMA modes: low byte supported, high byte selected. */
export const ATA_ID_UDMA_MODES = 88;
/** Hardware reset result (bit 13: 80-conductor cable detected). */
export const ATA_ID_HW_CONFIG = 93;
/** Total user-addressable sectors for LBA48 (four words). */
export const ATA_ID_LBA_CAPACITY_2 = 100;
/** Physical/logical sector size. */
export const ATA_ID_SECTOR_SIZE = 106;
/** World wide name (four words). */
export const ATA_ID_WWN = 108;
/** DATA SET MANAGEMENT support: bit 0 TRIM. */
export const ATA_ID_DATA_SET_MGMT = 169;
/** Nominal media rotation rate (1 = non-rotating). */
export const ATA_ID_ROT_SPEED = 217;

/** Word 49: LBA supported. */
export const ATA_ID_CAP_LBA = 1 << 9;
/** Word 49: DMA supported. */
export const ATA_ID_CAP_DMA = 1 << 8;
/** Word 82/85: volatile write cache (supported / enabled). */
export const ATA_ID_WCACHE = 1 << 5;
/** Word 83/86: 48-bit address feature set. */
export const ATA_ID_LBA48 = 1 << 10;
/** Word 83/86: FLUSH CACHE. */
export const ATA_ID_FLUSH = 1 << 12;
/** Word 83/86: FLUSH CACHE EXT. */
export const ATA_ID_FLUSH_EXT = 1 << 13;
/** Word 169: TRIM supported. */
export const ATA_ID_TRIM = 1 << 0;

// --- PCI IDE bus master DMA (SFF-8038i) -------------------------------------------------

/** Bytes of the BMDMA block (BAR4): primary at 0, secondary at 8. */
export const BMDMA_BAR_SIZE = 16;
/** Offset of the secondary channel's registers. */
export const BMDMA_SECONDARY = 8;
/** Command register. */
export const BMDMA_CMD = 0;
/** Status register. */
export const BMDMA_STATUS = 2;
/** PRD table address (dword-aligned, 32-bit). */
export const BMDMA_PRD_ADDR = 4;
/** Command: start/stop bus master. */
export const BMDMA_CMD_START = 0x01;
/** Command: direction, set = bus master writes memory (a device-to-host read). */
export const BMDMA_CMD_WRITE_MEM = 0x08;
/** Status: bus master active. */
export const BMDMA_STATUS_ACTIVE = 0x01;
/** Status: error (write one to clear). */
export const BMDMA_STATUS_ERROR = 0x02;
/** Status: the drive raised its interrupt (write one to clear). */
export const BMDMA_STATUS_INTR = 0x04;
/** Status: drive 0 DMA capable (firmware/driver scratch). */
export const BMDMA_STATUS_DRV0_DMA = 0x20;
/** Status: drive 1 DMA capable. */
export const BMDMA_STATUS_DRV1_DMA = 0x40;
/** Status: simplex only. */
export const BMDMA_STATUS_SIMPLEX = 0x80;
/** Size of a physical region descriptor: u32 address, u16 byte count, u16 flags. */
export const PRD_ENTRY_SIZE = 8;
/** PRD flags: last entry of the table (bit 31 of the second dword). */
export const PRD_EOT = 0x8000_0000;
/** PRD byte count of 0 means 64 KiB. */
export const PRD_MAX_BYTES = 0x10000;
/** A PRD table may not cross a 64 KiB boundary: at most this many entries are walked. */
export const PRD_TABLE_MAX_ENTRIES = 8192;

/** PIIX IDE timing register of the primary channel (bit 15: decode enable). */
export const PIIX_IDETIM_PRIMARY = 0x40;
/** PIIX IDE timing register of the secondary channel. */
export const PIIX_IDETIM_SECONDARY = 0x42;
/** IDETIM: IDE decode enable. */
export const PIIX_IDETIM_DECODE = 0x8000;
/** PCI programming interface of PIIX IDE: legacy (compatibility) mode, bus master capable. */
export const PIIX_IDE_PROGIF = 0x80;

// --- DATA SET MANAGEMENT range entries -----------------------------------------------------

/** Bytes per TRIM range entry: 48-bit LBA, 16-bit length. */
export const ATA_DSM_ENTRY_SIZE = 8;
/** Largest sector count one TRIM range entry describes. */
export const ATA_DSM_RANGE_MAX = 0xffff;
/** Range entries per 512-byte DSM block. */
export const ATA_DSM_ENTRIES_PER_BLOCK = ATA_SECTOR_SIZE / ATA_DSM_ENTRY_SIZE;

/** Packs one TRIM range entry (little-endian u64: lba | count << 48). */
export function encodeTrimEntry(out: Uint8Array, offset: number, lba: number, count: number): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(offset, lba >>> 0, true);
  dv.setUint16(offset + 4, Math.floor(lba / 2 ** 32) & 0xffff, true);
  dv.setUint16(offset + 6, count, true);
}

/** Unpacks one TRIM range entry. */
export function decodeTrimEntry(buf: Uint8Array, offset: number): { lba: number; count: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lba = dv.getUint32(offset, true) + dv.getUint16(offset + 4, true) * 2 ** 32;
  return { lba, count: dv.getUint16(offset + 6, true) };
}

/** Reads an IDENTIFY string (each word holds two characters, high byte first), trimmed. */
export function ataIdString(id: Uint16Array, word: number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars / 2; i++) {
    const w = id[word + i] ?? 0;
    s += String.fromCharCode(w >> 8, w & 0xff);
  }
  return s.replace(/[\0 ]+$/, '');
}

/** Writes an IDENTIFY string, space-padded to `chars`. */
export function putAtaIdString(id: Uint16Array, word: number, chars: number, s: string): void {
  const padded = s.slice(0, chars).padEnd(chars, ' ');
  for (let i = 0; i < chars / 2; i++) id[word + i] = (padded.charCodeAt(2 * i) << 8) | padded.charCodeAt(2 * i + 1);
}
