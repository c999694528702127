/**
 * An ATA hard disk (QEMU's `ide-hd`), independent of how commands reach it: it decodes a
 * taskfile into an AtaCommand (ATA8-ACS command set: IDENTIFY DEVICE, READ/WRITE SECTORS,
 * READ/WRITE MULTIPLE, READ/WRITE DMA (EXT), READ VERIFY, FLUSH CACHE (EXT), DATA SET
 * MANAGEMENT/TRIM, SET FEATURES, SET MULTIPLE MODE, READ NATIVE MAX ADDRESS, power
 * management no-ops) and carries the drive state those commands change. Anything else
 * ends in ABRT; addresses past the medium end in IDNF. The IDE channel and the AHCI port
 * share this; they only differ in how the data moves.
 */
import {
  ATA_ABORTED,
  ATA_CMD_CHK_POWER,
  ATA_CMD_DSM,
  ATA_CMD_EDD,
  ATA_CMD_FLUSH,
  ATA_CMD_FLUSH_EXT,
  ATA_CMD_ID_ATA,
  ATA_CMD_IDLE,
  ATA_CMD_IDLE_NOW,
  ATA_CMD_INIT_DEV_PARAMS,
  ATA_CMD_READ_DMA,
  ATA_CMD_READ_DMA_EXT,
  ATA_CMD_READ_DMA_NORETRY,
  ATA_CMD_READ_MULTI,
  ATA_CMD_READ_MULTI_EXT,
  ATA_CMD_READ_NATIVE_MAX,
  ATA_CMD_READ_NATIVE_MAX_EXT,
  ATA_CMD_READ_PIO,
  ATA_CMD_READ_PIO_EXT,
  ATA_CMD_READ_PIO_NORETRY,
  ATA_CMD_RESTORE,
  ATA_CMD_SET_FEATURES,
  ATA_CMD_SET_MULTI,
  ATA_CMD_STANDBY,
  ATA_CMD_STANDBY_NOW,
  ATA_CMD_VERIFY,
  ATA_CMD_VERIFY_EXT,
  ATA_CMD_WRITE_DMA,
  ATA_CMD_WRITE_DMA_EXT,
  ATA_CMD_WRITE_DMA_NORETRY,
  ATA_CMD_WRITE_MULTI,
  ATA_CMD_WRITE_MULTI_EXT,
  ATA_CMD_WRITE_PIO,
  ATA_CMD_WRITE_PIO_EXT,
  ATA_CMD_WRITE_PIO_NORETRY,
  ATA_DIAG_PASSED,
  ATA_DRDY,
  ATA_DSC,
  ATA_DSM_ENTRY_SIZE,
  ATA_DSM_TRIM,
  ATA_ERR,
  ATA_IDNF,
  ATA_LBA,
  ATA_LBA28_LIMIT,
  ATA_MAX_MULT_SECTORS,
  ATA_POWER_ACTIVE,
  ATA_SECTOR_SIZE,
  ATA_UNC,
  SETFEATURES_WC_OFF,
  SETFEATURES_WC_ON,
  SETFEATURES_XFER,
  XFER_UDMA_0,
  decodeTrimEntry,
} from '../../src/abi/ata.js';
import type { BlockBackend, BlockError, BlockReadResult, BlockResult } from '../block/backend.js';
import { buildIdentify, guessGeometry } from './identify.js';
import { count28Of, count48Of, type AtaCommand, type AtaOutput, type AtaProtocol, type AtaTaskfile } from './taskfile.js';

/** QEMU's model string for hard disks. */
export const ATA_DEFAULT_MODEL = 'QEMU HARDDISK';
/** QEMU's hardware version string, reported as the firmware revision. */
export const ATA_DEFAULT_FIRMWARE = '2.5+';
/** Transfer mode at power-on: UDMA5, as QEMU's IDENTIFY word 88 shows it. */
export const ATA_DEFAULT_XFER = XFER_UDMA_0 + 5;
/** Time a command that touches the medium keeps the drive busy (an SSD-like 20 µs). */
export const ATA_MEDIA_LATENCY_NS = 20_000;
/** SET FEATURES subcommands accepted without effect (look-ahead, revert defaults, APM, ...). */
const SETFEATURES_ACCEPTED = new Set([0x05, 0x42, 0x55, 0x66, 0x85, 0xaa, 0xc2, 0xcc]);

