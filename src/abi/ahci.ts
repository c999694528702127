/**
 * AHCI ABI (Serial ATA AHCI 1.3 §3-4) shared by the ich9-ahci model and the guest's ahci
 * driver: generic host control and port registers with their bits, the command list
 * header, command table and PRD layout, the received-FIS area, and the FIS types the HBA
 * exchanges with a SATA device (SATA 3.x §10.3).
 */

/** ABAR (BAR5) size of QEMU's ich9-ahci. */
export const AHCI_ABAR_SIZE = 0x1000;
/** BAR holding the ABAR. */
export const AHCI_ABAR_BAR = 5;
/** BAR holding the index/data pair (I/O). */
export const AHCI_IDP_BAR = 4;
/** Size of the index/data pair window. */
export const AHCI_IDP_SIZE = 0x20;
/** Index register of the index/data pair. */
export const AHCI_IDP_INDEX = 0;
/** Data register of the index/data pair. */
export const AHCI_IDP_DATA = 4;
/** Ports of ich9-ahci. */
export const AHCI_ICH9_PORTS = 6;
/** Command slots per port (CAP.NCS + 1). */
export const AHCI_MAX_CMDS = 32;
/** PCI programming interface of an AHCI 1.0 HBA (class 0x0106). */
export const AHCI_PROGIF = 0x01;
/** PCI capability id of the Serial ATA capability. */
export const PCI_CAP_ID_SATA = 0x12;
/** Where ich9-ahci places its MSI capability. */
export const ICH9_MSI_CAP_OFFSET = 0x80;
/** Where ich9-ahci places its SATA capability. */
export const ICH9_SATA_CAP_OFFSET = 0xa8;
/** ICH9 address map register: bit 6 selects AHCI mode. */
export const ICH9_MAP = 0x90;
/** Revision id of QEMU's ich9-ahci. */
export const ICH9_AHCI_REVISION = 0x02;

// --- Generic host control (§3.1) ------------------------------------------------------

/** Host capabilities. */
export const HOST_CAP = 0x00;
/** Global host control. */
export const HOST_CTL = 0x04;
/** Interrupt status: one bit per port (write one to clear). */
export const HOST_IRQ_STAT = 0x08;
/** Ports implemented. */
export const HOST_PORTS_IMPL = 0x0c;
/** AHCI version. */
export const HOST_VERSION = 0x10;
/** Host capabilities extended. */
export const HOST_CAP2 = 0x24;
/** Offset of port 0's registers. */
export const AHCI_PORT_BASE = 0x100;
/** Bytes of registers per port. */
export const AHCI_PORT_SIZE = 0x80;

/** CAP: 64-bit addressing. */
export const HOST_CAP_64 = 1 << 31;
/** CAP: native command queuing. */
export const HOST_CAP_NCQ = 1 << 30;
/** CAP: AHCI mode only (GHC.AE reads as one). */
export const HOST_CAP_AHCI_ONLY = 1 << 18;
/** CAP: interface speed field shift (1 = Gen1). */
export const HOST_CAP_ISS_SHIFT = 20;
/** CAP: number of command slots field shift (slots - 1). */
export const HOST_CAP_NCS_SHIFT = 8;
/** CAP: number of ports mask (ports - 1). */
export const HOST_CAP_NP_MASK = 0x1f;
/** GHC: HBA reset (self-clearing). */
export const HOST_CTL_RESET = 1 << 0;
/** GHC: interrupt enable. */
export const HOST_CTL_IRQ_EN = 1 << 1;
/** GHC: AHCI enable. */
export const HOST_CTL_AHCI_EN = 1 << 31;
/** VS of QEMU's HBA: AHCI 1.0. */
export const AHCI_VERSION_1_0 = 0x0001_0000;

// --- Port registers (§3.3), offsets inside a port's block -------------------------------

/** Command list base (1 KiB aligned). */
export const PORT_LST_ADDR = 0x00;
/** Command list base, upper 32 bits. */
export const PORT_LST_ADDR_HI = 0x04;
/** Received-FIS base (256-byte aligned). */
export const PORT_FIS_ADDR = 0x08;
/** Received-FIS base, upper 32 bits. */
export const PORT_FIS_ADDR_HI = 0x0c;
/** Interrupt status (write one to clear). */
export const PORT_IRQ_STAT = 0x10;
/** Interrupt enable. */
export const PORT_IRQ_MASK = 0x14;
/** Command and status. */
export const PORT_CMD = 0x18;
/** Task file data: status in bits 7:0, error in 15:8. */
export const PORT_TFDATA = 0x20;
/** Signature of the attached device. */
export const PORT_SIG = 0x24;
/** SStatus. */
export const PORT_SCR_STAT = 0x28;
/** SControl. */
export const PORT_SCR_CTL = 0x2c;
/** SError (write one to clear). */
export const PORT_SCR_ERR = 0x30;
/** SActive (NCQ tags). */
export const PORT_SCR_ACT = 0x34;
/** Command issue. */
export const PORT_CMD_ISSUE = 0x38;
/** SNotification. */
export const PORT_SCR_NTF = 0x3c;

