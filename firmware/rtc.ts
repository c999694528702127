/**
 * Firmware's RTC and resume handling, as SeaBIOS does it at reset: the CMOS shutdown status
 * byte says whether this reset is a resume from S3 (the RTC leaves 0xFE there when the
 * machine suspends); if so and the OS left a waking vector in the FACS, firmware resumes the
 * OS through it instead of booting. On a normal boot it finds the clock (status D reads
 * "valid RAM and time"), programs status A and B, and lays out an empty FACS.
 */
import {
  ACPI_FACS_ADDRESS,
  ACPI_FACS_LENGTH,
  ACPI_FACS_SIGNATURE,
  ACPI_FACS_VERSION_OFFSET,
  ACPI_FACS_WAKING_VECTOR,
} from '../src/abi/acpi.js';
import {
  CMOS_SHUTDOWN_S3_RESUME,
  CMOS_SHUTDOWN_STATUS,
  RTC_A_DEFAULT,
  RTC_B_24H,
  RTC_B_DSE,
  RTC_D_VRT,
  RTC_DATA_PORT,
  RTC_INDEX_PORT,
  RTC_ISA_IRQ,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
} from '../src/abi/rtc.js';
import type { HandoffRtc } from '../src/abi/handoff.js';
import type { CpuBus } from '../src/machine/cpu-bus.js';

/** What the RTC/resume step found. */
export interface RtcSetup {
  /** The clock, when present. */
  rtc: HandoffRtc | undefined;
  /** The OS waking vector to resume through (a resume from S3), or undefined for a normal boot. */
  wakingVector: number | undefined;
}

function cmosRead(bus: CpuBus, index: number): number {
  bus.out(RTC_INDEX_PORT, 1, index);
  return bus.in(RTC_DATA_PORT, 1);
}

function cmosWrite(bus: CpuBus, index: number, value: number): void {
  bus.out(RTC_INDEX_PORT, 1, index);
  bus.out(RTC_DATA_PORT, 1, value);
}

/** Checks for a resume, then finds and programs the RTC; runs before PCI set-up. */
export function setupRtcAndResume(bus: CpuBus, log: (line: string) => void): RtcSetup {
  // An absent chip reads as the floating bus (0xFF); the real one reads exactly VRT.
  const present = cmosRead(bus, RTC_REG_D) === RTC_D_VRT;
  if (!present) {
    log('RTC: not found');
    return { rtc: undefined, wakingVector: undefined };
  }
  const rtc: HandoffRtc = { ioBase: RTC_INDEX_PORT, irq: RTC_ISA_IRQ };
  const status = cmosRead(bus, CMOS_SHUTDOWN_STATUS);
  if (status !== 0) cmosWrite(bus, CMOS_SHUTDOWN_STATUS, 0);
  if (status === CMOS_SHUTDOWN_S3_RESUME) {
    const vector = bus.load(ACPI_FACS_ADDRESS + ACPI_FACS_WAKING_VECTOR, 4);
    if (vector !== 0) {
      log(`S3 resume: waking vector 0x${vector.toString(16)}`);
      return { rtc, wakingVector: vector };
    }
    log('S3 resume requested, but no waking vector: booting');
  }
  cmosWrite(bus, RTC_REG_A, RTC_A_DEFAULT);
  cmosWrite(bus, RTC_REG_B, (cmosRead(bus, RTC_REG_B) & ~RTC_B_DSE) | RTC_B_24H);
  cmosRead(bus, RTC_REG_C);
  cmosRead(bus, RTC_REG_D);
  writeFacs(bus);
  return { rtc, wakingVector: undefined };
}

// A fresh FACS: signature, length, version 1, no waking vector.
function writeFacs(bus: CpuBus): void {
  const facs = new Uint8Array(ACPI_FACS_LENGTH);
  facs.set(new TextEncoder().encode(ACPI_FACS_SIGNATURE), 0);
  new DataView(facs.buffer).setUint32(4, ACPI_FACS_LENGTH, true);
  facs[ACPI_FACS_VERSION_OFFSET] = 1;
  bus.writeBytes(ACPI_FACS_ADDRESS, facs);
}
