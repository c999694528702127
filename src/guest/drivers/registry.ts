/**
 * PCI driver matching, as the kernel's PCI core does it: each driver names the functions it
 * takes (vendor/device, or class), and probe() gets the function as firmware handed it over.
 */
import type { HandoffPciFunction } from '../../abi/handoff.js';
import type { GuestPlatform } from '../platform/platform.js';
import { bindPciSysfs } from '../platform/pci-sysfs.js';

/** A guest PCI driver. */
export interface GuestPciDriver {
  /** Driver name (for logs, and /sys/bus/pci/drivers/<name> unless `pciDriverName` is set). */
  name: string;
  /** The PCI driver's name in sysfs when it differs ("virtio-pci" for every virtio driver). */
  pciDriverName?: string;
  /** True for functions this driver takes. */
  matches(fn: HandoffPciFunction): boolean;
  /** Binds to the function. Throwing leaves the function unbound (logged). */
  probe(platform: GuestPlatform, fn: HandoffPciFunction): void;
  /**
   * Brings a bound function back after firmware reset it (resume from S3 or from a
   * hibernation image), keeping the driver's software state: rings are set up again, open
   * files stay valid.
   */
  resume?(platform: GuestPlatform, fn: HandoffPciFunction): void;
}

/** Binds each function to the first matching driver, in firmware's enumeration order. */
export function probePciDrivers(platform: GuestPlatform, drivers: readonly GuestPciDriver[]): Map<HandoffPciFunction, string> {
  const bound = new Map<HandoffPciFunction, string>();
  for (const fn of platform.handoff.pci) {
    const drv = drivers.find((d) => d.matches(fn));
    if (!drv) continue;
    try {
      drv.probe(platform, fn);
      bound.set(fn, drv.name);
      bindPciSysfs(platform.kernel.sysfs, platform.sysfsPath(fn), drv.pciDriverName ?? drv.name);
      platform.log(`${drv.name}: bound to ${platform.pciName(fn)}`);
    } catch (e) {
      platform.log(`${drv.name}: probe of ${platform.pciName(fn)} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return bound;
}
