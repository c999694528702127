/**
 * virtio-net (VIRTIO 1.2 §5.1) as the device model and the guest driver share it: feature
 * bits, the device configuration layout, the per-packet header, queue numbering, and QEMU's
 * MAC address defaults.
 */

/** Device handles packets with partial checksum. */
export const VIRTIO_NET_F_CSUM = 0;
/** Driver handles packets with partial checksum. */
export const VIRTIO_NET_F_GUEST_CSUM = 1;
/** Device reports the maximum MTU in config. */
export const VIRTIO_NET_F_MTU = 3;
/** Device has a MAC address in config. */
export const VIRTIO_NET_F_MAC = 5;
/** Driver can merge receive buffers (num_buffers in the header). */
export const VIRTIO_NET_F_MRG_RXBUF = 15;
/** Configuration status field is available. */
export const VIRTIO_NET_F_STATUS = 16;
/** Control channel available. */
export const VIRTIO_NET_F_CTRL_VQ = 17;

/** Config: MAC address, 6 bytes. */
export const VIRTIO_NET_CFG_MAC = 0;
/** Config: status (le16, VIRTIO_NET_S_*). */
export const VIRTIO_NET_CFG_STATUS = 6;
/** Config: max_virtqueue_pairs (le16). */
export const VIRTIO_NET_CFG_MAX_VQ_PAIRS = 8;
/** Config: mtu (le16). */
export const VIRTIO_NET_CFG_MTU = 10;
/** Bytes of config space the device exposes (up to and including mtu). */
export const VIRTIO_NET_CONFIG_SIZE = 12;

/** Status: link is up. */
export const VIRTIO_NET_S_LINK_UP = 1;
/** Status: the driver should announce itself (gratuitous ARP). */
export const VIRTIO_NET_S_ANNOUNCE = 2;

/** Receive queue of pair 0. */
export const VIRTIO_NET_RX_QUEUE = 0;
/** Transmit queue of pair 0. */
export const VIRTIO_NET_TX_QUEUE = 1;

/** Header without num_buffers (legacy without MRG_RXBUF). */
export const VIRTIO_NET_HDR_SIZE = 10;
/** Header with num_buffers (MRG_RXBUF, or any VERSION_1 device). */
export const VIRTIO_NET_HDR_MRG_SIZE = 12;
/** Header flags: checksum needs completing. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** gso_type: not a GSO frame. */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
/** Offset of num_buffers in the header. */
export const VIRTIO_NET_HDR_NUM_BUFFERS = 10;

/** Largest Ethernet frame (without FCS) the device carries at the default MTU: 1500 + 14 + 4 (VLAN). */
export const VIRTIO_NET_MAX_FRAME = 1518;
/** Default MTU. */
export const ETH_DATA_LEN = 1500;

/** QEMU's default MAC: 52:54:00:12:34:56, the last byte counting up per NIC without mac=. */
export const QEMU_DEFAULT_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] as const;

/** Header size for the negotiated features. */
export function virtioNetHdrSize(version1: boolean, mergeable: boolean): number {
  return version1 || mergeable ? VIRTIO_NET_HDR_MRG_SIZE : VIRTIO_NET_HDR_SIZE;
}

/** Formats a MAC as Linux and QEMU print it (lower-case, colon-separated). */
export function formatMac(mac: ArrayLike<number>): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses "52:54:00:12:34:56" (or with '-'); undefined when malformed. */
export function parseMac(s: string): Uint8Array | undefined {
  const m = /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/.exec(s);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
}

/** QEMU's default MAC for the `index`-th NIC created without a mac property. */
export function defaultMac(index: number): Uint8Array {
  const mac = Uint8Array.from(QEMU_DEFAULT_MAC);
  mac[5] = (QEMU_DEFAULT_MAC[5] + index) & 0xff;
  return mac;
}
