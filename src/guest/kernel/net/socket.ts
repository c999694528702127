/**
 * Sockets as open files: AF_INET/AF_INET6 datagram sockets (UDP, and ICMP "ping" sockets
 * whose bound port is the echo identifier), and stream sockets that exist for ioctl only.
 * Every socket answers the interface ioctls (SIOCGIFHWADDR, SIOCGIFFLAGS, ...) on a
 * struct ifreq laid out as on x86-64; datagrams wait in a bounded receive queue.
 */
import { Errno, WouldBlock } from '../errno.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../constants.js';
import { WaitQueue, type PollTable } from '../waitqueue.js';
import type { OpenFile } from '../vfs/file.js';
import type { FileOps, IoctlArg } from '../vfs/types.js';
import { prefixMask } from './addr.js';
import {
  AF_INET,
  IFNAMSIZ,
  IFREQ_SIZE,
  IFREQ_UNION,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_UDP,
  SIOCGIFADDR,
  SIOCGIFBRDADDR,
  SIOCGIFFLAGS,
  SIOCGIFHWADDR,
  SIOCGIFINDEX,
  SIOCGIFMTU,
  SIOCGIFNAME,
  SIOCGIFNETMASK,
  SOCK_DGRAM,
} from './constants.js';
import type { BindKind, Endpoint } from './ip.js';
import type { NetDevice } from './netdev.js';
import { ICMPV6_ECHO_REQUEST, ICMP_ECHO, echoBody, icmpMessage, udpDatagram } from './packets.js';
import type { NetStack } from './stack.js';

/** Datagrams queued per socket before new ones are dropped (a small SO_RCVBUF). */
export const SOCKET_RX_QUEUE_MAX = 64;
/** Largest datagram payload accepted by sendto (64 KiB minus headers). */
export const SOCKET_MAX_PAYLOAD = 65507;

/** A socket address as the syscalls take and return it. */
export interface SockAddrIn {
  /** AF_INET or AF_INET6. */
  family: number;
  /** 4 or 16 bytes. */
  address: Uint8Array;
  /** Port (UDP) or echo identifier (ping sockets); 0 when none. */
  port: number;
}

/** A received datagram. */
export interface Datagram {
  /** Payload (UDP data, or the ICMP message of a ping socket). */
  data: Uint8Array;
  /** Sender. */
  from: SockAddrIn;
}

/** One socket. */
export class NetSocket implements Endpoint {
  /** Woken when a datagram arrives. */
  readonly wq = new WaitQueue('socket');
  /** Bound port (0: not bound). */
  port = 0;
  /** Datagrams dropped because the queue was full. */
  drops = 0;
  private readonly queue: Datagram[] = [];

  /** A socket of `family`/`type`/`proto` on `stack`. */
  constructor(
    private readonly stack: NetStack,
    readonly family: number,
    readonly type: number,
    readonly proto: number,
  ) {}

  /** Binding-table kind (undefined for stream sockets). */
  get kind(): BindKind | undefined {
    if (this.type !== SOCK_DGRAM) return undefined;
    const v4 = this.family === AF_INET;
    return this.proto === IPPROTO_UDP ? (v4 ? 'udp4' : 'udp6') : v4 ? 'icmp4' : 'icmp6';
  }

  /** Endpoint: queue an arrived datagram. */
  deliver(data: Uint8Array, from: { address: Uint8Array; port: number }): void {
    if (this.queue.length >= SOCKET_RX_QUEUE_MAX) {
      this.drops++;
      return;
    }
    this.queue.push({ data, from: { family: this.family, address: from.address, port: from.port } });
    this.wq.wakeAll();
  }

  /** bind(2): only the port matters here (addresses are not checked against interfaces). */
  bind(addr: SockAddrIn): void {
    const kind = this.kind;
    if (!kind) throw new Errno('EOPNOTSUPP');
    if (addr.family !== this.family) throw new Errno('EAFNOSUPPORT');
    if (this.port !== 0) throw new Errno('EINVAL');
    if (!addr.address.every((b) => b === 0) && !this.stack.ip.isLocal(addr.address)) throw new Errno('EADDRNOTAVAIL');
    this.port = this.stack.ip.bind(kind, addr.port, this);
  }

  /** sendto(2): UDP data, or an ICMP echo request (type and id rewritten as Linux's ping sockets do). */
  sendto(data: Uint8Array, to: SockAddrIn): number {
    const kind = this.kind;
    if (!kind) throw new Errno('ENOTCONN');
    if (to.family !== this.family || to.address.length !== (this.family === AF_INET ? 4 : 16)) throw new Errno('EAFNOSUPPORT');
    if (data.length > SOCKET_MAX_PAYLOAD) throw new Errno('EMSGSIZE');
    if (this.port === 0) this.port = this.stack.ip.bind(kind, 0, this);
    if (this.proto === IPPROTO_UDP) {
      if (to.port === 0) throw new Errno('EINVAL');
      this.stack.ip.send(to.address, IPPROTO_UDP, (src) => udpDatagram(src, to.address, this.port, to.port, data));
      return data.length;
    }
    const want = this.family === AF_INET ? ICMP_ECHO : ICMPV6_ECHO_REQUEST;
    if (data.length < 8 || data[0] !== want || data[1] !== 0) throw new Errno('EINVAL');
    const seq = (data[6]! << 8) | data[7]!;
    const body = echoBody(this.port, seq, data.subarray(8));
    const proto = this.family === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    this.stack.ip.send(to.address, proto, (src) => icmpMessage(want, 0, body, this.family === AF_INET ? undefined : { src, dst: to.address }));
    return data.length;
  }

