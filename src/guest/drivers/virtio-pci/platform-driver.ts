/**
 * The set-up every virtio device driver (blk, scsi, console, net) does in probe: a transport
 * driver wired to the guest platform's CPU bus, RAM, DMA allocator and interrupt vectors,
 * tracing under the device's name.
 */
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import type { GuestPlatform } from '../../platform/platform.js';
import { VirtioPciDriver, type VirtioPciDriverOptions } from './driver.js';

/** A transport driver for `fn` on `platform`, tracing as `source` ("guest virtio0", ...). */
export function platformVirtioDriver<T>(
  platform: GuestPlatform,
  fn: HandoffPciFunction,
  features: bigint,
  queues: VirtioPciDriverOptions['queues'],
  source: string,
): VirtioPciDriver<T> {
  const kernel = platform.kernel;
  return new VirtioPciDriver<T>({
    bus: platform.env.cpu,
    mem: platform.mem,
    fn,
    pciRoots: platform.handoff.pciRoots,
    alloc: platform.alloc,
    interrupts: platform.interrupts,
    features,
    queues,
    trace: (line) => kernel.trace.emit(kernel.sched.now(), 'virtio', source, line),
  });
}

/** The last component of a /sys path: the "virtioN" a device driver names itself by. */
export function sysfsLeaf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
