/**
 * The frame information structures an AHCI port exchanges with its device (SATA 3.x
 * §10.3): decoding the host-to-device register FIS a command table carries into an ATA
 * taskfile, and encoding the device-to-host register and PIO setup FISes the HBA posts to
 * the received-FIS area.
 */
import {
  FIS_D2H,
  FIS_H2D,
  FIS_H2D_CMD,
  FIS_INTR,
  FIS_PIO_D2H,
  FIS_PIO_SETUP_SIZE,
  FIS_REG_SIZE,
  FIS_TYPE_PIO_SETUP,
  FIS_TYPE_REG_D2H,
} from '../../src/abi/ahci.js';
import type { AtaOutput, AtaTaskfile } from '../ata/taskfile.js';

/** A decoded H2D register FIS. */
export interface H2dFis {
  /** C bit: a command (false: a device control update). */
  isCommand: boolean;
  /** The taskfile. */
  tf: AtaTaskfile;
  /** Device control byte (SRST, nIEN). */
  control: number;
}

/** Decodes an H2D register FIS (caller checks the type byte). */
export function decodeH2d(f: Uint8Array): H2dFis {
  const b = (i: number) => f[i] ?? 0;
  const lbaLow = b(FIS_H2D.lba0) | (b(FIS_H2D.lba1) << 8) | (b(FIS_H2D.lba2) << 16);
  const lbaHigh = b(FIS_H2D.lba3) | (b(FIS_H2D.lba4) << 8) | (b(FIS_H2D.lba5) << 16);
  return {
    isCommand: (b(1) & FIS_H2D_CMD) !== 0,
    control: b(FIS_H2D.control),
    tf: {
      command: b(FIS_H2D.command),
      features: b(FIS_H2D.features) | (b(FIS_H2D.featuresExp) << 8),
      count: b(FIS_H2D.count) | (b(FIS_H2D.countExp) << 8),
      lba: lbaHigh * 2 ** 24 + lbaLow,
      device: b(FIS_H2D.device),
    },
  };
}

/** Encodes a D2H register FIS carrying `out` (interrupt bit set). */
export function encodeD2h(out: AtaOutput): Uint8Array {
  const f = new Uint8Array(FIS_REG_SIZE);
  f[0] = FIS_TYPE_REG_D2H;
  f[1] = FIS_INTR;
  f[FIS_D2H.status] = out.status;
  f[FIS_D2H.error] = out.error;
  const lba = out.lba ?? 0;
  f[FIS_D2H.lba0] = lba & 0xff;
  f[FIS_D2H.lba1] = Math.floor(lba / 0x100) & 0xff;
  f[FIS_D2H.lba2] = Math.floor(lba / 0x10000) & 0xff;
  f[FIS_D2H.device] = out.device ?? 0;
  f[FIS_D2H.lba3] = Math.floor(lba / 2 ** 24) & 0xff;
  f[FIS_D2H.lba4] = Math.floor(lba / 2 ** 32) & 0xff;
  f[FIS_D2H.lba5] = Math.floor(lba / 2 ** 40) & 0xff;
  const count = out.count ?? 0;
  f[FIS_D2H.count] = count & 0xff;
  f[FIS_D2H.countExp] = (count >> 8) & 0xff;
  return f;
}

/** Encodes the PIO setup FIS that precedes a PIO data-in transfer of `bytes`. */
export function encodePioSetup(status: number, bytes: number): Uint8Array {
  const f = new Uint8Array(FIS_PIO_SETUP_SIZE);
  f[0] = FIS_TYPE_PIO_SETUP;
  f[1] = FIS_PIO_D2H | FIS_INTR;
  f[2] = status;
  f[15] = status; // E_Status: the status once the transfer is done
  f[16] = bytes & 0xff;
  f[17] = (bytes >> 8) & 0xff;
  return f;
}
