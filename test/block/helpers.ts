/**
 * A booted kernel with the programs the block tests run, and (from test/helpers/image-disk.ts)
 * the image-backed test disk driver and a way to add an image as a disk.
 */
import { installCoreutils } from '../../src/guest/programs/index.js';
import { boot, type Booted } from '../guest-kernel/helpers.js';

export { DISK_LATENCY_NS, ImageDriver, addImageDisk, imageMiB } from '../helpers/image-disk.js';
export type { TestDiskOptions } from '../helpers/image-disk.js';

/** A booted kernel plus the guest's trace messages. */
export interface BlockBooted extends Booted {
  /** Messages of the 'guest' trace category, in order. */
  log: string[];
}

/** A kernel with the whole userland installed, recording kernel messages. */
export function bootBlock(): BlockBooted {
  const b = boot();
  installCoreutils(b.kernel);
  const log: string[] = [];
  b.trace.subscribe(['guest'], (rec) => log.push(rec.message));
  return { ...b, log };
}

/** Runs the scheduler until every partition scan has finished. */
export function settle(b: Booted): void {
  b.sched.run();
  if (!b.kernel.block.settled()) throw new Error('block layer did not settle');
}