/** Status of a command that completed. */
export const ATA_OK: AtaOutput = { status: ATA_DRDY | ATA_DSC, error: 0 };

/** Status of a command that failed with `error` bits. */
export function ataFailed(error: number): AtaOutput {
  return { status: ATA_DRDY | ATA_ERR, error };
}

/** How a drive is built. */
export interface AtaDriveOptions {
  /** The drive (medium plus -drive policy: discard, cache, read-only). */
  backend: BlockBackend;
  /** Serial number (20 characters at most). */
  serial: string;
  /** Model (40 characters at most). */
  model?: string;
  /** Firmware revision (8 characters at most). */
  firmware?: string;
  /** Offer TRIM in IDENTIFY (QEMU: discard_granularity != 0). */
  trim?: boolean;
  /** Nominal rotation rate (IDENTIFY word 217). */
  rotationRate?: number;
}

/** Counters of commands, for traces and tests. */
export interface AtaDriveStats {
  /** Commands accepted. */
  commands: number;
  /** Commands ended with ERR. */
  errors: number;
  /** TRIM ranges received. */
  trimRanges: number;
}

/** An ATA hard disk. */
export class AtaDrive {
  /** The drive. */
  readonly backend: BlockBackend;
  /** Serial number. */
  readonly serial: string;
  /** Model. */
  readonly model: string;
  /** Firmware revision. */
  readonly firmware: string;
  /** TRIM offered. */
  readonly trim: boolean;
  /** Rotation rate. */
  readonly rotationRate: number;
  /** Counters. */
  readonly stats: AtaDriveStats = { commands: 0, errors: 0, trimRanges: 0 };
  private readonly writeCacheDefault: boolean;
  private multiple = 0;
  private xferMode = ATA_DEFAULT_XFER;

  /** Creates the drive. */
  constructor(opts: AtaDriveOptions) {
    this.backend = opts.backend;
    this.serial = opts.serial;
    this.model = opts.model ?? ATA_DEFAULT_MODEL;
    this.firmware = opts.firmware ?? ATA_DEFAULT_FIRMWARE;
    this.trim = opts.trim ?? true;
    this.rotationRate = opts.rotationRate ?? 0;
    this.writeCacheDefault = opts.backend.writeCacheEnabled;
  }

  /** Capacity in sectors. */
  get sectors(): number {
    return this.backend.sectors;
  }

  /** Whether the volatile write cache is on. */
  get writeCacheEnabled(): boolean {
    return this.backend.writeCacheEnabled;
  }

  /** Power-on / hardware reset: settings back to their defaults. */
  reset(): void {
    this.backend.writeCacheEnabled = this.writeCacheDefault;
    this.multiple = 0;
    this.xferMode = ATA_DEFAULT_XFER;
  }

  /** The registers after a reset or EXECUTE DEVICE DIAGNOSTIC: the ATA signature. */
  signature(): AtaOutput {
    return { status: ATA_DRDY | ATA_DSC, error: ATA_DIAG_PASSED, count: 1, lba: 1, device: 0 };
  }

  /** The current IDENTIFY DEVICE data. */
  identify(): Uint8Array {
    return buildIdentify({
      sectors: this.sectors,
      model: this.model,
      serial: this.serial,
      firmware: this.firmware,
      trim: this.trim,
      rotationRate: this.rotationRate,
      writeCache: this.backend.writeCacheEnabled,
      multiple: this.multiple,
      xferMode: this.xferMode,
    });
  }

