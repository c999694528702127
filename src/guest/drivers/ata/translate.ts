/**
 * SCSI-to-ATA translation for one ATA disk, as Linux's libata-scsi does it (SAT-3): data
 * commands become READ/WRITE DMA (EXT) or, without DMA, READ/WRITE SECTORS (EXT), LBA28
 * whenever the range allows; SYNCHRONIZE CACHE becomes FLUSH CACHE (EXT); UNMAP and
 * WRITE SAME(16) with UNMAP become DATA SET MANAGEMENT/TRIM; ATA PASS-THROUGH(12/16) sends
 * a taskfile as given; INQUIRY, VPD, READ CAPACITY, MODE SENSE and REPORT LUNS are answered
 * from IDENTIFY data. Requests larger than the port's bounce buffer are split. ATA errors
 * become CHECK CONDITION with the sense libata picks for them.
 */
import {
  ABORTED_COMMAND,
  ATA_16,
  INQUIRY,
  INQUIRY_EVPD,
  MODE_CACHING_WCE,
  MODE_PAGE_ALL,
  MODE_PAGE_CACHING,
  MODE_PAGE_CODE_MASK,
  MODE_PC_CHANGEABLE,
  MODE_PC_SAVED,
  MODE_PC_SHIFT,
  MODE_SELECT_10,
  MODE_SELECT_6,
  MODE_SENSE_10,
  MODE_SENSE_6,
  PREVENT_ALLOW_MEDIUM_REMOVAL,
  READ_10,
  READ_12,
  READ_16,
  READ_6,
  READ_CAPACITY_10,
  RECOVERED_ERROR,
  REPORT_LUNS,
  REQUEST_SENSE,
  SAI_READ_CAPACITY_16,
  SAM_STAT_CHECK_CONDITION,
  SAM_STAT_GOOD,
  SENSE,
  SERVICE_ACTION_IN_16,
  START_STOP_UNIT,
  SYNCHRONIZE_CACHE_10,
  SYNCHRONIZE_CACHE_16,
  TEST_UNIT_READY,
  UNMAP,
  UNMAP_DESCRIPTOR_SIZE,
  UNMAP_HEADER_SIZE,
  VERIFY_10,
  WRITE_10,
  WRITE_12,
  WRITE_16,
  WRITE_6,
  WRITE_SAME_16,
  encodeFixedSense,
  encodeModeSense,
  getBe,
  type SenseCode,
} from '../../../abi/scsi.js';
import {
  ATA_ABORTED,
  ATA_CMD_DSM,
  ATA_CMD_FLUSH,
  ATA_CMD_FLUSH_EXT,
  ATA_CMD_READ_DMA,
  ATA_CMD_READ_DMA_EXT,
  ATA_CMD_READ_PIO,
  ATA_CMD_READ_PIO_EXT,
  ATA_CMD_SET_FEATURES,
  ATA_CMD_STANDBY_NOW,
  ATA_CMD_VERIFY,
  ATA_CMD_VERIFY_EXT,
  ATA_CMD_WRITE_DMA,
  ATA_CMD_WRITE_DMA_EXT,
  ATA_CMD_WRITE_PIO,
  ATA_CMD_WRITE_PIO_EXT,
  ATA_DSM_ENTRY_SIZE,
  ATA_DSM_RANGE_MAX,
  ATA_DSM_TRIM,
  ATA_ERR,
  ATA_ICRC,
  ATA_IDNF,
  ATA_LBA,
  ATA_LBA28_LIMIT,
  ATA_MAX_SECTORS_LBA28,
  ATA_MAX_SECTORS_LBA48,
  ATA_SECTOR_SIZE,
  ATA_UNC,
  SETFEATURES_WC_OFF,
  SETFEATURES_WC_ON,
  encodeTrimEntry,
} from '../../../abi/ata.js';
import type { ScsiCommand, ScsiResult } from '../scsi/types.js';
import type { AtaDeviceInfo } from './identify.js';
import type { AtaPortOps, AtaQcProtocol, AtaQcResult, AtaTf } from './types.js';
import {
  ALL_MODE_PAGES,
  ATA_UNMAP_MAX_DESCRIPTORS,
  ataPassThroughSense,
  inquiryStandard,
  lbpEnabled,
  modePage,
  readCapacity10,
  readCapacity16,
  vpdPage,
} from './scsi-pages.js';

