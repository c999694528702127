/**
 * Per-device I/O accounting, kept the way Linux's part_stat is (completed requests,
 * sectors and time per operation group, requests in flight, time busy) and printed in the
 * layouts of /proc/diskstats and /sys/block/<dev>/stat. Times come from the virtual clock.
 */
import type { Nanos } from '../../../core/scheduler.js';
import type { BioOp } from './types.js';

const NS_PER_MS = 1_000_000;
const GROUPS: readonly BioOp[] = ['read', 'write', 'discard', 'flush'];

/** A snapshot of one device's counters. */
export interface IoStatsSnapshot {
  /** Completed requests per group. */
  ios: Record<BioOp, number>;
  /** Sectors transferred per group. */
  sectors: Record<BioOp, number>;
  /** Milliseconds spent per group. */
  ms: Record<BioOp, number>;
  /** Requests in flight. */
  inflight: number;
  /** Milliseconds with at least one request in flight. */
  ioTicksMs: number;
}

const zeroes = (): Record<BioOp, number> => ({ read: 0, write: 0, discard: 0, flush: 0 });

/** Counters of one block device (disk, partition or dm device). */
export class IoStats {
  private readonly ios = zeroes();
  private readonly sectors = zeroes();
  private readonly nsecs = zeroes();
  private readonly inflightRw: [number, number] = [0, 0];
  private ioTicksNs = 0;
  private stamp: Nanos = 0;

  private tick(now: Nanos): void {
    if (this.inflightRw[0] + this.inflightRw[1] > 0) this.ioTicksNs += now - this.stamp;
    this.stamp = now;
  }

  /** A request has been issued. */
  start(op: BioOp, now: Nanos): void {
    this.tick(now);
    this.inflightRw[op === 'read' ? 0 : 1]++;
  }

  /** A request issued at `startedAt` has completed (failed ones count as completed too, as in Linux). */
  done(op: BioOp, sectors: number, startedAt: Nanos, now: Nanos): void {
    this.tick(now);
    this.inflightRw[op === 'read' ? 0 : 1]--;
    this.ios[op]++;
    this.sectors[op] += sectors;
    this.nsecs[op] += now - startedAt;
  }

  /** Requests in flight: [reads, writes] (sysfs "inflight"). */
  inflight(): [number, number] {
    return [this.inflightRw[0], this.inflightRw[1]];
  }

  /** Current counters. */
  snapshot(now: Nanos): IoStatsSnapshot {
    this.tick(now);
    const ms = zeroes();
    for (const g of GROUPS) ms[g] = Math.floor(this.nsecs[g] / NS_PER_MS);
    return {
      ios: { ...this.ios },
      sectors: { ...this.sectors },
      ms,
      inflight: this.inflightRw[0] + this.inflightRw[1],
      ioTicksMs: Math.floor(this.ioTicksNs / NS_PER_MS),
    };
  }

  // The 17 counters both formats print, in their order (merges are always 0: no elevator).
  private fields(now: Nanos): number[] {
    const s = this.snapshot(now);
    const weighted = Math.floor((this.nsecs.read + this.nsecs.write + this.nsecs.discard + this.nsecs.flush) / NS_PER_MS);
    return [
      s.ios.read, 0, s.sectors.read, s.ms.read,
      s.ios.write, 0, s.sectors.write, s.ms.write,
      s.inflight, s.ioTicksMs, weighted,
      s.ios.discard, 0, s.sectors.discard, s.ms.discard,
      s.ios.flush, s.ms.flush,
    ];
  }

  /** One /proc/diskstats line. */
  diskstatsLine(major: number, minor: number, name: string, now: Nanos): string {
    return `${String(major).padStart(4)} ${String(minor).padStart(7)} ${name} ${this.fields(now).join(' ')}\n`;
  }

  /** The content of sysfs "stat". */
  sysfsStat(now: Nanos): string {
    return this.fields(now).map((v) => String(v).padStart(8)).join(' ') + '\n';
  }
}
