/**
 * `-netdev user` backends and `-device virtio-net-pci`: MAC defaults (52:54:00:12:34:56 and
 * up, per NIC without mac=), netdev peering with QEMU's property errors, and the static
 * network configuration the machine publishes in fw_cfg for NICs on a user network (the
 * lease and SLAAC address QEMU's slirp would hand out).
 */
import { FW_CFG_FILE_NETWORK, formatNetConfig, userNetDefaults, type NicConfig } from '../../abi/net-config.js';
import { defaultMac, parseMac } from '../../abi/virtio-net.js';
import { UserNetdev } from '../../../devices/virtio-net/netdev.js';
import { VIRTIO_NET_PCI, VirtioNetPci } from '../../../devices/virtio-net/virtio-net-pci.js';
import { VirtioPciError, parseOnOffAuto } from '../../../devices/virtio-pci/options.js';
import { DeviceError, plugPci, type DeviceType } from '../device-registry.js';
import type { Machine } from '../machine.js';

/** QOM type name QEMU reports in virtio-net property errors (the properties live on the inner device). */
export const VIRTIO_NET_DEVICE = 'virtio-net-device';

/** The netdevs and NICs of one machine. */
export class MachineNetwork {
  /** Backends by id. */
  readonly netdevs = new Map<string, UserNetdev>();
  /** NICs in creation order. */
  readonly nics: VirtioNetPci[] = [];
  private defaultMacs = 0;
  private readonly nicConfig: NicConfig[] = [];
  private readonly netdevOfNic = new Map<VirtioNetPci, string>();

  /** Creates the configured backends. */
  constructor(private readonly m: Machine) {
    for (const spec of m.config.netdevs) {
      if (this.netdevs.has(spec.id)) throw new DeviceError(`Duplicate ID '${spec.id}' for netdev`);
      this.netdevs.set(spec.id, new UserNetdev(spec.id, m.sched, m.trace));
    }
  }

  /** The next QEMU default MAC. */
  nextDefaultMac(): Uint8Array {
    return defaultMac(this.defaultMacs++);
  }

  /** The NIC peered with netdev `id`. */
  nicOfNetdev(id: string): VirtioNetPci | undefined {
    return this.nics.find((n) => this.netdevOfNic.get(n) === id);
  }

  /** Records a NIC and, on a user network, republishes the guest's network configuration. */
  addNic(nic: VirtioNetPci, netdev: UserNetdev | undefined): void {
    this.nics.push(nic);
    if (!netdev) return;
    this.netdevOfNic.set(nic, netdev.id);
    this.nicConfig.push(userNetDefaults(nic.net.mac));
    this.m.fwCfg.setFile(FW_CFG_FILE_NETWORK, new TextEncoder().encode(formatNetConfig(this.nicConfig)));
  }
}

const networks = new WeakMap<Machine, MachineNetwork>();

/** The network of `m`, created from its configuration on first use. */
export function machineNetworkOf(m: Machine): MachineNetwork {
  let n = networks.get(m);
  if (!n) {
    n = new MachineNetwork(m);
    networks.set(m, n);
  }
  return n;
}

const virtioNetPci: DeviceType = {
  name: VIRTIO_NET_PCI,
  category: 'Network',
  desc: 'virtio-net on PCI (virtio-pci transport)',
  create(m, props, common) {
    const net = machineNetworkOf(m);
    const macStr = props.str('mac');
    let mac: Uint8Array | undefined;
    if (macStr !== undefined) {
      mac = parseMac(macStr);
      if (!mac) throw new DeviceError(`Property '${VIRTIO_NET_DEVICE}.mac' doesn't take value '${macStr}'`);
    }
    const netdevId = props.str('netdev');
    let netdev: UserNetdev | undefined;
    if (netdevId !== undefined) {
      netdev = net.netdevs.get(netdevId);
      if (!netdev) throw new DeviceError(`Property '${VIRTIO_NET_DEVICE}.netdev' can't find value '${netdevId}'`);
      if (netdev.peer) throw new DeviceError(`Property '${VIRTIO_NET_DEVICE}.netdev' can't take value '${netdevId}', it's in use`);
    }
    // Host-side options with no meaning here are accepted, as command lines carry them.
    props.str('romfile');
    props.str('bootindex');
    const fn = (() => {
      try {
        return new VirtioNetPci({
          ...common,
          mem: m.mem,
          mac: mac ?? net.nextDefaultMac(),
          mrgRxbuf: props.bool('mrg_rxbuf', true),
          hostMtu: props.uint('host_mtu', 0),
          vectors: props.uint('vectors', 4),
          disableLegacy: parseOnOffAuto('disable-legacy', props.str('disable-legacy')),
          disableModern: props.bool('disable-modern', false),
        });
      } catch (e) {
        if (e instanceof VirtioPciError) throw new DeviceError(e.message);
        throw e;
      }
    })();
    plugPci(m, fn, common);
    if (netdev) {
      const backend = netdev;
      backend.peer = { receive: (frame) => fn.net.receive(frame) };
      backend.peerName = VIRTIO_NET_PCI;
      fn.net.setTransmit((frame) => backend.fromGuest(frame));
    }
    net.addNic(fn, netdev);
    return { driver: VIRTIO_NET_PCI, id: common.id ?? '', pci: fn };
  },
};

/** Registers the network device types. */
export function registerNetDeviceTypes(register: (t: DeviceType) => void): void {
  register(virtioNetPci);
}