/** ATA PASS-THROUGH(12) opcode. */
export const ATA_12 = 0xa1;
/** VERIFY(16) opcode. */
const VERIFY_16 = 0x8f;
/** CDB byte 1 of WRITE SAME(16): the UNMAP bit. */
const WRITE_SAME_UNMAP = 0x08;

/** One step of a translated command. */
interface Step {
  tf: AtaTf;
  lba48: boolean;
  protocol: AtaQcProtocol;
  data?: Uint8Array;
}

/** The ATA disk `devno` of a port, seen by the SCSI midlayer as one logical unit. */
export class AtaScsiDevice {
  /** Commands translated (for tests). */
  translated = 0;

  constructor(
    /** What IDENTIFY said. */
    readonly info: AtaDeviceInfo,
    private readonly port: AtaPortOps,
    private readonly devno: number,
    /** Runs a completion later (emulated commands must not complete inside queueCommand). */
    private readonly defer: (fn: () => void) => void,
  ) {}

  /** Whether data moves by DMA (the port and the device both can). */
  get dma(): boolean {
    return this.port.dma && this.info.dma;
  }

  /** Runs one SCSI command; completion comes later through cmd.done. */
  queue(cmd: ScsiCommand): void {
    this.translated++;
    const cdb = cmd.cdb;
    const op = cdb[0] ?? 0xff;
    switch (op) {
      case TEST_UNIT_READY:
      case PREVENT_ALLOW_MEDIUM_REMOVAL:
        return this.good(cmd);
      case REQUEST_SENSE:
        return this.reply(cmd, encodeFixedSense(SENSE.noSense));
      case INQUIRY:
        return this.inquiry(cmd);
      case READ_CAPACITY_10:
        return this.reply(cmd, readCapacity10(this.info));
      case SERVICE_ACTION_IN_16:
        if (((cdb[1] ?? 0) & 0x1f) !== SAI_READ_CAPACITY_16) return this.check(cmd, SENSE.invalidField);
        return this.reply(cmd, readCapacity16(this.info, this.dma), getBe(cdb, 10, 4));
      case MODE_SENSE_6:
      case MODE_SENSE_10:
        return this.modeSense(cmd, op === MODE_SENSE_10);
      case MODE_SELECT_6:
      case MODE_SELECT_10:
        return this.modeSelect(cmd, op === MODE_SELECT_10);
      case REPORT_LUNS: {
        const out = new Uint8Array(16);
        out[3] = 8; // one LUN (0), eight bytes of list
        return this.reply(cmd, out, getBe(cdb, 6, 4));
      }
      case READ_6:
      case WRITE_6:
        return this.rw(cmd, op === WRITE_6, ((cdb[1] ?? 0) & 0x1f) * 0x10000 + getBe(cdb, 2, 2), cdb[4] || 256);
      case READ_10:
      case WRITE_10:
        return this.rw(cmd, op === WRITE_10, getBe(cdb, 2, 4), getBe(cdb, 7, 2));
      case READ_12:
      case WRITE_12:
        return this.rw(cmd, op === WRITE_12, getBe(cdb, 2, 4), getBe(cdb, 6, 4));
      case READ_16:
      case WRITE_16:
        return this.rw(cmd, op === WRITE_16, getBe(cdb, 2, 8), getBe(cdb, 10, 4));
      case VERIFY_10:
        return this.verify(cmd, getBe(cdb, 2, 4), getBe(cdb, 7, 2));
      case VERIFY_16:
        return this.verify(cmd, getBe(cdb, 2, 8), getBe(cdb, 10, 4));
      case SYNCHRONIZE_CACHE_10:
      case SYNCHRONIZE_CACHE_16:
        return this.run(cmd, [this.nonData(this.info.flushExt ? ATA_CMD_FLUSH_EXT : ATA_CMD_FLUSH, this.info.flushExt)]);
      case UNMAP:
        return this.unmap(cmd);
      case WRITE_SAME_16:
        if (!((cdb[1] ?? 0) & WRITE_SAME_UNMAP) || !lbpEnabled(this.info, this.dma)) return this.check(cmd, SENSE.invalidField);
        return this.trim(cmd, [{ lba: getBe(cdb, 2, 8), count: getBe(cdb, 10, 4) }], 0);
      case START_STOP_UNIT:
        // Stopping spins the disk down; starting needs nothing (the next access spins it up).
        if ((cdb[4] ?? 0) & 1) return this.good(cmd);
        return this.run(cmd, [this.nonData(ATA_CMD_STANDBY_NOW, false)]);
      case ATA_16:
      case ATA_12:
        return this.passThrough(cmd, op === ATA_16);
      default:
        return this.check(cmd, SENSE.invalidOpcode);
    }
  }

