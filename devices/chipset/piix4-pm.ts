/**
 * PIIX4 ACPI power-management function (`PIIX4_PM`, 00:01.3 on the `pc` machine). The PM
 * register block (PM1a event, PM1a control, PM timer) appears in port space at PMBA
 * (config 0x40, bits 15:6) while PMREGMISC (0x80) bit 0 is set; it is not a BAR, so
 * COMMAND.IO does not gate it. The SCI is wired straight to GSI 9. Writing SLP_EN hands
 * SLP_TYP to the machine, which decides what S-state that is (QEMU's DSDT for PIIX4 says
 * _S3 = 1, _S4 = s4_val, _S5 = 0). The APM control port 0xB2 is modelled only as far as
 * ACPI enable/disable (0xF1/0xF0 set/clear SCI_EN).
 */
import type { TimerHandle } from '../../src/core/scheduler.js';
import type { IrqLine } from '../../src/machine/interrupts.js';
import type { AccessSize, IoRegionOps, MappedRegion } from '../../src/memory/region.js';
import { OutOfRangeAccessError, RegionOverlapError } from '../../src/memory/errors.js';
import { PCI_CLASS_BRIDGE_OTHER, PCI_DEVICE_ID_INTEL_82371AB_3, PCI_STATUS, PCI_VENDOR_ID_INTEL } from '../../src/abi/pci.js';
import { hex } from '../pci/context.js';
import type { PciDeviceOptions } from '../pci/options.js';
import { PciFunction } from '../pci/pci-function.js';
import {
  ACPI_DISABLE_CMD,
  ACPI_ENABLE_CMD,
  ACPI_PM1_CNT_SCI_EN,
  ACPI_PM1_CNT_SLP_EN,
  ACPI_PM1_CNT_SLP_TYP_MASK,
  ACPI_PM1_CNT_SLP_TYP_SHIFT,
  ACPI_PM1_COMMON_ENABLED,
  ACPI_PM1_EN_PWRBTN,
  ACPI_PM1_EN_TMR,
  ACPI_PM1_STS_PWRBTN,
  ACPI_PM1_STS_RTC,
  ACPI_PM1_STS_TMR,
  ACPI_PM1_STS_WAK,
  ACPI_PM_TIMER_FREQUENCY,
  APM_CNT_PORT,
  PIIX4_PM1_CNT,
  PIIX4_PM1_EN,
  PIIX4_PM1_STS,
  PIIX4_PM_TMR,
} from '../../src/abi/acpi.js';

/** Config offset of PMBA (PM I/O base). */
export const PIIX4_PM_PMBA = 0x40;
/** Config offset of PMREGMISC (bit 0 enables the PM I/O block). */
export const PIIX4_PM_PMREGMISC = 0x80;
/** Address bits of PMBA. */
export const PIIX4_PM_PMBA_MASK = 0xffc0;
/** Size of the PM I/O block. */
export const PIIX4_PM_IO_SIZE = 64;
/** GSI of the SCI. */
export const PIIX4_SCI_GSI = 9;

/** Sleep states the machine may act on. */
export type AcpiSleepState = 'S3' | 'S4' | 'S5';

/** Why the system woke (QEMU's wakeup reasons that touch PM1 status). */
export type WakeReason = 'rtc' | 'pmtimer' | 'other';

/** PIIX4_PM properties. */
export interface Piix4PmOptions extends PciDeviceOptions {
  /** Drop _S3 from the ACPI tables (register behaviour is unchanged, as in QEMU). */
  disable_s3?: number;
  /** Drop _S4 from the ACPI tables. */
  disable_s4?: number;
  /** SLP_TYP value that means S4 (default 2). */
  s4_val?: number;
  /** Machine callback for SLP_EN writes, with the SLP_TYP written. */
  onSleep?: (slpTyp: number) => void;
  /** Map the APM control/status ports 0xB2-0xB3 (default true). */
  apm?: boolean;
  /** SCI_EN set at reset (QEMU does so only when the machine has no SMM). */
  acpiOnly?: boolean;
}

const TICKS_PER_SEC = BigInt(ACPI_PM_TIMER_FREQUENCY);
const NS_PER_SEC = 1_000_000_000n;

