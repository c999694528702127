/**
 * One AHCI port (AHCI 1.3 §3.3, §5): its registers, the link (SStatus/SControl with
 * COMRESET), the first D2H register FIS that delivers the device signature once FIS
 * receive is on, and the command engine. With PxCMD.ST set, each slot set in PxCI is
 * fetched from the command list in guest RAM, its H2D register FIS decoded and run by the
 * shared AtaDrive, data moved along the command table's PRDs, PRDBC written back, and a
 * D2H register FIS posted; slots run one at a time, lowest first (no NCQ). A task file
 * error or a descriptor outside RAM stops the engine with PxCI left set, as §6.1 has it,
 * until software clears ST.
 */
import type { AccessSize } from '../../src/memory/region.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { Scheduler, TimerHandle } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import { GuestAccessError } from '../../src/memory/errors.js';
import {
  AHCI_CMD_CLR_BUSY,
  AHCI_CMD_HDR_CTBA,
  AHCI_CMD_HDR_PRDBC,
  AHCI_CMD_HDR_SIZE,
  AHCI_CMD_PRDTL_SHIFT,
  AHCI_CMD_TBL_CFIS,
  AHCI_CMD_TBL_PRDT,
  AHCI_PRD_DBC_MASK,
  AHCI_PRD_INTR,
  AHCI_PRD_SIZE,
  FIS_REG_SIZE,
  FIS_TYPE_REG_H2D,
  PORT_CMD,
  PORT_CMD_CCS_SHIFT,
  PORT_CMD_CLO,
  PORT_CMD_FIS_ON,
  PORT_CMD_FIS_RX,
  PORT_CMD_ISSUE,
  PORT_CMD_LIST_ON,
  PORT_CMD_POWER_ON,
  PORT_CMD_SPIN_UP,
  PORT_CMD_START,
  PORT_FIS_ADDR,
  PORT_FIS_ADDR_HI,
  PORT_IRQ_D2H_REG_FIS,
  PORT_IRQ_HBUS_ERR,
  PORT_IRQ_MASK,
  PORT_IRQ_OVERFLOW,
  PORT_IRQ_PIOS_FIS,
  PORT_IRQ_SG_DONE,
  PORT_IRQ_STAT,
  PORT_IRQ_TF_ERR,
  PORT_LST_ADDR,
  PORT_LST_ADDR_HI,
  PORT_SCR_ACT,
  PORT_SCR_CTL,
  PORT_SCR_ERR,
  PORT_SCR_NTF,
  PORT_SCR_STAT,
  PORT_SIG,
  PORT_TFDATA,
  PORT_TFD_RESET,
  RX_FIS_D2H_REG,
  RX_FIS_PIO_SETUP,
  SATA_SIGNATURE_DISK,
  SCTL_DET_COMRESET,
  SCTL_DET_MASK,
  SSTS_ACTIVE_GEN1,
} from '../../src/abi/ahci.js';
import { ATA_ABORTED, ATA_BUSY, ATA_DRQ, ATA_ERR, ATA_SRST } from '../../src/abi/ata.js';
import { ATA_MEDIA_LATENCY_NS, ataFailed, type AtaDrive } from '../ata/drive.js';
import { dmaTransfer, type SgSegment } from '../ata/sg.js';
import type { AtaCommand, AtaOutput } from '../ata/taskfile.js';
import { decodeH2d, encodeD2h, encodePioSetup } from './fis.js';

/** PxCMD bits software may write (the running bits FR and CR are the HBA's). */
const PORT_CMD_WRITABLE = 0xf000_0000 | 0x0fc0_0000 | PORT_CMD_FIS_RX | PORT_CMD_CLO | PORT_CMD_POWER_ON | PORT_CMD_SPIN_UP | PORT_CMD_START;

