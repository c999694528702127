/**
 * Static network configuration handed from the machine to the guest through fw_cfg: what
 * DHCP and router advertisements from QEMU's user network would have given, as a text file
 * (opt/org.qga-sim/network) the guest kernel reads at boot. One NIC per line (or per ';'),
 * matched by MAC: `52:54:00:12:34:56 10.0.2.15/24 fec0::5054:ff:fe12:3456/64 gw=10.0.2.2`.
 */
import { formatMac, parseMac } from './virtio-net.js';

/** fw_cfg file name (the "opt/" prefix is QEMU's namespace for user-supplied files). */
export const FW_CFG_FILE_NETWORK = 'opt/org.qga-sim/network';
/** Largest configuration text read (a few lines per NIC). */
export const NET_CONFIG_MAX_BYTES = 4096;

/** The address QEMU's user network hands the first DHCP client. */
export const USER_NET_GUEST_IPV4 = '10.0.2.15';
/** Its prefix length. */
export const USER_NET_IPV4_PREFIX = 24;
/** The user network's gateway. */
export const USER_NET_GATEWAY = '10.0.2.2';
/** The user network's IPv6 prefix (advertised by its router; guests take SLAAC addresses in it). */
export const USER_NET_IPV6_PREFIX = 'fec0::';

/** One address: text form plus prefix length. */
export interface NetConfigAddress {
  /** IPv4 dotted quad or IPv6 text. */
  address: string;
  /** Prefix length. */
  prefix: number;
  /** Address family. */
  family: 'inet' | 'inet6';
}

/** Configuration of one NIC. */
export interface NicConfig {
  /** MAC address (lower-case, colon-separated). */
  mac: string;
  /** Addresses in order. */
  addresses: NetConfigAddress[];
  /** IPv4 default gateway, if any. */
  gateway?: string;
}

/** Formats NIC configurations as the fw_cfg text. */
export function formatNetConfig(nics: readonly NicConfig[]): string {
  return nics
    .map((n) => [n.mac, ...n.addresses.map((a) => `${a.address}/${a.prefix}`), ...(n.gateway ? [`gw=${n.gateway}`] : [])].join(' ') + '\n')
    .join('');
}

/** Parses the fw_cfg text; malformed entries are skipped (the guest must not trust the host). */
export function parseNetConfig(text: string): NicConfig[] {
  const out: NicConfig[] = [];
  for (const line of text.slice(0, NET_CONFIG_MAX_BYTES).split(/[\n;]/)) {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    const mac = words[0] === undefined ? undefined : parseMac(words[0]);
    if (!mac) continue;
    const nic: NicConfig = { mac: formatMac(mac), addresses: [] };
    for (const w of words.slice(1)) {
      if (w.startsWith('gw=')) {
        if (isIpv4(w.slice(3))) nic.gateway = w.slice(3);
        continue;
      }
      const m = /^([^/]+)\/(\d{1,3})$/.exec(w);
      if (!m) continue;
      const prefix = Number(m[2]);
      if (isIpv4(m[1]!) && prefix <= 32) nic.addresses.push({ address: m[1]!, prefix, family: 'inet' });
      else if (m[1]!.includes(':') && prefix <= 128) nic.addresses.push({ address: m[1]!, prefix, family: 'inet6' });
    }
    out.push(nic);
  }
  return out;
}

/** The modified EUI-64 interface identifier of a MAC as IPv6 text groups ("5054:ff:fe12:3456"). */
export function eui64Suffix(mac: ArrayLike<number>): string {
  const b = [mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** What QEMU's user network gives a NIC: the first DHCP lease and a SLAAC address in fec0::/64. */
export function userNetDefaults(mac: Uint8Array): NicConfig {
  return {
    mac: formatMac(mac),
    addresses: [
      { address: USER_NET_GUEST_IPV4, prefix: USER_NET_IPV4_PREFIX, family: 'inet' },
      { address: `${USER_NET_IPV6_PREFIX}${eui64Suffix(mac)}`, prefix: 64, family: 'inet6' },
    ],
    gateway: USER_NET_GATEWAY,
  };
}

function isIpv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
}
