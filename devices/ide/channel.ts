/**
 * One IDE channel (ATA/ATAPI-6 §7 register model, as QEMU's IDE bus behaves): two device
 * positions sharing a command block and a control block, the shadow registers with their
 * LBA48 "previous" FIFO and HOB read-back, device selection, nIEN and software reset
 * through device control, INTRQ (cleared by reading Status, not Alternate Status), PIO
 * data-in/data-out one DRQ block at a time through the data register, and DMA through the
 * channel's BMDMA engine. Commands themselves are decoded by the shared AtaDrive.
 */
import type { AccessSize } from '../../src/memory/region.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { Scheduler, TimerHandle } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import type { IrqLine } from '../../src/machine/interrupts.js';
import { GuestAccessError } from '../../src/memory/errors.js';
import {
  ATA_ABORTED,
  ATA_BUSY,
  ATA_DEV1,
  ATA_DEVICE_OBS,
  ATA_DIAG_PASSED,
  ATA_DRDY,
  ATA_DRQ,
  ATA_DSC,
  ATA_HOB,
  ATA_NIEN,
  ATA_REG_DATA,
  ATA_REG_DEVICE,
  ATA_REG_ERROR,
  ATA_REG_LBAH,
  ATA_REG_LBAL,
  ATA_REG_LBAM,
  ATA_REG_NSECT,
  ATA_REG_STATUS,
  ATA_SECTOR_SIZE,
  ATA_SRST,
  BMDMA_STATUS_ACTIVE,
  BMDMA_STATUS_ERROR,
  BMDMA_STATUS_INTR,
} from '../../src/abi/ata.js';
import { ATA_MEDIA_LATENCY_NS, ataFailed, type AtaDrive } from '../ata/drive.js';
import { dmaTransfer } from '../ata/sg.js';
import type { AtaCommand, AtaOutput } from '../ata/taskfile.js';
import { Bmdma } from './bmdma.js';

/** What a channel reaches of the machine once its controller is realized. */
export interface IdeChannelEnv {
  /** Clock. */
  sched: Scheduler;
  /** Trace. */
  trace: Trace;
  /** Guest memory for DMA. */
  mem: AddressSpace;
  /** The channel's interrupt wire. */
  irq: IrqLine;
  /** Whether the controller may master the bus (PCI COMMAND.MASTER). */
  busMaster: () => boolean;
  /** Trace source. */
  source: string;
}

/** One device position's registers (writes go to both positions, reads to the selected one). */
class UnitRegs {
  feature = 0;
  hobFeature = 0;
  nsect = 0;
  hobNsect = 0;
  lbal = 0;
  hobLbal = 0;
  lbam = 0;
  hobLbam = 0;
  lbah = 0;
  hobLbah = 0;
  device = ATA_DEVICE_OBS;
  status = 0;
  error = 0;
}

type TaskfileByte = 'feature' | 'nsect' | 'lbal' | 'lbam' | 'lbah';
type HobByte = 'hobFeature' | 'hobNsect' | 'hobLbal' | 'hobLbam' | 'hobLbah';

/** Command block registers whose write pushes the old value into the HOB byte, by offset. */
const HOB_SHIFTED = new Map<number, readonly [TaskfileByte, HobByte]>([
  [ATA_REG_ERROR, ['feature', 'hobFeature']],
  [ATA_REG_NSECT, ['nsect', 'hobNsect']],
  [ATA_REG_LBAL, ['lbal', 'hobLbal']],
  [ATA_REG_LBAM, ['lbam', 'hobLbam']],
  [ATA_REG_LBAH, ['lbah', 'hobLbah']],
]);

/** A command between its command byte and its end. */
interface Active {
  unit: number;
  cmd: AtaCommand;
  phase: 'busy' | 'pio-in' | 'pio-out' | 'dma-wait' | 'dma-run';
  buf: Uint8Array;
  pos: number;
  next: number;
}

/** An IDE channel (`ide.0` / `ide.1`). */
export class IdeChannel {
  /** The channel's BMDMA registers. */
  readonly bm: Bmdma;
  private readonly drives: [AtaDrive | undefined, AtaDrive | undefined] = [undefined, undefined];
  private readonly regs = [new UnitRegs(), new UnitRegs()] as const;
  private selected = 0;
  private devctl = 0;
  private irqPending = false;
  private active: Active | undefined;
  private timer: TimerHandle | undefined;
  private env: IdeChannelEnv | undefined;