/** What a port reaches of its HBA and the machine. */
export interface AhciPortEnv {
  /** Clock. */
  sched: Scheduler;
  /** Trace. */
  trace: Trace;
  /** Guest memory (command lists, tables, PRDs, received FISes). */
  mem: AddressSpace;
  /** Whether the HBA may master the bus. */
  busMaster: () => boolean;
  /** Port interrupt state changed: the HBA recomputes IS and its interrupt. */
  irqChanged: () => void;
  /** Trace source. */
  source: string;
}

/** One port's registers and command engine. */
export class AhciPort {
  private drive: AtaDrive | undefined;
  private clb = 0;
  private clbu = 0;
  private fb = 0;
  private fbu = 0;
  private is = 0;
  private ie = 0;
  private cmd = PORT_CMD_SPIN_UP | PORT_CMD_POWER_ON;
  private tfdStatus = PORT_TFD_RESET;
  private tfdError = 0;
  private sig = 0xffff_ffff;
  private ssts = 0;
  private sctl = 0;
  private serr = 0;
  private ci = 0;
  private busySlot = -1;
  private timer: TimerHandle | undefined;
  private signatureSent = false;
  private inSoftReset = false;
  private env: AhciPortEnv | undefined;

  /** Creates port `index` (its qdev bus is `<hba id>.<index>`). */
  constructor(readonly index: number) {}

  /** The attached drive. */
  get device(): AtaDrive | undefined {
    return this.drive;
  }

  /** Attaches a drive (before the machine runs). */
  attach(drive: AtaDrive): void {
    if (this.drive) throw new Error(`AHCI port ${this.index} is in use`);
    this.drive = drive;
    this.linkReset();
  }

  /** Connects the port to its HBA's context. */
  connect(env: AhciPortEnv | undefined): void {
    this.env = env;
  }

  /** Interrupt pending: some enabled PxIS bit is set. */
  get interruptPending(): boolean {
    return (this.is & this.ie) !== 0;
  }

  /** HBA reset (GHC.HR): the port's registers and link start over. */
  hbaReset(): void {
    this.stopEngine();
    this.cmd = PORT_CMD_SPIN_UP | PORT_CMD_POWER_ON;
    this.is = 0;
    this.ie = 0;
    this.sctl = 0;
    this.serr = 0;
    this.drive?.reset();
    this.linkReset();
  }

  /** Register read (offset inside the port block). */
  read(off: number, size: AccessSize): number {
    const v = this.reg(off & ~3);
    return size === 4 ? v : Math.floor(v / 2 ** (8 * (off & 3))) % 2 ** (8 * size);
  }

  /** Register write; narrower writes are merged into the dword first. */
  write(off: number, size: AccessSize, value: number): void {
    const base = off & ~3;
    let v = value >>> 0;
    if (size !== 4) {
      const shift = 8 * (off & 3);
      const mask = (2 ** (8 * size) - 1) * 2 ** shift;
      // Write-one-to-clear registers must not see the other bytes as ones.
      const cur = base === PORT_IRQ_STAT || base === PORT_SCR_ERR ? 0 : this.reg(base);
      v = ((cur & ~mask) | ((value * 2 ** shift) & mask)) >>> 0;
    }
    this.setReg(base, v);
  }

  private reg(off: number): number {
    switch (off) {
      case PORT_LST_ADDR:
        return this.clb;
      case PORT_LST_ADDR_HI:
        return this.clbu;
      case PORT_FIS_ADDR:
        return this.fb;
      case PORT_FIS_ADDR_HI:
        return this.fbu;
      case PORT_IRQ_STAT:
        return this.is >>> 0;
      case PORT_IRQ_MASK:
        return this.ie >>> 0;
      case PORT_CMD:
        return ((this.cmd & ~(0x1f << PORT_CMD_CCS_SHIFT)) | ((this.busySlot < 0 ? 0 : this.busySlot) << PORT_CMD_CCS_SHIFT)) >>> 0;
      case PORT_TFDATA:
        return (this.tfdError << 8) | this.tfdStatus;
      case PORT_SIG:
        return this.sig >>> 0;
      case PORT_SCR_STAT:
        return this.ssts;
      case PORT_SCR_CTL:
        return this.sctl;
      case PORT_SCR_ERR:
        return this.serr >>> 0;
      case PORT_CMD_ISSUE:
        return this.ci >>> 0;
      default:
        return 0;
    }
  }