  /** recvfrom(2) on the queue; WouldBlock while empty. */
  recv(): Datagram {
    const d = this.queue.shift();
    if (!d) throw new WouldBlock(this.wq);
    return d;
  }

  /** Datagrams waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** close: release the binding. */
  release(): void {
    const kind = this.kind;
    if (kind && this.port !== 0) this.stack.ip.unbind(kind, this.port, this);
  }

  /** The interface ioctls; `arg` is a struct ifreq (IFREQ_SIZE bytes), filled in place. */
  ioctl(request: number, arg: IoctlArg): number {
    if (!(arg instanceof Uint8Array) || arg.length < IFREQ_SIZE) throw new Errno('EFAULT');
    if (request === SIOCGIFNAME) {
      const dev = this.stack.byIndex(new DataView(arg.buffer, arg.byteOffset + IFREQ_UNION, 4).getInt32(0, true));
      if (!dev) throw new Errno('ENODEV');
      writeIfName(arg, dev.name);
      return 0;
    }
    const dev = this.stack.byName(readIfName(arg));
    if (!dev) throw new Errno('ENODEV');
    const u = new DataView(arg.buffer, arg.byteOffset + IFREQ_UNION, IFREQ_SIZE - IFREQ_UNION);
    switch (request) {
      case SIOCGIFHWADDR:
        u.setUint16(0, dev.type, true);
        arg.fill(0, IFREQ_UNION + 2, IFREQ_SIZE);
        arg.set(dev.mac, IFREQ_UNION + 2);
        return 0;
      case SIOCGIFFLAGS:
        // ifr_flags is a short: the high flags (LOWER_UP and above) do not fit, as in Linux.
        u.setUint16(0, dev.reportedFlags() & 0xffff, true);
        return 0;
      case SIOCGIFINDEX:
        u.setInt32(0, dev.ifindex, true);
        return 0;
      case SIOCGIFMTU:
        u.setInt32(0, dev.mtu, true);
        return 0;
      case SIOCGIFADDR:
      case SIOCGIFNETMASK:
      case SIOCGIFBRDADDR:
        return this.ipv4Ioctl(request, dev, arg);
      default:
        throw new Errno('ENOTTY');
    }
  }

  private ipv4Ioctl(request: number, dev: NetDevice, arg: Uint8Array): number {
    const a = dev.addrs.find((x) => x.family === 'inet');
    if (!a) throw new Errno('EADDRNOTAVAIL');
    let v: Uint8Array = a.address;
    const mask = prefixMask(a.prefix, 4);
    if (request === SIOCGIFNETMASK) v = mask;
    if (request === SIOCGIFBRDADDR) v = Uint8Array.from(a.address.map((b, i) => b | (~mask[i]! & 0xff)));
    arg.fill(0, IFREQ_UNION, IFREQ_SIZE);
    arg[IFREQ_UNION] = AF_INET;
    arg.set(v, IFREQ_UNION + 4);
    return 0;
  }
}

/** A zeroed struct ifreq naming `name`. */
export function ifreq(name: string): Uint8Array {
  const r = new Uint8Array(IFREQ_SIZE);
  writeIfName(r, name);
  return r;
}

/** ifr_name of a struct ifreq. */
export function readIfName(r: Uint8Array): string {
  const raw = r.subarray(0, IFNAMSIZ);
  const nul = raw.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul));
}

function writeIfName(r: Uint8Array, name: string): void {
  r.fill(0, 0, IFNAMSIZ);
  r.set(new TextEncoder().encode(name).subarray(0, IFNAMSIZ - 1), 0);
}

/** ifr_hwaddr.sa_data (6 bytes) of a filled struct ifreq. */
export function ifreqHwaddr(r: Uint8Array): Uint8Array {
  return r.slice(IFREQ_UNION + 2, IFREQ_UNION + 8);
}

/** ifr_flags / ifr_ifindex / ifr_mtu of a filled struct ifreq (signed 16 or 32 bits). */
export function ifreqInt(r: Uint8Array, bytes: 2 | 4): number {
  const dv = new DataView(r.buffer, r.byteOffset + IFREQ_UNION, 4);
  return bytes === 2 ? dv.getUint16(0, true) : dv.getInt32(0, true);
}

/** The open-file operations of a socket (its driverData is the NetSocket). */
export const SOCKET_FILE_OPS: FileOps = {
  stream: true,
  read(file: OpenFile, count: number): Uint8Array {
    return socketOf(file).recv().data.slice(0, count);
  },
  write(): number {
    throw new Errno('EDESTADDRREQ');
  },
  poll(file: OpenFile, pt: PollTable): number {
    const s = socketOf(file);
    pt.wait(s.wq);
    return (s.pending > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
  },
  ioctl(file: OpenFile, request: number, arg: IoctlArg): number {
    return socketOf(file).ioctl(request, arg);
  },
  release(file: OpenFile): void {
    socketOf(file).release();
  },
};

/** The socket behind an open file; ENOTSOCK for anything else. */
export function socketOf(file: OpenFile): NetSocket {
  if (!(file.driverData instanceof NetSocket)) throw new Errno('ENOTSOCK');
  return file.driverData;
}