  /** Decodes a command; never throws (unknown or malformed commands abort). */
  execute(tf: AtaTaskfile): AtaCommand {
    this.stats.commands++;
    switch (tf.command) {
      case ATA_CMD_ID_ATA:
        return this.dataIn('IDENTIFY DEVICE', 'pio-in', 1, false, 1, () => this.identify());
      case ATA_CMD_READ_PIO:
      case ATA_CMD_READ_PIO_NORETRY:
        return this.rw(tf, 'READ SECTORS', 'pio-in', false, 1);
      case ATA_CMD_READ_PIO_EXT:
        return this.rw(tf, 'READ SECTORS EXT', 'pio-in', true, 1);
      case ATA_CMD_READ_MULTI:
      case ATA_CMD_READ_MULTI_EXT:
        if (!this.multiple) return this.fail('READ MULTIPLE', ATA_ABORTED);
        return this.rw(tf, 'READ MULTIPLE', 'pio-in', tf.command === ATA_CMD_READ_MULTI_EXT, this.multiple);
      case ATA_CMD_WRITE_PIO:
      case ATA_CMD_WRITE_PIO_NORETRY:
        return this.rw(tf, 'WRITE SECTORS', 'pio-out', false, 1);
      case ATA_CMD_WRITE_PIO_EXT:
        return this.rw(tf, 'WRITE SECTORS EXT', 'pio-out', true, 1);
      case ATA_CMD_WRITE_MULTI:
      case ATA_CMD_WRITE_MULTI_EXT:
        if (!this.multiple) return this.fail('WRITE MULTIPLE', ATA_ABORTED);
        return this.rw(tf, 'WRITE MULTIPLE', 'pio-out', tf.command === ATA_CMD_WRITE_MULTI_EXT, this.multiple);
      case ATA_CMD_READ_DMA:
      case ATA_CMD_READ_DMA_NORETRY:
        return this.rw(tf, 'READ DMA', 'dma-in', false, 1);
      case ATA_CMD_READ_DMA_EXT:
        return this.rw(tf, 'READ DMA EXT', 'dma-in', true, 1);
      case ATA_CMD_WRITE_DMA:
      case ATA_CMD_WRITE_DMA_NORETRY:
        return this.rw(tf, 'WRITE DMA', 'dma-out', false, 1);
      case ATA_CMD_WRITE_DMA_EXT:
        return this.rw(tf, 'WRITE DMA EXT', 'dma-out', true, 1);
      case ATA_CMD_VERIFY:
      case ATA_CMD_VERIFY_EXT:
        return this.verify(tf);
      case ATA_CMD_FLUSH:
      case ATA_CMD_FLUSH_EXT:
        return this.nonData(tf.command === ATA_CMD_FLUSH ? 'FLUSH CACHE' : 'FLUSH CACHE EXT', true, () => {
          const r = this.backend.flush();
          return r.ok ? ATA_OK : ataFailed(ATA_ABORTED);
        });
      case ATA_CMD_DSM:
        return this.dsm(tf);
      case ATA_CMD_SET_FEATURES:
        return this.setFeatures(tf);
      case ATA_CMD_SET_MULTI:
        return this.setMultiple(tf);
      case ATA_CMD_READ_NATIVE_MAX:
        return this.nonData('READ NATIVE MAX ADDRESS', false, () => {
          const max = Math.min(this.sectors, ATA_LBA28_LIMIT) - 1;
          return { ...ATA_OK, lba: max % 2 ** 24, device: (tf.device & 0xf0) | Math.floor(max / 2 ** 24) };
        });
      case ATA_CMD_READ_NATIVE_MAX_EXT:
        return this.nonData('READ NATIVE MAX ADDRESS EXT', false, () => ({ ...ATA_OK, lba: this.sectors - 1 }));
      case ATA_CMD_CHK_POWER:
        return this.nonData('CHECK POWER MODE', false, () => ({ ...ATA_OK, count: ATA_POWER_ACTIVE }));
      case ATA_CMD_EDD:
        return this.nonData('EXECUTE DEVICE DIAGNOSTIC', false, () => this.signature());
      case ATA_CMD_STANDBY_NOW:
      case ATA_CMD_IDLE_NOW:
      case ATA_CMD_STANDBY:
      case ATA_CMD_IDLE:
      case ATA_CMD_RESTORE:
      case ATA_CMD_INIT_DEV_PARAMS:
        return this.nonData(`command 0x${tf.command.toString(16)}`, false, () => ATA_OK);
      default:
        return this.fail(`unsupported command 0x${tf.command.toString(16)}`, ATA_ABORTED);
    }
  }