  private good(cmd: ScsiCommand, transferred = 0): void {
    this.complete(cmd, { status: SAM_STAT_GOOD, transferred });
  }

  private check(cmd: ScsiCommand, code: SenseCode, transferred = 0): void {
    this.complete(cmd, { status: SAM_STAT_CHECK_CONDITION, transferred, sense: encodeFixedSense(code) });
  }

  private complete(cmd: ScsiCommand, r: ScsiResult): void {
    this.defer(() => cmd.done(r));
  }

  /** Copies emulated data into the command's buffer (bounded by the buffer and `alloc`). */
  private reply(cmd: ScsiCommand, data: Uint8Array, alloc = Number.MAX_SAFE_INTEGER): void {
    const buf = cmd.data;
    const n = Math.min(data.length, buf?.length ?? 0, alloc);
    if (buf && n > 0) buf.set(data.subarray(0, n));
    this.good(cmd, n);
  }

  private inquiry(cmd: ScsiCommand): void {
    const cdb = cmd.cdb;
    const alloc = getBe(cdb, 3, 2);
    if (!((cdb[1] ?? 0) & INQUIRY_EVPD)) {
      if (cdb[2]) return this.check(cmd, SENSE.invalidField);
      return this.reply(cmd, inquiryStandard(this.info), alloc);
    }
    const page = vpdPage(cdb[2] ?? 0, this.info, this.dma);
    if (!page) return this.check(cmd, SENSE.invalidField);
    this.reply(cmd, page, alloc);
  }

  private modeSense(cmd: ScsiCommand, ten: boolean): void {
    const cdb = cmd.cdb;
    const pc = (cdb[2] ?? 0) >> MODE_PC_SHIFT;
    const code = (cdb[2] ?? 0) & MODE_PAGE_CODE_MASK;
    if (pc === MODE_PC_SAVED) return this.check(cmd, SENSE.savingParamsNotSupported);
    const changeable = pc === MODE_PC_CHANGEABLE;
    const pages: Uint8Array[] = [];
    if (code === MODE_PAGE_ALL) {
      for (const c of ALL_MODE_PAGES) pages.push(modePage(c, this.info, changeable)!);
    } else {
      const p = modePage(code, this.info, changeable);
      if (!p || (cdb[3] ?? 0) !== 0) return this.check(cmd, SENSE.invalidField);
      pages.push(p);
    }
    this.reply(cmd, encodeModeSense(ten, pages), ten ? getBe(cdb, 7, 2) : (cdb[4] ?? 0));
  }

