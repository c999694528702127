/**
 * The guest's virtio_net driver: negotiates MAC, STATUS and MRG_RXBUF, reads the MAC from the
 * device config, registers an interface with the network stack under its predictable name,
 * keeps the receive queue stocked with DMA buffers, reassembles mergeable buffers into frames,
 * transmits frames with a zeroed virtio_net_hdr, and follows the link status through config
 * interrupts. A device that reports NEEDS_RESET is reset and brought up again.
 */
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import { VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBit, hasFeature } from '../../../abi/virtio.js';
import {
  ETH_DATA_LEN,
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CFG_STATUS,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_NUM_BUFFERS,
  VIRTIO_NET_MAX_FRAME,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_S_LINK_UP,
  VIRTIO_NET_TX_QUEUE,
  virtioNetHdrSize,
} from '../../../abi/virtio-net.js';
import { Prng } from '../../../core/prng.js';
import { ARPHRD_ETHER, IFF_BROADCAST, IFF_MULTICAST } from '../../kernel/net/constants.js';
import type { NetDevice } from '../../kernel/net/netdev.js';
import { netStackOf, type NetStack } from '../../kernel/net/stack.js';
import type { GuestPlatform } from '../../platform/platform.js';
import { platformVirtioDriver, type VirtioPciDriver } from '../virtio-pci/index.js';
import { predictableEthName } from './naming.js';

/** Features the driver asks for (Linux's virtio_net without offloads, plus ring features). */
export const VIRTIO_NET_DRIVER_FEATURES =
  featureBit(VIRTIO_NET_F_MAC) | featureBit(VIRTIO_NET_F_STATUS) | featureBit(VIRTIO_NET_F_MRG_RXBUF) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);
/** Bytes of each receive and transmit buffer: a full frame plus the largest header fits. */
export const VIRTIO_NET_BUF_SIZE = 2048;
/** Receive buffers kept posted (bounded by the ring size). */
export const VIRTIO_NET_RX_BUFFERS = 64;
/** Transmit buffers; a frame beyond them while the device holds all of them is dropped. */
export const VIRTIO_NET_TX_BUFFERS = 64;

interface Buf {
  addr: number;
}

/** Driver counters beyond the interface's. */
export interface VirtioNetDriverStats {
  /** Resets done to recover the device. */
  resets: number;
  /** Config interrupts seen. */
  configChanges: number;
}

/** A bound virtio-net device. */
export class VirtioNetDriver {
  /** The transport driver. */
  readonly drv: VirtioPciDriver<Buf>;
  /** The interface, after start(). */
  dev: NetDevice | undefined;
  /** Counters. */
  readonly stats: VirtioNetDriverStats = { resets: 0, configChanges: 0 };
  private readonly stack: NetStack;
  private readonly rxBufs: Buf[] = [];
  private readonly txFree: Buf[] = [];
  private hdrLen = 0;
  private mergeable = false;
  private resetPending = false;

  /** Finds the interface (throws when there is none). */
  constructor(
    private readonly platform: GuestPlatform,
    /** The PCI function driven. */
    readonly fn: HandoffPciFunction,
    private readonly sysfsParent: string,
  ) {
    this.stack = netStackOf(platform.kernel);
    this.drv = platformVirtioDriver<Buf>(platform, fn, VIRTIO_NET_DRIVER_FEATURES, 2, `guest ${platform.pciName(fn)}`);
  }

  /** Probe: device up, buffers posted, interface registered with its MAC and link state. */
  start(): NetDevice {
    this.bringUp();
    const alloc = this.platform.alloc;
    for (let i = 0; i < VIRTIO_NET_TX_BUFFERS; i++) this.txFree.push({ addr: alloc.alloc(VIRTIO_NET_BUF_SIZE, VIRTIO_NET_BUF_SIZE) });
    const mac = hasFeature(this.drv.features, VIRTIO_NET_F_MAC)
      ? this.drv.readConfigBytes(VIRTIO_NET_CFG_MAC, 6)
      : randomMac(this.platform.handoff.pci.indexOf(this.fn));
    const dev = this.stack.register({
      name: predictableEthName(this.fn),
      type: ARPHRD_ETHER,
      mac,
      mtu: ETH_DATA_LEN,
      flags: IFF_BROADCAST | IFF_MULTICAST,
      sysfsParent: this.sysfsParent,
      physical: true,
      driver: { xmit: (frame) => this.xmit(frame) },
    });
    this.dev = dev;
    this.drv.onQueue(VIRTIO_NET_RX_QUEUE, () => this.rxInterrupt());
    this.drv.onQueue(VIRTIO_NET_TX_QUEUE, () => this.reclaimTx());
    this.drv.onConfigChange(() => this.configChanged());
    this.drv.onNeedsReset(() => this.scheduleReset());
    this.stack.setCarrier(dev, this.linkUp());
    return dev;
  }

  private bringUp(): void {
    this.drv.init();
    const version1 = hasFeature(this.drv.features, VIRTIO_F_VERSION_1);
    this.mergeable = hasFeature(this.drv.features, VIRTIO_NET_F_MRG_RXBUF);
    this.hdrLen = virtioNetHdrSize(version1, this.mergeable);
    const rx = this.drv.queue(VIRTIO_NET_RX_QUEUE);
    const want = Math.min(VIRTIO_NET_RX_BUFFERS, rx.size);
    while (this.rxBufs.length < want) this.rxBufs.push({ addr: this.platform.alloc.alloc(VIRTIO_NET_BUF_SIZE, VIRTIO_NET_BUF_SIZE) });
    for (const b of this.rxBufs.slice(0, want)) rx.addBuffer([{ addr: b.addr, len: VIRTIO_NET_BUF_SIZE, dir: 'in' }], b);
    this.drv.kick(VIRTIO_NET_RX_QUEUE);
  }