/** The PIIX4 ACPI PM function. */
export class Piix4Pm extends PciFunction {
  /** QEMU type name. */
  static readonly typeName = 'PIIX4_PM';
  /** disable_s3 property. */
  readonly disableS3: number;
  /** disable_s4 property. */
  readonly disableS4: number;
  /** s4_val property. */
  readonly s4Val: number;
  private onSleep: ((slpTyp: number) => void) | undefined;
  private readonly mapApm: boolean;
  private readonly acpiOnly: boolean;
  private sts = 0;
  private en = 0;
  private cnt = 0;
  // PM timer value (in ticks) at which TMR_STS next sets.
  private overflowTicks = 0;
  private overflowTimer: TimerHandle | undefined;
  private sci: IrqLine | undefined;
  private pmRegion: MappedRegion | undefined;
  private apmRegion: MappedRegion | undefined;
  private apmStatus = 0;

  /** Creates the function with QEMU's property defaults. */
  constructor(opts: Piix4PmOptions = {}) {
    super(Piix4Pm.typeName, { vendorId: PCI_VENDOR_ID_INTEL, deviceId: PCI_DEVICE_ID_INTEL_82371AB_3, classCode: PCI_CLASS_BRIDGE_OTHER, revision: 0x03, interruptPin: 1 }, opts);
    this.disableS3 = opts.disable_s3 ?? 0;
    this.disableS4 = opts.disable_s4 ?? 0;
    this.s4Val = opts.s4_val ?? 2;
    this.onSleep = opts.onSleep;
    this.mapApm = opts.apm !== false;
    this.acpiOnly = opts.acpiOnly === true;
    const c = this.config;
    c.set16(PCI_STATUS, 0x0280);
    c.set8(0x90, 0x01);
    c.set8(0xd2, 0x09);
    this.applyResetValues();
  }

  /** Installs (or replaces) the machine's sleep callback. */
  setSleepHandler(cb: ((slpTyp: number) => void) | undefined): void {
    this.onSleep = cb;
  }

  /** The S-state QEMU enters for a SLP_TYP value: 0 = S5, 1 = S3, s4_val = S4, others none. */
  sleepStateFor(slpTyp: number): AcpiSleepState | undefined {
    if (slpTyp === 0) return 'S5';
    if (slpTyp === 1) return 'S3';
    return slpTyp === this.s4Val ? 'S4' : undefined;
  }

  /** SLP_TYP values the DSDT advertises, as QEMU builds it for PIIX4 (absent = state not offered). */
  acpiSleepTypes(): Partial<Record<AcpiSleepState, number>> {
    return { ...(this.disableS3 ? {} : { S3: 1 }), ...(this.disableS4 ? {} : { S4: this.s4Val }), S5: 0 };
  }

  /** PM I/O base as programmed (bits 15:6 of PMBA). */
  pmBase(): number {
    return this.config.get32(PIIX4_PM_PMBA) & PIIX4_PM_PMBA_MASK;
  }

  /** Whether the PM I/O block is mapped. */
  pmIoMapped(): boolean {
    return this.pmRegion !== undefined;
  }

  /** PM1 status as the guest would read it. */
  pm1Status(): number {
    this.updateTimerStatus();
    return this.sts;
  }

  /** PM1 enable. */
  pm1Enable(): number {
    return this.en;
  }

  /** PM1 control (SLP_EN never reads back). */
  pm1Control(): number {
    return this.cnt;
  }

  /** The 24-bit PM timer at the current virtual time. */
  pmTimer(): number {
    return this.ticks() % 0x100_0000;
  }

  /** Current SCI level. */
  sciLevel(): boolean {
    return ((this.pm1Status() & this.en & ACPI_PM1_COMMON_ENABLED) !== 0);
  }

  /** Power button press: signalled only when PWRBTN_EN is set (QEMU drops it otherwise). Returns whether it was. */
  powerButton(): boolean {
    this.traceMachine('power button');
    if (!(this.en & ACPI_PM1_EN_PWRBTN)) return false;
    this.sts |= ACPI_PM1_STS_PWRBTN;
    this.updateSci();
    return true;
  }

  /** Wake from a sleep state: WAK_STS plus the reason's status bit; call after the machine's wake-up reset. */
  resume(reason: WakeReason = 'other'): void {
    const extra = reason === 'rtc' ? ACPI_PM1_STS_RTC : reason === 'pmtimer' ? ACPI_PM1_STS_TMR : ACPI_PM1_STS_PWRBTN;
    this.sts |= ACPI_PM1_STS_WAK | extra;
    this.traceMachine(`resume (${reason})`);
    this.updateSci();
  }

