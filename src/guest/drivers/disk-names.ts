/**
 * Linux's disk naming (sd_format_disk_name, shared by virtio_blk): prefix plus a base-26
 * "number" without a zero digit — sda..sdz, sdaa..sdzz, sdaaa... — from a per-driver index.
 */

/** The name of disk `index` (0-based) with `prefix` ("sd", "vd"). */
export function diskName(prefix: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad disk index ${index}`);
  let s = '';
  let i = index;
  do {
    s = String.fromCharCode(0x61 + (i % 26)) + s;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return prefix + s;
}

/** Per-kernel counters (disk indexes, host numbers) that live as long as the kernel. */
export class KernelCounters {
  private readonly byKernel = new WeakMap<object, Map<string, number>>();

  /** The next value of counter `name` for `kernel`, starting at 0. */
  next(kernel: object, name: string): number {
    let m = this.byKernel.get(kernel);
    if (!m) this.byKernel.set(kernel, (m = new Map()));
    const v = m.get(name) ?? 0;
    m.set(name, v + 1);
    return v;
  }
}
