/**
 * The IP layer of the guest stack: routing (local and loopback addresses, on-link prefixes,
 * the IPv4 default gateway), output through neighbour resolution, input of ARP, IPv4 and
 * IPv6 with the replies a host owes (ARP replies, neighbour advertisements, echo replies),
 * delivery to UDP and ping sockets, and the announcements sent when a link comes up
 * (a gratuitous ARP per IPv4 address, a DAD solicitation per IPv6 address).
 */
import { Errno } from '../errno.js';
import { bytesEqual, ipv6MulticastMac, linkLocalFromMac, parseIpv6, samePrefix, solicitedNode } from './addr.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP } from './constants.js';
import { NeighborCache } from './neighbor.js';
import type { NetDevice } from './netdev.js';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  ETH_BROADCAST,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_P_IPV6,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_NEIGHBOUR_ADVERT,
  ICMPV6_NEIGHBOUR_SOLICIT,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  arpPacket,
  ethFrame,
  icmpMessage,
  ipv4Packet,
  ipv6Packet,
  parseArp,
  parseEth,
  parseIp,
  upperChecksum,
  inetChecksum,
  type IpPacket,
} from './packets.js';
import type { NetStack } from './stack.js';

/** Hop limit neighbour discovery must use (RFC 4861). */
const ND_HOP_LIMIT = 255;
/** The unspecified IPv6 address (source of DAD probes). */
const IN6ADDR_ANY = new Uint8Array(16);
/** ff02::1, all nodes. */
const ALL_NODES = parseIpv6('ff02::1')!;
/** Ephemeral port range (ip_local_port_range). */
export const EPHEMERAL_PORT_FIRST = 32768;
/** Last ephemeral port. */
export const EPHEMERAL_PORT_LAST = 60999;

/** Where a datagram goes. */
export interface Route {
  /** Outgoing interface. */
  dev: NetDevice;
  /** Source address to use. */
  src: Uint8Array;
  /** Next hop (the destination itself, or the gateway). */
  nexthop: Uint8Array;
}

/** A transport endpoint the IP layer delivers to (UDP or ping socket). */
export interface Endpoint {
  /** A datagram arrived: payload (UDP data, or the whole ICMP message) and its source. */
  deliver(data: Uint8Array, from: { address: Uint8Array; port: number }): void;
}

/** Binding table kinds. */
export type BindKind = 'udp4' | 'udp6' | 'icmp4' | 'icmp6';

/** The IP layer. */
export class IpLayer {
  /** The neighbour cache. */
  readonly neigh: NeighborCache;
  private readonly bindings = new Map<string, Endpoint>();
  private nextEphemeral = EPHEMERAL_PORT_FIRST;
  private ipId = 1;

  /** Belongs to `stack`. */
  constructor(private readonly stack: NetStack) {
    this.neigh = new NeighborCache(stack.kernel.sched, {
      solicit: (dev, ip) => this.solicit(dev, ip),
      send: (dev, mac, _ip, datagram) => this.stack.transmit(dev, ethFrame(mac, dev.mac, datagram[0]! >> 4 === 6 ? ETH_P_IPV6 : ETH_P_IP, datagram)),
      failed: (dev, ip, dropped) => this.log(`${dev.name}: neighbour ${ip.length === 4 ? 'ARP' : 'ND'} resolution failed, ${dropped} datagram(s) dropped`),
    });
  }

  // --- bindings ----------------------------------------------------------------------

  /** Binds `ep` to `port` (0: an ephemeral one); returns the port. EADDRINUSE when taken. */
  bind(kind: BindKind, port: number, ep: Endpoint): number {
    if (port === 0) {
      for (let i = 0; i <= EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST; i++) {
        const p = this.nextEphemeral;
        this.nextEphemeral = p >= EPHEMERAL_PORT_LAST ? EPHEMERAL_PORT_FIRST : p + 1;
        if (!this.bindings.has(`${kind}:${p}`)) {
          this.bindings.set(`${kind}:${p}`, ep);
          return p;
        }
      }
      throw new Errno('EADDRINUSE');
    }
    if (this.bindings.has(`${kind}:${port}`)) throw new Errno('EADDRINUSE');
    this.bindings.set(`${kind}:${port}`, ep);
    return port;
  }