  private linkUp(): boolean {
    if (!hasFeature(this.drv.features, VIRTIO_NET_F_STATUS)) return true;
    return (this.drv.readConfig(VIRTIO_NET_CFG_STATUS, 2) & VIRTIO_NET_S_LINK_UP) !== 0;
  }

  private configChanged(): void {
    this.stats.configChanges++;
    if (this.dev && this.drv.ready) this.stack.setCarrier(this.dev, this.linkUp());
  }

  private xmit(frame: Uint8Array): boolean {
    if (!this.drv.ready || frame.length > VIRTIO_NET_MAX_FRAME) return false;
    this.reclaimTx();
    const b = this.txFree.pop();
    if (!b) return false;
    const mem = this.platform.mem;
    mem.writeBytes(b.addr, new Uint8Array(this.hdrLen));
    mem.writeBytes(b.addr + this.hdrLen, frame);
    const tx = this.drv.queue(VIRTIO_NET_TX_QUEUE);
    if (tx.addBuffer([{ addr: b.addr, len: this.hdrLen + frame.length, dir: 'out' }], b) === null) {
      this.txFree.push(b);
      return false;
    }
    this.drv.kick(VIRTIO_NET_TX_QUEUE);
    return true;
  }

  private reclaimTx(): void {
    if (!this.drv.ready) return;
    const tx = this.drv.queue(VIRTIO_NET_TX_QUEUE);
    for (let u = tx.getUsed(); u; u = tx.getUsed()) this.txFree.push(u.token);
    if (tx.broken) this.scheduleReset();
  }

  private rxInterrupt(): void {
    const dev = this.dev;
    if (!dev || !this.drv.ready) return;
    const rx = this.drv.queue(VIRTIO_NET_RX_QUEUE);
    const mem = this.platform.mem;
    for (let u = rx.getUsed(); u; u = rx.getUsed()) {
      const parts: Buf[] = [u.token];
      let len = Math.min(u.len, VIRTIO_NET_BUF_SIZE);
      if (len < this.hdrLen) {
        dev.stats.rxErrors++;
        dev.stats.rxFrame++;
        this.repost(parts);
        continue;
      }
      const first = mem.readBytes(u.token.addr, len);
      const chunks = [first.subarray(this.hdrLen)];
      const count = this.mergeable ? first[VIRTIO_NET_HDR_NUM_BUFFERS]! | (first[VIRTIO_NET_HDR_NUM_BUFFERS + 1]! << 8) : 1;
      let ok = count >= 1 && count <= VIRTIO_NET_RX_BUFFERS;
      for (let i = 1; ok && i < count; i++) {
        const more = rx.getUsed();
        if (!more) {
          ok = false;
          break;
        }
        parts.push(more.token);
        len = Math.min(more.len, VIRTIO_NET_BUF_SIZE);
        chunks.push(mem.readBytes(more.token.addr, len));
      }
      this.repost(parts);
      if (!ok) {
        dev.stats.rxErrors++;
        dev.stats.rxFrame++;
        continue;
      }
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const frame = new Uint8Array(total);
      let off = 0;
      for (const c of chunks) {
        frame.set(c, off);
        off += c.length;
      }
      this.stack.receive(dev, frame);
    }
    if (rx.broken) this.scheduleReset();
    else this.drv.kick(VIRTIO_NET_RX_QUEUE);
  }

  private repost(bufs: Buf[]): void {
    const rx = this.drv.queue(VIRTIO_NET_RX_QUEUE);
    for (const b of bufs) rx.addBuffer([{ addr: b.addr, len: VIRTIO_NET_BUF_SIZE, dir: 'in' }], b);
  }

  private scheduleReset(): void {
    if (this.resetPending) return;
    this.resetPending = true;
    this.platform.env.sched.after(0, 'virtio-net reset', () => {
      this.resetPending = false;
      this.stats.resets++;
      this.reinit();
    });
  }

  /** Resets the device and sets it up again (NEEDS_RESET, or firmware reset it on resume). */
  reinit(): void {
    for (const q of [VIRTIO_NET_TX_QUEUE]) {
      try {
        this.txFree.push(...this.drv.queue(q).detachUnused());
      } catch {
        // The queue was never set up: nothing is outstanding.
      }
    }
    try {
      this.bringUp();
      if (this.dev) this.stack.setCarrier(this.dev, this.linkUp());
    } catch (e) {
      if (this.dev) this.stack.setCarrier(this.dev, false);
      this.platform.log(`virtio_net: reset failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** eth_hw_addr_random for a device without VIRTIO_NET_F_MAC: locally administered, unicast. */
function randomMac(seed: number): Uint8Array {
  const prng = new Prng(`virtio-net-mac-${seed}`);
  const mac = Uint8Array.from({ length: 6 }, () => prng.nextInt(256));
  mac[0] = (mac[0]! & 0xfe) | 0x02;
  return mac;
}
