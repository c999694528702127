/**
 * The local APIC as a CPU reaches it (xAPIC mode: a 4 KiB MMIO page at 0xFEE00000 that only
 * CPU accesses decode; device writes to the same addresses are MSIs), the interrupt command
 * register the kernel uses to start and park CPUs, and qga-sim's vCPU exit register: our
 * stand-in for the HLT instruction that ends a dying CPU's life (Linux's play_dead).
 */

/** Guest-physical base of every CPU's local APIC page (IA32_APIC_BASE default). */
export const LAPIC_BASE = 0xfee0_0000;
/** Size of the local APIC page. */
export const LAPIC_SIZE = 0x1000;

/** Local APIC ID register (ID in bits 31:24). */
export const LAPIC_REG_ID = 0x020;
/** Version register: version in bits 7:0, max LVT entry in bits 23:16. */
export const LAPIC_REG_VERSION = 0x030;
/** Spurious-interrupt vector register (bit 8: APIC software enable). */
export const LAPIC_REG_SVR = 0x0f0;
/** Interrupt command register, low half: writing it sends the IPI. */
export const LAPIC_REG_ICR_LOW = 0x300;
/** Interrupt command register, high half: destination in bits 31:24. */
export const LAPIC_REG_ICR_HIGH = 0x310;

/** Version register value of QEMU's APIC: version 0x14, 6 LVT entries (max index 5). */
export const LAPIC_VERSION_VALUE = 0x0005_0014;
/** Shift of the APIC ID in the ID register and of the destination in ICR high. */
export const LAPIC_ID_SHIFT = 24;

/** ICR: vector (or, for STARTUP, the 4 KiB page the AP starts at). */
export const ICR_VECTOR_MASK = 0x0000_00ff;
/** ICR: delivery mode field. */
export const ICR_DELIVERY_MODE_MASK = 0x0000_0700;
/** Delivery mode fixed: the vector is raised on the target. */
export const ICR_DM_FIXED = 0x0000_0000;
/** Delivery mode NMI. */
export const ICR_DM_NMI = 0x0000_0400;
/** Delivery mode INIT: the target resets into wait-for-SIPI. */
export const ICR_DM_INIT = 0x0000_0500;
/** Delivery mode STARTUP (SIPI): a CPU waiting for SIPI starts at vector << 12. */
export const ICR_DM_STARTUP = 0x0000_0600;
/** ICR: logical destination mode (physical when clear; only physical is modelled). */
export const ICR_DEST_LOGICAL = 0x0000_0800;
/** ICR: delivery status (send pending); always reads idle here, delivery is immediate. */
export const ICR_DELIVERY_PENDING = 0x0000_1000;
/** ICR: level assert (clear = de-assert; INIT de-assert is a no-op on P6 and later). */
export const ICR_LEVEL_ASSERT = 0x0000_4000;
/** ICR: level-triggered. */
export const ICR_TRIGGER_LEVEL = 0x0000_8000;
/** ICR: destination shorthand field. */
export const ICR_SHORTHAND_MASK = 0x000c_0000;
/** Shorthand: none (use the destination field). */
export const ICR_SHORTHAND_NONE = 0x0000_0000;
/** Shorthand: self. */
export const ICR_SHORTHAND_SELF = 0x0004_0000;
/** Shorthand: all including self. */
export const ICR_SHORTHAND_ALL = 0x0008_0000;
/** Shorthand: all excluding self. */
export const ICR_SHORTHAND_OTHERS = 0x000c_0000;
/** Physical destination that means "every CPU". */
export const APIC_BROADCAST_ID = 0xff;

/**
 * qga-sim's vCPU exit port (32-bit OUT). The guest kernel model runs every CPU's code on one
 * bus, so the one instruction that matters to the VMM when a CPU stops, HLT, is signalled as a
 * write of `apicId | flags` here: what a hypervisor sees as that CPU's HLT exit.
 */
export const VCPU_EXIT_PORT = 0x0a30;
/** Bytes claimed at VCPU_EXIT_PORT. */
export const VCPU_EXIT_PORT_SIZE = 4;
/** Exit register: APIC ID of the CPU that halted. */
export const VCPU_EXIT_APIC_ID_MASK = 0xff;
/** Exit register: the CPU halted with interrupts enabled (idle; any IPI wakes it). Clear: play_dead. */
export const VCPU_EXIT_HLT_IF = 0x100;

/** ICR low value for an IPI of `mode` (ICR_DM_*), with level assert as Linux sends them. */
export function icrLow(mode: number, vector = 0, level: 'assert' | 'deassert' = 'assert'): number {
  const lvl = level === 'assert' ? ICR_LEVEL_ASSERT : 0;
  const trig = mode === ICR_DM_INIT ? ICR_TRIGGER_LEVEL : 0;
  return (mode & ICR_DELIVERY_MODE_MASK) | lvl | trig | (vector & ICR_VECTOR_MASK);
}
