/**
 * What the two register front ends (modern common configuration, legacy I/O BAR) share of
 * the transport: the device, the queue selector, vectors, the ISR and reset. Both front ends
 * see the same state, as on QEMU, so a transitional driver may mix them.
 */
import type { VirtioDevice } from '../virtio/virtio-device.js';
import type { ProxyQueues } from './queue-state.js';

/** The transport as its register blocks see it. */
export interface VirtioPciCore {
  /** The wrapped device. */
  readonly device: VirtioDevice;
  /** Modern per-queue latches. */
  readonly proxyQueues: ProxyQueues;
  /** Queue selector shared by queue_select and QUEUE_SEL (QEMU's vdev->queue_sel). */
  queueSel: number;
  /** Whether MSI-X is enabled in the function's capability right now. */
  msixEnabled(): boolean;
  /** Reads and clears the ISR byte, deasserting INTx. */
  takeIsr(): number;
  /** Driver status write: applies it, and a resulting status 0 resets the whole transport. */
  writeStatus(value: number): void;
  /** Resets device and transport state (QEMU's virtio_pci_reset). */
  resetTransport(): void;
  /** The driver notified queue `index`. */
  kick(index: number): void;
  /** Vector of queue `index` (device queue or orphan index). */
  queueVector(index: number): number;
  /** Sets the vector of queue `index`; returns what was stored (NO_VECTOR when refused). */
  setQueueVector(index: number, vector: number): number;
  /** Sets the config-change vector; returns what was stored (NO_VECTOR when refused). */
  setConfigVector(vector: number): number;
  /** Sets COMMAND.MASTER on behalf of an old legacy driver (QEMU's pre-2.6.34 Linux quirk). */
  forceBusMaster(): void;
  /** Emits a 'virtio' trace line for this function. */
  trace(line: string): void;
}

/** Masks a register value to the access width the driver used. */
export function maskToSize(value: number, size: 1 | 2 | 4): number {
  return size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
}

/** 0x-prefixed hex for trace lines. */
export function hx(n: number): string {
  return `0x${n.toString(16)}`;
}