  /** MODE SELECT: only the caching page's WCE is changeable; it becomes SET FEATURES. */
  private modeSelect(cmd: ScsiCommand, ten: boolean): void {
    const data = cmd.data;
    const hdr = ten ? 8 : 4;
    if (!data || data.length < hdr) return this.good(cmd);
    const bdLen = ten ? getBe(data, 6, 2) : (data[3] ?? 0);
    let at = hdr + bdLen;
    let wce: boolean | undefined;
    while (at + 2 <= data.length) {
      const code = data[at]! & MODE_PAGE_CODE_MASK;
      const plen = data[at + 1]!;
      if (at + 2 + plen > data.length) return this.check(cmd, SENSE.invalidParamLength);
      if (code !== MODE_PAGE_CACHING) return this.check(cmd, SENSE.invalidParam);
      wce = (data[at + 2]! & MODE_CACHING_WCE) !== 0;
      at += 2 + plen;
    }
    if (wce === undefined || wce === this.info.writeCache) return this.good(cmd, data.length);
    if (!this.info.writeCacheSupported) return this.check(cmd, SENSE.invalidParam);
    const step = this.nonData(ATA_CMD_SET_FEATURES, false);
    step.tf.features = wce ? SETFEATURES_WC_ON : SETFEATURES_WC_OFF;
    this.run(cmd, [step], () => {
      this.info.writeCache = wce;
    });
  }

  private nonData(command: number, lba48: boolean): Step {
    return { tf: { command, features: 0, count: 0, lba: 0, device: ATA_LBA }, lba48, protocol: 'non-data' };
  }

  /** Whether [lba, lba+count) is on the disk. */
  private inRange(lba: number, count: number): boolean {
    return Number.isSafeInteger(lba) && lba + count <= this.info.sectors;
  }

  /** Splits [lba, lba+count) into ATA commands: LBA28 while the range allows, LBA48 beyond. */
  private chunks(lba: number, count: number): { lba: number; n: number; ext: boolean }[] {
    const out: { lba: number; n: number; ext: boolean }[] = [];
    for (let done = 0; done < count; ) {
      const at = lba + done;
      let n = Math.min(count - done, this.port.maxSectors);
      // As lba_28_ok: the short form whenever the whole chunk is addressable by it.
      const ext = this.info.lba48 && !(n <= ATA_MAX_SECTORS_LBA28 && at + n <= ATA_LBA28_LIMIT);
      n = Math.min(n, ext ? ATA_MAX_SECTORS_LBA48 : ATA_MAX_SECTORS_LBA28);
      out.push({ lba: at, n, ext });
      done += n;
    }
    return out;
  }

  private rw(cmd: ScsiCommand, write: boolean, lba: number, count: number): void {
    if (count === 0) return this.good(cmd);
    if (!this.inRange(lba, count)) return this.check(cmd, SENSE.lbaOutOfRange);
    const data = cmd.data ?? new Uint8Array(0);
    const sectors = Math.min(count, Math.floor(data.length / ATA_SECTOR_SIZE));
    const parts = this.chunks(lba, sectors);
    const dma = this.dma;
    const steps: Step[] = parts.map((p) => {
      const off = (p.lba - lba) * ATA_SECTOR_SIZE;
      const command = dma
        ? write ? (p.ext ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA) : p.ext ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA
        : write ? (p.ext ? ATA_CMD_WRITE_PIO_EXT : ATA_CMD_WRITE_PIO) : p.ext ? ATA_CMD_READ_PIO_EXT : ATA_CMD_READ_PIO;
      const protocol: AtaQcProtocol = dma ? (write ? 'dma-out' : 'dma-in') : write ? 'pio-out' : 'pio-in';
      return { tf: this.addressed(command, p.lba, p.n, p.ext), lba48: p.ext, protocol, data: data.subarray(off, off + p.n * ATA_SECTOR_SIZE) };
    });
    this.run(cmd, steps, undefined, sectors * ATA_SECTOR_SIZE, write);
  }

  private verify(cmd: ScsiCommand, lba: number, count: number): void {
    if (count === 0) return this.good(cmd);
    if (!this.inRange(lba, count)) return this.check(cmd, SENSE.lbaOutOfRange);
    const parts = this.chunks(lba, count);
    this.run(cmd, parts.map((p) => ({ tf: this.addressed(p.ext ? ATA_CMD_VERIFY_EXT : ATA_CMD_VERIFY, p.lba, p.n, p.ext), lba48: p.ext, protocol: 'non-data' as const })));
  }

