/**
 * IDENTIFY DEVICE data of an `ide-hd` (ATA8-ACS §7.16, table 22), with the words QEMU's
 * hard disk model fills: CHS geometry guessed from the size (16 heads, 63 sectors), LBA28
 * and LBA48 capacities, multiword DMA 0-2 and UDMA 0-5, write cache and FLUSH CACHE (EXT),
 * TRIM with deterministic read-after-trim when discards are enabled, and the nominal
 * rotation rate.
 */
import {
  ATA_ID_ADDITIONAL_SUPP,
  ATA_ID_CAPABILITY,
  ATA_ID_CAP_DMA,
  ATA_ID_CAP_LBA,
  ATA_ID_CFS_ENABLE_1,
  ATA_ID_CFS_ENABLE_2,
  ATA_ID_COMMAND_SET_1,
  ATA_ID_COMMAND_SET_2,
  ATA_ID_CONFIG,
  ATA_ID_CSFO,
  ATA_ID_CYLS,
  ATA_ID_DATA_SET_MGMT,
  ATA_ID_FIELD_VALID,
  ATA_ID_FLUSH,
  ATA_ID_FLUSH_EXT,
  ATA_ID_FW_REV,
  ATA_ID_FW_REV_LEN,
  ATA_ID_HEADS,
  ATA_ID_HW_CONFIG,
  ATA_ID_LBA48,
  ATA_ID_LBA_CAPACITY,
  ATA_ID_LBA_CAPACITY_2,
  ATA_ID_MAJOR_VER,
  ATA_ID_MAX_MULTSECT,
  ATA_ID_MULTSECT,
  ATA_ID_MWDMA_MODES,
  ATA_ID_PIO_MODES,
  ATA_ID_PROD,
  ATA_ID_PROD_LEN,
  ATA_ID_ROT_SPEED,
  ATA_ID_SECTORS,
  ATA_ID_SERNO,
  ATA_ID_SERNO_LEN,
  ATA_ID_TRIM,
  ATA_ID_UDMA_MODES,
  ATA_ID_WCACHE,
  ATA_ID_WORDS,
  ATA_LBA28_LIMIT,
  ATA_MAX_MULT_SECTORS,
  ATA_SECTOR_SIZE,
  putAtaIdString,
} from '../../src/abi/ata.js';

/** Heads of the guessed geometry. */
export const ATA_GEOMETRY_HEADS = 16;
/** Sectors per track of the guessed geometry. */
export const ATA_GEOMETRY_SECTORS = 63;
/** Most cylinders CHS can name. */
export const ATA_GEOMETRY_MAX_CYLS = 16383;

/** A drive's identity and the state IDENTIFY reports. */
export interface AtaIdentity {
  /** Capacity in sectors. */
  sectors: number;
  /** Model ("QEMU HARDDISK"). */
  model: string;
  /** Serial ("QM00001"). */
  serial: string;
  /** Firmware revision ("2.5+"). */
  firmware: string;
  /** Whether TRIM is offered (discard_granularity != 0). */
  trim: boolean;
  /** Nominal rotation rate (0: not reported, 1: non-rotating). */
  rotationRate: number;
  /** Volatile write cache enabled. */
  writeCache: boolean;
  /** Current READ/WRITE MULTIPLE block (0: not set). */
  multiple: number;
  /** Selected transfer mode (SET FEATURES XFER value; UDMA5 at power-on). */
  xferMode: number;
}

/** CHS geometry guessed from a capacity, as QEMU does for an unpartitioned disk. */
export function guessGeometry(sectors: number): { cylinders: number; heads: number; sectorsPerTrack: number } {
  const cylinders = Math.min(ATA_GEOMETRY_MAX_CYLS, Math.max(2, Math.floor(sectors / (ATA_GEOMETRY_HEADS * ATA_GEOMETRY_SECTORS))));
  return { cylinders, heads: ATA_GEOMETRY_HEADS, sectorsPerTrack: ATA_GEOMETRY_SECTORS };
}

