/**
 * The guest kernel's network stack: the interface list (lo first, then NICs as drivers
 * register them), addresses applied from the machine's static configuration when an
 * interface comes up (what ifupdown does at boot with the fw_cfg-provided settings), the
 * link-local IPv6 address addrconf derives, and the frame paths between drivers and the IP
 * layer, where every frame is counted.
 */
import type { NicConfig } from '../../../abi/net-config.js';
import { formatMac } from '../../../abi/virtio-net.js';
import type { Kernel } from '../kernel.js';
import { AnonFs } from '../vfs/anonfs.js';
import { parseIpv4, parseIpv6, linkLocalFromMac } from './addr.js';
import { ARPHRD_LOOPBACK, IFF_LOOPBACK, IFF_UP } from './constants.js';
import { registerNetFiles, addNetDeviceFiles } from './files.js';
import { IpLayer } from './ip.js';
import { NetDevice, type IfAddr, type NetDeviceSpec } from './netdev.js';

/** Loopback MTU (Linux's default since 3.x). */
export const LOOPBACK_MTU = 65536;
/** Longest interface name (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

/** Listener for interface changes. */
export type NetDeviceListener = (dev: NetDevice, event: 'register' | 'up' | 'carrier') => void;

/** The network stack of one kernel. */
export class NetStack {
  /** Interfaces by ifindex order. */
  readonly devices: NetDevice[] = [];
  /** The loopback interface. */
  readonly lo: NetDevice;
  /** The IP layer (routing, neighbours, protocols, sockets). */
  readonly ip: IpLayer;
  /** Where socket inodes come from (sockfs). */
  readonly sockfs: AnonFs;
  private nextIfindex = 1;
  private config: NicConfig[] = [];
  private readonly listeners: NetDeviceListener[] = [];

  /** Creates lo (up, 127.0.0.1/8 and ::1/128) and the /proc and /sys files. */
  constructor(readonly kernel: Kernel) {
    this.ip = new IpLayer(this);
    this.sockfs = new AnonFs('sockfs', kernel.allocAnonDev(), () => kernel.clock.realtime());
    registerNetFiles(kernel, this);
    this.lo = this.register({
      name: 'lo',
      type: ARPHRD_LOOPBACK,
      mac: new Uint8Array(6),
      mtu: LOOPBACK_MTU,
      flags: IFF_LOOPBACK,
      sysfsParent: '/devices/virtual',
      physical: false,
      driver: { xmit: (frame) => this.loopbackXmit(frame) },
    });
    this.lo.carrier = true;
    this.lo.addrs.push({ family: 'inet', address: parseIpv4('127.0.0.1')!, prefix: 8, scope: 'host' });
    this.lo.addrs.push({ family: 'inet6', address: parseIpv6('::1')!, prefix: 128, scope: 'host' });
    this.lo.flags |= IFF_UP;
  }

  /** The machine's static configuration (from fw_cfg); applies to interfaces already present. */
  configure(nics: readonly NicConfig[]): void {
    this.config = [...nics];
    for (const d of this.devices) if (!d.isLoopback) this.applyConfig(d);
  }

  /** register_netdev: the interface appears (down) and is configured if the machine names its MAC. */
  register(spec: NetDeviceSpec): NetDevice {
    if (spec.name.length > IFNAME_MAX || this.devices.some((d) => d.name === spec.name)) throw new Error(`net: bad or duplicate interface name ${spec.name}`);
    const dev = new NetDevice(this.nextIfindex++, spec);
    this.devices.push(dev);
    addNetDeviceFiles(this.kernel.sysfs, dev);
    this.log(`${dev.name}: registered, ifindex ${dev.ifindex}, address ${formatMac(dev.mac)}`);
    this.emit(dev, 'register');
    if (!dev.isLoopback) this.applyConfig(dev);
    return dev;
  }

  /** The interface called `name`. */
  byName(name: string): NetDevice | undefined {
    return this.devices.find((d) => d.name === name);
  }

  /** The interface with index `ifindex`. */
  byIndex(ifindex: number): NetDevice | undefined {
    return this.devices.find((d) => d.ifindex === ifindex);
  }