  /** Creates an empty channel named `name` (the qdev bus name). */
  constructor(readonly name: string) {
    this.bm = new Bmdma({ dmaStarted: () => this.dmaStarted(), dmaStopped: () => this.dmaStopped() });
    this.hardReset();
  }

  /** The drive at `unit` (0 master, 1 slave). */
  drive(unit: number): AtaDrive | undefined {
    return this.drives[unit];
  }

  /** Attaches a drive; throws when the position is taken. */
  attach(unit: number, drive: AtaDrive): void {
    if (unit !== 0 && unit !== 1) throw new RangeError(`IDE unit ${unit} does not exist`);
    if (this.drives[unit]) throw new Error(`IDE unit ${unit} is in use`);
    this.drives[unit] = drive;
    this.resetUnit(unit);
  }

  /** Connects the channel to the machine (controller realize). */
  connect(env: IdeChannelEnv | undefined): void {
    this.env?.irq.set(false);
    this.env = env;
    this.updateIrq();
  }

  /** Whether INTRQ is asserted (before nIEN). */
  get interruptPending(): boolean {
    return this.irqPending;
  }

  /** Hardware reset: drives to power-on settings, registers to the signature, DMA stopped. */
  hardReset(): void {
    this.cancel();
    this.devctl = 0;
    this.selected = 0;
    this.bm.reset();
    for (const d of this.drives) d?.reset();
    this.resetUnit(0);
    this.resetUnit(1);
    this.irqPending = false;
    this.updateIrq();
  }

  /** Command block read (offset 0-7). */
  readCommandBlock(reg: number, size: AccessSize): number {
    if (reg === ATA_REG_DATA) return this.dataRead(size);
    if (!this.drives[0] && !this.drives[1]) return 0;
    const r = this.regs[this.selected];
    const hob = (this.devctl & ATA_HOB) !== 0;
    switch (reg) {
      case ATA_REG_ERROR:
        return hob ? r.hobFeature : r.error;
      case ATA_REG_NSECT:
        return hob ? r.hobNsect : r.nsect;
      case ATA_REG_LBAL:
        return hob ? r.hobLbal : r.lbal;
      case ATA_REG_LBAM:
        return hob ? r.hobLbam : r.lbam;
      case ATA_REG_LBAH:
        return hob ? r.hobLbah : r.lbah;
      case ATA_REG_DEVICE:
        return r.device;
      default: {
        const st = this.statusOfSelected();
        this.irqPending = false;
        this.updateIrq();
        return st;
      }
    }
  }

  /** Side-effect-free command block read (monitor, tests). */
  peekCommandBlock(reg: number): number {
    if (reg === ATA_REG_STATUS) return this.statusOfSelected();
    if (reg === ATA_REG_DATA) return 0;
    return this.readCommandBlock(reg, 1);
  }

  /** Command block write (offset 0-7). */
  writeCommandBlock(reg: number, size: AccessSize, value: number): void {
    if (reg === ATA_REG_DATA) {
      this.dataWrite(size, value);
      return;
    }
    if (reg === ATA_REG_STATUS) {
      this.command(value & 0xff);
      return;
    }
    // Registers are not writable while the selected device is busy or transferring.
    if (this.regs[this.selected].status & (ATA_BUSY | ATA_DRQ)) return;
    const b = value & 0xff;
    this.devctl &= ~ATA_HOB;
    const shifted = HOB_SHIFTED.get(reg);
    for (const r of this.regs) {
      if (shifted) {
        // The previous byte becomes the high-order byte a 48-bit command reads.
        r[shifted[1]] = r[shifted[0]];
        r[shifted[0]] = b;
      } else if (reg === ATA_REG_DEVICE) r.device = b | ATA_DEVICE_OBS;
    }
    if (reg === ATA_REG_DEVICE) this.selected = b & ATA_DEV1 ? 1 : 0;
  }

  /** Alternate Status: Status without clearing INTRQ. */
  readAltStatus(): number {
    if (!this.drives[0] && !this.drives[1]) return 0;
    return this.statusOfSelected();
  }

  /** Device control: nIEN, SRST (reset on the falling edge), HOB. */
  writeDeviceControl(value: number): void {
    const was = this.devctl;
    this.devctl = value & (ATA_HOB | ATA_SRST | ATA_NIEN);
    if (!(was & ATA_SRST) && value & ATA_SRST) {
      this.cancel();
      this.bm.setStatus(0, BMDMA_STATUS_ACTIVE);
      this.irqPending = false;
      for (let u = 0; u < 2; u++) if (this.drives[u]) this.regs[u].status = ATA_BUSY;
      this.trace('software reset');
    } else if (was & ATA_SRST && !(value & ATA_SRST)) {
      this.selected = 0;
      this.resetUnit(0);
      this.resetUnit(1);
    }
    this.updateIrq();
  }