  private setReg(off: number, v: number): void {
    switch (off) {
      case PORT_LST_ADDR:
        this.clb = (v & ~0x3ff) >>> 0;
        break;
      case PORT_LST_ADDR_HI:
        this.clbu = v;
        break;
      case PORT_FIS_ADDR:
        this.fb = (v & ~0xff) >>> 0;
        break;
      case PORT_FIS_ADDR_HI:
        this.fbu = v;
        break;
      case PORT_IRQ_STAT:
        this.is = (this.is & ~v) >>> 0;
        this.env?.irqChanged();
        break;
      case PORT_IRQ_MASK:
        this.ie = v >>> 0;
        this.env?.irqChanged();
        break;
      case PORT_CMD:
        this.writeCmd(v);
        break;
      case PORT_SCR_CTL:
        this.writeSctl(v);
        break;
      case PORT_SCR_ERR:
        this.serr = (this.serr & ~v) >>> 0;
        break;
      case PORT_CMD_ISSUE:
        if (this.cmd & PORT_CMD_START) this.ci = (this.ci | v) >>> 0;
        this.runCommands();
        break;
      case PORT_SCR_ACT:
      case PORT_SCR_NTF:
        break;
    }
  }

  private writeCmd(v: number): void {
    const was = this.cmd;
    this.cmd = (this.cmd & ~PORT_CMD_WRITABLE) | (v & PORT_CMD_WRITABLE);
    if (v & PORT_CMD_CLO) {
      // Command list override: clear BSY and DRQ so a reset FIS can be issued (§3.3.7).
      this.tfdStatus &= ~(ATA_BUSY | ATA_DRQ);
      this.cmd &= ~PORT_CMD_CLO;
    }
    if (this.cmd & PORT_CMD_FIS_RX) {
      this.cmd |= PORT_CMD_FIS_ON;
      if (!(was & PORT_CMD_FIS_RX)) this.postSignature();
    } else {
      this.cmd &= ~PORT_CMD_FIS_ON;
    }
    if (this.cmd & PORT_CMD_START) {
      this.cmd |= PORT_CMD_LIST_ON;
      if (!(was & PORT_CMD_START)) this.runCommands();
    } else if (was & PORT_CMD_START) {
      this.stopEngine();
    }
  }

  private writeSctl(v: number): void {
    const was = this.sctl & SCTL_DET_MASK;
    this.sctl = v & 0xfff;
    const det = v & SCTL_DET_MASK;
    if (det === SCTL_DET_COMRESET) {
      // COMRESET held: the link is down while DET stays 1.
      this.stopEngine();
      this.ssts = this.drive ? 1 : 0;
      this.tfdStatus = PORT_TFD_RESET;
    } else if (was === SCTL_DET_COMRESET && det === 0) {
      this.trace('COMRESET');
      this.drive?.reset();
      this.linkReset();
    }
  }

  /** Link (re)established after a reset: the device will report its signature when FIS receive is on. */
  private linkReset(): void {
    this.tfdStatus = PORT_TFD_RESET;
    this.tfdError = 0;
    this.sig = 0xffff_ffff;
    this.signatureSent = false;
    this.inSoftReset = false;
    this.ssts = this.drive ? SSTS_ACTIVE_GEN1 : 0;
    if (this.cmd & PORT_CMD_FIS_RX) this.postSignature();
  }

  /** The device's first D2H register FIS after a reset: signature into PxSIG, status into PxTFD. */
  private postSignature(): void {
    const d = this.drive;
    if (!d || this.signatureSent) return;
    this.signatureSent = true;
    const out = d.signature();
    this.sig = SATA_SIGNATURE_DISK;
    this.postD2h(out);
    this.setIrq(PORT_IRQ_D2H_REG_FIS);
  }