  /** netif_carrier_on/off from a driver. */
  setCarrier(dev: NetDevice, on: boolean): void {
    if (dev.carrier === on) return;
    const wasRunning = dev.running;
    dev.carrier = on;
    this.log(`${dev.name}: link ${on ? 'up' : 'down'}`);
    this.emit(dev, 'carrier');
    if (!wasRunning && dev.running) this.ip.linkUp(dev);
  }

  /** Brings an interface up (IFF_UP), adding its link-local address as addrconf does. */
  ifup(dev: NetDevice): void {
    if (dev.up) return;
    const wasRunning = dev.running;
    dev.flags |= IFF_UP;
    if (!dev.isLoopback && !dev.addrs.some((a) => a.scope === 'link')) {
      dev.addrs.push({ family: 'inet6', address: linkLocalFromMac(dev.mac), prefix: 64, scope: 'link' });
    }
    this.sortAddrs(dev);
    this.log(`${dev.name}: up`);
    this.emit(dev, 'up');
    if (!wasRunning && dev.running) this.ip.linkUp(dev);
  }

  /** A driver hands up a received Ethernet frame. */
  receive(dev: NetDevice, frame: Uint8Array): void {
    dev.stats.rxPackets++;
    dev.stats.rxBytes += frame.length;
    if (frame.length >= 1 && (frame[0]! & 1) !== 0 && !(frame[0] === 0xff && frame[1] === 0xff)) dev.stats.multicast++;
    if (!dev.up) {
      dev.stats.rxDropped++;
      return;
    }
    this.ip.input(dev, frame);
  }

  /** The stack sends a frame: counted as sent when the driver takes it, as dropped when not. */
  transmit(dev: NetDevice, frame: Uint8Array): boolean {
    if (!dev.running) {
      dev.stats.txDropped++;
      return false;
    }
    if (!dev.spec.driver.xmit(frame)) {
      dev.stats.txDropped++;
      return false;
    }
    dev.stats.txPackets++;
    dev.stats.txBytes += frame.length;
    return true;
  }

  /** Called on interface events. */
  onChange(l: NetDeviceListener): void {
    this.listeners.push(l);
  }

  private loopbackXmit(frame: Uint8Array): boolean {
    // loopback_xmit hands the frame straight back to the receive path (a softirq later).
    this.kernel.sched.after(0, 'lo rx', () => this.receive(this.lo, frame));
    return true;
  }

  private applyConfig(dev: NetDevice): void {
    const mac = formatMac(dev.mac);
    const cfg = this.config.find((c) => c.mac === mac);
    if (!cfg) return;
    for (const a of cfg.addresses) {
      const bytes = a.family === 'inet' ? parseIpv4(a.address) : parseIpv6(a.address);
      if (!bytes || dev.addrs.some((x) => x.family === a.family && x.address.every((v, i) => v === bytes[i]))) continue;
      const scope: IfAddr['scope'] = a.family === 'inet6' && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80 ? 'link' : 'global';
      dev.addrs.push({ family: a.family, address: bytes, prefix: a.prefix, scope });
    }
    dev.gateway = cfg.gateway === undefined ? undefined : parseIpv4(cfg.gateway);
    this.ifup(dev);
  }

  // Linux keeps IPv6 addresses ordered by scope (global before link-local); IPv4 in add order.
  private sortAddrs(dev: NetDevice): void {
    const rank = (a: IfAddr) => (a.family === 'inet' ? 0 : a.scope === 'global' ? 1 : a.scope === 'host' ? 2 : 3);
    const sorted = dev.addrs.map((a, i) => ({ a, i })).sort((x, y) => rank(x.a) - rank(y.a) || x.i - y.i);
    dev.addrs.splice(0, dev.addrs.length, ...sorted.map((x) => x.a));
  }

  private emit(dev: NetDevice, ev: 'register' | 'up' | 'carrier'): void {
    for (const l of this.listeners) l(dev, ev);
  }

  private log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', line);
  }
}

const stacks = new WeakMap<Kernel, NetStack>();

/** The network stack of `kernel`, created (with lo) on first use. */
export function netStackOf(kernel: Kernel): NetStack {
  let s = stacks.get(kernel);
  if (!s) {
    s = new NetStack(kernel);
    stacks.set(kernel, s);
  }
  return s;
}