  /** A command that ends at once with `error`. */
  private fail(name: string, error: number): AtaCommand {
    return this.nonData(name, false, () => ataFailed(error));
  }

  private nonData(name: string, media: boolean, finish: () => AtaOutput): AtaCommand {
    return new DriveCommand(this, name, 'non-data', 0, media, 1, finish);
  }

  private dataIn(name: string, protocol: AtaProtocol, sectors: number, media: boolean, drqBlock: number, produce: () => Uint8Array): AtaCommand {
    const cmd = new DriveCommand(this, name, protocol, sectors, media, drqBlock, () => ATA_OK);
    const data = produce();
    cmd.reader = (first, count) => ({ ok: true, data: data.slice(first * ATA_SECTOR_SIZE, (first + count) * ATA_SECTOR_SIZE) });
    return cmd;
  }

  /** The addressed range of a read/write command, or undefined when it names no sector. */
  private range(tf: AtaTaskfile, ext: boolean): { lba: number; count: number } | undefined {
    if (ext) return { lba: tf.lba, count: count48Of(tf) };
    const count = count28Of(tf);
    if (tf.device & ATA_LBA) return { lba: (tf.device & 0x0f) * 2 ** 24 + (tf.lba % 2 ** 24), count };
    // CHS: cylinder in LBA mid/high, head in the device register, sector (1-based) in LBA low.
    const g = guessGeometry(this.sectors);
    const sector = tf.lba & 0xff;
    const cyl = Math.floor(tf.lba / 0x100) & 0xffff;
    const head = tf.device & 0x0f;
    if (sector === 0 || sector > g.sectorsPerTrack || head >= g.heads) return undefined;
    return { lba: (cyl * g.heads + head) * g.sectorsPerTrack + sector - 1, count };
  }

  private rw(tf: AtaTaskfile, name: string, protocol: AtaProtocol, ext: boolean, drqBlock: number): AtaCommand {
    const r = this.range(tf, ext);
    if (!r || r.lba + r.count > this.sectors) return this.fail(name, ATA_IDNF);
    const { lba, count } = r;
    const cmd = new DriveCommand(this, name, protocol, count, true, Math.min(drqBlock, count), () => ATA_OK);
    cmd.detail = ` lba ${lba} count ${count}`;
    cmd.reader = (first, n) => this.backend.read(lba + first, n);
    cmd.writer = (first, data) => this.backend.write(lba + first, data);
    return cmd;
  }

  private verify(tf: AtaTaskfile): AtaCommand {
    const ext = tf.command === ATA_CMD_VERIFY_EXT;
    const name = ext ? 'READ VERIFY SECTORS EXT' : 'READ VERIFY SECTORS';
    const r = this.range(tf, ext);
    if (!r || r.lba + r.count > this.sectors) return this.fail(name, ATA_IDNF);
    return this.nonData(name, true, () => ATA_OK);
  }

  private dsm(tf: AtaTaskfile): AtaCommand {
    const name = 'DATA SET MANAGEMENT';
    if (!this.trim || !(tf.features & ATA_DSM_TRIM)) return this.fail(name, ATA_ABORTED);
    const cmd = new DriveCommand(this, name, 'dma-out', count48Of(tf), true, 1, () => ATA_OK);
    cmd.detail = ` TRIM blocks ${count48Of(tf)}`;
    cmd.writer = (_first, data) => {
      for (let off = 0; off + ATA_DSM_ENTRY_SIZE <= data.length; off += ATA_DSM_ENTRY_SIZE) {
        const { lba, count } = decodeTrimEntry(data, off);
        if (count === 0) continue;
        this.stats.trimRanges++;
        // discard=ignore is the backend's business: the command still succeeds.
        const r = this.backend.discard(lba, count);
        if (!r.ok) return r;
      }
      return { ok: true };
    };
    return cmd;
  }

