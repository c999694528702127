/**
 * How interrupts reach the CPU on this platform, shared by the interrupt controller and
 * guest drivers: the x86 MSI window and the fixed GSI-to-vector programming.
 */

/** Base of the x86 MSI address window (destination APIC 0, physical mode). */
export const MSI_ADDRESS_BASE = 0xfee0_0000;
/** Size of the MSI address window. */
export const MSI_WINDOW_SIZE = 0x10_0000;
/** Bits of MSI data that carry the vector. */
export const MSI_DATA_VECTOR_MASK = 0xff;
/** Number of GSIs (24 IOAPIC pins on a PC, plus room for extra root complexes' lines). */
export const GSI_COUNT = 48;
/** Vector at which GSI n is delivered (a fixed IOAPIC programming, as Linux leaves it). */
export const GSI_VECTOR_BASE = 0x20;
/** Last vector a driver may be given (0xf0 and up are the kernel's own). */
export const LAST_DEVICE_VECTOR = 0xef;
