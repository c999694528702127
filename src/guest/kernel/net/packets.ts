/**
 * Wire formats the guest stack speaks: Ethernet II, ARP, IPv4, IPv6, ICMP, ICMPv6 and UDP,
 * built into and parsed from byte arrays with their checksums. Parsers return undefined for
 * anything malformed; a frame from the wire is never trusted.
 */

/** EtherType IPv4. */
export const ETH_P_IP = 0x0800;
/** EtherType ARP. */
export const ETH_P_ARP = 0x0806;
/** EtherType IPv6. */
export const ETH_P_IPV6 = 0x86dd;
/** Ethernet header bytes. */
export const ETH_HLEN = 14;
/** Ethernet broadcast address. */
export const ETH_BROADCAST = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** IPv4 header bytes (no options). */
export const IPV4_HLEN = 20;
/** IPv6 header bytes. */
export const IPV6_HLEN = 40;
/** Default hop limit / TTL (Linux's ip_default_ttl and hop_limit). */
export const DEFAULT_TTL = 64;
/** ICMP echo request. */
export const ICMP_ECHO = 8;
/** ICMP echo reply. */
export const ICMP_ECHOREPLY = 0;
/** ICMPv6 echo request. */
export const ICMPV6_ECHO_REQUEST = 128;
/** ICMPv6 echo reply. */
export const ICMPV6_ECHO_REPLY = 129;
/** ICMPv6 router solicitation. */
export const ICMPV6_ROUTER_SOLICIT = 133;
/** ICMPv6 neighbour solicitation. */
export const ICMPV6_NEIGHBOUR_SOLICIT = 135;
/** ICMPv6 neighbour advertisement. */
export const ICMPV6_NEIGHBOUR_ADVERT = 136;
/** ARP request. */
export const ARPOP_REQUEST = 1;
/** ARP reply. */
export const ARPOP_REPLY = 2;

/** A parsed Ethernet frame. */
export interface EthFrame {
  /** Destination MAC. */
  dst: Uint8Array;
  /** Source MAC. */
  src: Uint8Array;
  /** EtherType. */
  type: number;
  /** Payload. */
  payload: Uint8Array;
}

/** Builds an Ethernet II frame. */
export function ethFrame(dst: ArrayLike<number>, src: ArrayLike<number>, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, ETH_HLEN);
  return f;
}

/** Parses an Ethernet II frame. */
export function parseEth(f: Uint8Array): EthFrame | undefined {
  if (f.length < ETH_HLEN) return undefined;
  return { dst: f.subarray(0, 6), src: f.subarray(6, 12), type: (f[12]! << 8) | f[13]!, payload: f.subarray(ETH_HLEN) };
}

/** An ARP packet for IPv4 over Ethernet. */
export interface ArpPacket {
  /** ARPOP_*. */
  op: number;
  /** Sender MAC. */
  sha: Uint8Array;
  /** Sender IPv4. */
  spa: Uint8Array;
  /** Target MAC. */
  tha: Uint8Array;
  /** Target IPv4. */
  tpa: Uint8Array;
}

/** Builds an ARP packet. */
export function arpPacket(a: ArpPacket): Uint8Array {
  const p = new Uint8Array(28);
  p.set([0, 1, 0x08, 0x00, 6, 4, 0, a.op]);
  p.set(a.sha, 8);
  p.set(a.spa, 14);
  p.set(a.tha, 18);
  p.set(a.tpa, 24);
  return p;
}

/** Parses an ARP packet (Ethernet/IPv4 only). */
export function parseArp(p: Uint8Array): ArpPacket | undefined {
  if (p.length < 28 || p[0] !== 0 || p[1] !== 1 || p[2] !== 0x08 || p[3] !== 0 || p[4] !== 6 || p[5] !== 4) return undefined;
  return { op: (p[6]! << 8) | p[7]!, sha: p.slice(8, 14), spa: p.slice(14, 18), tha: p.slice(18, 24), tpa: p.slice(24, 28) };
}