  private stopEngine(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.busySlot = -1;
    this.ci = 0;
    this.cmd &= ~(PORT_CMD_LIST_ON | PORT_CMD_START);
  }

  /** Runs the lowest issued slot if the engine is idle and running. */
  private runCommands(): void {
    // A fatal error leaves busySlot set: the engine stays stopped until software clears ST.
    if (!(this.cmd & PORT_CMD_START) || this.busySlot >= 0 || this.ci === 0) return;
    const slot = 31 - Math.clz32(this.ci & -this.ci);
    this.busySlot = slot;
    try {
      this.startSlot(slot);
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.hostBusError(`slot ${slot}: ${e.message}`);
    }
  }

  private startSlot(slot: number): void {
    const env = this.env;
    if (!env) return;
    if (!env.busMaster()) {
      this.hostBusError('bus mastering disabled');
      return;
    }
    const mem = env.mem;
    const hdr = this.clbu * 2 ** 32 + this.clb + slot * AHCI_CMD_HDR_SIZE;
    const dw0 = mem.read(hdr, 4);
    const ctba = mem.read(hdr + AHCI_CMD_HDR_CTBA + 4, 4) * 2 ** 32 + (mem.read(hdr + AHCI_CMD_HDR_CTBA, 4) & ~0x7f);
    const fis = mem.readBytes(ctba + AHCI_CMD_TBL_CFIS, FIS_REG_SIZE);
    mem.write(hdr + AHCI_CMD_HDR_PRDBC, 4, 0);
    const d = this.drive;
    if (fis[0] !== FIS_TYPE_REG_H2D || !d) {
      // Nothing on the port (or a FIS type we do not send): the command fails like an abort.
      this.finishSlot(slot, hdr, ataFailed(ATA_ABORTED), 0, false);
      return;
    }
    const h2d = decodeH2d(fis);
    if (!h2d.isCommand) {
      this.controlFis(slot, dw0, h2d.control);
      return;
    }
    const prdtl = dw0 >>> AHCI_CMD_PRDTL_SHIFT;
    const segs: SgSegment[] = [];
    for (let i = 0; i < prdtl; i++) {
      const at = ctba + AHCI_CMD_TBL_PRDT + i * AHCI_PRD_SIZE;
      const dw3 = mem.read(at + 12, 4);
      segs.push({ addr: mem.read(at + 4, 4) * 2 ** 32 + (mem.read(at, 4) & ~1), len: (dw3 & AHCI_PRD_DBC_MASK) + 1, intr: (dw3 & AHCI_PRD_INTR) !== 0 });
    }
    const cmd = d.execute(h2d.tf);
    this.trace(`slot ${slot}: ${cmd.name} (0x${h2d.tf.command.toString(16)})${cmd.detail}`);
    this.tfdStatus = ATA_BUSY;
    const run = () => {
      try {
        this.runData(slot, hdr, cmd, segs);
      } catch (e) {
        // The command header went away under a running command (memory unplugged): a host bus error, not a crash.
        if (!(e instanceof GuestAccessError)) throw e;
        this.hostBusError(`slot ${slot}: ${e.message}`);
      }
    };
    if (cmd.media) {
      this.timer = env.sched.after(ATA_MEDIA_LATENCY_NS, `ahci port ${this.index}`, () => {
        this.timer = undefined;
        run();
      });
    } else {
      run();
    }
  }