  /** Releases a binding. */
  unbind(kind: BindKind, port: number, ep: Endpoint): void {
    if (this.bindings.get(`${kind}:${port}`) === ep) this.bindings.delete(`${kind}:${port}`);
  }

  // --- routing and output ------------------------------------------------------------

  /** Whether `addr` is one of this host's addresses. */
  isLocal(addr: Uint8Array): boolean {
    if (addr.length === 4 && addr[0] === 127) return true;
    return this.stack.devices.some((d) => d.addrs.some((a) => bytesEqual(a.address, addr)));
  }

  /** Picks interface, source and next hop; ENETUNREACH when there is no route. */
  route(dst: Uint8Array): Route {
    const v4 = dst.length === 4;
    const fam = v4 ? 'inet' : 'inet6';
    if (this.isLocal(dst)) {
      const lo = this.stack.lo;
      const loSrc = lo.addrs.find((a) => a.family === fam)!.address;
      return { dev: lo, src: v4 && dst[0] === 127 ? loSrc : bytesEqual(dst, loSrc) ? loSrc : dst, nexthop: dst };
    }
    const up = this.stack.devices.filter((d) => d.running && !d.isLoopback);
    const linkScoped = !v4 && (dst[0] === 0xff || (dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80));
    for (const dev of up) {
      if (linkScoped) {
        const ll = dev.addrs.find((a) => a.family === 'inet6' && a.scope === 'link');
        if (ll) return { dev, src: ll.address, nexthop: dst };
        continue;
      }
      const a = dev.addrs.find((x) => x.family === fam && samePrefix(x.address, dst, x.prefix));
      if (a) return { dev, src: a.address, nexthop: dst };
    }
    if (v4) {
      const gwDev = up.find((d) => d.gateway !== undefined && d.addrs.some((a) => a.family === 'inet'));
      if (gwDev) return { dev: gwDev, src: gwDev.addrs.find((a) => a.family === 'inet')!.address, nexthop: gwDev.gateway! };
    }
    throw new Errno('ENETUNREACH');
  }

  /** Sends an upper-layer message to `dst`; `build` gets the chosen source address. */
  send(dst: Uint8Array, proto: number, build: (src: Uint8Array) => Uint8Array): Route {
    const r = this.route(dst);
    const msg = build(r.src);
    const datagram = dst.length === 4 ? ipv4Packet(r.src, dst, proto, msg, this.nextId()) : ipv6Packet(r.src, dst, proto, msg);
    if (datagram.length > r.dev.mtu) throw new Errno('EMSGSIZE');
    this.output(r.dev, r.nexthop, datagram);
    return r;
  }

  private output(dev: NetDevice, nexthop: Uint8Array, datagram: Uint8Array): void {
    const type = datagram[0]! >> 4 === 6 ? ETH_P_IPV6 : ETH_P_IP;
    if (dev.isLoopback) {
      this.stack.transmit(dev, ethFrame(dev.mac, dev.mac, type, datagram));
    } else if (nexthop.length === 16 && nexthop[0] === 0xff) {
      this.stack.transmit(dev, ethFrame(ipv6MulticastMac(nexthop), dev.mac, type, datagram));
    } else if (nexthop.length === 4 && nexthop.every((b) => b === 0xff)) {
      this.stack.transmit(dev, ethFrame(ETH_BROADCAST, dev.mac, type, datagram));
    } else {
      this.neigh.resolve(dev, nexthop, datagram);
    }
  }

  private nextId(): number {
    const id = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    return id;
  }

  // --- link up -----------------------------------------------------------------------

  /** A link became usable: announce each address (gratuitous ARP, DAD probe). */
  linkUp(dev: NetDevice): void {
    if (dev.isLoopback) return;
    for (const a of dev.addrs) {
      if (a.family === 'inet') {
        const arp = arpPacket({ op: ARPOP_REQUEST, sha: dev.mac, spa: a.address, tha: new Uint8Array(6), tpa: a.address });
        this.stack.transmit(dev, ethFrame(ETH_BROADCAST, dev.mac, ETH_P_ARP, arp));
      } else {
        const dst = solicitedNode(a.address);
        const body = new Uint8Array(20);
        body.set(a.address, 4);
        const msg = icmpMessage(ICMPV6_NEIGHBOUR_SOLICIT, 0, body, { src: IN6ADDR_ANY, dst });
        this.stack.transmit(dev, ethFrame(ipv6MulticastMac(dst), dev.mac, ETH_P_IPV6, ipv6Packet(IN6ADDR_ANY, dst, IPPROTO_ICMPV6, msg, ND_HOP_LIMIT)));
      }
    }
  }

