/**
 * The trace recorder: every observable thing the machine does is one line, and all lines
 * feed one running hash. Two runs are "the same" exactly when their hashes match.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Nanos } from './scheduler.js';

/** Trace categories; `--trace virtio` etc. select which are printed. */
export type TraceCategory = 'machine' | 'pci' | 'firmware' | 'io' | 'irq' | 'chardev' | 'qmp' | 'virtio' | 'guest' | 'agent';

/** All categories, for `--trace all`. */
export const TRACE_CATEGORIES: readonly TraceCategory[] = ['machine', 'pci', 'firmware', 'io', 'irq', 'chardev', 'qmp', 'virtio', 'guest', 'agent'];

/** One trace record. */
export interface TraceRecord {
  /** Virtual time of the event. */
  time: Nanos;
  /** Which subsystem produced it. */
  category: TraceCategory;
  /** Who produced it (a device id, a bus address, a program name). */
  source: string;
  /** Human-readable description, stable across runs. */
  message: string;
}

/** Listener for live trace printing. */
export type TraceSink = (rec: TraceRecord, line: string) => void;

/** Formats a record the way `--trace` prints it. */
export function formatTraceRecord(rec: TraceRecord): string {
  const sec = Math.floor(rec.time / 1e9);
  const frac = String(rec.time % 1e9).padStart(9, '0');
  return `${sec}.${frac} ${rec.category} ${rec.source}: ${rec.message}`;
}

/** Records events into a running SHA-256 and forwards them to optional sinks. */
export class Trace {
  private hash: Hash = createHash('sha256');
  private sinks: { cats: ReadonlySet<TraceCategory>; sink: TraceSink }[] = [];
  /** Number of records so far. */
  count = 0;

  /** Adds a record at virtual time `time`. */
  emit(time: Nanos, category: TraceCategory, source: string, message: string): void {
    const rec: TraceRecord = { time, category, source, message };
    const line = formatTraceRecord(rec);
    this.hash.update(line);
    this.hash.update('\n');
    this.count++;
    for (const s of this.sinks) if (s.cats.has(category)) s.sink(rec, line);
  }

  /** True when someone listens to this category (lets hot paths skip formatting). */
  wants(category: TraceCategory): boolean {
    return this.sinks.some((s) => s.cats.has(category));
  }

  /** Subscribes a sink to some categories; returns an unsubscribe function. */
  subscribe(categories: Iterable<TraceCategory>, sink: TraceSink): () => void {
    const entry = { cats: new Set(categories), sink };
    this.sinks.push(entry);
    return () => {
      this.sinks = this.sinks.filter((s) => s !== entry);
    };
  }

  /** Hex digest of everything recorded so far (the hash keeps running afterwards). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}