/** PxIS/PxIE: device-to-host register FIS received. */
export const PORT_IRQ_D2H_REG_FIS = 1 << 0;
/** PxIS/PxIE: PIO setup FIS received. */
export const PORT_IRQ_PIOS_FIS = 1 << 1;
/** PxIS/PxIE: DMA setup FIS received. */
export const PORT_IRQ_DMAS_FIS = 1 << 2;
/** PxIS/PxIE: set device bits FIS received. */
export const PORT_IRQ_SDB_FIS = 1 << 3;
/** PxIS/PxIE: a PRD with the I bit was processed. */
export const PORT_IRQ_SG_DONE = 1 << 5;
/** PxIS/PxIE: port connect change. */
export const PORT_IRQ_CONNECT = 1 << 6;
/** PxIS/PxIE: PhyRdy change. */
export const PORT_IRQ_PHYRDY = 1 << 22;
/** PxIS/PxIE: overflow (the PRDs could not hold the data). */
export const PORT_IRQ_OVERFLOW = 1 << 24;
/** PxIS/PxIE: interface non-fatal error. */
export const PORT_IRQ_IF_NONFATAL = 1 << 26;
/** PxIS/PxIE: interface fatal error. */
export const PORT_IRQ_IF_ERR = 1 << 27;
/** PxIS/PxIE: host bus data error. */
export const PORT_IRQ_HBUS_DATA_ERR = 1 << 28;
/** PxIS/PxIE: host bus fatal error (a command list/table/PRD address outside RAM). */
export const PORT_IRQ_HBUS_ERR = 1 << 29;
/** PxIS/PxIE: task file error (status ERR in a D2H FIS). */
export const PORT_IRQ_TF_ERR = 1 << 30;
/** PxIS bits that stop the command engine (AHCI 1.3 §6.1.2). */
export const PORT_IRQ_FATAL = PORT_IRQ_TF_ERR | PORT_IRQ_HBUS_ERR | PORT_IRQ_HBUS_DATA_ERR | PORT_IRQ_IF_ERR | PORT_IRQ_OVERFLOW;

/** PxCMD: start (process the command list). */
export const PORT_CMD_START = 1 << 0;
/** PxCMD: spin-up device. */
export const PORT_CMD_SPIN_UP = 1 << 1;
/** PxCMD: power on device. */
export const PORT_CMD_POWER_ON = 1 << 2;
/** PxCMD: command list override. */
export const PORT_CMD_CLO = 1 << 3;
/** PxCMD: FIS receive enable. */
export const PORT_CMD_FIS_RX = 1 << 4;
/** PxCMD: current command slot shift (bits 12:8). */
export const PORT_CMD_CCS_SHIFT = 8;
/** PxCMD: FIS receive running. */
export const PORT_CMD_FIS_ON = 1 << 14;
/** PxCMD: command list running. */
export const PORT_CMD_LIST_ON = 1 << 15;
/** PxCMD: interface communication control shift (bits 31:28). */
export const PORT_CMD_ICC_SHIFT = 28;

/** SStatus DET: device present and PHY communication established. */
export const SSTS_DET_PRESENT = 0x3;
/** SStatus DET mask. */
export const SSTS_DET_MASK = 0xf;
/** SStatus of a port with a Gen1 device in the active state (DET 3, SPD 1, IPM 1). */
export const SSTS_ACTIVE_GEN1 = 0x113;
/** SControl DET: perform interface communication initialization (COMRESET). */
export const SCTL_DET_COMRESET = 0x1;
/** SControl DET mask. */
export const SCTL_DET_MASK = 0xf;
/** PxSIG of an ATA disk. */
export const SATA_SIGNATURE_DISK = 0x0000_0101;
/** PxSIG of an ATAPI device. */
export const SATA_SIGNATURE_ATAPI = 0xeb14_0101;
/** PxTFD after a port reset, before the device has reported (BSY, DRQ, ERR and friends). */
export const PORT_TFD_RESET = 0x7f;

// --- Command list, table and PRD (§4.2) --------------------------------------------------

