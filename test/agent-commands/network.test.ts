/** guest-network-get-interfaces over getifaddrs, SIOCGIFHWADDR and /proc/net/dev. */
import { describe, expect, it } from 'vitest';
import { netStackOf } from '../../src/guest/kernel/net/stack.js';
import { ARPHRD_ETHER, IFF_BROADCAST, IFF_MULTICAST, IFF_UP } from '../../src/guest/kernel/net/constants.js';
import { inet6Text } from '../../src/agent/commands/network.js';
import type { Booted } from '../guest-programs/helpers.js';
import { expectNoFaults } from '../guest-programs/helpers.js';
import { startAgent } from './helpers.js';

function eth0(k: Booted, withAddrs: boolean): void {
  const dev = netStackOf(k.kernel).register({
    name: 'eth0',
    type: ARPHRD_ETHER,
    mac: Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56),
    mtu: 1500,
    flags: IFF_BROADCAST | IFF_MULTICAST,
    sysfsParent: '/devices/pci0000:00/0000:00:03.0/virtio0',
    physical: true,
    driver: { xmit: () => true },
  });
  dev.flags |= IFF_UP;
  dev.stats.rxBytes = 1234;
  dev.stats.rxPackets = 10;
  dev.stats.txBytes = 99;
  dev.stats.txPackets = 2;
  if (withAddrs) {
    dev.addrs.push({ family: 'inet', address: Uint8Array.of(10, 0, 2, 15), prefix: 24, scope: 'global' });
    dev.addrs.push({ family: 'inet6', address: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56), prefix: 64, scope: 'link' });
  }
}

describe('guest-network-get-interfaces', () => {
  it('7.2: lo and eth0 with MAC, addresses in getifaddrs order, prefix from the netmask, statistics', () => {
    const a = startAgent({ setup: (k) => eth0(k, true) });
    const lo = '{"name": "lo", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}, {"ip-address-type": "ipv6", "ip-address": "::1", "prefix": 128}], ' +
      '"statistics": {"tx-packets": 0, "tx-errs": 0, "rx-bytes": 0, "rx-dropped": 0, "rx-packets": 0, "rx-errs": 0, "tx-bytes": 0, "tx-dropped": 0}, "hardware-address": "00:00:00:00:00:00"}';
    const eth = '{"name": "eth0", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.0.2.15", "prefix": 24}, {"ip-address-type": "ipv6", "ip-address": "fe80::5054:ff:fe12:3456", "prefix": 64}], ' +
      '"statistics": {"tx-packets": 2, "tx-errs": 0, "rx-bytes": 1234, "rx-dropped": 0, "rx-packets": 10, "rx-errs": 0, "tx-bytes": 99, "tx-dropped": 0}, "hardware-address": "52:54:00:12:34:56"}';
    expect(a.ask('{"execute":"guest-network-get-interfaces"}')).toBe(`{"return": [${lo}, ${eth}]}\n`);
    expectNoFaults(a);
  });

  it('an interface without addresses is listed with its MAC only; 2.5 has no statistics', () => {
    const a = startAgent({ setup: (k) => eth0(k, false) });
    const r = a.call('guest-network-get-interfaces').return as Record<string, unknown>[];
    expect(r[1]).toEqual({ name: 'eth0', 'hardware-address': '52:54:00:12:34:56' });
    const old = startAgent({ profile: '2.5', setup: (k) => eth0(k, true) });
    const r2 = old.call('guest-network-get-interfaces').return as Record<string, unknown>[];
    expect(r2.map((i) => Object.keys(i).sort())).toEqual([
      ['hardware-address', 'ip-addresses', 'name'],
      ['hardware-address', 'ip-addresses', 'name'],
    ]);
  });

  it('inet_ntop(AF_INET6) compresses the longest zero run, keeps single zeros, writes v4-mapped dotted', () => {
    const v6 = (...w: number[]): Uint8Array => Uint8Array.from(w.flatMap((x) => [x >> 8, x & 0xff]));
    expect(inet6Text(v6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1))).toBe('2001:db8:0:1::1');
    expect(inet6Text(v6(0, 0, 0, 0, 0, 0, 0, 0))).toBe('::');
    expect(inet6Text(v6(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x020f))).toBe('::ffff:10.0.2.15');
    expect(inet6Text(v6(1, 0, 0, 2, 0, 0, 0, 3))).toBe('1:0:0:2::3');
    expect(inet6Text(v6(1, 2, 3, 4, 5, 6, 7, 0))).toBe('1:2:3:4:5:6:7:0');
  });
});
