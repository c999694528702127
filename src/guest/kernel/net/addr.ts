/**
 * IPv4 and IPv6 addresses as bytes and text: inet_pton/inet_ntop (glibc's IPv6 text form:
 * lower-case, the longest run of two or more zero groups compressed, leftmost on a tie),
 * prefix masks, and the multicast addresses neighbour discovery uses.
 */

/** Parses a dotted quad; undefined when malformed. */
export function parseIpv4(s: string): Uint8Array | undefined {
  const p = s.split('.');
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return undefined;
  return Uint8Array.from(p.map(Number));
}

/** Parses IPv6 text (with "::" and an optional trailing dotted quad); undefined when malformed. */
export function parseIpv6(s: string): Uint8Array | undefined {
  const text = s.split('%')[0]!;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Dotted-quad text. */
export function formatIpv4(b: ArrayLike<number>): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** glibc inet_ntop text of 16 bytes. */
export function formatIpv6(b: ArrayLike<number>): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  // IPv4-mapped and IPv4-compatible forms keep the dotted quad, as glibc prints them.
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${formatIpv4([b[12]!, b[13]!, b[14]!, b[15]!])}`;
  }
  const hex = (x: number) => x.toString(16);
  if (best < 0) return g.map(hex).join(':');
  return `${g.slice(0, best).map(hex).join(':')}::${g.slice(best + bestLen).map(hex).join(':')}`;
}

/** A prefix of `bits` as a mask of `bytes` bytes. */
export function prefixMask(bits: number, bytes: 4 | 16): Uint8Array {
  const m = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) m[i] = bits >= 8 * (i + 1) ? 0xff : bits <= 8 * i ? 0 : (0xff << (8 - (bits - 8 * i))) & 0xff;
  return m;
}

/** True when `a` and `b` agree on the first `bits` bits. */
export function samePrefix(a: ArrayLike<number>, b: ArrayLike<number>, bits: number): boolean {
  const m = prefixMask(bits, a.length === 4 ? 4 : 16);
  for (let i = 0; i < m.length; i++) if ((a[i]! & m[i]!) !== (b[i]! & m[i]!)) return false;
  return true;
}

/** Byte-wise equality. */
export function bytesEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The solicited-node multicast address of an IPv6 address (ff02::1:ffXX:XXXX). */
export function solicitedNode(addr: ArrayLike<number>): Uint8Array {
  const out = parseIpv6('ff02::1:ff00:0')!;
  out[13] = addr[13]!;
  out[14] = addr[14]!;
  out[15] = addr[15]!;
  return out;
}

/** The Ethernet address an IPv6 multicast group maps to (33:33 + low 32 bits). */
export function ipv6MulticastMac(addr: ArrayLike<number>): Uint8Array {
  return Uint8Array.from([0x33, 0x33, addr[12]!, addr[13]!, addr[14]!, addr[15]!]);
}

/** The link-local address of a MAC (fe80::/64 with the modified EUI-64 identifier). */
export function linkLocalFromMac(mac: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out.set([mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!], 8);
  return out;
}

/** inet_ntop for AF_INET (4 bytes) or AF_INET6 (16 bytes). */
export function inetNtop(addr: ArrayLike<number>): string {
  return addr.length === 4 ? formatIpv4(addr) : formatIpv6(addr);
}

/** inet_pton: 4 or 16 bytes, or undefined when the text is neither. */
export function inetPton(text: string): Uint8Array | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}
