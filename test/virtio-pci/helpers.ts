/**
 * A booted `pc` machine with virtio-serial-pci, driven the way a guest would: config cycles
 * through CF8/CFC, registers through the BARs firmware assigned, interrupts through the CPU's
 * vector handler. Tests reach device objects only to assert on state a guest cannot see.
 */
import type { HandoffBar, HandoffPciFunction } from '../../src/abi/handoff.js';
import { PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBit } from '../../src/abi/virtio.js';
import { VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, VIRTIO_CONSOLE_F_MULTIPORT } from '../../src/abi/virtio-console.js';
import type { AccessSize } from '../../src/memory/region.js';
import { Machine } from '../../src/machine/machine.js';
import { defaultMachineConfig, type DeviceSpec } from '../../src/machine/config.js';
import { GuestPciConfig } from '../../src/guest/drivers/pci/config.js';
import { BumpAllocator, VectorTable, VirtioPciDriver, type VirtioPciDriverOptions } from '../../src/guest/drivers/virtio-pci/index.js';
import { VirtioSerialPci } from '../../devices/virtio-pci/virtio-serial-pci.js';
import type { ChardevRegistry } from '../../src/chardev/registry.js';

/** Guest RAM of the test machine. */
export const RIG_RAM = 512 * 1024 * 1024;
/** Where the guest allocator hands out ring and buffer memory. */
export const RIG_ALLOC_BASE = 0x0100_0000;
/** End of the guest allocator's range. */
export const RIG_ALLOC_LIMIT = 0x0800_0000;

/** A booted machine and the guest's view of one virtio function. */
export interface Rig {
  /** The machine. */
  m: Machine;
  /** The function as firmware handed it over. */
  fn: HandoffPciFunction;
  /** Config space through CF8/CFC. */
  cfg: GuestPciConfig;
  /** The device model (for assertions only). */
  dev: VirtioSerialPci;
  /** 'virtio' trace messages (without time and source). */
  lines: string[];
  /** The guest's interrupt table, installed as the CPU's handler. */
  vectors: VectorTable;
  /** Guest memory for rings and buffers. */
  alloc: BumpAllocator;
  /** Runs everything due within the next 10 µs of virtual time (interrupt delivery). */
  settle(): void;
  /** BAR `index` as assigned. */
  bar(index: number): HandoffBar;
  /** MMIO read at BAR4 + offset. */
  mmio(offset: number, size: AccessSize): number;
  /** MMIO write at BAR4 + offset. */
  mmioWrite(offset: number, size: AccessSize, value: number): void;
  /** Port read at BAR0 + offset. */
  pio(offset: number, size: AccessSize): number;
  /** Port write at BAR0 + offset. */
  pioWrite(offset: number, size: AccessSize, value: number): void;
}

/** Extra machine setup for bootRig. */
export interface RigOptions {
  /** Devices created before the virtio function (e.g. the root complex it plugs into). */
  before?: DeviceSpec[];
  /** Host chardevs for ports. */
  chardevs?: ChardevRegistry;
}

/** Boots a machine with `-device <driver>,<props>` plus extra devices (ports). */
export function bootRig(driver = 'virtio-serial-pci', props: [string, string][] = [], extra: DeviceSpec[] = [], opts: RigOptions = {}): Rig {
  const config = defaultMachineConfig();
  config.ramSize = RIG_RAM;
  config.maxMem = RIG_RAM;
  config.devices.push(...(opts.before ?? []), { driver, props }, ...extra);
  const m = new Machine(config, opts.chardevs ? { chardevs: opts.chardevs } : {});
  const lines: string[] = [];
  m.trace.subscribe(['virtio'], (rec) => lines.push(rec.message));
  m.boot();
  const fn = m.firmware!.handoff.pci.find((f) => f.vendor === PCI_VENDOR_ID_REDHAT_QUMRANET);
  if (!fn) throw new Error('firmware did not find the virtio function');
  const dev = m.devices.find((d) => d.pci instanceof VirtioSerialPci)?.pci;
  if (!(dev instanceof VirtioSerialPci)) throw new Error('no virtio-serial-pci device');
  const cfg = new GuestPciConfig(m.cpuBus, m.firmware!.handoff.pciRoots, fn);
  const vectors = new VectorTable();
  m.irq.setVectorHandler((v) => vectors.dispatch(v));
  const bar = (index: number) => {
    const b = fn.bars.find((x) => x.index === index);
    if (!b) throw new Error(`BAR${index} not assigned`);
    return b;
  };
  return {
    m,
    fn,
    cfg,
    dev,
    lines,
    vectors,
    alloc: new BumpAllocator(RIG_ALLOC_BASE, RIG_ALLOC_LIMIT),
    settle: () => void m.sched.run(m.sched.now() + 10_000),
    bar,
    mmio: (off, size) => m.cpuBus.load(bar(4).base + off, size),
    mmioWrite: (off, size, value) => m.cpuBus.store(bar(4).base + off, size, value),
    pio: (off, size) => m.cpuBus.in(bar(0).base + off, size),
    pioWrite: (off, size, value) => m.cpuBus.out(bar(0).base + off, size, value),
  };
}

/** What Linux's virtio_console asks for (plus the ring features the tests exercise). */
export const CONSOLE_FEATURES = featureBit(VIRTIO_CONSOLE_F_MULTIPORT) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);

/** A guest driver for the rig's function (tokens are buffer addresses). */
export function makeDriver(rig: Rig, opts: Partial<VirtioPciDriverOptions> = {}): VirtioPciDriver<number> {
  return new VirtioPciDriver<number>({
    bus: rig.m.cpuBus,
    mem: rig.m.mem,
    fn: rig.fn,
    pciRoots: rig.m.firmware!.handoff.pciRoots,
    alloc: rig.alloc,
    interrupts: rig.vectors,
    features: CONSOLE_FEATURES,
    // virtio-console with MULTIPORT: two queues per port plus the control pair.
    queues: (d) => 2 * (d.readConfig(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4) + 1),
    trace: (line) => rig.m.trace.emit(rig.m.sched.now(), 'guest', 'virtio-pci', line),
    ...opts,
  });
}
