/**
 * The guest's ACPI fixed-hardware code, from what firmware handed over (PM block base, SCI,
 * the \_Sx packages, the FACS): switching ACPI mode on through SMI_CMD, the power-button event
 * on the SCI, entering a sleep state (SLP_TYP, then SLP_TYP | SLP_EN, as Linux writes
 * PM1a_CNT), the reset register, and the FACS waking vector.
 */
import type { Handoff, HandoffSleepState } from '../../abi/handoff.js';
import {
  ACPI_ENABLE_CMD,
  ACPI_FACS_WAKING_VECTOR,
  ACPI_PM1_CNT_SCI_EN,
  ACPI_PM1_CNT_SLP_EN,
  ACPI_PM1_CNT_SLP_TYP_MASK,
  ACPI_PM1_CNT_SLP_TYP_SHIFT,
  ACPI_PM1_EN_PWRBTN,
  ACPI_PM1_STS_PWRBTN,
  ACPI_RESET_PORT,
  ACPI_RESET_VALUE,
  APM_CNT_PORT,
  PIIX4_PM1_CNT,
  PIIX4_PM1_EN,
  PIIX4_PM1_STS,
  PIIX_RCR_SYS_RST,
} from '../../abi/acpi.js';
import { GSI_VECTOR_BASE } from '../../abi/interrupts.js';
import type { CpuBus } from '../../machine/cpu-bus.js';

/** PM1 status bits that are write-one-to-clear events (everything the register defines). */
const PM1_STS_ALL = 0xffff;

/** Sleep states the firmware describes. */
export type AcpiSleepState = 'S3' | 'S4' | 'S5';

/** ACPI as the guest kernel drives it. */
export class AcpiFixedHardware {
  /** PM block base (0: firmware found no ACPI PM function). */
  readonly pmBase: number;
  /** GSI of the SCI. */
  readonly sciGsi: number;
  private readonly sleep: Handoff['sleep'];
  private readonly facs: number | undefined;

  /** Reads the facts from the hand-off; call enable() to take the hardware. */
  constructor(
    private readonly bus: CpuBus,
    handoff: Handoff,
  ) {
    this.pmBase = handoff.acpi.pmBase;
    this.sciGsi = handoff.acpi.sciGsi;
    this.sleep = handoff.sleep;
    this.facs = handoff.facs;
  }

  /** Whether there is a PM block to drive. */
  get present(): boolean {
    return this.pmBase !== 0;
  }

  /** The vector the SCI arrives on. */
  get sciVector(): number {
    return GSI_VECTOR_BASE + this.sciGsi;
  }

  /** The \_Sx package of a state, when firmware offers it. */
  state(s: AcpiSleepState): HandoffSleepState | undefined {
    const st = s === 'S3' ? this.sleep.s3 : s === 'S4' ? this.sleep.s4 : this.sleep.s5;
    return st.enabled ? st : undefined;
  }

  /** ACPI mode on (SCI_EN via SMI_CMD if firmware left it off), stale events cleared, power button armed. */
  enable(): void {
    if (!this.present) return;
    if (!(this.bus.in(this.pmBase + PIIX4_PM1_CNT, 2) & ACPI_PM1_CNT_SCI_EN)) this.bus.out(APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    this.bus.out(this.pmBase + PIIX4_PM1_STS, 2, PM1_STS_ALL);
    this.bus.out(this.pmBase + PIIX4_PM1_EN, 2, ACPI_PM1_EN_PWRBTN);
  }

  /** Handles the SCI's fixed events; returns whether the power button was pressed. */
  takeEvents(): { powerButton: boolean } {
    const sts = this.bus.in(this.pmBase + PIIX4_PM1_STS, 2);
    const en = this.bus.in(this.pmBase + PIIX4_PM1_EN, 2);
    const mine = sts & en;
    if (mine) this.bus.out(this.pmBase + PIIX4_PM1_STS, 2, mine);
    return { powerButton: (mine & ACPI_PM1_STS_PWRBTN) !== 0 };
  }

  /** Writes SLP_TYP, then SLP_TYP with SLP_EN: the platform enters the state (and may never return). */
  enterSleep(s: AcpiSleepState): void {
    const st = s === 'S3' ? this.sleep.s3 : s === 'S4' ? this.sleep.s4 : this.sleep.s5;
    const cnt = this.bus.in(this.pmBase + PIIX4_PM1_CNT, 2) & ~(ACPI_PM1_CNT_SLP_TYP_MASK | ACPI_PM1_CNT_SLP_EN);
    const typ = (st.slpTyp << ACPI_PM1_CNT_SLP_TYP_SHIFT) & ACPI_PM1_CNT_SLP_TYP_MASK;
    this.bus.out(this.pmBase + PIIX4_PM1_CNT, 2, cnt | typ);
    this.bus.out(this.pmBase + PIIX4_PM1_CNT, 2, cnt | typ | ACPI_PM1_CNT_SLP_EN);
  }

  /** The reset register (PIIX3's 0xCF9): select a full reset, then request it. */
  reset(): void {
    this.bus.out(ACPI_RESET_PORT, 1, PIIX_RCR_SYS_RST);
    this.bus.out(ACPI_RESET_PORT, 1, ACPI_RESET_VALUE);
  }

  /** Sets the FACS firmware waking vector (0: no resume). */
  setWakingVector(v: number): void {
    if (this.facs !== undefined) this.bus.store(this.facs + ACPI_FACS_WAKING_VECTOR, 4, v >>> 0);
  }
}
