/**
 * The PCI part of /sys: a directory per function at the path Linux gives it (bridges nest
 * their secondary bus under themselves), the identification attributes, and the
 * /sys/bus/pci/devices links, built from firmware's hand-off at boot.
 */
import type { HandoffPciFunction } from '../../abi/handoff.js';
import { formatPciAddress } from '../../abi/pci.js';
import type { Sysfs } from '../kernel/sysfs/sysfs.js';

function hex(v: number, digits: number): string {
  return '0x' + v.toString(16).padStart(digits, '0');
}

/** Root-bus directory name: "pci0000:00". */
export function pciRootName(domain: number, bus: number): string {
  return `pci${domain.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}`;
}

/** Creates the sysfs directories of every function and returns each one's path. */
export function buildPciSysfs(sysfs: Sysfs, functions: readonly HandoffPciFunction[]): Map<HandoffPciFunction, string> {
  const paths = new Map<HandoffPciFunction, string>();
  // Secondary bus number (per domain) → the bridge directory devices on that bus live under.
  const busDir = new Map<string, string>();
  for (const fn of functions) {
    const name = formatPciAddress(fn.domain, fn.bus, fn.slot, fn.fn);
    const parent = busDir.get(`${fn.domain}:${fn.bus}`) ?? `/devices/${pciRootName(fn.domain, fn.bus)}`;
    const path = `${parent}/${name}`;
    paths.set(fn, path);
    if (fn.bridge !== undefined) busDir.set(`${fn.domain}:${fn.bridge.secondary}`, path);
    sysfs.dir(path);
    sysfs.value(`${path}/vendor`, () => hex(fn.vendor, 4));
    sysfs.value(`${path}/device`, () => hex(fn.device, 4));
    sysfs.value(`${path}/subsystem_vendor`, () => hex(fn.subsystemVendor, 4));
    sysfs.value(`${path}/subsystem_device`, () => hex(fn.subsystem, 4));
    sysfs.value(`${path}/class`, () => hex(fn.classCode, 6));
    sysfs.value(`${path}/revision`, () => hex(fn.revision, 2));
    sysfs.value(`${path}/irq`, () => (fn.irqLine === 255 ? 0 : fn.irqLine));
    sysfs.link(`${path}/subsystem`, '/bus/pci');
    sysfs.link(`/bus/pci/devices/${name}`, path);
  }
  return paths;
}

/** Records that `driver` took the function at `path`: the driver's link and its back link. */
export function bindPciSysfs(sysfs: Sysfs, path: string, driver: string): void {
  const name = path.slice(path.lastIndexOf('/') + 1);
  sysfs.link(`/bus/pci/drivers/${driver}/${name}`, path);
  sysfs.link(`${path}/driver`, `/bus/pci/drivers/${driver}`);
}
