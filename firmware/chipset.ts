/**
 * Chipset set-up on segment 0, found by vendor/device id as real firmware does: PIIX3's
 * PIRQ routing and the PIIX4 ACPI PM block.
 */
import {
  PCI_DEVICE_ID_INTEL_82371AB_3,
  PCI_DEVICE_ID_INTEL_82371SB_0,
  PCI_INTERRUPT_LINE,
  PCI_VENDOR_ID_INTEL,
  PIIX_PIRQCA,
} from '../src/abi/pci.js';
import type { ConfigAccess } from './pci-config.js';
import { walkFunctions, type FoundBus } from './pci-enumerate.js';

/** ISA IRQs firmware routes PIRQA..D to (SeaBIOS's choice, which QEMU's ACPI tables assume). */
export const PIRQ_ISA_IRQS = [10, 10, 11, 11] as const;
/** I/O base firmware gives the PIIX4 PM register block. */
export const ACPI_PM_BASE = 0xb000;
/** ISA IRQ of the ACPI SCI on a PC. */
export const ACPI_SCI_IRQ = 9;
/** PIIX4 PM: PM base address register. */
export const PIIX4_PMBA = 0x40;
/** PIIX4 PM: PMREGMISC, bit 0 enables the PM I/O block. */
export const PIIX4_PMREGMISC = 0x80;

/** What chipset set-up decided. */
export interface ChipsetSetup {
  /** PM register block base (0 when there is no PIIX4 PM). */
  pmBase: number;
  /** GSI of the SCI. */
  sciGsi: number;
  /** GSI per PIRQ line (empty without a PIIX3). */
  pirqGsi: number[];
}

/** Programs PIIX3 and PIIX4 PM if present on the root bus of segment 0. */
export function setupChipset(cfg: ConfigAccess, root: FoundBus): ChipsetSetup {
  const out: ChipsetSetup = { pmBase: 0, sciGsi: 0, pirqGsi: [] };
  for (const f of walkFunctions(root)) {
    if (f.vendor !== PCI_VENDOR_ID_INTEL) continue;
    if (f.device === PCI_DEVICE_ID_INTEL_82371SB_0) {
      PIRQ_ISA_IRQS.forEach((irq, i) => cfg.write(f.bus, f.slot, f.fn, PIIX_PIRQCA + i, 1, irq));
      out.pirqGsi = [...PIRQ_ISA_IRQS];
    } else if (f.device === PCI_DEVICE_ID_INTEL_82371AB_3) {
      cfg.write(f.bus, f.slot, f.fn, PIIX4_PMBA, 4, ACPI_PM_BASE | 1);
      cfg.write(f.bus, f.slot, f.fn, PIIX4_PMREGMISC, 1, 1);
      cfg.write(f.bus, f.slot, f.fn, PCI_INTERRUPT_LINE, 1, ACPI_SCI_IRQ);
      out.pmBase = ACPI_PM_BASE;
      out.sciGsi = ACPI_SCI_IRQ;
    }
  }
  return out;
}