  private solicit(dev: NetDevice, ip: Uint8Array): void {
    if (ip.length === 4) {
      const src = dev.addrs.find((a) => a.family === 'inet' && samePrefix(a.address, ip, a.prefix))?.address ?? dev.addrs.find((a) => a.family === 'inet')?.address ?? new Uint8Array(4);
      const arp = arpPacket({ op: ARPOP_REQUEST, sha: dev.mac, spa: src, tha: new Uint8Array(6), tpa: ip });
      this.stack.transmit(dev, ethFrame(ETH_BROADCAST, dev.mac, ETH_P_ARP, arp));
      return;
    }
    const src = dev.addrs.find((a) => a.family === 'inet6' && a.scope === 'link')?.address ?? linkLocalFromMac(dev.mac);
    const dst = solicitedNode(ip);
    const body = new Uint8Array(28);
    body.set(ip, 4);
    body.set([1, 1], 20);
    body.set(dev.mac, 22);
    const msg = icmpMessage(ICMPV6_NEIGHBOUR_SOLICIT, 0, body, { src, dst });
    this.stack.transmit(dev, ethFrame(ipv6MulticastMac(dst), dev.mac, ETH_P_IPV6, ipv6Packet(src, dst, IPPROTO_ICMPV6, msg, ND_HOP_LIMIT)));
  }

  // --- input -------------------------------------------------------------------------

  /** A frame arrived on `dev` (already counted). */
  input(dev: NetDevice, frame: Uint8Array): void {
    const eth = parseEth(frame);
    if (!eth) {
      dev.stats.rxErrors++;
      return;
    }
    const forUs = dev.isLoopback || bytesEqual(eth.dst, dev.mac) || (eth.dst[0]! & 1) === 1;
    if (!forUs) return;
    if (eth.type === ETH_P_ARP) return this.arpInput(dev, eth.payload);
    if (eth.type !== ETH_P_IP && eth.type !== ETH_P_IPV6) {
      dev.stats.rxDropped++;
      return;
    }
    const ip = parseIp(eth.payload, eth.type);
    if (!ip) {
      dev.stats.rxErrors++;
      return;
    }
    const dstOk = this.isLocal(ip.dst) || (ip.version === 4 ? ip.dst.every((b) => b === 0xff) : ip.dst[0] === 0xff);
    if (!dstOk) return;
    if (ip.version === 6 && !dev.isLoopback && !bytesEqual(eth.src, dev.mac)) this.learnFromNd(dev, ip, eth.src);
    if (ip.proto === IPPROTO_ICMP && ip.version === 4) this.icmpInput(dev, ip);
    else if (ip.proto === IPPROTO_ICMPV6 && ip.version === 6) this.icmp6Input(dev, ip);
    else if (ip.proto === IPPROTO_UDP) this.udpInput(ip);
  }

  private arpInput(dev: NetDevice, payload: Uint8Array): void {
    const arp = parseArp(payload);
    if (!arp) return;
    const ours = dev.addrs.some((a) => a.family === 'inet' && bytesEqual(a.address, arp.tpa));
    if (!arp.spa.every((b) => b === 0)) this.neigh.learn(dev, arp.spa, arp.sha, ours);
    if (arp.op === ARPOP_REQUEST && ours && !bytesEqual(arp.spa, arp.tpa)) {
      const reply = arpPacket({ op: ARPOP_REPLY, sha: dev.mac, spa: arp.tpa, tha: arp.sha, tpa: arp.spa });
      this.stack.transmit(dev, ethFrame(arp.sha, dev.mac, ETH_P_ARP, reply));
    }
  }