  private statusOfSelected(): number {
    return this.drives[this.selected] ? this.regs[this.selected].status : 0;
  }

  private resetUnit(u: number): void {
    const r = this.regs[u]!;
    const present = this.drives[u] !== undefined;
    r.feature = r.hobFeature = r.hobNsect = r.hobLbal = r.hobLbam = r.hobLbah = 0;
    r.nsect = 1;
    r.lbal = 1;
    // An empty position reads a signature no device type has, as on QEMU.
    r.lbam = r.lbah = present ? 0 : 0xff;
    r.device = ATA_DEVICE_OBS;
    r.status = present ? ATA_DRDY | ATA_DSC : 0;
    r.error = ATA_DIAG_PASSED;
  }

  private command(opcode: number): void {
    const u = this.selected;
    const drive = this.drives[u];
    const r = this.regs[u];
    // Commands to an absent device go nowhere; a busy device ignores new ones.
    if (!drive || r.status & (ATA_BUSY | ATA_DRQ)) return;
    const tf = {
      command: opcode,
      features: (r.hobFeature << 8) | r.feature,
      count: (r.hobNsect << 8) | r.nsect,
      lba: ((r.hobLbah << 16) | (r.hobLbam << 8) | r.hobLbal) * 2 ** 24 + ((r.lbah << 16) | (r.lbam << 8) | r.lbal),
      device: r.device,
    };
    const cmd = drive.execute(tf);
    this.trace(`unit ${u}: ${cmd.name} (0x${opcode.toString(16)})${cmd.detail}`);
    r.error = 0;
    const a: Active = { unit: u, cmd, phase: 'busy', buf: new Uint8Array(0), pos: 0, next: 0 };
    this.active = a;
    switch (cmd.protocol) {
      case 'non-data':
        if (cmd.media) this.busyThen(() => this.complete(cmd.finish(), true));
        else this.complete(cmd.finish(), true);
        break;
      case 'pio-in':
        if (cmd.media) this.busyThen(() => this.loadInBlock());
        else this.loadInBlock();
        break;
      case 'pio-out':
        a.phase = 'pio-out';
        a.buf = new Uint8Array(Math.min(cmd.drqBlock, cmd.sectors) * ATA_SECTOR_SIZE);
        r.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
        break;
      default:
        a.phase = 'dma-wait';
        r.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
        if (this.bm.started) this.dmaStarted();
    }
  }

  private busyThen(fn: () => void): void {
    const a = this.active!;
    a.phase = 'busy';
    this.regs[a.unit].status = ATA_BUSY;
    this.schedule(ATA_MEDIA_LATENCY_NS, fn);
  }

  /** Puts the next DRQ block of a data-in command in the buffer and interrupts. */
  private loadInBlock(): void {
    const a = this.active!;
    const n = Math.min(a.cmd.drqBlock, a.cmd.sectors - a.next);
    a.phase = 'pio-in';
    a.buf = a.cmd.readIn(a.next, n);
    a.pos = 0;
    this.regs[a.unit].status = ATA_DRDY | ATA_DSC | ATA_DRQ;
    this.raise();
  }

  private dataRead(size: AccessSize): number {
    const a = this.active;
    if (!a || a.phase !== 'pio-in') return size === 1 ? 0xff : 0;
    if (size === 1) return 0xff;
    let v = 0;
    for (let i = 0; i < size && a.pos < a.buf.length; i++) v += a.buf[a.pos++]! * 2 ** (8 * i);
    if (a.pos >= a.buf.length) {
      a.next += a.buf.length / ATA_SECTOR_SIZE;
      if (a.next < a.cmd.sectors) this.loadInBlock();
      else this.complete(a.cmd.finish(), false);
    }
    return v;
  }

  private dataWrite(size: AccessSize, value: number): void {
    const a = this.active;
    if (!a || a.phase !== 'pio-out' || size === 1) return;
    for (let i = 0; i < size && a.pos < a.buf.length; i++) a.buf[a.pos++] = (value >>> (8 * i)) & 0xff;
    if (a.pos < a.buf.length) return;
    a.cmd.writeOut(a.next, a.buf);
    a.next += a.buf.length / ATA_SECTOR_SIZE;
    if (a.next < a.cmd.sectors) {
      a.buf = new Uint8Array(Math.min(a.cmd.drqBlock, a.cmd.sectors - a.next) * ATA_SECTOR_SIZE);
      a.pos = 0;
      this.raise();
      return;
    }
    this.busyThen(() => this.complete(a.cmd.finish(), true));
  }

