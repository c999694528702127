/**
 * A network interface as the kernel keeps it (struct net_device): name, index, hardware
 * address, MTU, administrative flags, carrier, addresses and the counters /proc/net/dev and
 * /sys/class/net/<if>/statistics show. Drivers hand frames up and take frames down; the
 * counting happens here so every interface counts the same way.
 */
import { ARPHRD_LOOPBACK, IFF_LOWER_UP, IFF_RUNNING, IFF_UP } from './constants.js';

/** Interface counters (rtnl_link_stats64, the fields /proc/net/dev prints). */
export interface NetStats {
  /** Bytes received. */
  rxBytes: number;
  /** Frames received. */
  rxPackets: number;
  /** Receive errors. */
  rxErrors: number;
  /** Frames dropped on receive (no buffer, unknown protocol). */
  rxDropped: number;
  /** Receive FIFO errors. */
  rxFifo: number;
  /** Receive framing errors (length, CRC). */
  rxFrame: number;
  /** Compressed frames received. */
  rxCompressed: number;
  /** Multicast frames received. */
  multicast: number;
  /** Bytes sent. */
  txBytes: number;
  /** Frames sent. */
  txPackets: number;
  /** Transmit errors. */
  txErrors: number;
  /** Frames dropped on transmit (queue full, link down). */
  txDropped: number;
  /** Transmit FIFO errors. */
  txFifo: number;
  /** Collisions. */
  collisions: number;
  /** Carrier errors. */
  txCarrier: number;
  /** Compressed frames sent. */
  txCompressed: number;
}

/** A new set of zero counters. */
export function zeroStats(): NetStats {
  return { rxBytes: 0, rxPackets: 0, rxErrors: 0, rxDropped: 0, rxFifo: 0, rxFrame: 0, rxCompressed: 0, multicast: 0, txBytes: 0, txPackets: 0, txErrors: 0, txDropped: 0, txFifo: 0, collisions: 0, txCarrier: 0, txCompressed: 0 };
}

/** One address on an interface. */
export interface IfAddr {
  /** Family. */
  family: 'inet' | 'inet6';
  /** 4 or 16 bytes. */
  address: Uint8Array;
  /** Prefix length. */
  prefix: number;
  /** IPv6 scope (IPv4 addresses are global, 127/8 host). */
  scope: 'global' | 'host' | 'link';
}

/** What a driver does with an outgoing frame: true when the device took it. */
export interface NetDriver {
  /** Queues `frame` (an Ethernet frame without any device header) for transmission. */
  xmit(frame: Uint8Array): boolean;
}

/** How to create an interface. */
export interface NetDeviceSpec {
  /** Interface name (≤ 15 bytes). */
  name: string;
  /** ARPHRD_* type. */
  type: number;
  /** Hardware address (6 bytes; zeros for loopback). */
  mac: Uint8Array;
  /** MTU. */
  mtu: number;
  /** Static flags (IFF_BROADCAST, IFF_MULTICAST, IFF_LOOPBACK). */
  flags: number;
  /** The device's /sys directory (its net/<name> lives below it). */
  sysfsParent: string;
  /** Whether sysfs gets a `device` link to `sysfsParent` (physical devices only). */
  physical: boolean;
  /** Where frames go. */
  driver: NetDriver;
}

/** A network interface. */
export class NetDevice {
  /** Counters. */
  readonly stats: NetStats = zeroStats();
  /** Addresses, in the order `ip addr` lists them. */
  readonly addrs: IfAddr[] = [];
  /** Administrative flags (dev->flags). */
  flags: number;
  /** Carrier (link) present. */
  carrier = false;
  /** IPv4 default gateway reached through this interface. */
  gateway: Uint8Array | undefined;
  /** Interface name. */
  readonly name: string;
  /** ARPHRD_* type. */
  readonly type: number;
  /** Hardware address. */
  readonly mac: Uint8Array;
  /** MTU. */
  mtu: number;
  /** Its /sys directory (…/net/<name>). */
  readonly sysfsPath: string;

  /** An interface with index `ifindex` from `spec`. */
  constructor(
    readonly ifindex: number,
    readonly spec: NetDeviceSpec,
  ) {
    this.name = spec.name;
    this.type = spec.type;
    this.mac = Uint8Array.from(spec.mac);
    this.mtu = spec.mtu;
    this.flags = spec.flags;
    this.sysfsPath = `${spec.sysfsParent}/net/${spec.name}`;
  }

  /** Loopback interface. */
  get isLoopback(): boolean {
    return this.type === ARPHRD_LOOPBACK;
  }

  /** Administratively up. */
  get up(): boolean {
    return (this.flags & IFF_UP) !== 0;
  }

  /** Up with carrier: frames may flow. */
  get running(): boolean {
    return this.up && this.carrier;
  }

  /** Flags as SIOCGIFFLAGS and getifaddrs report them (dev_get_flags: RUNNING and LOWER_UP added). */
  reportedFlags(): number {
    return this.flags | (this.running ? IFF_RUNNING | IFF_LOWER_UP : 0);
  }

  /** RFC 2863 operational state as /sys shows it; loopback never tracks one. */
  operstate(): 'up' | 'down' | 'unknown' {
    if (this.isLoopback) return 'unknown';
    return this.running ? 'up' : 'down';
  }
}
