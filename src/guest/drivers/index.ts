/** The PCI drivers the default guest kernel is built with, in probe order. */
import type { GuestPciDriver } from './registry.js';
import { virtioConsoleDriver } from './virtio-console/index.js';

/** Built-in drivers. */
export const BUILTIN_PCI_DRIVERS: readonly GuestPciDriver[] = [virtioConsoleDriver];
