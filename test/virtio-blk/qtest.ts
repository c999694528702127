/**
 * A qtest-style rig: a `pc` machine running firmware only (no guest kernel), with one
 * virtio storage function driven by a bare VirtioPciDriver the way a (possibly buggy) guest
 * driver would — rings and buffers in guest RAM, registers through the BARs, completions by
 * interrupt. Tests reach device objects only to assert on what a guest cannot see.
 */
import type { HandoffPciFunction } from '../../src/abi/handoff.js';
import { PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../src/abi/virtio.js';
import { parseQemuOpts } from '../../src/cli/qemu-opts.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { parseDriveOption } from '../../src/machine/drive-options.js';
import { machineDrives } from '../../src/machine/drives.js';
import { Machine } from '../../src/machine/machine.js';
import { BumpAllocator, VectorTable, VirtioPciDriver } from '../../src/guest/drivers/virtio-pci/index.js';
import type { BlockBackend } from '../../devices/block/backend.js';

/** Where test buffers are allocated. */
export const QT_ALLOC_BASE = 0x0100_0000;
/** End of that range. */
export const QT_ALLOC_LIMIT = 0x0800_0000;

/** One buffer of a request: bytes the driver fills (out) or room the device fills (in). */
export type QtSeg = { out: Uint8Array } | { in: number };

/** What came back for one chain. */
export interface QtUsed {
  /** Used length the device reported. */
  len: number;
  /** The device-writable buffers as the device left them, in order. */
  ins: Uint8Array[];
}

/** A booted firmware-only machine and a bare driver for one virtio function. */
export interface QtRig {
  /** The machine. */
  m: Machine;
  /** The function. */
  fn: HandoffPciFunction;
  /** The driver (tokens are request numbers). */
  drv: VirtioPciDriver<number>;
  /** 'virtio' trace messages. */
  lines: string[];
  /** The backend of drive `id`. */
  drive(id: string): BlockBackend;
  /** Guest memory allocator. */
  alloc: BumpAllocator;
  /** Puts a chain on queue `q`, kicks, runs interrupts; returns what the device gave back (undefined if nothing). */
  request(q: number, segs: QtSeg[]): QtUsed | undefined;
  /** NEEDS_RESET is set in the device status. */
  needsReset(): boolean;
}

/** Boots `-drive`s and `-device`s and binds a driver with `features` and `queues` to the first virtio function. */
export function bootQtest(opts: { drives?: string[]; devices: string[]; features: bigint; queues: number }): QtRig {
  const cfg = defaultMachineConfig();
  cfg.noDefaults = true;
  cfg.ramSize = cfg.maxMem = 256 * 1024 * 1024;
  for (const d of opts.drives ?? []) cfg.drives.push(parseDriveOption(d, cfg.drives));
  for (const d of opts.devices) {
    const o = parseQemuOpts(d, 'driver');
    cfg.devices.push({ driver: o.implied!, props: o.pairs });
  }
  const m = new Machine(cfg);
  const lines: string[] = [];
  m.trace.subscribe(['virtio'], (rec) => lines.push(rec.message));
  m.boot();
  const fn = m.firmware!.handoff.pci.find((f) => f.vendor === PCI_VENDOR_ID_REDHAT_QUMRANET);
  if (!fn) throw new Error('firmware found no virtio function');
  const vectors = new VectorTable();
  m.irq.setVectorHandler((v) => vectors.dispatch(v));
  const alloc = new BumpAllocator(QT_ALLOC_BASE, QT_ALLOC_LIMIT);
  const drv = new VirtioPciDriver<number>({
    bus: m.cpuBus,
    mem: m.mem,
    fn,
    pciRoots: m.firmware!.handoff.pciRoots,
    alloc,
    interrupts: vectors,
    features: opts.features,
    queues: opts.queues,
  });
  drv.init();
  const settle = () => void m.sched.run(m.sched.now() + 10_000);
  let nextToken = 0;
  return {
    m,
    fn,
    drv,
    lines,
    alloc,
    drive: (id) => machineDrives(m).get(id)!.backend,
    request: (q, segs) => {
      const placed = segs.map((s) => {
        const len = 'out' in s ? s.out.length : s.in;
        const addr = alloc.alloc(Math.max(len, 1), 16);
        if ('out' in s) m.mem.writeBytes(addr, s.out);
        else m.mem.writeBytes(addr, new Uint8Array(len).fill(0xee));
        return { addr, len, dir: 'out' in s ? ('out' as const) : ('in' as const) };
      });
      const token = ++nextToken;
      drv.queue(q).addBuffer(placed, token);
      drv.notify(q);
      settle();
      const u = drv.queue(q).getUsed();
      if (!u) return undefined;
      if (u.token !== token) throw new Error(`used token ${u.token}, expected ${token}`);
      return { len: u.len, ins: placed.filter((p) => p.dir === 'in').map((p) => m.mem.readBytes(p.addr, p.len)) };
    },
    needsReset: () => (drv.status() & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0,
  };
}
