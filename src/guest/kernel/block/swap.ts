/**
 * Swap areas: swapon validates the version-1 signature on a block device, claims the
 * device and lists it in /proc/swaps; swapoff releases it. Nothing is ever paged out in
 * this model, so "Used" stays 0; what matters is that the area is checked and shown as
 * Linux would. The header read is asynchronous, so swapon follows the WouldBlock rule.
 */
import type { Kernel } from '../kernel.js';
import { Errno, WouldBlock } from '../errno.js';
import { S_ISBLK } from '../constants.js';
import { WaitQueue } from '../waitqueue.js';
import { SWAP_MAX_BADPAGES, SWAP_PAGE_SIZE, SWAP_VERSION, decodeSwapHeader, swapMagic } from '../../../abi/swap.js';
import type { BlockNode } from './node.js';
import { SECTOR_SIZE } from './types.js';

/** swapon flag: use the priority in the low bits. */
export const SWAP_FLAG_PREFER = 0x8000;
/** swapon flag: mask of the priority. */
export const SWAP_FLAG_PRIO_MASK = 0x7fff;
/** swapon flag: discard freed pages (accepted; nothing is ever freed here). */
export const SWAP_FLAG_DISCARD = 0x10000;
/** Active swap areas the kernel allows (Linux's MAX_SWAPFILES on x86_64 without migration entries). */
export const MAX_SWAPFILES = 29;
/** The holder name swap claims devices under. */
const SWAP_HOLDER = 'swap';

/** One active swap area. */
export interface SwapArea {
  /** Path as /proc/swaps shows it (symlinks resolved). */
  path: string;
  /** Device. */
  dev: number;
  /** Usable pages (header and bad pages excluded). */
  pages: number;
  /** Priority. */
  priority: number;
  /** UUID from the header. */
  uuid: string;
  /** Label from the header. */
  label: string;
}

interface PendingRead {
  done: boolean;
  data: Uint8Array;
  error: boolean;
}

/** What the swap table needs from the block layer. */
export interface SwapHost {
  /** The device with that dev_t. */
  lookup(dev: number): BlockNode | undefined;
}

function escapePath(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** The kernel's swap areas. */
export class SwapTable {
  private readonly areas: (SwapArea & { node: BlockNode })[] = [];
  private readonly pending = new Map<string, PendingRead>();
  private readonly wq = new WaitQueue('swapon');
  private leastPriority = -1;

  constructor(
    private readonly kernel: Kernel,
    private readonly host: SwapHost,
  ) {
    kernel.procfs.registerText('swaps', () => this.show());
  }

  /** Active areas in activation order. */
  list(): readonly SwapArea[] {
    return this.areas.map(({ node: _node, ...a }) => a);
  }

  /** Total usable swap in KiB (/proc/meminfo SwapTotal). */
  totalKiB(): number {
    return this.areas.reduce((n, a) => n + (a.pages * SWAP_PAGE_SIZE) / 1024, 0);
  }

  /**
   * swapon(2) after path resolution: `mode` and `rdev` of the inode reached, `path` its
   * canonical name, `caller` the pid (one header read in flight per caller and device).
   */
  swapon(path: string, mode: number, rdev: number, flags: number, caller: number): void {
    if (!S_ISBLK(mode)) throw new Errno('EINVAL');
    if ((flags & ~(SWAP_FLAG_PREFER | SWAP_FLAG_PRIO_MASK | SWAP_FLAG_DISCARD)) !== 0) throw new Errno('EINVAL');
    const node = this.host.lookup(rdev);
    if (node === undefined || node.dead) throw new Errno('ENXIO');
    if (this.areas.some((a) => a.dev === rdev)) throw new Errno('EBUSY');
    if (this.areas.length >= MAX_SWAPFILES) throw new Errno('EPERM');
    const key = `${rdev}:${caller}`;
    const p = this.pending.get(key);
    if (p === undefined) {
      this.startRead(key, node);
      throw new WouldBlock(this.wq);
    }
    if (!p.done) throw new WouldBlock(this.wq);
    this.pending.delete(key);
    if (p.error) throw new Errno('EIO');
    this.activate(path, node, p.data, flags);
  }

  /** swapoff(2) of the device at `rdev`: EINVAL unless it is an active area. */
  swapoff(rdev: number): void {
    const i = this.areas.findIndex((a) => a.dev === rdev);
    if (i < 0) throw new Errno('EINVAL');
    const [a] = this.areas.splice(i, 1);
    if (a === undefined) return;
    a.node.release(SWAP_HOLDER);
    // As in Linux, automatic priorities below the removed one move up to close the gap.
    if (a.priority < 0) {
      for (const o of this.areas) if (o.priority < a.priority) o.priority++;
      this.leastPriority++;
    }
  }

  private startRead(key: string, node: BlockNode): void {
    const lbs = node.limits.logicalBlockSize;
    const bytes = Math.max(SWAP_PAGE_SIZE, lbs);
    if (node.capacity * SECTOR_SIZE < bytes) throw new Errno('EINVAL');
    const p: PendingRead = { done: false, data: new Uint8Array(bytes), error: false };
    this.pending.set(key, p);
    node.submit({
      op: 'read', sector: 0, count: bytes / SECTOR_SIZE, data: p.data,
      end: (err) => {
        p.done = true;
        p.error = err !== undefined;
        this.wq.wakeAll();
      },
    });
  }

  private activate(path: string, node: BlockNode, page: Uint8Array, flags: number): void {
    const log = (m: string): void => this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', m);
    const magic = swapMagic(page);
    if (magic !== 'v1') {
      log(magic === 'v0' ? 'Unable to handle swap header version 0' : 'Unable to find swap-space signature');
      throw new Errno('EINVAL');
    }
    const h = decodeSwapHeader(page);
    if (h === undefined || h.version !== SWAP_VERSION) {
      log(`Unable to handle swap header version ${h?.version ?? '?'}`);
      throw new Errno('EINVAL');
    }
    if (h.lastPage === 0) {
      log('Empty swap-file');
      throw new Errno('EINVAL');
    }
    if (h.nrBadPages > SWAP_MAX_BADPAGES) throw new Errno('EINVAL');
    const devicePages = Math.floor((node.capacity * SECTOR_SIZE) / SWAP_PAGE_SIZE);
    let maxPages = h.lastPage + 1;
    if (maxPages > devicePages) {
      log(`Truncating oversized swap area, only using ${devicePages * 4}k out of ${maxPages * 4}k`);
      maxPages = devicePages;
    }
    const pages = maxPages - 1 - h.nrBadPages;
    if (pages <= 0) throw new Errno('EINVAL');
    node.claim(SWAP_HOLDER);
    const priority = (flags & SWAP_FLAG_PREFER) !== 0 ? flags & SWAP_FLAG_PRIO_MASK : --this.leastPriority;
    this.areas.push({ path, dev: node.dev, pages, priority, uuid: h.uuid, label: h.label, node });
    const kib = (pages * SWAP_PAGE_SIZE) / 1024;
    log(`Adding ${kib}k swap on ${path}.  Priority:${priority} extents:1 across:${kib}k${node.limits.rotational === false ? ' SS' : ''}`);
  }

  private show(): string {
    let out = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
    for (const a of this.areas) {
      const name = escapePath(a.path);
      const size = (a.pages * SWAP_PAGE_SIZE) / 1024;
      const used = 0;
      out += `${name}${' '.repeat(name.length < 40 ? 40 - name.length : 1)}partition\t${size}\t${size < 10_000_000 ? '\t' : ''}${used}\t${used < 10_000_000 ? '\t' : ''}${a.priority}\n`;
    }
    return out;
  }
}