  private setFeatures(tf: AtaTaskfile): AtaCommand {
    const sub = tf.features & 0xff;
    const name = `SET FEATURES 0x${sub.toString(16)}`;
    if (sub === SETFEATURES_WC_ON || sub === SETFEATURES_WC_OFF) {
      return this.nonData(name, false, () => {
        this.backend.writeCacheEnabled = sub === SETFEATURES_WC_ON;
        // Turning the cache off writes out what it held.
        if (sub === SETFEATURES_WC_OFF) this.backend.flush();
        return ATA_OK;
      });
    }
    if (sub === SETFEATURES_XFER) {
      const mode = tf.count & 0xff;
      const kind = mode >> 3;
      // PIO default/flow control (00h-0Fh), single-word (10h+n), multiword (20h+n) and Ultra DMA (40h+n), any n as QEMU takes it.
      const ok = kind === 0 || kind === 1 || kind === 2 || kind === 4 || kind === 8;
      if (!ok) return this.fail(name, ATA_ABORTED);
      return this.nonData(name, false, () => {
        this.xferMode = mode;
        return ATA_OK;
      });
    }
    if (SETFEATURES_ACCEPTED.has(sub)) return this.nonData(name, false, () => ATA_OK);
    return this.fail(name, ATA_ABORTED);
  }

  private setMultiple(tf: AtaTaskfile): AtaCommand {
    const n = tf.count & 0xff;
    if (n > ATA_MAX_MULT_SECTORS || (n & (n - 1)) !== 0) return this.fail('SET MULTIPLE MODE', ATA_ABORTED);
    return this.nonData('SET MULTIPLE MODE', false, () => {
      this.multiple = n;
      return ATA_OK;
    });
  }

  /** Counts a failed command (called by DriveCommand). */
  noteError(): void {
    this.stats.errors++;
  }
}

/** ATA error bits for a backend failure: IDNF past the end, UNC for a failed read, ABRT otherwise. */
function errorFor(e: BlockError, reading: boolean): number {
  if (e === 'out-of-range') return ATA_IDNF;
  return reading && e === 'io-error' ? ATA_UNC : ATA_ABORTED;
}

/** One decoded command; data goes through reader/writer, and the first backend failure decides its status. */
class DriveCommand implements AtaCommand {
  detail = '';
  reader: ((first: number, count: number) => BlockReadResult) | undefined;
  writer: ((first: number, data: Uint8Array) => BlockResult) | undefined;
  private error = 0;

  constructor(
    private readonly drive: AtaDrive,
    readonly name: string,
    readonly protocol: AtaProtocol,
    readonly sectors: number,
    readonly media: boolean,
    readonly drqBlock: number,
    private readonly end: () => AtaOutput,
  ) {}

  readIn(first: number, count: number): Uint8Array {
    if (this.reader && !this.error && first >= 0 && first + count <= this.sectors) {
      const r = this.reader(first, count);
      if (r.ok) return r.data;
      this.error = errorFor(r.error, true);
    }
    return new Uint8Array(count * ATA_SECTOR_SIZE);
  }

  writeOut(first: number, data: Uint8Array): void {
    const count = Math.floor(data.length / ATA_SECTOR_SIZE);
    if (!this.writer || this.error || first < 0 || first + count > this.sectors || count === 0) return;
    const r = this.writer(first, data.length === count * ATA_SECTOR_SIZE ? data : data.subarray(0, count * ATA_SECTOR_SIZE));
    if (!r.ok) this.error = errorFor(r.error, false);
  }

  finish(): AtaOutput {
    const out = this.error ? ataFailed(this.error) : this.end();
    if (out.status & ATA_ERR) this.drive.noteError();
    return out;
  }
}
