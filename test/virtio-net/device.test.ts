/**
 * The virtio-net device model under the guest driver, named after the VIRTIO 1.2 clauses
 * they exercise: receive buffers and num_buffers (§5.1.6.3-4), transmit with the header
 * stripped (§5.1.6.2), the link status in config space (§5.1.4), and frames dropped (and
 * counted) when the driver has posted no buffer. Frames come from the `user` backend.
 */
import { describe, expect, it } from 'vitest';
import { bootHwMachine, qmpSession, type HwMachine } from '../helpers/hw-machine.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { machineNetworkOf } from '../../src/machine/device-types/net.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ETH_P_ARP, ETH_P_IP, ICMP_ECHO, ICMP_ECHOREPLY, arpPacket, echoBody, ethFrame, icmpMessage, ipv4Packet, parseArp, parseEth, parseIp } from '../../src/guest/kernel/net/packets.js';
import { parseIpv4 } from '../../src/guest/kernel/net/addr.js';
import { IPPROTO_ICMP } from '../../src/guest/kernel/net/constants.js';
import { VIRTIO_NET_RX_BUFFERS } from '../../src/guest/drivers/virtio-net/index.js';
import type { VirtioNetPci } from '../../devices/virtio-net/virtio-net-pci.js';

const GUEST_MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const HOST_MAC = Uint8Array.from([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
const GUEST_IP = parseIpv4('10.0.2.15')!;
const GW_IP = parseIpv4('10.0.2.2')!;

const nic = (extra: [string, string][] = []) => (c: MachineConfig) => {
  c.netdevs.push({ type: 'user', id: 'n0', props: [] });
  c.devices.push({ driver: 'virtio-net-pci', props: [['netdev', 'n0'], ['id', 'net0'], ...extra] });
};

function setup(h: HwMachine) {
  const backend = machineNetworkOf(h.m).netdevs.get('n0')!;
  const sent: Uint8Array[] = [];
  backend.tap = (f) => sent.push(f);
  const dev = (h.m.devices.find((d) => d.id === 'net0')!.pci as VirtioNetPci).net;
  return { backend, sent, dev };
}

const arpWhoHas = () => ethFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], HOST_MAC, ETH_P_ARP, arpPacket({ op: ARPOP_REQUEST, sha: HOST_MAC, spa: GW_IP, tha: new Uint8Array(6), tpa: GUEST_IP }));

function rxCounters(h: HwMachine, name: string): [number, number] {
  const f = h.read('/proc/net/dev').split('\n').find((l) => l.trimStart().startsWith(`${name}:`))!.split(':')[1]!.trim().split(/\s+/).map(Number);
  return [f[0]!, f[1]!];
}

describe.each([
  ['modern with MRG_RXBUF', []],
  ['modern without MRG_RXBUF', [['mrg_rxbuf', 'off']]],
  ['legacy-only (10-byte header)', [['disable-modern', 'on'], ['mrg_rxbuf', 'off']]],
] as [string, [string, string][]][])('virtio-net, %s', (_name, extra) => {
  it('§5.1.6.4: a received frame reaches the guest whole, and the guest’s answer leaves through the transmitq without its header', async () => {
    const h = await bootHwMachine(nic(extra));
    const { backend, sent } = setup(h);
    sent.length = 0;
    expect(backend.inject(arpWhoHas())).toBe(true);
    h.advance(1);
    expect(rxCounters(h, 'ens3')).toEqual([42, 1]);
    expect(sent.length).toBe(1);
    const eth = parseEth(sent[0]!)!;
    expect([eth.type, Array.from(eth.dst), Array.from(eth.src)]).toEqual([ETH_P_ARP, Array.from(HOST_MAC), Array.from(GUEST_MAC)]);
    const arp = parseArp(eth.payload)!;
    expect([arp.op, Array.from(arp.spa), Array.from(arp.sha)]).toEqual([ARPOP_REPLY, Array.from(GUEST_IP), Array.from(GUEST_MAC)]);
  });
});

