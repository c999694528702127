/**
 * The virtio-net device (VIRTIO 1.2 §5.1): one receive and one transmit queue, a config space
 * with the MAC, link status and MTU, and the per-frame virtio_net_hdr. Transmitted frames go
 * to the backend; frames from the backend fill posted receive buffers (several of them with
 * MRG_RXBUF) or are dropped and counted when the guest has none, as QEMU's receive path
 * reports "no buffer" to the backend.
 */
import {
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_ID_NET,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VIRTIO_CONFIG_S_DRIVER_OK,
  featureBit,
} from '../../src/abi/virtio.js';
import {
  ETH_DATA_LEN,
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CFG_MAX_VQ_PAIRS,
  VIRTIO_NET_CFG_MTU,
  VIRTIO_NET_CFG_STATUS,
  VIRTIO_NET_CONFIG_SIZE,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_MTU,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_NUM_BUFFERS,
  VIRTIO_NET_S_LINK_UP,
  formatMac,
  virtioNetHdrSize,
} from '../../src/abi/virtio-net.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { ChainReader, ChainWriter, type DescriptorChain } from '../virtio/chain.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import { VirtioDevice } from '../virtio/virtio-device.js';

/** Entries per queue (QEMU's default rx_queue_size / tx_queue_size). */
export const VIRTIO_NET_QUEUE_SIZE = 256;
/** Largest frame taken from a transmit chain (64 KiB of GSO frame plus headers); longer chains are errors. */
export const VIRTIO_NET_MAX_TX_FRAME = 65536 + 14 + 4;
/** Frames handled per transmit kick before yielding (QEMU's tx burst). */
export const VIRTIO_NET_TX_BURST = 256;

/** Device counters. */
export interface VirtioNetStats {
  /** Frames taken from the transmit queue and handed to the backend. */
  txFrames: number;
  /** Their bytes. */
  txBytes: number;
  /** Malformed transmit chains (no header, too long). */
  txErrors: number;
  /** Frames written into receive buffers. */
  rxFrames: number;
  /** Their bytes. */
  rxBytes: number;
  /** Frames dropped: driver not ready or no receive buffer. */
  rxDropped: number;
}

/** Construction parameters. */
export interface VirtioNetOptions {
  /** Guest memory. */
  mem: AddressSpace;
  /** MAC address (6 bytes). */
  mac: Uint8Array;
  /** Offer MRG_RXBUF (QEMU's mrg_rxbuf, default on). */
  mrgRxbuf?: boolean;
  /** `host_mtu`: offer VIRTIO_NET_F_MTU with this MTU (0: not offered). */
  hostMtu?: number;
  /** Where transmitted frames go (undefined: a NIC without peer drops them). */
  transmit?: (frame: Uint8Array) => void;
  /** Readable trace sink. */
  trace?: (line: string) => void;
}

const RING_FEATURES =
  featureBit(VIRTIO_RING_F_INDIRECT_DESC) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_F_NOTIFY_ON_EMPTY) | featureBit(VIRTIO_F_ANY_LAYOUT);

/** A virtio-net device. */
export class VirtioNet extends VirtioDevice {
  /** Counters. */
  readonly stats: VirtioNetStats = { txFrames: 0, txBytes: 0, txErrors: 0, rxFrames: 0, rxBytes: 0, rxDropped: 0 };
  /** The MAC address. */
  readonly mac: Uint8Array;
  private linkUp = true;
  private readonly rxq: SplitQueue;
  private transmit: ((frame: Uint8Array) => void) | undefined;

  /** Realizes the device with its two queues. */
  constructor(opts: VirtioNetOptions) {
    const mtu = opts.hostMtu ?? 0;
    const features =
      featureBit(VIRTIO_NET_F_MAC) |
      featureBit(VIRTIO_NET_F_STATUS) |
      (opts.mrgRxbuf === false ? 0n : featureBit(VIRTIO_NET_F_MRG_RXBUF)) |
      (mtu > 0 ? featureBit(VIRTIO_NET_F_MTU) : 0n) |
      RING_FEATURES;
    super({ name: 'virtio-net', deviceId: VIRTIO_ID_NET, mem: opts.mem, hostFeatures: features, configSize: VIRTIO_NET_CONFIG_SIZE, trace: opts.trace });
    this.mac = Uint8Array.from(opts.mac);
    this.transmit = opts.transmit;
    this.config.set(this.mac, VIRTIO_NET_CFG_MAC);
    this.configView.setUint16(VIRTIO_NET_CFG_MAX_VQ_PAIRS, 1, true);
    this.configView.setUint16(VIRTIO_NET_CFG_MTU, mtu > 0 ? mtu : ETH_DATA_LEN, true);
    this.refreshConfig();
    this.rxq = this.addQueue(VIRTIO_NET_QUEUE_SIZE, () => this.trace('rx buffers posted'));
    this.addQueue(VIRTIO_NET_QUEUE_SIZE, (q) => this.flushTx(q));
    this.trace(`mac ${formatMac(this.mac)}`);
  }