  /** A taskfile addressing `n` sectors at `lba`; LBA28 puts bits 27:24 in the device register. */
  private addressed(command: number, lba: number, n: number, ext: boolean): AtaTf {
    if (ext) return { command, features: 0, count: n & 0xffff, lba, device: ATA_LBA };
    return { command, features: 0, count: n & 0xff, lba: lba % 2 ** 24, device: ATA_LBA | Math.floor(lba / 2 ** 24) };
  }

  private unmap(cmd: ScsiCommand): void {
    if (!lbpEnabled(this.info, this.dma)) return this.check(cmd, SENSE.invalidOpcode);
    const p = cmd.data;
    if (!p || p.length < UNMAP_HEADER_SIZE) return this.good(cmd);
    const descLen = getBe(p, 2, 2);
    if (descLen % UNMAP_DESCRIPTOR_SIZE !== 0 || UNMAP_HEADER_SIZE + descLen > p.length) return this.check(cmd, SENSE.invalidParamLength);
    const ranges: { lba: number; count: number }[] = [];
    for (let at = UNMAP_HEADER_SIZE; at < UNMAP_HEADER_SIZE + descLen; at += UNMAP_DESCRIPTOR_SIZE) {
      ranges.push({ lba: getBe(p, at, 8), count: getBe(p, at + 8, 4) });
    }
    if (ranges.length > ATA_UNMAP_MAX_DESCRIPTORS) return this.check(cmd, SENSE.invalidParam);
    this.trim(cmd, ranges, p.length);
  }

  /** TRIM the ranges: 64 entries of up to 65535 sectors per 512-byte DSM block, one block per command. */
  private trim(cmd: ScsiCommand, ranges: { lba: number; count: number }[], transferred: number): void {
    const entries: { lba: number; count: number }[] = [];
    for (const r of ranges) {
      if (!this.inRange(r.lba, r.count)) return this.check(cmd, SENSE.lbaOutOfRange);
      for (let done = 0; done < r.count; done += ATA_DSM_RANGE_MAX) entries.push({ lba: r.lba + done, count: Math.min(ATA_DSM_RANGE_MAX, r.count - done) });
    }
    if (entries.length === 0) return this.good(cmd, transferred);
    const perBlock = ATA_SECTOR_SIZE / ATA_DSM_ENTRY_SIZE;
    const steps: Step[] = [];
    for (let i = 0; i < entries.length; i += perBlock) {
      const block = new Uint8Array(ATA_SECTOR_SIZE);
      entries.slice(i, i + perBlock).forEach((e, k) => encodeTrimEntry(block, k * ATA_DSM_ENTRY_SIZE, e.lba, e.count));
      steps.push({ tf: { command: ATA_CMD_DSM, features: ATA_DSM_TRIM, count: 1, lba: 0, device: ATA_LBA }, lba48: true, protocol: 'dma-out', data: block });
    }
    this.run(cmd, steps, undefined, transferred);
  }

