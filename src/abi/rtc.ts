/**
 * The MC146818 real-time clock and CMOS RAM as a PC decodes it: an index port and a data
 * port, fourteen clock registers followed by battery-backed RAM. Shared by the device model
 * (devices/rtc), firmware and the guest's rtc-cmos driver.
 */

/** Index port: bits 6-0 select a register, bit 7 masks NMI on real boards. */
export const RTC_INDEX_PORT = 0x70;
/** Data port. */
export const RTC_DATA_PORT = 0x71;
/** Ports the RTC decodes from RTC_INDEX_PORT. */
export const RTC_PORT_COUNT = 2;
/** Bits of the index byte that select a register. */
export const RTC_INDEX_MASK = 0x7f;
/** Index bit that disables NMI (ignored by the clock itself). */
export const RTC_NMI_DISABLE = 0x80;
/** ISA IRQ (and GSI on this machine) of the RTC. */
export const RTC_ISA_IRQ = 8;
/** Bytes of CMOS, clock registers included. */
export const CMOS_SIZE = 128;
/** ACPI/PNP id of the device (what Linux's rtc_cmos binds to). */
export const RTC_PNP_ID = 'PNP0b00';

/** Seconds. */
export const RTC_SECONDS = 0x00;
/** Seconds alarm. */
export const RTC_SECONDS_ALARM = 0x01;
/** Minutes. */
export const RTC_MINUTES = 0x02;
/** Minutes alarm. */
export const RTC_MINUTES_ALARM = 0x03;
/** Hours (bit 7 = PM in 12-hour mode). */
export const RTC_HOURS = 0x04;
/** Hours alarm. */
export const RTC_HOURS_ALARM = 0x05;
/** Day of week, 1 = Sunday. */
export const RTC_DAY_OF_WEEK = 0x06;
/** Day of month 1-31. */
export const RTC_DAY_OF_MONTH = 0x07;
/** Month 1-12. */
export const RTC_MONTH = 0x08;
/** Year within the century 0-99. */
export const RTC_YEAR = 0x09;
/** Status register A: UIP, divider, rate select. */
export const RTC_REG_A = 0x0a;
/** Status register B: SET, interrupt enables, data mode, 24/12. */
export const RTC_REG_B = 0x0b;
/** Status register C: interrupt flags, cleared by reading. */
export const RTC_REG_C = 0x0c;
/** Status register D: valid RAM and time. */
export const RTC_REG_D = 0x0d;
/** CMOS shutdown status byte: why the CPU was reset (0xFE = resume from S3). */
export const CMOS_SHUTDOWN_STATUS = 0x0f;
/** Century in the same encoding as the year (the IBM PC/AT location QEMU keeps it at). */
export const RTC_CENTURY = 0x32;
/** First index that is plain RAM after the clock registers. */
export const CMOS_FIRST_RAM = 0x0e;

/** A: update in progress (read-only); set 244 µs before each update. */
export const RTC_A_UIP = 0x80;
/** A: divider field. */
export const RTC_A_DV_MASK = 0x70;
/** A: divider value for a 32.768 kHz time base (time runs). */
export const RTC_A_DV_32KHZ = 0x20;
/** A: the two divider values that hold the chain in reset (time stands still). */
export const RTC_A_DV_RESET1 = 0x60;
/** A: second divider-reset value (Linux's RTC_DIV_RESET2). */
export const RTC_A_DV_RESET2 = 0x70;
/** A: rate-select field of the periodic interrupt. */
export const RTC_A_RS_MASK = 0x0f;
/** A: value firmware programs (32.768 kHz base, 1024 Hz periodic rate). */
export const RTC_A_DEFAULT = 0x26;

/** B: SET, updates inhibited so software can write the time. */
export const RTC_B_SET = 0x80;
/** B: periodic interrupt enable. */
export const RTC_B_PIE = 0x40;
/** B: alarm interrupt enable. */
export const RTC_B_AIE = 0x20;
/** B: update-ended interrupt enable. */
export const RTC_B_UIE = 0x10;
/** B: square-wave enable (no pin here). */
export const RTC_B_SQWE = 0x08;
/** B: binary (rather than BCD) data mode. */
export const RTC_B_DM_BINARY = 0x04;
/** B: 24-hour (rather than 12-hour) mode. */
export const RTC_B_24H = 0x02;
/** B: daylight-saving enable (not modelled). */
export const RTC_B_DSE = 0x01;
/** B: value at power-on (BCD, 24-hour). */
export const RTC_B_DEFAULT = RTC_B_24H;

/** C: an enabled flag is set, IRQ asserted. */
export const RTC_C_IRQF = 0x80;
/** C: periodic flag. */
export const RTC_C_PF = 0x40;
/** C: alarm flag. */
export const RTC_C_AF = 0x20;
/** C: update-ended flag. */
export const RTC_C_UF = 0x10;

/** D: valid RAM and time (battery good). */
export const RTC_D_VRT = 0x80;

/** Hours register bit 7 in 12-hour mode: PM. */
export const RTC_HOURS_PM = 0x80;
/** Alarm register values with both top bits set match any value ("don't care"). */
export const RTC_ALARM_DONT_CARE = 0xc0;
/** CMOS_SHUTDOWN_STATUS value meaning "resume from S3 through the OS waking vector". */
export const CMOS_SHUTDOWN_S3_RESUME = 0xfe;

/** How long before an update UIP reads 1 (eight cycles of the 32.768 kHz base). */
export const RTC_UIP_HOLD_NS = Math.round((8 * 1e9) / 32768);

/** Periodic interrupt period in ns for a rate-select value (0: off). Rates 1 and 2 alias 8 and 9. */
export function rtcPeriodicNs(rs: number): number {
  const r = rs & RTC_A_RS_MASK;
  if (r === 0) return 0;
  const eff = r <= 2 ? r + 7 : r;
  return Math.round((1e9 * (1 << (eff - 1))) / 32768);
}

/** BCD byte → value (no validation: bad nibbles decode arithmetically, as the chip's comparators see them). */
export function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0x0f);
}

/** Value 0-99 → BCD byte. */
export function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | v % 10;
}