  /** Sets the LPT/serial presence bits QEMU fills in when the machine is complete. */
  machineReady(): void {
    const ctx = this.context();
    const present = (port: number) => ctx?.io.regions().some((r) => port >= r.base && port < r.base + r.size) ?? false;
    this.config.set8(0x5f, 0x10 | (present(0x378) ? 0x80 : 0));
    this.config.set8(0x63, 0x60);
    this.config.set8(0x67, (present(0x3f8) ? 0x08 : 0) | (present(0x2f8) ? 0x90 : 0));
  }

  /** Gets the SCI line and the APM ports; maps the PM block if already enabled. */
  protected override realize(): void {
    const ctx = this.ctx;
    this.sci = ctx.interrupts.line(PIIX4_SCI_GSI);
    if (this.mapApm) {
      this.apmRegion = this.tryMap(APM_CNT_PORT, 2, {
        read: (off) => (off === 0 ? 0 : this.apmStatus),
        write: (off, _size, value) => this.apmWrite(off, value & 0xff),
      });
    }
    this.updatePmIo();
    this.updateSci();
  }

  /** Releases ports, timer and SCI. */
  protected override unrealize(): void {
    const ctx = this.ctx;
    if (this.pmRegion) ctx.io.unmap(this.pmRegion);
    if (this.apmRegion) ctx.io.unmap(this.apmRegion);
    this.pmRegion = this.apmRegion = undefined;
    this.overflowTimer?.cancel();
    this.sci?.set(false);
  }

  /** PMBA / PMREGMISC writes move or toggle the PM block. */
  protected override onConfigWritten(reg: number, size: number): void {
    if ((reg <= PIIX4_PM_PMREGMISC && PIIX4_PM_PMREGMISC < reg + size) || (reg < PIIX4_PM_PMBA + 4 && PIIX4_PM_PMBA < reg + size)) this.updatePmIo();
  }

  /** QEMU's PIIX4_PM reset: PMBA 0x01, block disabled, PM1 registers and timer cleared. */
  protected override onReset(): void {
    this.applyResetValues();
    this.sts = this.en = 0;
    this.cnt = this.acpiOnly ? ACPI_PM1_CNT_SCI_EN : 0;
    this.overflowTicks = 0;
    this.overflowTimer?.cancel();
    this.overflowTimer = undefined;
    this.updatePmIo();
    this.updateSci();
  }

  private applyResetValues(): void {
    const c = this.config;
    for (const off of [0x58, 0x59, 0x5a]) c.set8(off, 0);
    c.set8(0x5b, 0x02);
    c.set32(PIIX4_PM_PMBA, 0x01);
    c.set8(PIIX4_PM_PMREGMISC, 0);
    if (this.acpiOnly) this.cnt |= ACPI_PM1_CNT_SCI_EN;
  }

  private updatePmIo(): void {
    const ctx = this.context();
    if (!ctx) return;
    const enabled = (this.config.get8(PIIX4_PM_PMREGMISC) & 1) !== 0;
    const base = this.pmBase();
    if (this.pmRegion && enabled && this.pmRegion.base === base) return;
    if (this.pmRegion) {
      ctx.io.unmap(this.pmRegion);
      ctx.trace.emit(ctx.sched.now(), 'pci', this.traceSource(), `PM I/O block unmapped from ${hex(this.pmRegion.base)}`);
      this.pmRegion = undefined;
    }
    if (!enabled) return;
    this.pmRegion = this.tryMap(base, PIIX4_PM_IO_SIZE, {
      read: (off, size) => this.pmRead(off, size),
      peek: (off, size) => this.pmRead(off, size),
      write: (off, size, value) => this.pmWrite(off, size, value),
    });
    if (this.pmRegion) ctx.trace.emit(ctx.sched.now(), 'pci', this.traceSource(), `PM I/O block mapped at ${hex(base)}`);
  }

  private tryMap(base: number, size: number, ops: IoRegionOps): MappedRegion | undefined {
    const ctx = this.ctx;
    try {
      return ctx.io.map(`${Piix4Pm.typeName} ${hex(base)}`, base, size, ops);
    } catch (e) {
      if (!(e instanceof RegionOverlapError) && !(e instanceof OutOfRangeAccessError)) throw e;
      ctx.trace.emit(ctx.sched.now(), 'pci', this.traceSource(), `ports ${hex(base)}+${size} left unmapped: ${e.message}`);
      return undefined;
    }
  }

