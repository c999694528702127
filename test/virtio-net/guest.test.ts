/**
 * virtio-net-pci with a `user` netdev, through the guest: the MAC the driver reads from
 * config space, the interface systemd would call ens3, /sys/class/net and /proc/net/dev in
 * Linux's formats with counters that move as the guest sends, getifaddrs and the interface
 * ioctls qemu-ga uses, and the static addresses the machine hands over in fw_cfg.
 */
import { describe, expect, it } from 'vitest';
import { bootHwMachine, type HwMachine } from '../helpers/hw-machine.js';
import type { MachineConfig } from '../../src/machine/config.js';
import type { Syscalls, Program } from '../../src/guest/kernel/index.js';
import { AF_INET, AF_INET6, AF_PACKET, IFF_LOOPBACK, IFF_RUNNING, IFF_UP, SIOCGIFFLAGS, SIOCGIFHWADDR, SOCK_DGRAM } from '../../src/guest/kernel/net/constants.js';
import { ifreq, ifreqHwaddr, ifreqInt } from '../../src/guest/kernel/net/socket.js';
import { inetNtop } from '../../src/guest/kernel/net/addr.js';
import { formatMac } from '../../src/abi/virtio-net.js';
import { machineNetworkOf } from '../../src/machine/device-types/net.js';
import type { IfAddrs } from '../../src/guest/kernel/net/syscalls.js';

const userNic = (mac?: string) => (c: MachineConfig) => {
  c.netdevs.push({ type: 'user', id: 'n0', props: [] });
  c.devices.push({ driver: 'virtio-net-pci', props: [['netdev', 'n0'], ['id', 'net0'], ...(mac ? [['mac', mac] as [string, string]] : [])] });
};

function netDevLine(h: HwMachine, name: string): number[] {
  const line = h.read('/proc/net/dev').split('\n').find((l) => l.trimStart().startsWith(`${name}:`));
  return (line ?? '').split(':')[1]!.trim().split(/\s+/).map(Number);
}

function guestCall<T>(h: HwMachine, fn: (sys: Syscalls) => T): T {
  let out: T | undefined;
  const code = h.run(function* (sys: Syscalls): Program {
    out = fn(sys);
    return 0;
  });
  expect(code).toBe(0);
  return out as T;
}

