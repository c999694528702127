/**
 * guest-network-get-interfaces: one entry per interface name, in getifaddrs(3) order;
 * the MAC address from SIOCGIFHWADDR (formatted %02x:..., loopback's is all zeros), the
 * IPv4/IPv6 addresses (inet_ntop text, prefix = bits set in the netmask) and, in 7.2,
 * the counters of /proc/net/dev, fetched once the interface has an address. 7.2 skips an
 * interface whose MAC cannot be read; 2.5 failed the whole command.
 */
import { Errno, type Block } from '../../guest/kernel/index.js';
import { AF_INET, AF_INET6, SOCK_CLOEXEC, SOCK_STREAM, SIOCGIFHWADDR } from '../../guest/kernel/net/constants.js';
import { ifreq, ifreqHwaddr } from '../../guest/kernel/net/socket.js';
import type { QgaHandlers } from '../protocol/handler.js';
import type { GuestIpAddress, GuestNetworkInterface, GuestNetworkInterfaceStat } from '../schema/types.js';
import { wideFromBigInt } from '../schema/wide.js';
import { errnoError, isLegacy, readTextFile, type QgaCall, type QgaCommandEnv } from './common.js';

/** inet_ntop(AF_INET). */
export function inet4Text(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4)).join('.');
}

/** inet_ntop(AF_INET6) as glibc writes it: longest run (of two or more) of zero words as "::". */
export function inet6Text(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = { ...cur };
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // An IPv4-compatible or IPv4-mapped address ends in dotted quad form.
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += inet4Text(b.subarray(12, 16));
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

function popcount(b: Uint8Array): number {
  let n = 0;
  for (const x of b) for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function macText(mac: Uint8Array): string {
  return Array.from({ length: 6 }, (_v, i) => (mac[i] ?? 0).toString(16).padStart(2, '0')).join(':');
}

/** guest_get_network_stats: the interface's line of /proc/net/dev, or undefined. */
export function parseNetDev(text: string, name: string): GuestNetworkInterfaceStat | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s+/, '');
    const colon = line.indexOf(':');
    if (line === '' || colon < 0 || line.slice(0, colon) !== name) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (f.length < 16 || !f.slice(0, 16).every((x) => /^[+-]?\d+$/.test(x))) continue;
    const n = (i: number): ReturnType<typeof wideFromBigInt> => wideFromBigInt(BigInt.asUintN(64, BigInt(f[i]!)));
    return {
      'rx-bytes': n(0),
      'rx-packets': n(1),
      'rx-errs': n(2),
      'rx-dropped': n(3),
      'tx-bytes': n(8),
      'tx-packets': n(9),
      'tx-errs': n(10),
      'tx-dropped': n(11),
    };
  }
  return undefined;
}

/** The network handler. */
export function networkHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;

  // socket(PF_INET, SOCK_STREAM) + ioctl(SIOCGIFHWADDR): the MAC, or the ioctl's Errno.
  function* hwaddr(name: string): QgaCall<Uint8Array> {
    let sock: number;
    try {
      sock = sys.net.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
    } catch (e) {
      throw errnoError('failed to create socket', e);
    }
    try {
      const req = ifreq(name);
      yield* sys.ioctl(sock, SIOCGIFHWADDR, req);
      return ifreqHwaddr(req);
    } finally {
      sys.close(sock);
    }
  }

  function* stats(name: string): QgaCall<GuestNetworkInterfaceStat | undefined> {
    try {
      return parseNetDev(yield* readTextFile(sys, '/proc/net/dev'), name);
    } catch (e) {
      if (e instanceof Errno) return undefined;
      throw e;
    }
  }

  return {
    'guest-network-get-interfaces': function* (_args, ctx) {
      const legacy = isLegacy(ctx);
      let ifaddrs;
      try {
        ifaddrs = sys.net.getifaddrs();
      } catch (e) {
        throw errnoError('getifaddrs failed', e);
      }
      const out: GuestNetworkInterface[] = [];
      for (const ifa of ifaddrs) {
        let info = out.find((i) => i.name === ifa.name);
        if (info === undefined) {
          info = { name: ifa.name };
          out.push(info);
        }
        if (info['hardware-address'] === undefined) {
          try {
            info['hardware-address'] = macText(yield* hwaddr(info.name));
          } catch (e) {
            // 7.2 goes on without a MAC (loopback has none on some systems).
            if (legacy) throw errnoError(`failed to get MAC address of ${ifa.name}`, e);
            if (!(e instanceof Errno)) throw e;
          }
        }
        let item: GuestIpAddress | undefined;
        const family = ifa.addr?.family;
        const addr = ifa.addr?.addr;
        const mask = ifa.netmask?.addr;
        if (family === AF_INET && addr !== undefined) {
          item = { 'ip-address': inet4Text(addr), 'ip-address-type': 'ipv4', prefix: mask === undefined ? 0 : popcount(mask.subarray(0, 4)) };
        } else if (family === AF_INET6 && addr !== undefined) {
          item = { 'ip-address': inet6Text(addr), 'ip-address-type': 'ipv6', prefix: mask === undefined ? 0 : popcount(mask.subarray(0, 16)) };
        }
        if (item === undefined) continue;
        (info['ip-addresses'] ??= []).push(item);
        if (!legacy && info.statistics === undefined) {
          const s = yield* stats(info.name);
          if (s !== undefined) info.statistics = s;
        }
      }
      return out;
    },
  };
}
