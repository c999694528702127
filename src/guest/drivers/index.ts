/** The PCI drivers the default guest kernel is built with, in probe order. */
import type { GuestPciDriver } from './registry.js';
import { virtioConsoleDriver } from './virtio-console/index.js';
import { virtioNetDriver } from './virtio-net/index.js';
import { virtioBlkDriver } from './virtio-blk/index.js';
import { virtioScsiDriver } from './virtio-scsi/index.js';
import { ataPiixDriver } from './ata-piix/index.js';
import { ahciDriver } from './ahci/index.js';

/** Built-in drivers. */
export const BUILTIN_PCI_DRIVERS: readonly GuestPciDriver[] = [virtioConsoleDriver, virtioNetDriver, virtioBlkDriver, virtioScsiDriver, ataPiixDriver, ahciDriver];
