/**
 * The kernel's side of the local APIC: IPIs through the interrupt command register (as
 * Linux's apic->send_IPI and wakeup_secondary_cpu_via_init do in xAPIC mode) and the HLT that
 * ends a CPU's life in play_dead, which reaches the VMM through its vCPU exit port.
 */
import {
  ICR_DELIVERY_PENDING,
  ICR_DM_INIT,
  ICR_DM_STARTUP,
  LAPIC_BASE,
  LAPIC_ID_SHIFT,
  LAPIC_REG_ICR_HIGH,
  LAPIC_REG_ICR_LOW,
  LAPIC_REG_ID,
  VCPU_EXIT_HLT_IF,
  VCPU_EXIT_PORT,
  icrLow,
} from '../../../abi/apic.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';

/** Real-mode page of the AP trampoline (the SIPI vector): where Linux puts it below 1 MiB. */
export const TRAMPOLINE_PAGE = 0x9a;
/** ICR polls for delivery-status idle before giving up on an IPI (safe_apic_wait_icr_idle). */
export const ICR_IDLE_POLLS = 1000;

/** The bootstrap CPU's local APIC as the kernel drives it. */
export class GuestLapic {
  /** Drives the APIC through `bus`. */
  constructor(private readonly bus: CpuBus) {}

  /** This CPU's APIC ID. */
  id(): number {
    return this.bus.load(LAPIC_BASE + LAPIC_REG_ID, 4) >>> LAPIC_ID_SHIFT;
  }

  /** Sends an IPI to `apicId`: destination first, then the low half, which fires it. */
  sendIpi(apicId: number, low: number): boolean {
    this.bus.store(LAPIC_BASE + LAPIC_REG_ICR_HIGH, 4, (apicId << LAPIC_ID_SHIFT) >>> 0);
    this.bus.store(LAPIC_BASE + LAPIC_REG_ICR_LOW, 4, low);
    for (let i = 0; i < ICR_IDLE_POLLS; i++) if ((this.bus.load(LAPIC_BASE + LAPIC_REG_ICR_LOW, 4) & ICR_DELIVERY_PENDING) === 0) return true;
    return false;
  }

  /** The universal start-up algorithm: INIT assert, INIT de-assert, then two SIPIs. */
  wakeSecondary(apicId: number, page = TRAMPOLINE_PAGE): boolean {
    const ok = [
      this.sendIpi(apicId, icrLow(ICR_DM_INIT, 0, 'assert')),
      this.sendIpi(apicId, icrLow(ICR_DM_INIT, 0, 'deassert')),
      this.sendIpi(apicId, icrLow(ICR_DM_STARTUP, page)),
      this.sendIpi(apicId, icrLow(ICR_DM_STARTUP, page)),
    ];
    return ok.every(Boolean);
  }

  /** CPU `apicId` executes HLT: with interrupts disabled (play_dead) or enabled (idle). */
  halt(apicId: number, interruptsEnabled: boolean): void {
    this.bus.out(VCPU_EXIT_PORT, 4, (apicId & 0xff) | (interruptsEnabled ? VCPU_EXIT_HLT_IF : 0));
  }
}