describe('virtio-net-pci in the guest', () => {
  it('reads the MAC given with -device mac= from config space and names the interface after its slot (ens3)', async () => {
    const h = await bootHwMachine(userNic('52:54:00:ab:cd:ef'));
    const fn = h.m.queryPci()[0]!.devices.find((d) => d.id.device === 0x1000)!;
    expect(fn.slot).toBe(3);
    expect(h.read('/sys/class/net/ens3/address')).toBe('52:54:00:ab:cd:ef\n');
    expect(h.read('/sys/class/net/ens3/mtu')).toBe('1500\n');
    expect(h.read('/sys/class/net/ens3/operstate')).toBe('up\n');
    expect(h.read('/sys/class/net/ens3/ifindex')).toBe('2\n');
    expect(h.read('/sys/class/net/ens3/type')).toBe('1\n');
    expect(h.read('/sys/class/net/ens3/flags')).toBe('0x1003\n');
    expect(h.read('/sys/class/net/lo/operstate')).toBe('unknown\n');
    expect(h.read('/sys/class/net/lo/type')).toBe('772\n');
    // The interface lives under the virtio device, itself a child of the PCI function.
    expect(h.sh('cd -P /sys/class/net/ens3/device && pwd').out).toBe('/sys/devices/pci0000:00/0000:00:03.0/virtio1\n');
    expect(h.sh('cd -P /sys/class/net/ens3/device/.. && pwd').out).toBe('/sys/devices/pci0000:00/0000:00:03.0\n');
  });

  it('gives NICs without mac= QEMU’s defaults, counting up', async () => {
    const h = await bootHwMachine((c) => {
      c.netdevs.push({ type: 'user', id: 'a', props: [] }, { type: 'user', id: 'b', props: [] });
      c.devices.push({ driver: 'virtio-net-pci', props: [['netdev', 'a']] }, { driver: 'virtio-net-pci', props: [['netdev', 'b']] });
    });
    expect(h.read('/sys/class/net/ens3/address')).toBe('52:54:00:12:34:56\n');
    expect(h.read('/sys/class/net/ens4/address')).toBe('52:54:00:12:34:57\n');
  });

  it('/proc/net/dev has Linux’s header and counts the link-up announcements the backend received', async () => {
    const h = await bootHwMachine(userNic());
    const text = h.read('/proc/net/dev');
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    ]);
    expect(text.split('\n')[2]).toBe('    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0');
    const ens3 = netDevLine(h, 'ens3');
    // One gratuitous ARP (42 bytes) and a DAD probe for each IPv6 address (78 bytes each).
    expect([ens3[8], ens3[9]]).toEqual([42 + 78 + 78, 3]);
    const backend = machineNetworkOf(h.m).netdevs.get('n0')!;
    expect([backend.stats.framesFromGuest, backend.stats.bytesFromGuest]).toEqual([3, 198]);
  });

  it('tx counters grow as the guest sends: ping on lo counts both ways, ping to the gateway sends ARP probes', async () => {
    const h = await bootHwMachine(userNic());
    const r = h.sh('ping -c 2 127.0.0.1', { runMs: 2000 });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=0\.000 ms\n/);
    expect(r.out).toContain('2 packets transmitted, 2 received, 0% packet loss, time 1000ms');
    const lo = netDevLine(h, 'lo');
    // Each of 2 requests and 2 replies crosses lo once: 98-byte frames, seen as sent and received.
    expect([lo[0], lo[1], lo[8], lo[9]]).toEqual([392, 4, 392, 4]);

    const six = h.sh('ping -c 1 ::1', { runMs: 100 });
    expect(six.out).toMatch(/^PING ::1\(::1\) 56 data bytes\n64 bytes from ::1: icmp_seq=1 ttl=64 time=0\.000 ms\n/);
    expect(h.sh('ping -c 1 2001:db8::1').err).toBe('ping: connect: Network is unreachable\n');

    const before = netDevLine(h, 'ens3')[9]!;
    const backend = machineNetworkOf(h.m).netdevs.get('n0')!;
    const framesBefore = backend.stats.framesFromGuest;
    const lost = h.sh('ping -c 1 -W 4 10.0.2.2', { runMs: 5000 });
    expect(lost.code).toBe(1);
    expect(lost.out).toContain('1 packets transmitted, 0 received, 100% packet loss');
    // The user network answers nothing: three ARP requests, one per second, then resolution fails.
    expect(netDevLine(h, 'ens3')[9]! - before).toBe(3);
    expect(backend.stats.framesFromGuest - framesBefore).toBe(3);
  });

  it('getifaddrs lists lo and ens3: AF_PACKET entries, then IPv4, then IPv6, with the user network’s addresses', async () => {
    const h = await bootHwMachine(userNic());
    const list = guestCall(h, (sys) => sys.net.getifaddrs());
    const show = (e: IfAddrs) => `${e.name} ${e.addr?.family === AF_PACKET ? 'packet ' + formatMac(e.addr.addr) : e.addr?.family === AF_INET ? 'inet ' + inetNtop(e.addr.addr) : 'inet6 ' + inetNtop(e.addr!.addr)}${e.netmask ? '/' + inetNtop(e.netmask.addr) : ''}`;
    expect(list.map(show)).toEqual([
      'lo packet 00:00:00:00:00:00',
      'ens3 packet 52:54:00:12:34:56',
      'lo inet 127.0.0.1/255.0.0.0',
      'ens3 inet 10.0.2.15/255.255.255.0',
      'lo inet6 ::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'ens3 inet6 fec0::5054:ff:fe12:3456/ffff:ffff:ffff:ffff::',
      'ens3 inet6 fe80::5054:ff:fe12:3456/ffff:ffff:ffff:ffff::',
    ]);
    const lo = list[0]!;
    expect(lo.flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)).toBe(IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
    expect(list[1]!.flags).toBe(0x11043);
    expect(list.find((e) => e.name === 'ens3' && e.addr?.family === AF_INET)!.broadaddr?.addr).toEqual(Uint8Array.from([10, 0, 2, 255]));
    expect(list.find((e) => e.addr?.family === AF_INET6 && e.addr.addr[0] === 0xfe && e.addr.addr[1] === 0x80)!.addr!.scopeId).toBe(2);
  });

  it('answers SIOCGIFHWADDR and SIOCGIFFLAGS on a datagram socket, as qemu-ga asks', async () => {
    const h = await bootHwMachine(userNic('52:54:00:00:00:01'));
    const got = guestCall(h, (sys) => {
      const fd = sys.net.socket(AF_INET, SOCK_DGRAM, 0);
      const out: string[] = [];
      for (const name of ['ens3', 'lo']) {
        const r = ifreq(name);
        // ioctl is a generator syscall; these requests never block.
        const it = sys.ioctl(fd, SIOCGIFHWADDR, r);
        it.next();
        const f = ifreq(name);
        const it2 = sys.ioctl(fd, SIOCGIFFLAGS, f);
        it2.next();
        out.push(`${name} ${formatMac(ifreqHwaddr(r))} 0x${ifreqInt(f, 2).toString(16)}`);
      }
      sys.close(fd);
      return out;
    });
    expect(got).toEqual(['ens3 52:54:00:00:00:01 0x1043', 'lo 00:00:00:00:00:00 0x49']);
  });

  it('takes its addresses from -fw_cfg opt/org.qga-sim/network when the machine configuration gives them', async () => {
    const h = await bootHwMachine((c) => {
      userNic('52:54:00:12:34:56')(c);
      c.fwCfgFiles.push({ name: 'opt/org.qga-sim/network', data: '52:54:00:12:34:56 192.168.7.9/16 2001:db8::9/64' });
    });
    const list = guestCall(h, (sys) => sys.net.getifaddrs());
    const ens3 = list.filter((e) => e.name === 'ens3' && e.addr?.family !== AF_PACKET).map((e) => inetNtop(e.addr!.addr));
    expect(ens3).toEqual(['192.168.7.9', '2001:db8::9', 'fe80::5054:ff:fe12:3456']);
    expect(list.some((e) => e.addr?.family === AF_INET6 && e.name === 'lo')).toBe(true);
  });
});

describe('determinism', () => {
  it('the same machine and the same guest activity (CPU offline, ping, DIMM-less traffic) give the same trace', async () => {
    const digest = async () => {
      const h = await bootHwMachine((c) => {
        userNic()(c);
        c.cpus = 2;
        c.maxCpus = 2;
      });
      h.sh('echo 0 > /sys/devices/system/cpu/cpu1/online');
      h.sh('ping -c 2 -W 1 10.0.2.2', { runMs: 4000 });
      return h.m.trace.digest();
    };
    expect(await digest()).toBe(await digest());
  });
});
