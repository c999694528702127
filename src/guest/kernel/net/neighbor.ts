/**
 * Neighbour resolution (ARP for IPv4, neighbour discovery for IPv6): a cache of link-layer
 * addresses per interface, datagrams parked while a neighbour is being resolved, and Linux's
 * default probing (3 solicitations one second apart, then the parked datagrams are dropped).
 */
import type { SchedulerView, TimerHandle } from '../../../core/scheduler.js';
import { formatIpv4, formatIpv6 } from './addr.js';
import type { NetDevice } from './netdev.js';

/** Solicitations before a neighbour is given up (mcast_solicit). */
export const NEIGH_MAX_PROBES = 3;
/** Time between solicitations (retrans_time_ms). */
export const NEIGH_RETRANS_NS = 1_000_000_000;
/** Datagrams parked per unresolved neighbour; older ones are dropped first, as unres_qlen does. */
export const NEIGH_QUEUE_MAX = 3;
/** Entries kept per interface before the oldest is forgotten (gc_thresh-style bound). */
export const NEIGH_TABLE_MAX = 256;

interface Entry {
  mac: Uint8Array | undefined;
  queue: Uint8Array[];
  probes: number;
  timer: TimerHandle | undefined;
}

/** How the cache asks its owner to act. */
export interface NeighborHooks {
  /** Sends a solicitation for `ip` on `dev`. */
  solicit(dev: NetDevice, ip: Uint8Array): void;
  /** Sends a parked IP datagram now that `mac` is known. */
  send(dev: NetDevice, mac: Uint8Array, ip: Uint8Array, datagram: Uint8Array): void;
  /** Parked datagrams were dropped: resolution failed. */
  failed(dev: NetDevice, ip: Uint8Array, dropped: number): void;
}

/** The neighbour cache of a stack. */
export class NeighborCache {
  private readonly entries = new Map<string, Entry>();

  /** Uses `sched` for retransmissions. */
  constructor(
    private readonly sched: SchedulerView,
    private readonly hooks: NeighborHooks,
  ) {}

  /** The resolved MAC of `ip` on `dev`, if known. */
  lookup(dev: NetDevice, ip: Uint8Array): Uint8Array | undefined {
    return this.entries.get(key(dev, ip))?.mac;
  }

  /** Sends `datagram` to `ip` once resolved (now, if it is). */
  resolve(dev: NetDevice, ip: Uint8Array, datagram: Uint8Array): void {
    const k = key(dev, ip);
    let e = this.entries.get(k);
    if (e?.mac) {
      this.hooks.send(dev, e.mac, ip, datagram);
      return;
    }
    if (!e) {
      this.evictIfFull();
      e = { mac: undefined, queue: [], probes: 0, timer: undefined };
      this.entries.set(k, e);
    }
    e.queue.push(datagram);
    if (e.queue.length > NEIGH_QUEUE_MAX) e.queue.shift();
    if (!e.timer) this.probe(dev, ip, k, e);
  }

  /** Learns `ip` → `mac` (a reply, or a request naming us); flushes parked datagrams. */
  learn(dev: NetDevice, ip: Uint8Array, mac: Uint8Array, create: boolean): void {
    const k = key(dev, ip);
    let e = this.entries.get(k);
    if (!e) {
      if (!create) return;
      this.evictIfFull();
      e = { mac: undefined, queue: [], probes: 0, timer: undefined };
      this.entries.set(k, e);
    }
    e.mac = Uint8Array.from(mac);
    e.timer?.cancel();
    e.timer = undefined;
    const q = e.queue.splice(0);
    for (const d of q) this.hooks.send(dev, e.mac, ip, d);
  }

  private probe(dev: NetDevice, ip: Uint8Array, k: string, e: Entry): void {
    if (e.probes >= NEIGH_MAX_PROBES) {
      const dropped = e.queue.length;
      this.entries.delete(k);
      this.hooks.failed(dev, ip, dropped);
      return;
    }
    e.probes++;
    this.hooks.solicit(dev, ip);
    e.timer = this.sched.after(NEIGH_RETRANS_NS, 'neigh retrans', () => {
      e.timer = undefined;
      if (this.entries.get(k) === e && !e.mac) this.probe(dev, ip, k, e);
    });
  }

  private evictIfFull(): void {
    if (this.entries.size < NEIGH_TABLE_MAX) return;
    const first = this.entries.keys().next().value;
    if (first !== undefined) {
      this.entries.get(first)?.timer?.cancel();
      this.entries.delete(first);
    }
  }
}

function key(dev: NetDevice, ip: Uint8Array): string {
  return `${dev.ifindex}/${ip.length === 4 ? formatIpv4(ip) : formatIpv6(ip)}`;
}