describe('virtio-net receive and transmit', () => {
  it('§5.1.6.4.2: with MRG_RXBUF a frame larger than one buffer spans several and num_buffers tells the driver how many', async () => {
    const h = await bootHwMachine(nic());
    const { backend, dev } = setup(h);
    const big = ethFrame(GUEST_MAC, HOST_MAC, ETH_P_IP, new Uint8Array(5000));
    expect(backend.inject(big)).toBe(true);
    h.advance(1);
    expect(rxCounters(h, 'ens3')).toEqual([5014, 1]);
    expect(dev.stats.rxDropped).toBe(0);
  });

  it('§5.1.6.3.1: without MRG_RXBUF a frame that does not fit one buffer is dropped by the device, the buffer kept', async () => {
    const h = await bootHwMachine(nic([['mrg_rxbuf', 'off']]));
    const { backend, dev } = setup(h);
    expect(backend.inject(ethFrame(GUEST_MAC, HOST_MAC, ETH_P_IP, new Uint8Array(5000)))).toBe(false);
    expect(dev.stats.rxDropped).toBe(1);
    expect(backend.inject(arpWhoHas())).toBe(true);
    h.advance(1);
    expect(rxCounters(h, 'ens3')).toEqual([42, 1]);
  });

  it('answers an echo request once ARP has resolved the sender (the reply waits for the ARP answer)', async () => {
    const h = await bootHwMachine(nic());
    const { backend, sent } = setup(h);
    sent.length = 0;
    const req = icmpMessage(ICMP_ECHO, 0, echoBody(0x1234, 7, new Uint8Array(8).fill(0xab)));
    backend.inject(ethFrame(GUEST_MAC, HOST_MAC, ETH_P_IP, ipv4Packet(GW_IP, GUEST_IP, IPPROTO_ICMP, req, 99)));
    h.advance(1);
    expect(sent.map((f) => parseEth(f)!.type)).toEqual([ETH_P_ARP]);
    backend.inject(ethFrame(GUEST_MAC, HOST_MAC, ETH_P_ARP, arpPacket({ op: ARPOP_REPLY, sha: HOST_MAC, spa: GW_IP, tha: GUEST_MAC, tpa: GUEST_IP })));
    h.advance(1);
    expect(sent.length).toBe(2);
    const ip = parseIp(parseEth(sent[1]!)!.payload, ETH_P_IP)!;
    expect(Array.from(ip.dst)).toEqual(Array.from(GW_IP));
    expect([ip.payload[0], ip.payload[4], ip.payload[5], ip.payload[7]]).toEqual([ICMP_ECHOREPLY, 0x12, 0x34, 7]);
  });

  it('drops and counts frames when every posted receive buffer is full, and recovers when the guest reposts', async () => {
    const h = await bootHwMachine(nic());
    const { backend, dev } = setup(h);
    // Injected back to back, before the guest's interrupt handler can run.
    const results = Array.from({ length: VIRTIO_NET_RX_BUFFERS + 6 }, () => backend.inject(arpWhoHas()));
    expect(results.filter((r) => !r).length).toBe(6);
    expect(dev.stats.rxDropped).toBe(6);
    expect(backend.stats.droppedToGuest).toBe(6);
    h.advance(1);
    expect(rxCounters(h, 'ens3')[1]).toBe(VIRTIO_NET_RX_BUFFERS);
    expect(backend.inject(arpWhoHas())).toBe(true);
  });

  it('§5.1.4: set_link off clears LINK_UP, the config interrupt takes the carrier away; on brings it back', async () => {
    const h = await bootHwMachine(nic());
    const qmp = await qmpSession(h.m);
    expect(await qmp('set_link', { name: 'net0', up: false })).toEqual([{ return: {} }]);
    h.advance(1);
    expect(h.read('/sys/class/net/ens3/operstate')).toBe('down\n');
    expect(h.read('/sys/class/net/ens3/carrier')).toBe('0\n');
    const { backend } = setup(h);
    expect(backend.inject(arpWhoHas())).toBe(false);
    expect(await qmp('set_link', { name: 'n0', up: true })).toEqual([{ return: {} }]);
    h.advance(1);
    expect(h.read('/sys/class/net/ens3/operstate')).toBe('up\n');
    expect(await qmp('set_link', { name: 'nope', up: true })).toEqual([{ error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" } }]);
  });
});
