/**
 * ACPI fixed hardware as this PC exposes it, shared by the chipset models, firmware and the
 * guest's ACPI code: the PM1 event/control registers of the PIIX4 PM block (at the base
 * firmware hands over), the SMI command port that switches ACPI mode on, the reset register
 * (PIIX3's reset control at 0xCF9) and the FACS, whose waking vector is where firmware
 * resumes the OS from S3.
 */

/** PM1 status: PM timer carry (bit 23 of the counter toggled). */
export const ACPI_PM1_STS_TMR = 0x0001;
/** PM1 status: global lock release. */
export const ACPI_PM1_STS_GBL = 0x0020;
/** PM1 status: power button pressed. */
export const ACPI_PM1_STS_PWRBTN = 0x0100;
/** PM1 status: RTC alarm. */
export const ACPI_PM1_STS_RTC = 0x0400;
/** PM1 status: system woke from a sleep state. */
export const ACPI_PM1_STS_WAK = 0x8000;
/** PM1 enable: timer carry raises SCI. */
export const ACPI_PM1_EN_TMR = 0x0001;
/** PM1 enable: global lock. */
export const ACPI_PM1_EN_GBL = 0x0020;
/** PM1 enable: power button raises SCI. */
export const ACPI_PM1_EN_PWRBTN = 0x0100;
/** PM1 enable: RTC alarm. */
export const ACPI_PM1_EN_RTC = 0x0400;
/** PM1 enable bits that can raise SCI on this chipset. */
export const ACPI_PM1_COMMON_ENABLED = ACPI_PM1_EN_TMR | ACPI_PM1_EN_GBL | ACPI_PM1_EN_PWRBTN | ACPI_PM1_EN_RTC;
/** PM1 control: SCI (rather than SMI) delivery. */
export const ACPI_PM1_CNT_SCI_EN = 0x0001;
/** PM1 control: SLP_TYP field shift. */
export const ACPI_PM1_CNT_SLP_TYP_SHIFT = 10;
/** PM1 control: SLP_TYP field mask. */
export const ACPI_PM1_CNT_SLP_TYP_MASK = 0x1c00;
/** PM1 control: sleep enable (write-only, reads 0). */
export const ACPI_PM1_CNT_SLP_EN = 0x2000;
/** PM timer frequency in Hz. */
export const ACPI_PM_TIMER_FREQUENCY = 3_579_545;

/** Offset of PM1 status in the PM block. */
export const PIIX4_PM1_STS = 0;
/** Offset of PM1 enable. */
export const PIIX4_PM1_EN = 2;
/** Offset of PM1 control. */
export const PIIX4_PM1_CNT = 4;
/** Offset of the PM timer. */
export const PIIX4_PM_TMR = 8;

/** APM control port (ACPI SMI_CMD on this machine). */
export const APM_CNT_PORT = 0xb2;
/** SMI_CMD value that enables ACPI mode. */
export const ACPI_ENABLE_CMD = 0xf1;
/** SMI_CMD value that disables ACPI mode. */
export const ACPI_DISABLE_CMD = 0xf0;

/** The FADT reset register: PIIX3's reset control register in port space. */
export const ACPI_RESET_PORT = 0xcf9;
/** Reset control: full (not just CPU) reset when RST_CPU is written. */
export const PIIX_RCR_SYS_RST = 0x02;
/** Reset control: perform the reset. */
export const PIIX_RCR_RST_CPU = 0x04;
/** The FADT's reset value (SYS_RST | RST_CPU). */
export const ACPI_RESET_VALUE = PIIX_RCR_SYS_RST | PIIX_RCR_RST_CPU;

/** Guest-physical address of the FACS (just past the hand-off block, e820-reserved). */
export const ACPI_FACS_ADDRESS = 0x0009_0000;
/** Length of the FACS. */
export const ACPI_FACS_LENGTH = 64;
/** FACS signature. */
export const ACPI_FACS_SIGNATURE = 'FACS';
/** Offset of the 32-bit firmware waking vector (0: no resume). */
export const ACPI_FACS_WAKING_VECTOR = 12;
/** Offset of the FACS version byte. */
export const ACPI_FACS_VERSION_OFFSET = 32;