/** Builds the 512-byte IDENTIFY DEVICE data. */
export function buildIdentify(d: AtaIdentity): Uint8Array {
  const id = new Uint16Array(ATA_ID_WORDS);
  const g = guessGeometry(d.sectors);
  id[ATA_ID_CONFIG] = 0x0040; // fixed (non-removable) ATA device
  id[ATA_ID_CYLS] = g.cylinders;
  id[ATA_ID_HEADS] = g.heads;
  id[4] = ATA_SECTOR_SIZE * g.sectorsPerTrack;
  id[5] = ATA_SECTOR_SIZE;
  id[ATA_ID_SECTORS] = g.sectorsPerTrack;
  putAtaIdString(id, ATA_ID_SERNO, ATA_ID_SERNO_LEN, d.serial);
  id[20] = 3; // retired buffer type
  id[21] = 512; // retired buffer size
  id[22] = 4; // obsolete ECC bytes
  putAtaIdString(id, ATA_ID_FW_REV, ATA_ID_FW_REV_LEN, d.firmware);
  putAtaIdString(id, ATA_ID_PROD, ATA_ID_PROD_LEN, d.model);
  id[ATA_ID_MAX_MULTSECT] = 0x8000 | ATA_MAX_MULT_SECTORS;
  id[48] = 1; // dword I/O
  id[ATA_ID_CAPABILITY] = (1 << 11) | ATA_ID_CAP_LBA | ATA_ID_CAP_DMA; // IORDY supported
  id[51] = 0x200;
  id[52] = 0x200;
  id[ATA_ID_FIELD_VALID] = 0x7; // words 54-58, 64-70 and 88 valid
  id[54] = g.cylinders;
  id[55] = g.heads;
  id[56] = g.sectorsPerTrack;
  const chs = g.cylinders * g.heads * g.sectorsPerTrack;
  id[57] = chs & 0xffff;
  id[58] = Math.floor(chs / 0x10000) & 0xffff;
  if (d.multiple) id[ATA_ID_MULTSECT] = 0x100 | d.multiple;
  const lba28 = Math.min(d.sectors, ATA_LBA28_LIMIT - 1);
  id[ATA_ID_LBA_CAPACITY] = lba28 & 0xffff;
  id[ATA_ID_LBA_CAPACITY + 1] = Math.floor(lba28 / 0x10000) & 0xffff;
  const [swdma, mwdma, udma] = xferWords(d.xferMode);
  id[62] = swdma;
  id[ATA_ID_MWDMA_MODES] = mwdma;
  id[ATA_ID_PIO_MODES] = 0x03;
  id[65] = id[66] = id[67] = id[68] = 120;
  if (d.trim) id[ATA_ID_ADDITIONAL_SUPP] = 1 << 14; // deterministic read after TRIM
  id[ATA_ID_MAJOR_VER] = 0xf0; // major versions ATA/ATAPI-4 to -7
  id[81] = 0x16;
  id[ATA_ID_COMMAND_SET_1] = (1 << 14) | ATA_ID_WCACHE | 1; // NOP, write cache, SMART
  id[ATA_ID_COMMAND_SET_2] = (1 << 14) | ATA_ID_FLUSH_EXT | ATA_ID_FLUSH | ATA_ID_LBA48;
  id[ATA_ID_CSFO] = 1 << 14;
  id[ATA_ID_CFS_ENABLE_1] = (1 << 14) | (d.writeCache ? ATA_ID_WCACHE : 0) | 1;
  id[ATA_ID_CFS_ENABLE_2] = ATA_ID_FLUSH_EXT | ATA_ID_FLUSH | ATA_ID_LBA48;
  id[87] = 1 << 14;
  id[ATA_ID_UDMA_MODES] = udma;
  id[ATA_ID_HW_CONFIG] = 1 | (1 << 14) | 0x2000;
  for (let i = 0; i < 4; i++) id[ATA_ID_LBA_CAPACITY_2 + i] = Math.floor(d.sectors / 2 ** (16 * i)) & 0xffff;
  if (d.trim) id[ATA_ID_DATA_SET_MGMT] = ATA_ID_TRIM;
  id[ATA_ID_ROT_SPEED] = d.rotationRate;
  const out = new Uint8Array(ATA_SECTOR_SIZE);
  const dv = new DataView(out.buffer);
  id.forEach((w, i) => dv.setUint16(2 * i, w, true));
  return out;
}

/** Words 62, 63 and 88 for a selected transfer mode: supported modes low, selected mode high. */
function xferWords(mode: number): [number, number, number] {
  const kind = mode >> 3;
  const n = mode & 7;
  let sw = 0x07;
  let mw = 0x07;
  let ud = 0x3f;
  if (kind === 2) sw |= 1 << (n + 8); // single-word DMA (10h + n)
  else if (kind === 4) mw |= 1 << (n + 8); // multiword DMA (20h + n)
  else if (kind === 8) ud |= 1 << (n + 8); // Ultra DMA (40h + n)
  return [sw, mw, ud];
}
