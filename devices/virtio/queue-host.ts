/**
 * What a split queue needs from the device that owns it. Kept as an interface so the queue
 * can be exercised alone (tests, tools) with StandaloneQueueHost, while VirtioDevice is the
 * real owner that turns errors into NEEDS_RESET.
 */
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { VirtqueueError } from './virtqueue-error.js';

/** The owner of a queue: memory, negotiated features, broken state, error and trace sinks. */
export interface QueueHost {
  /** Guest-physical memory the rings and buffers live in. */
  readonly mem: AddressSpace;
  /** Features the driver accepted (EVENT_IDX and NOTIFY_ON_EMPTY change queue behaviour). */
  readonly guestFeatures: bigint;
  /** While true the queue looks empty and ignores fills, as QEMU's broken device does. */
  readonly broken: boolean;
  /** Receives a validation failure; the owner decides what broken means. */
  queueError(err: VirtqueueError): void;
  /** Optional human-readable trace sink; the queue formats nothing when it is absent. */
  readonly traceQueue?: ((queue: number, line: string) => void) | undefined;
}

/** A host for using a queue without a device: it records errors and goes broken on the first. */
export class StandaloneQueueHost implements QueueHost {
  /** Errors reported so far, oldest first. */
  readonly errors: VirtqueueError[] = [];
  /** Set by the first error; clear it (or call reset) to use the queue again. */
  broken = false;
  /** Trace lines, when tracing was requested. */
  readonly lines: string[] = [];
  /** Present only when constructed with trace = true. */
  readonly traceQueue: ((queue: number, line: string) => void) | undefined;

  /** Guest memory. */
  readonly mem: AddressSpace;
  /** Negotiated features; tests may change them between steps. */
  guestFeatures: bigint;

  /** Wraps `mem` with the given negotiated features; `trace` collects lines into `lines`. */
  constructor(mem: AddressSpace, guestFeatures = 0n, trace = false) {
    this.mem = mem;
    this.guestFeatures = guestFeatures;
    this.traceQueue = trace ? (q, line) => this.lines.push(`vq${q}: ${line}`) : undefined;
  }

  /** Records the error and goes broken. */
  queueError(err: VirtqueueError): void {
    this.errors.push(err);
    this.broken = true;
    this.traceQueue?.(err.queue, `error: ${err.message}`);
  }

  /** Clears broken state and recorded errors. */
  reset(): void {
    this.broken = false;
    this.errors.length = 0;
  }
}
