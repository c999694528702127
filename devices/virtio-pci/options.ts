/**
 * The generic virtio-pci properties (`disable-legacy`, `disable-modern`, `vectors`) and what
 * they decide: whether the function is legacy, transitional or modern-only, and therefore its
 * PCI identity (VIRTIO 1.2 §4.1.2 and QEMU's choices for the ids, revision and subsystem).
 */
import {
  PCI_DEVICE_ID_VIRTIO_9P,
  PCI_DEVICE_ID_VIRTIO_BALLOON,
  PCI_DEVICE_ID_VIRTIO_BLOCK,
  PCI_DEVICE_ID_VIRTIO_CONSOLE,
  PCI_DEVICE_ID_VIRTIO_NET,
  PCI_DEVICE_ID_VIRTIO_RNG,
  PCI_DEVICE_ID_VIRTIO_SCSI,
  PCI_SUBVENDOR_ID_REDHAT_QUMRANET,
  PCI_VENDOR_ID_REDHAT_QUMRANET,
  VIRTIO_ID_9P,
  VIRTIO_ID_BALLOON,
  VIRTIO_ID_BLOCK,
  VIRTIO_ID_CONSOLE,
  VIRTIO_ID_NET,
  VIRTIO_ID_RNG,
  VIRTIO_ID_SCSI,
  VIRTIO_PCI_ABI_VERSION,
  VIRTIO_PCI_MODERN_REVISION,
  virtioPciModernDeviceId,
} from '../../src/abi/virtio.js';
import { PCI_MSIX_FLAGS_QSIZE } from '../../src/abi/pci.js';
import type { PciDeviceOptions } from '../pci/options.js';
import type { PciFunctionIdentity } from '../pci/pci-function.js';

/** QEMU's OnOffAuto property type. */
export type OnOffAuto = 'on' | 'off' | 'auto';

/** QEMU's default `vectors` for virtio-serial-pci: one for config changes, one shared by all queues. */
export const VIRTIO_PCI_DEFAULT_VECTORS = 2;

/** Largest MSI-X table a function can declare. */
export const VIRTIO_PCI_MAX_VECTORS = PCI_MSIX_FLAGS_QSIZE + 1;

/** Properties every virtio-pci device accepts, on top of the common PCI ones. */
export interface VirtioPciOptions extends PciDeviceOptions {
  /** `disable-legacy` (default auto: off on conventional PCI, on behind a PCIe port). */
  disableLegacy?: OnOffAuto;
  /** `disable-modern` (default off). */
  disableModern?: boolean;
  /** `vectors`: MSI-X table size; 0 = no MSI-X (default 2). */
  vectors?: number;
  /** Base class << 8 | sub class the function reports. */
  classCode: number;
  /** Whether the function sits behind a PCIe port (decides `disable-legacy=auto`; default false). */
  behindPciePort?: boolean;
}

/** A virtio-pci device could not be realized; the message is QEMU's. */
export class VirtioPciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtioPciError';
  }
}

/** Which interfaces the function offers. */
export interface VirtioPciMode {
  /** Legacy I/O BAR (transitional or legacy-only device). */
  legacy: boolean;
  /** Virtio structure capabilities and the modern memory BAR. */
  modern: boolean;
}

/**
 * Resolves `disable-legacy` / `disable-modern`. Every bus of this machine is conventional PCI
 * or a PCIe root bus (integrated endpoints), neither of which is "a PCIe port", so auto means
 * transitional here, as on QEMU's pc and q35 root buses.
 */
export function resolveVirtioPciMode(opts: Pick<VirtioPciOptions, 'disableLegacy' | 'disableModern' | 'behindPciePort'>): VirtioPciMode {
  const dl = opts.disableLegacy ?? 'auto';
  const legacy = dl === 'auto' ? opts.behindPciePort !== true : dl === 'off';
  const modern = opts.disableModern !== true;
  if (!legacy && !modern) {
    throw new VirtioPciError('device cannot work as neither modern nor legacy mode is enabled');
  }
  return { legacy, modern };
}

/**
 * The mode properties of `typeName` (the -transitional / -non-transitional variants force
 * theirs), checked at once so an impossible mode fails before the device is built.
 */
export function fixedVirtioPciMode(
  typeName: string,
  variants: { transitional: string; nonTransitional: string },
  opts: Pick<VirtioPciOptions, 'disableLegacy' | 'disableModern'>,
): Pick<VirtioPciOptions, 'disableLegacy' | 'disableModern'> {
  const mode: Pick<VirtioPciOptions, 'disableLegacy' | 'disableModern'> =
    typeName === variants.transitional
      ? { disableLegacy: 'off', disableModern: false }
      : typeName === variants.nonTransitional
        ? { disableLegacy: 'on', disableModern: false }
        : { disableLegacy: opts.disableLegacy, disableModern: opts.disableModern };
  resolveVirtioPciMode(mode);
  return mode;
}

const TRANSITIONAL_IDS: ReadonlyMap<number, number> = new Map([
  [VIRTIO_ID_NET, PCI_DEVICE_ID_VIRTIO_NET],
  [VIRTIO_ID_BLOCK, PCI_DEVICE_ID_VIRTIO_BLOCK],
  [VIRTIO_ID_BALLOON, PCI_DEVICE_ID_VIRTIO_BALLOON],
  [VIRTIO_ID_CONSOLE, PCI_DEVICE_ID_VIRTIO_CONSOLE],
  [VIRTIO_ID_SCSI, PCI_DEVICE_ID_VIRTIO_SCSI],
  [VIRTIO_ID_RNG, PCI_DEVICE_ID_VIRTIO_RNG],
  [VIRTIO_ID_9P, PCI_DEVICE_ID_VIRTIO_9P],
]);

/** The transitional (0x1000-range) PCI device id of a virtio device type, if it has one. */
export function transitionalDeviceId(virtioId: number): number | undefined {
  return TRANSITIONAL_IDS.get(virtioId);
}

/**
 * The PCI identity (1.2 §4.1.2): a device with the legacy interface keeps its transitional id,
 * revision 0 and subsystem id = virtio device id; a modern-only one is 0x1040 + id, revision 1,
 * and keeps QEMU's default subsystem (1af4:1100), which the spec's "0x40 or higher" allows.
 */
export function virtioPciIdentity(virtioId: number, mode: VirtioPciMode, classCode: number): PciFunctionIdentity {
  const base = { vendorId: PCI_VENDOR_ID_REDHAT_QUMRANET, classCode, progIf: 0, interruptPin: 1 };
  if (mode.legacy) {
    const deviceId = transitionalDeviceId(virtioId);
    if (deviceId === undefined) throw new VirtioPciError(`virtio device id ${virtioId} has no transitional PCI device id; use disable-legacy=on`);
    return { ...base, deviceId, revision: VIRTIO_PCI_ABI_VERSION, subsystemVendorId: PCI_SUBVENDOR_ID_REDHAT_QUMRANET, subsystemId: virtioId };
  }
  return { ...base, deviceId: virtioPciModernDeviceId(virtioId), revision: VIRTIO_PCI_MODERN_REVISION };
}

/** Parses an OnOffAuto property value (absent = auto); throws QEMU's enum error. */
export function parseOnOffAuto(name: string, value: string | undefined): OnOffAuto {
  if (value === undefined) return 'auto';
  if (value === 'on' || value === 'off' || value === 'auto') return value;
  throw new VirtioPciError(`Parameter '${name}' does not accept value '${value}'`);
}