/** The Internet checksum over `chunks` (ones' complement of the ones' complement sum). */
export function inetChecksum(...chunks: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const c of chunks) {
    for (const b of c) {
      if (odd === undefined) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A parsed IP datagram (either version). */
export interface IpPacket {
  /** 4 or 6. */
  version: 4 | 6;
  /** Source address. */
  src: Uint8Array;
  /** Destination address. */
  dst: Uint8Array;
  /** Upper-layer protocol. */
  proto: number;
  /** TTL / hop limit. */
  ttl: number;
  /** Upper-layer payload. */
  payload: Uint8Array;
}

/** Builds an IPv4 datagram (no options, DF set, as Linux sends small datagrams). */
export function ipv4Packet(src: Uint8Array, dst: Uint8Array, proto: number, payload: Uint8Array, id: number, ttl = DEFAULT_TTL): Uint8Array {
  const p = new Uint8Array(IPV4_HLEN + payload.length);
  const len = p.length;
  p.set([0x45, 0, len >> 8, len & 0xff, (id >> 8) & 0xff, id & 0xff, 0x40, 0, ttl, proto, 0, 0]);
  p.set(src, 12);
  p.set(dst, 16);
  const c = inetChecksum(p.subarray(0, IPV4_HLEN));
  p[10] = c >> 8;
  p[11] = c & 0xff;
  p.set(payload, IPV4_HLEN);
  return p;
}

/** Builds an IPv6 datagram. */
export function ipv6Packet(src: Uint8Array, dst: Uint8Array, next: number, payload: Uint8Array, hopLimit = DEFAULT_TTL): Uint8Array {
  const p = new Uint8Array(IPV6_HLEN + payload.length);
  p.set([0x60, 0, 0, 0, payload.length >> 8, payload.length & 0xff, next, hopLimit]);
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, IPV6_HLEN);
  return p;
}

/** Parses an IPv4 or IPv6 datagram; bad versions, lengths or IPv4 header checksums are refused. */
export function parseIp(p: Uint8Array, ethType: number): IpPacket | undefined {
  if (ethType === ETH_P_IP) {
    if (p.length < IPV4_HLEN || p[0]! >> 4 !== 4) return undefined;
    const ihl = (p[0]! & 0xf) * 4;
    const total = (p[2]! << 8) | p[3]!;
    if (ihl < IPV4_HLEN || total < ihl || total > p.length || inetChecksum(p.subarray(0, ihl)) !== 0) return undefined;
    return { version: 4, src: p.slice(12, 16), dst: p.slice(16, 20), proto: p[9]!, ttl: p[8]!, payload: p.subarray(ihl, total) };
  }
  if (ethType === ETH_P_IPV6) {
    if (p.length < IPV6_HLEN || p[0]! >> 4 !== 6) return undefined;
    const plen = (p[4]! << 8) | p[5]!;
    if (IPV6_HLEN + plen > p.length) return undefined;
    return { version: 6, src: p.slice(8, 24), dst: p.slice(24, 40), proto: p[6]!, ttl: p[7]!, payload: p.subarray(IPV6_HLEN, IPV6_HLEN + plen) };
  }
  return undefined;
}

/** The checksum of an upper-layer message, with the IPv6 pseudo-header when `src` is 16 bytes. */
export function upperChecksum(src: Uint8Array, dst: Uint8Array, proto: number, msg: Uint8Array): number {
  const n = msg.length;
  const pseudo =
    src.length === 16
      ? Uint8Array.from([...src, ...dst, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, 0, 0, 0, proto])
      : Uint8Array.from([...src, ...dst, 0, proto, n >> 8, n & 0xff]);
  return inetChecksum(pseudo, msg);
}

/** Builds an ICMP (IPv4: no pseudo-header) or ICMPv6 message with its checksum. */
export function icmpMessage(type: number, code: number, body: Uint8Array, v6?: { src: Uint8Array; dst: Uint8Array }): Uint8Array {
  const m = new Uint8Array(4 + body.length);
  m[0] = type;
  m[1] = code;
  m.set(body, 4);
  const c = v6 ? upperChecksum(v6.src, v6.dst, 58, m) : inetChecksum(m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

/** Builds a UDP datagram with its checksum. */
export function udpDatagram(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  u.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, u.length >> 8, u.length & 0xff, 0, 0]);
  u.set(data, 8);
  let c = upperChecksum(src, dst, 17, u);
  if (c === 0) c = 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

/** Echo request/reply body: identifier, sequence, data. */
export function echoBody(id: number, seq: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + data.length);
  b.set([id >> 8, id & 0xff, seq >> 8, seq & 0xff]);
  b.set(data, 4);
  return b;
}
