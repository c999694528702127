/**
 * QEMU's `pci-testdev` (1b36:0005, class 0x00ff, no interrupt pin): BAR0 4 KiB memory,
 * BAR1 256 ports of I/O and, with `membar=<size>`, BAR2 a 64-bit prefetchable memory
 * window of that size. QEMU uses BAR0/BAR1 for ioeventfd self-tests driven by a small
 * header protocol; that is not modelled: here every window is plain RAM-like scratch,
 * which is what BAR placement and sizing tests need.
 */
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import { parseQemuSize } from '../../src/cli/qemu-opts.js';
import { PCI_CLASS_OTHERS, PCI_DEVICE_ID_REDHAT_TEST, PCI_VENDOR_ID_REDHAT } from '../../src/abi/pci.js';
import { PciError, type PciDeviceOptions } from '../pci/options.js';
import { PciFunction } from '../pci/pci-function.js';

/** Size of BAR0. */
export const PCI_TESTDEV_MMIO_SIZE = 4096;
/** Size of BAR1. */
export const PCI_TESTDEV_PIO_SIZE = 256;

const PAGE = 4096;

/** Sparse byte store behind a window: untouched pages read 0 and cost nothing (membar can be large). */
export class ScratchRegion implements IoRegionOps {
  private readonly pages = new Map<number, Uint8Array>();

  /** Creates a window of `size` bytes. */
  constructor(readonly size: number) {}

  /** Little-endian read. */
  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.byte(offset + i);
    return v;
  }

  /** Same as read (no side effects). */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }

  /** Little-endian write. */
  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at >= this.size) return;
      const pn = Math.floor(at / PAGE);
      let p = this.pages.get(pn);
      if (!p) {
        p = new Uint8Array(PAGE);
        this.pages.set(pn, p);
      }
      p[at % PAGE] = (value >>> (8 * i)) & 0xff;
    }
  }

  private byte(at: number): number {
    return this.pages.get(Math.floor(at / PAGE))?.[at % PAGE] ?? 0;
  }
}

/** pci-testdev properties. */
export interface PciTestdevOptions extends PciDeviceOptions {
  /** Size of the optional BAR2 (bytes, or a QEMU size string such as "2M"); 0/absent = no BAR2. */
  membar?: number | string;
}

/** QEMU's PCI test device. */
export class PciTestdev extends PciFunction {
  /** QEMU type name. */
  static readonly typeName = 'pci-testdev';
  /** BAR0 contents. */
  readonly mmio = new ScratchRegion(PCI_TESTDEV_MMIO_SIZE);
  /** BAR1 contents. */
  readonly portio = new ScratchRegion(PCI_TESTDEV_PIO_SIZE);
  /** BAR2 contents, when membar was given. */
  readonly membar: ScratchRegion | undefined;

  /** Creates the device; throws PciError for a bad membar size. */
  constructor(opts: PciTestdevOptions = {}) {
    super(PciTestdev.typeName, { vendorId: PCI_VENDOR_ID_REDHAT, deviceId: PCI_DEVICE_ID_REDHAT_TEST, classCode: PCI_CLASS_OTHERS, revision: 0 }, opts);
    this.defineBar(0, { kind: 'mem32', size: PCI_TESTDEV_MMIO_SIZE, ops: this.mmio });
    this.defineBar(1, { kind: 'io', size: PCI_TESTDEV_PIO_SIZE, ops: this.portio });
    const raw = opts.membar ?? 0;
    const size = typeof raw === 'string' ? parseQemuSize(raw) : raw;
    if (size === undefined || !Number.isSafeInteger(size) || size < 0) throw new PciError(`Property '${PciTestdev.typeName}.membar' doesn't take value '${raw}'`);
    if (size > 0) {
      if (!Number.isInteger(Math.log2(size)) || size < 16) throw new PciError(`${PciTestdev.typeName}: membar size ${size} is not a power of two of at least 16 bytes`);
      this.membar = new ScratchRegion(size);
      this.defineBar(2, { kind: 'mem64', prefetchable: true, size, ops: this.membar });
    }
  }
}