  private dmaStarted(): void {
    const a = this.active;
    if (!a || a.phase !== 'dma-wait') return;
    a.phase = 'dma-run';
    this.schedule(ATA_MEDIA_LATENCY_NS, () => this.runDma());
  }

  private dmaStopped(): void {
    const a = this.active;
    // Stopping the engine abandons the transfer in flight; the command waits for a restart.
    if (a?.phase === 'dma-run') {
      this.timer?.cancel();
      this.timer = undefined;
      a.phase = 'dma-wait';
    }
  }

  private runDma(): void {
    const env = this.env;
    const a = this.active;
    if (!env || !a) return;
    const wantIn = a.cmd.protocol === 'dma-in';
    if (!env.busMaster() || wantIn !== this.bm.writesMemory) {
      this.dmaFailed(!env.busMaster() ? 'bus mastering disabled' : 'BMDMA direction does not match the command');
      return;
    }
    let segs;
    try {
      segs = this.bm.prdList(env.mem);
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.dmaFailed(`PRD table unreadable: ${e.message}`);
      return;
    }
    const done = dmaTransfer(a.cmd, segs, env.mem);
    if (done.fault) {
      this.dmaFailed(`DMA fault: ${done.fault.message}`);
      return;
    }
    if (done.short) {
      // PRDs shorter than the transfer: Active and Interrupt both clear, no INTRQ (SFF-8038i).
      this.trace(`unit ${a.unit}: PRD table holds ${done.bytes} of ${a.cmd.sectors * ATA_SECTOR_SIZE} bytes`);
      this.bm.setStatus(0, BMDMA_STATUS_ACTIVE);
      this.regs[a.unit].status = ATA_DRDY | ATA_DSC;
      this.active = undefined;
      return;
    }
    const prdBytes = segs.reduce((s, x) => s + x.len, 0);
    // A table longer than the transfer leaves Active set beside Interrupt.
    if (prdBytes === done.bytes) this.bm.setStatus(0, BMDMA_STATUS_ACTIVE);
    this.complete(a.cmd.finish(), true);
  }

  private dmaFailed(why: string): void {
    this.trace(why);
    this.bm.setStatus(BMDMA_STATUS_ERROR, BMDMA_STATUS_ACTIVE);
    this.complete(ataFailed(ATA_ABORTED), true);
  }

  /** Ends the active command with `out`'s registers. */
  private complete(out: AtaOutput, interrupt: boolean): void {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    const r = this.regs[a.unit];
    r.status = out.status;
    r.error = out.error;
    if (out.lba !== undefined) {
      r.lbal = out.lba & 0xff;
      r.lbam = Math.floor(out.lba / 0x100) & 0xff;
      r.lbah = Math.floor(out.lba / 0x10000) & 0xff;
      r.hobLbal = Math.floor(out.lba / 2 ** 24) & 0xff;
      r.hobLbam = Math.floor(out.lba / 2 ** 32) & 0xff;
      r.hobLbah = Math.floor(out.lba / 2 ** 40) & 0xff;
    }
    if (out.count !== undefined) {
      r.nsect = out.count & 0xff;
      r.hobNsect = (out.count >> 8) & 0xff;
    }
    if (out.device !== undefined) r.device = (out.device & 0x0f) | (r.device & 0xf0);
    if (out.status & 0x01) this.trace(`unit ${a.unit}: ${a.cmd.name} failed: status 0x${out.status.toString(16)} error 0x${out.error.toString(16)}`);
    if (interrupt) this.raise();
  }

  private raise(): void {
    this.irqPending = true;
    this.bm.setStatus(BMDMA_STATUS_INTR);
    this.updateIrq();
  }

  private updateIrq(): void {
    this.env?.irq.set(this.irqPending && !(this.devctl & ATA_NIEN));
  }

  private schedule(ns: number, fn: () => void): void {
    this.timer?.cancel();
    const env = this.env;
    if (!env) return;
    this.timer = env.sched.after(ns, `${this.name} ata`, () => {
      this.timer = undefined;
      fn();
    });
  }

  /** Abandons the active command and its timer. */
  private cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.active = undefined;
  }

  private trace(msg: string): void {
    const env = this.env;
    if (env) env.trace.emit(env.sched.now(), 'io', env.source, `${this.name}: ${msg}`);
  }
}
