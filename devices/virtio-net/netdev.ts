/**
 * Host network backends (`-netdev`). Only QEMU's `user` type is modelled, as a sink: it takes
 * every frame the guest sends and counts it, answers nothing (no DHCP, no ARP replies; the
 * guest's addresses come from the machine configuration instead), and lets tests and the
 * host inject frames towards the guest.
 */
import type { SchedulerView } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';

/** Where a backend delivers frames: the NIC it is the peer of. */
export interface NetReceiver {
  /** A frame for the guest; returns false when the NIC dropped it. */
  receive(frame: Uint8Array): boolean;
}

/** Traffic counters of a backend. */
export interface NetdevStats {
  /** Frames the guest sent. */
  framesFromGuest: number;
  /** Their bytes (Ethernet frames, no device header). */
  bytesFromGuest: number;
  /** Frames delivered to the guest. */
  framesToGuest: number;
  /** Their bytes. */
  bytesToGuest: number;
  /** Frames the NIC could not take. */
  droppedToGuest: number;
}

/** A `-netdev user` backend. */
export class UserNetdev {
  /** Counters. */
  readonly stats: NetdevStats = { framesFromGuest: 0, bytesFromGuest: 0, framesToGuest: 0, bytesToGuest: 0, droppedToGuest: 0 };
  /** The NIC using this backend. */
  peer: NetReceiver | undefined;
  /** Driver name of the NIC (for "in use" errors and info). */
  peerName: string | undefined;
  /** Sees every frame from the guest before it is dropped (tests, packet capture). */
  tap: ((frame: Uint8Array) => void) | undefined;

  /** A backend called `id`. */
  constructor(
    readonly id: string,
    private readonly sched: SchedulerView,
    private readonly trace: Trace,
  ) {}

  /** A frame from the guest: counted and dropped. */
  fromGuest(frame: Uint8Array): void {
    this.stats.framesFromGuest++;
    this.stats.bytesFromGuest += frame.length;
    this.tap?.(frame);
    if (this.trace.wants('virtio')) this.trace.emit(this.sched.now(), 'virtio', `netdev ${this.id}`, `guest frame ${frame.length} bytes dropped (user network answers nothing)`);
  }

  /** Sends a frame to the guest (tests, host tools). */
  inject(frame: Uint8Array): boolean {
    const ok = this.peer?.receive(frame) ?? false;
    if (ok) {
      this.stats.framesToGuest++;
      this.stats.bytesToGuest += frame.length;
    } else {
      this.stats.droppedToGuest++;
    }
    return ok;
  }
}