  /** Moves the data phase, then ends the slot. */
  private runData(slot: number, hdr: number, cmd: AtaCommand, segs: SgSegment[]): void {
    const env = this.env;
    if (!env) return;
    if (cmd.protocol === 'non-data' || cmd.sectors === 0) {
      this.finishSlot(slot, hdr, cmd.finish(), 0, false);
      return;
    }
    const done = dmaTransfer(cmd, segs, env.mem);
    if (done.fault) {
      this.hostBusError(`slot ${slot}: ${done.fault.message}`);
      return;
    }
    if (done.short) {
      // The PRDs could not hold the data phase: overflow, a fatal port error (§6.1.2).
      this.trace(`slot ${slot}: PRDs hold ${done.bytes} of ${cmd.sectors * 512} bytes`);
      env.mem.write(hdr + AHCI_CMD_HDR_PRDBC, 4, done.bytes);
      this.tfdStatus = ATA_ERR;
      this.setIrq(PORT_IRQ_OVERFLOW);
      return;
    }
    const out = cmd.finish();
    if (cmd.protocol === 'pio-in') this.postFis(RX_FIS_PIO_SETUP, encodePioSetup(out.status, done.bytes));
    this.finishSlot(slot, hdr, out, done.bytes, done.intr, cmd.protocol === 'pio-in');
  }

  /** A device control FIS: SRST set starts a software reset, SRST clear ends it with the signature. */
  private controlFis(slot: number, dw0: number, control: number): void {
    if (control & ATA_SRST) {
      this.inSoftReset = true;
      this.tfdStatus = ATA_BUSY;
      this.trace(`slot ${slot}: SRST`);
      // No FIS answers the first half of the sequence; "clear busy upon R_OK" frees the slot,
      // otherwise it stays busy until the engine is stopped.
      if (!(dw0 & AHCI_CMD_CLR_BUSY)) return;
      this.ci &= ~(1 << slot);
      this.busySlot = -1;
      this.runCommands();
      return;
    }
    this.ci &= ~(1 << slot);
    this.busySlot = -1;
    if (this.inSoftReset) {
      this.inSoftReset = false;
      this.signatureSent = false;
      this.postSignature();
    }
    this.env?.irqChanged();
    this.runCommands();
  }

  /** Posts the D2H FIS of a finished command, updates PRDBC, PxTFD, PxIS and PxCI. */
  private finishSlot(slot: number, hdr: number, out: AtaOutput, bytes: number, prdIntr: boolean, pio = false): void {
    this.env?.mem.write(hdr + AHCI_CMD_HDR_PRDBC, 4, bytes);
    this.postD2h(out);
    let bits = PORT_IRQ_D2H_REG_FIS;
    if (pio) bits |= PORT_IRQ_PIOS_FIS;
    if (prdIntr) bits |= PORT_IRQ_SG_DONE;
    if (out.status & ATA_ERR) {
      // §6.1.2: the engine stops; PxCI keeps the failed slot until software clears ST.
      this.trace(`slot ${slot}: task file error status 0x${out.status.toString(16)} error 0x${out.error.toString(16)}`);
      this.setIrq(bits | PORT_IRQ_TF_ERR);
      return;
    }
    this.ci &= ~(1 << slot);
    this.busySlot = -1;
    this.setIrq(bits);
    this.runCommands();
  }

  private postD2h(out: AtaOutput): void {
    this.tfdStatus = out.status;
    this.tfdError = out.error;
    this.postFis(RX_FIS_D2H_REG, encodeD2h(out));
  }

  /** Copies a received FIS into the FIS area when FIS receive is enabled. */
  private postFis(offset: number, fis: Uint8Array): void {
    const env = this.env;
    if (!env || !(this.cmd & PORT_CMD_FIS_RX)) return;
    try {
      env.mem.writeBytes(this.fbu * 2 ** 32 + this.fb + offset, fis);
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.hostBusError(`FIS area: ${e.message}`);
    }
  }

  private hostBusError(why: string): void {
    this.trace(`host bus fatal error: ${why}`);
    this.timer?.cancel();
    this.timer = undefined;
    this.tfdStatus = ATA_ERR;
    this.setIrq(PORT_IRQ_HBUS_ERR);
  }

  private setIrq(bits: number): void {
    this.is = (this.is | bits) >>> 0;
    this.env?.irqChanged();
  }

  private trace(msg: string): void {
    const env = this.env;
    if (env) env.trace.emit(env.sched.now(), 'io', env.source, `ahci port ${this.index}: ${msg}`);
  }
}
