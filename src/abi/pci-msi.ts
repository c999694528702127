/**
 * The PCI MSI capability (PCI 3.0 §6.8.1), shared by device models that offer plain MSI
 * and the guest drivers that enable it: the message control bits and where the address
 * and data registers sit for the 32-bit and 64-bit layouts.
 */

/** Offset of message control in the capability. */
export const PCI_MSI_FLAGS = 2;
/** Message control: MSI enable. */
export const PCI_MSI_FLAGS_ENABLE = 0x0001;
/** Message control: multiple message capable (log2 of vectors, bits 3:1). */
export const PCI_MSI_FLAGS_QMASK = 0x000e;
/** Message control: multiple message enable (bits 6:4). */
export const PCI_MSI_FLAGS_QSIZE = 0x0070;
/** Message control: 64-bit address capable. */
export const PCI_MSI_FLAGS_64BIT = 0x0080;
/** Message control: per-vector masking capable. */
export const PCI_MSI_FLAGS_MASKBIT = 0x0100;
/** Offset of the message address (low 32 bits). */
export const PCI_MSI_ADDRESS_LO = 4;
/** Offset of the message upper address (64-bit layout). */
export const PCI_MSI_ADDRESS_HI = 8;
/** Offset of the message data in the 32-bit layout. */
export const PCI_MSI_DATA_32 = 8;
/** Offset of the message data in the 64-bit layout. */
export const PCI_MSI_DATA_64 = 12;
/** Capability size, 32-bit layout without masking. */
export const PCI_MSI_CAP_SIZE_32 = 10;
/** Capability size, 64-bit layout without masking. */
export const PCI_MSI_CAP_SIZE_64 = 14;

/** Offset of the data register for a capability with these message control bits. */
export function pciMsiDataOffset(flags: number): number {
  return flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
}