  private learnFromNd(dev: NetDevice, ip: IpPacket, srcMac: Uint8Array): void {
    if (ip.proto !== IPPROTO_ICMPV6 || ip.payload.length < 24) return;
    const t = ip.payload[0];
    if (t === ICMPV6_NEIGHBOUR_ADVERT) this.neigh.learn(dev, ip.payload.slice(8, 24), srcMac, false);
  }

  private icmpInput(dev: NetDevice, ip: IpPacket): void {
    const m = ip.payload;
    if (m.length < 8 || inetChecksum(m) !== 0) return;
    if (m[0] === ICMP_ECHO && !ip.dst.every((b) => b === 0xff)) {
      const reply = icmpMessage(ICMP_ECHOREPLY, 0, m.slice(4));
      this.reply(dev, ip, IPPROTO_ICMP, reply);
    } else if (m[0] === ICMP_ECHOREPLY) {
      this.bindings.get(`icmp4:${(m[4]! << 8) | m[5]!}`)?.deliver(m.slice(), { address: ip.src, port: 0 });
    }
  }

  private icmp6Input(dev: NetDevice, ip: IpPacket): void {
    const m = ip.payload;
    if (m.length < 8 || upperChecksum(ip.src, ip.dst, IPPROTO_ICMPV6, m) !== 0) return;
    if (m[0] === ICMPV6_NEIGHBOUR_SOLICIT && m.length >= 24 && ip.ttl === ND_HOP_LIMIT) {
      const target = m.slice(8, 24);
      if (!dev.addrs.some((a) => a.family === 'inet6' && bytesEqual(a.address, target))) return;
      const dad = ip.src.every((b) => b === 0);
      const dst = dad ? ALL_NODES : ip.src;
      const body = new Uint8Array(28);
      body[0] = dad ? 0x20 : 0x60; // override, plus solicited unless answering a DAD probe
      body.set(target, 4);
      body.set([2, 1], 20);
      body.set(dev.mac, 22);
      const msg = icmpMessage(ICMPV6_NEIGHBOUR_ADVERT, 0, body, { src: target, dst });
      this.stack.transmit(dev, ethFrame(dad ? ipv6MulticastMac(dst) : m.length >= 32 ? m.slice(26, 32) : ipv6MulticastMac(ALL_NODES), dev.mac, ETH_P_IPV6, ipv6Packet(target, dst, IPPROTO_ICMPV6, msg, ND_HOP_LIMIT)));
    } else if (m[0] === ICMPV6_ECHO_REQUEST && ip.dst[0] !== 0xff) {
      const reply = icmpMessage(ICMPV6_ECHO_REPLY, 0, m.slice(4), { src: ip.dst, dst: ip.src });
      this.reply(dev, ip, IPPROTO_ICMPV6, reply);
    } else if (m[0] === ICMPV6_ECHO_REPLY) {
      this.bindings.get(`icmp6:${(m[4]! << 8) | m[5]!}`)?.deliver(m.slice(), { address: ip.src, port: 0 });
    }
  }

  private udpInput(ip: IpPacket): void {
    const u = ip.payload;
    if (u.length < 8) return;
    const len = (u[4]! << 8) | u[5]!;
    if (len < 8 || len > u.length) return;
    const ck = (u[6]! << 8) | u[7]!;
    if ((ck !== 0 || ip.version === 6) && upperChecksum(ip.src, ip.dst, IPPROTO_UDP, u.subarray(0, len)) !== 0) return;
    const dport = (u[2]! << 8) | u[3]!;
    const sport = (u[0]! << 8) | u[1]!;
    this.bindings.get(`${ip.version === 4 ? 'udp4' : 'udp6'}:${dport}`)?.deliver(u.slice(8, len), { address: ip.src, port: sport });
  }

  private reply(dev: NetDevice, ip: IpPacket, proto: number, msg: Uint8Array): void {
    const datagram = ip.version === 4 ? ipv4Packet(ip.dst, ip.src, proto, msg, this.nextId()) : ipv6Packet(ip.dst, ip.src, proto, msg);
    this.output(dev, ip.src, datagram);
  }

  private log(line: string): void {
    this.stack.kernel.trace.emit(this.stack.kernel.sched.now(), 'guest', 'kernel', line);
  }
}