  private pmRead(off: number, size: AccessSize): number {
    const regs = [this.pm1Status(), this.en, this.cnt];
    const tmr = this.pmTimer();
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const o = off + i;
      const byte = o < 6 ? (regs[o >> 1]! >>> (8 * (o & 1))) & 0xff : o >= PIIX4_PM_TMR && o < PIIX4_PM_TMR + 4 ? (tmr >>> (8 * (o - PIIX4_PM_TMR))) & 0xff : 0;
      v = v * 256 + byte;
    }
    return v;
  }

  private pmWrite(off: number, size: AccessSize, value: number): void {
    for (const reg of [PIIX4_PM1_STS, PIIX4_PM1_EN, PIIX4_PM1_CNT]) {
      if (!(off < reg + 2 && reg < off + size)) continue;
      // Shift the access onto this 16-bit register and keep only the lanes it covers.
      let lanes = 0;
      let v = 0;
      for (let b = 0; b < 2; b++) {
        const i = reg + b - off;
        if (i < 0 || i >= size) continue;
        lanes |= 0xff << (8 * b);
        v |= ((value >>> (8 * i)) & 0xff) << (8 * b);
      }
      if (reg === PIIX4_PM1_STS) this.writeStatus(v & lanes);
      else if (reg === PIIX4_PM1_EN) this.writeEnable((this.en & ~lanes) | (v & lanes));
      else this.writeControl((this.cnt & ~lanes) | (v & lanes));
    }
  }

  private writeStatus(v: number): void {
    const cur = this.pm1Status();
    if (cur & v & ACPI_PM1_STS_TMR) this.overflowTicks = this.nextOverflow();
    this.sts &= ~v;
    this.updateSci();
  }

  private writeEnable(v: number): void {
    this.en = v & 0xffff;
    this.updateSci();
  }

  private writeControl(v: number): void {
    this.cnt = v & ~ACPI_PM1_CNT_SLP_EN & 0xffff;
    if (!(v & ACPI_PM1_CNT_SLP_EN)) return;
    const typ = (v & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
    const state = this.sleepStateFor(typ);
    this.traceMachine(`SLP_EN with SLP_TYP ${typ}${state ? ` (${state})` : ''}`);
    this.onSleep?.(typ);
  }

  private apmWrite(off: number, value: number): void {
    if (off === 1) {
      this.apmStatus = value;
      return;
    }
    if (value === ACPI_ENABLE_CMD) this.cnt |= ACPI_PM1_CNT_SCI_EN;
    else if (value === ACPI_DISABLE_CMD) this.cnt &= ~ACPI_PM1_CNT_SCI_EN;
  }

  private ticks(): number {
    const ctx = this.context();
    const ns = ctx ? ctx.sched.now() : 0;
    return Number((BigInt(ns) * TICKS_PER_SEC) / NS_PER_SEC);
  }

  private nextOverflow(): number {
    return Math.floor((this.ticks() + 0x80_0000) / 0x80_0000) * 0x80_0000;
  }

  private updateTimerStatus(): void {
    if (this.ticks() >= this.overflowTicks) this.sts |= ACPI_PM1_STS_TMR;
  }

  private updateSci(): void {
    const ctx = this.context();
    if (!ctx) return;
    const sts = this.pm1Status();
    this.sci?.set((sts & this.en & ACPI_PM1_COMMON_ENABLED) !== 0);
    this.overflowTimer?.cancel();
    this.overflowTimer = undefined;
    if (this.en & ACPI_PM1_EN_TMR && !(sts & ACPI_PM1_STS_TMR)) {
      // First nanosecond at which the counter reaches the carry point.
      const at = Number((BigInt(this.overflowTicks) * NS_PER_SEC + TICKS_PER_SEC - 1n) / TICKS_PER_SEC);
      this.overflowTimer = ctx.sched.at(at, 'pm-timer-carry', () => {
        this.overflowTimer = undefined;
        this.updateSci();
      });
    }
  }

  private traceMachine(message: string): void {
    const ctx = this.context();
    ctx?.trace.emit(ctx.sched.now(), 'machine', this.traceSource(), message);
  }
}
