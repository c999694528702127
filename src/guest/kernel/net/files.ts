/**
 * The network files of /proc and /sys: /proc/net/dev in Linux's exact layout (two header
 * lines, then one line per interface in index order), and each interface's directory under
 * its device (/sys/devices/.../net/<if>, linked from /sys/class/net) with the attributes
 * tools read: address, mtu, operstate, ifindex, type, flags, carrier and statistics/.
 */
import { formatMac } from '../../../abi/virtio-net.js';
import { Errno } from '../errno.js';
import type { Kernel } from '../kernel.js';
import type { Sysfs } from '../sysfs/sysfs.js';
import type { NetStack } from './stack.js';
import type { NetDevice, NetStats } from './netdev.js';

/** The two header lines of /proc/net/dev. */
export const PROC_NET_DEV_HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

/** Default transmit queue length (tx_queue_len) of Ethernet devices and lo. */
export const DEFAULT_TX_QUEUE_LEN = 1000;

const pad = (v: number, w: number) => String(v).padStart(w, ' ');

/** One /proc/net/dev line (dev_seq_printf_stats' field widths). */
export function procNetDevLine(name: string, s: NetStats): string {
  return (
    `${name.padStart(6, ' ')}: ${pad(s.rxBytes, 7)} ${pad(s.rxPackets, 7)} ${pad(s.rxErrors, 4)} ${pad(s.rxDropped, 4)} ${pad(s.rxFifo, 4)} ` +
    `${pad(s.rxFrame, 5)} ${pad(s.rxCompressed, 10)} ${pad(s.multicast, 9)} ${pad(s.txBytes, 8)} ${pad(s.txPackets, 7)} ${pad(s.txErrors, 4)} ` +
    `${pad(s.txDropped, 4)} ${pad(s.txFifo, 4)} ${pad(s.collisions, 5)} ${pad(s.txCarrier, 7)} ${pad(s.txCompressed, 10)}\n`
  );
}

/** Registers /proc/net/dev. */
export function registerNetFiles(kernel: Kernel, stack: NetStack): void {
  kernel.procfs.registerText('net/dev', () => PROC_NET_DEV_HEADER + stack.devices.map((d) => procNetDevLine(d.name, d.stats)).join(''));
  kernel.sysfs.dir('/class/net');
}

const STAT_FILES: readonly (readonly [string, keyof NetStats])[] = [
  ['rx_bytes', 'rxBytes'], ['rx_packets', 'rxPackets'], ['rx_errors', 'rxErrors'], ['rx_dropped', 'rxDropped'],
  ['rx_fifo_errors', 'rxFifo'], ['rx_frame_errors', 'rxFrame'], ['rx_compressed', 'rxCompressed'], ['multicast', 'multicast'],
  ['tx_bytes', 'txBytes'], ['tx_packets', 'txPackets'], ['tx_errors', 'txErrors'], ['tx_dropped', 'txDropped'],
  ['tx_fifo_errors', 'txFifo'], ['collisions', 'collisions'], ['tx_carrier_errors', 'txCarrier'], ['tx_compressed', 'txCompressed'],
];

/** Creates an interface's sysfs directory and its /sys/class/net link. */
export function addNetDeviceFiles(sysfs: Sysfs, dev: NetDevice): void {
  const p = dev.sysfsPath;
  sysfs.dir(p);
  sysfs.value(`${p}/address`, () => formatMac(dev.mac));
  sysfs.value(`${p}/broadcast`, () => (dev.isLoopback ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff'));
  sysfs.value(`${p}/addr_len`, () => 6);
  sysfs.value(`${p}/ifindex`, () => dev.ifindex);
  sysfs.value(`${p}/iflink`, () => dev.ifindex);
  sysfs.value(`${p}/type`, () => dev.type);
  sysfs.value(`${p}/mtu`, () => dev.mtu);
  sysfs.value(`${p}/flags`, () => `0x${dev.flags.toString(16)}`);
  sysfs.value(`${p}/operstate`, () => dev.operstate());
  sysfs.value(`${p}/tx_queue_len`, () => DEFAULT_TX_QUEUE_LEN);
  // carrier is only defined while the interface is up (netif_running), as in net-sysfs.
  sysfs.attr(`${p}/carrier`, {
    mode: 0o444,
    show: () => {
      if (!dev.up) throw new Errno('EINVAL');
      return `${dev.carrier ? 1 : 0}\n`;
    },
  });
  for (const [file, key] of STAT_FILES) sysfs.value(`${p}/statistics/${file}`, () => dev.stats[key]);
  sysfs.link(`${p}/subsystem`, '/class/net');
  if (dev.spec.physical) sysfs.link(`${p}/device`, dev.spec.sysfsParent);
  sysfs.link(`/class/net/${dev.name}`, p);
}