  /** ATA PASS-THROUGH(16)/(12): the taskfile as given; registers come back in sense when asked (CK_COND) or on error. */
  private passThrough(cmd: ScsiCommand, sixteen: boolean): void {
    const c = cmd.cdb;
    const b = (i: number) => c[i] ?? 0;
    const protocol = (b(1) >> 1) & 0xf;
    const extend = sixteen && (b(1) & 1) !== 0;
    const ckCond = (b(2) & 0x20) !== 0;
    const tf: AtaTf = sixteen
      ? {
          features: (extend ? b(3) << 8 : 0) | b(4),
          count: (extend ? b(5) << 8 : 0) | b(6),
          lba: (extend ? (b(11) * 0x10000 + b(9) * 0x100 + b(7)) * 2 ** 24 : 0) + ((b(12) << 16) | (b(10) << 8) | b(8)),
          device: b(13),
          command: b(14),
        }
      : { features: b(3), count: b(4), lba: (b(7) << 16) | (b(6) << 8) | b(5), device: b(8), command: b(9) };
    let proto: AtaQcProtocol;
    switch (protocol) {
      case 3:
        proto = 'non-data';
        break;
      case 4:
        proto = 'pio-in';
        break;
      case 5:
        proto = 'pio-out';
        break;
      case 6:
        if (!this.dma) return this.check(cmd, SENSE.invalidField);
        proto = (b(2) & 0x08) !== 0 ? 'dma-in' : 'dma-out';
        break;
      default:
        return this.check(cmd, SENSE.invalidField);
    }
    if (proto !== 'non-data' && (!cmd.data || cmd.data.length === 0 || cmd.data.length % ATA_SECTOR_SIZE !== 0)) return this.check(cmd, SENSE.invalidField);
    if (cmd.data && cmd.data.length > this.port.maxSectors * ATA_SECTOR_SIZE) return this.check(cmd, SENSE.invalidField);
    this.port.issue(this.devno, {
      tf,
      lba48: extend,
      protocol: proto,
      data: proto === 'non-data' ? undefined : cmd.data,
      done: (r) => {
        const regs = { status: r.status, error: r.error, count: r.count ?? 0, lba: r.lba ?? 0, device: tf.device, extend };
        if (r.failed) return cmd.done({ status: SAM_STAT_GOOD, transferred: 0, hostError: 'error' });
        const bytes = proto === 'non-data' ? 0 : (cmd.data?.length ?? 0);
        if (r.status & ATA_ERR) return cmd.done({ status: SAM_STAT_CHECK_CONDITION, transferred: 0, sense: ataPassThroughSense(ABORTED_COMMAND, regs) });
        if (ckCond) return cmd.done({ status: SAM_STAT_CHECK_CONDITION, transferred: bytes, sense: ataPassThroughSense(RECOVERED_ERROR, regs) });
        cmd.done({ status: SAM_STAT_GOOD, transferred: bytes });
      },
    });
  }

  /** Issues `steps` one after the other; the first failure ends the SCSI command. */
  private run(cmd: ScsiCommand, steps: Step[], onSuccess?: () => void, transferred = 0, write = false): void {
    let i = 0;
    const next = (): void => {
      const s = steps[i++];
      if (!s) {
        onSuccess?.();
        return this.good(cmd, transferred);
      }
      this.port.issue(this.devno, { tf: s.tf, lba48: s.lba48, protocol: s.protocol, data: s.data, done: (r) => (this.failed(r) ? this.fail(cmd, r, write) : next()) });
    };
    next();
  }

  private failed(r: AtaQcResult): boolean {
    return r.failed !== undefined || (r.status & ATA_ERR) !== 0;
  }

  /** The CHECK CONDITION libata reports for an ATA error (ata_to_sense_error, simplified). */
  private fail(cmd: ScsiCommand, r: AtaQcResult, write: boolean): void {
    if (r.failed) {
      cmd.done({ status: SAM_STAT_GOOD, transferred: 0, hostError: 'error' });
      return;
    }
    const e = r.error;
    let code: SenseCode = { key: ABORTED_COMMAND, asc: 0, ascq: 0 };
    if (e & ATA_ICRC) code = { key: ABORTED_COMMAND, asc: 0x47, ascq: 0 };
    else if (e & ATA_UNC) code = write ? SENSE.writeError : SENSE.readError;
    else if (e & ATA_IDNF) code = SENSE.lbaOutOfRange;
    else if (e & ATA_ABORTED) code = { key: ABORTED_COMMAND, asc: 0, ascq: 0 };
    this.check(cmd, code);
  }
}

/** Result of a command that never reached a device. */
export const NO_CONNECT: ScsiResult = { status: SAM_STAT_GOOD, transferred: 0, hostError: 'no-connect' };
