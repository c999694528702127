/**
 * Interface names as systemd-udevd's net_id gives them on QEMU's `pc` machine (Debian 12's
 * naming scheme): a NIC on the root bus sits in an ACPI-described hotplug slot whose _SUN is
 * its device number, so it is named by slot (ens3 for 00:03.0); NICs behind bridges or on
 * other PCI domains get the path-based name (enp1s0, enP1p0s3). A function other than 0 adds
 * f<function>.
 */
import type { HandoffPciFunction } from '../../../abi/handoff.js';

/** The predictable name of an Ethernet NIC at `fn`. */
export function predictableEthName(fn: Pick<HandoffPciFunction, 'domain' | 'bus' | 'slot' | 'fn'>): string {
  const func = fn.fn > 0 ? `f${fn.fn}` : '';
  if (fn.domain === 0 && fn.bus === 0) return `ens${fn.slot}${func}`;
  const domain = fn.domain !== 0 ? `P${fn.domain}` : '';
  return `en${domain}p${fn.bus}s${fn.slot}${func}`;
}