  /** Connects (or replaces) where transmitted frames go. */
  setTransmit(fn: ((frame: Uint8Array) => void) | undefined): void {
    this.transmit = fn;
  }

  /** Link state (QMP set_link): updates the status field and raises a config interrupt. */
  setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.refreshConfig();
    this.trace(`link ${up ? 'up' : 'down'}`);
    if (this.hasGuestFeature(VIRTIO_NET_F_STATUS)) this.notifyConfig();
  }

  /** Whether the link is up. */
  get link(): boolean {
    return this.linkUp;
  }

  /** A frame from the backend for the guest; false (and counted) when it cannot be delivered. */
  receive(frame: Uint8Array): boolean {
    const q = this.rxq;
    if (!(this.status & VIRTIO_CONFIG_S_DRIVER_OK) || this.broken || !this.linkUp || !q.ready) return this.rxDrop('driver not ready');
    const hdrLen = this.hdrSize();
    const mergeable = this.hasGuestFeature(VIRTIO_NET_F_MRG_RXBUF);
    const total = hdrLen + frame.length;
    // Check room first so a frame is either delivered whole or not at all.
    const room = q.availBytes(total).inBytes;
    if (room < total) return this.rxDrop('no receive buffer');
    const data = new Uint8Array(total);
    data.set(frame, hdrLen);
    const chains: { chain: DescriptorChain; len: number }[] = [];
    let off = 0;
    while (off < total) {
      const chain = q.pop();
      if (!chain) break;
      const w = new ChainWriter(this.mem, chain.writable);
      const n = w.write(data.subarray(off));
      chains.push({ chain, len: n });
      off += n;
      if (!mergeable) break;
    }
    if (off < total) {
      // Without MRG_RXBUF one buffer must hold the frame; give the buffers back untouched.
      q.rewind(chains.length);
      return this.rxDrop(mergeable ? 'no receive buffer' : 'frame larger than a receive buffer');
    }
    if (hdrLen > VIRTIO_NET_HDR_NUM_BUFFERS) {
      // num_buffers is known only now: rewrite the header at the start of the first buffer.
      data[VIRTIO_NET_HDR_NUM_BUFFERS] = chains.length & 0xff;
      data[VIRTIO_NET_HDR_NUM_BUFFERS + 1] = chains.length >> 8;
      new ChainWriter(this.mem, chains[0]!.chain.writable).write(data.subarray(0, hdrLen));
    }
    for (const c of chains) q.fill(c.chain, c.len);
    q.flush();
    this.notify(q);
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    return true;
  }

  /** Device reset: nothing beyond the core's state. */
  protected override onReset(): void {
    this.trace('reset');
  }

  /** Keeps the status field in step with the link. */
  protected override refreshConfig(): void {
    this.configView.setUint16(VIRTIO_NET_CFG_STATUS, this.linkUp ? VIRTIO_NET_S_LINK_UP : 0, true);
  }

  private hdrSize(): number {
    return virtioNetHdrSize(this.hasGuestFeature(VIRTIO_F_VERSION_1), this.hasGuestFeature(VIRTIO_NET_F_MRG_RXBUF));
  }

  private rxDrop(why: string): false {
    this.stats.rxDropped++;
    this.trace(`rx frame dropped: ${why}`);
    return false;
  }

  private flushTx(q: SplitQueue): void {
    const hdrLen = this.hdrSize();
    for (let n = 0; n < VIRTIO_NET_TX_BURST; n++) {
      const chain = q.pop();
      if (!chain) break;
      const r = new ChainReader(this.mem, chain.readable);
      if (r.total < hdrLen || r.total - hdrLen > VIRTIO_NET_MAX_TX_FRAME) {
        this.stats.txErrors++;
        this.trace(`tx chain of ${r.total} bytes refused`);
      } else {
        r.read(hdrLen);
        const frame = r.readAll();
        this.stats.txFrames++;
        this.stats.txBytes += frame.length;
        if (this.linkUp) this.transmit?.(frame);
      }
      q.push(chain, 0);
    }
    this.notify(q);
  }
}