/** Bytes per command header. */
export const AHCI_CMD_HDR_SIZE = 32;
/** Bytes of a command list (32 headers). */
export const AHCI_CMD_LIST_SIZE = AHCI_CMD_HDR_SIZE * AHCI_MAX_CMDS;
/** Command list alignment. */
export const AHCI_CMD_LIST_ALIGN = 1024;
/** Received-FIS area size. */
export const AHCI_RX_FIS_SIZE = 256;
/** Received-FIS area alignment. */
export const AHCI_RX_FIS_ALIGN = 256;
/** Command table alignment. */
export const AHCI_CMD_TBL_ALIGN = 128;
/** Command header DW0: command FIS length in dwords (bits 4:0). */
export const AHCI_CMD_CFL_MASK = 0x1f;
/** Command header DW0: ATAPI. */
export const AHCI_CMD_ATAPI = 1 << 5;
/** Command header DW0: write (host to device). */
export const AHCI_CMD_WRITE = 1 << 6;
/** Command header DW0: prefetchable. */
export const AHCI_CMD_PREFETCH = 1 << 7;
/** Command header DW0: reset (part of a software reset sequence). */
export const AHCI_CMD_RESET = 1 << 8;
/** Command header DW0: clear busy upon R_OK. */
export const AHCI_CMD_CLR_BUSY = 1 << 10;
/** Command header DW0: PRDT length shift (bits 31:16). */
export const AHCI_CMD_PRDTL_SHIFT = 16;
/** Command header: offset of DW1, PRD byte count (written by the HBA). */
export const AHCI_CMD_HDR_PRDBC = 4;
/** Command header: offset of the command table base (DW2, DW3 upper). */
export const AHCI_CMD_HDR_CTBA = 8;
/** Command table: command FIS at offset 0 (64 bytes). */
export const AHCI_CMD_TBL_CFIS = 0x00;
/** Command table: ATAPI command (16 bytes). */
export const AHCI_CMD_TBL_ACMD = 0x40;
/** Command table: first PRD entry. */
export const AHCI_CMD_TBL_PRDT = 0x80;
/** Bytes per PRD entry. */
export const AHCI_PRD_SIZE = 16;
/** PRD DW3: data byte count minus one (bits 21:0; bit 0 always one). */
export const AHCI_PRD_DBC_MASK = 0x3f_ffff;
/** PRD DW3: interrupt on completion. */
export const AHCI_PRD_INTR = 1 << 31;
/** Largest PRDT length the HBA walks (PRDTL is 16 bits). */
export const AHCI_PRDTL_MAX = 0xffff;

/** Received-FIS area: DMA setup FIS. */
export const RX_FIS_DMA_SETUP = 0x00;
/** Received-FIS area: PIO setup FIS. */
export const RX_FIS_PIO_SETUP = 0x20;
/** Received-FIS area: D2H register FIS. */
export const RX_FIS_D2H_REG = 0x40;
/** Received-FIS area: set device bits FIS. */
export const RX_FIS_SDB = 0x58;
/** Received-FIS area: unknown FIS. */
export const RX_FIS_UNK = 0x60;

// --- FIS (SATA §10.3) ------------------------------------------------------------------

/** Register FIS, host to device. */
export const FIS_TYPE_REG_H2D = 0x27;
/** Register FIS, device to host. */
export const FIS_TYPE_REG_D2H = 0x34;
/** PIO setup FIS. */
export const FIS_TYPE_PIO_SETUP = 0x5f;
/** Set device bits FIS. */
export const FIS_TYPE_SDB = 0xa1;
/** Bytes of an H2D/D2H register FIS. */
export const FIS_REG_SIZE = 20;
/** Bytes of a PIO setup FIS. */
export const FIS_PIO_SETUP_SIZE = 20;
/** H2D byte 1: C bit, the FIS carries a command (clear: a device control update). */
export const FIS_H2D_CMD = 0x80;
/** D2H/PIO setup byte 1: interrupt bit. */
export const FIS_INTR = 0x40;
/** PIO setup byte 1: data direction device to host. */
export const FIS_PIO_D2H = 0x20;
/** H2D register FIS field offsets. */
export const FIS_H2D = {
  /** Command. */
  command: 2,
  /** Features 7:0. */
  features: 3,
  /** LBA 7:0. */
  lba0: 4,
  /** LBA 15:8. */
  lba1: 5,
  /** LBA 23:16. */
  lba2: 6,
  /** Device. */
  device: 7,
  /** LBA 31:24. */
  lba3: 8,
  /** LBA 39:32. */
  lba4: 9,
  /** LBA 47:40. */
  lba5: 10,
  /** Features 15:8. */
  featuresExp: 11,
  /** Count 7:0. */
  count: 12,
  /** Count 15:8. */
  countExp: 13,
  /** Device control. */
  control: 15,
} as const;
/** D2H register FIS field offsets. */
export const FIS_D2H = {
  /** Status. */
  status: 2,
  /** Error. */
  error: 3,
  /** LBA 7:0 (signature: LBA low). */
  lba0: 4,
  /** LBA 15:8. */
  lba1: 5,
  /** LBA 23:16. */
  lba2: 6,
  /** Device. */
  device: 7,
  /** LBA 31:24. */
  lba3: 8,
  /** LBA 39:32. */
  lba4: 9,
  /** LBA 47:40. */
  lba5: 10,
  /** Count 7:0. */
  count: 12,
  /** Count 15:8. */
  countExp: 13,
} as const;

/** Byte offset of port `n`'s registers in the ABAR. */
export function ahciPortOffset(port: number): number {
  return AHCI_PORT_BASE + port * AHCI_PORT_SIZE;
}
