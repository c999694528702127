/**
 * What the VMM hands the guest kernel at boot (the CPU's bus, its interrupt entry, the
 * clock it runs on) and what the kernel builds from it for its drivers: physical memory,
 * a page allocator, an interrupt vector table, and the firmware hand-off.
 */
import type { Handoff, HandoffPciFunction } from '../../abi/handoff.js';
import { formatPciAddress } from '../../abi/pci.js';
import type { GuestBootEnv } from '../../machine/guest-loader.js';
import type { Kernel } from '../kernel/index.js';
import { physMemFromCpuBus, type GuestPhysMemory } from './phys-mem.js';
import { BumpAllocator, VectorTable } from './resources.js';
import { readHandoff } from './handoff.js';
import { buildPciSysfs } from './pci-sysfs.js';

/** Physical memory the kernel keeps for itself (below it: firmware data and the kernel image). */
export const KERNEL_DMA_BASE = 16 * 1024 * 1024;

/** The kernel's view of the platform, shared by its drivers. */
export class GuestPlatform {
  /** Guest-physical memory through the CPU. */
  readonly mem: GuestPhysMemory;
  /** What firmware found. */
  readonly handoff: Handoff;
  /** Memory for rings and DMA buffers. */
  readonly alloc: BumpAllocator;
  /** Interrupt vectors. */
  readonly interrupts = new VectorTable();
  /** Each PCI function's directory in /sys ("/devices/pci0000:00/0000:00:05.0"). */
  readonly pciSysfs: Map<HandoffPciFunction, string>;
  private nextVirtioIndex = 0;

  /** Reads the hand-off, takes a DMA range from low RAM and installs the interrupt entry. */
  constructor(
    readonly env: GuestBootEnv,
    readonly kernel: Kernel,
  ) {
    this.mem = physMemFromCpuBus(env.cpu);
    this.handoff = readHandoff(this.mem);
    const low = this.handoff.e820.find((e) => e.type === 1 && e.base <= KERNEL_DMA_BASE && e.base + e.length > KERNEL_DMA_BASE);
    if (!low) throw new Error('guest boot: no RAM above 16 MiB below 4 GiB');
    this.alloc = new BumpAllocator(KERNEL_DMA_BASE, low.base + low.length);
    this.pciSysfs = buildPciSysfs(kernel.sysfs, this.handoff.pci);
    env.setVectorHandler((v) => {
      if (!this.interrupts.dispatch(v)) this.log(`spurious interrupt vector 0x${v.toString(16)}`);
    });
  }

  /** Kernel log line (the trace's 'guest' category). */
  log(line: string): void {
    this.env.trace.emit(this.env.sched.now(), 'guest', 'kernel', line);
  }

  /** The sysfs directory of a PCI function. */
  sysfsPath(fn: HandoffPciFunction): string {
    const p = this.pciSysfs.get(fn);
    if (p === undefined) throw new Error(`no sysfs directory for ${this.pciName(fn)}`);
    return p;
  }

  /** The next virtio device index (virtio0, virtio1, ... in probe order across drivers). */
  allocVirtioIndex(): number {
    return this.nextVirtioIndex++;
  }

  /** Linux's name for a PCI function: `0000:00:03.0`. */
  pciName(fn: HandoffPciFunction): string {
    return formatPciAddress(fn.domain, fn.bus, fn.slot, fn.fn);
  }
}
