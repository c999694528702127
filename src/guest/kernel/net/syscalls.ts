/**
 * The network syscalls of one process, reached as `sys.net`: socket, bind, sendto, recvfrom
 * (blocking, through the socket's wait queue) and getifaddrs, which returns what glibc's
 * netlink-based getifaddrs builds: one AF_PACKET entry per interface, then the IPv4
 * addresses, then the IPv6 addresses, interfaces in index order within each group.
 */
import type { SysCall } from '../block.js';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, S_IFSOCK } from '../constants.js';
import { Errno } from '../errno.js';
import { SyscallBase } from '../syscall-base.js';
import { OpenFile, filePut } from '../vfs/file.js';
import { prefixMask } from './addr.js';
import {
  AF_INET,
  AF_INET6,
  AF_PACKET,
  IFF_BROADCAST,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_STREAM,
} from './constants.js';
import type { NetStats } from './netdev.js';
import { NetSocket, SOCKET_FILE_OPS, socketOf, type Datagram, type SockAddrIn } from './socket.js';
import { netStackOf } from './stack.js';

/** A socket address in a getifaddrs entry. */
export interface IfaSockAddr {
  /** AF_INET, AF_INET6 or AF_PACKET. */
  family: number;
  /** Address bytes (4, 16, or the 6-byte hardware address). */
  addr: Uint8Array;
  /** sin6_scope_id (link-local IPv6: the interface index). */
  scopeId?: number;
  /** sll_ifindex (AF_PACKET). */
  ifindex?: number;
  /** sll_hatype (AF_PACKET). */
  hatype?: number;
}

/** One struct ifaddrs. */
export interface IfAddrs {
  /** ifa_name. */
  name: string;
  /** ifa_flags (the interface's, as SIOCGIFFLAGS reports them but unclipped). */
  flags: number;
  /** ifa_addr. */
  addr?: IfaSockAddr;
  /** ifa_netmask. */
  netmask?: IfaSockAddr;
  /** ifa_broadaddr (ifa_ifu on broadcast interfaces). */
  broadaddr?: IfaSockAddr;
  /** ifa_data of AF_PACKET entries: the interface counters. */
  data?: NetStats;
}

/** Network syscalls of one process. */
export class NetSyscalls extends SyscallBase {
  /** socket(2); SOCK_NONBLOCK and SOCK_CLOEXEC may be or-ed into `type`. */
  socket(domain: number, type: number, protocol = 0): number {
    this.enter();
    const base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain !== AF_INET && domain !== AF_INET6) throw new Errno('EAFNOSUPPORT');
    let proto = protocol;
    if (base === SOCK_DGRAM) {
      const icmp = domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
      if (proto === 0) proto = IPPROTO_UDP;
      if (proto !== IPPROTO_UDP && proto !== icmp) throw new Errno('EPROTONOSUPPORT');
    } else if (base === SOCK_STREAM) {
      if (proto === 0) proto = IPPROTO_TCP;
      if (proto !== IPPROTO_TCP) throw new Errno('EPROTONOSUPPORT');
    } else if (base === SOCK_RAW) {
      throw new Errno('ESOCKTNOSUPPORT');
    } else {
      throw new Errno('EINVAL');
    }
    const stack = netStackOf(this.kernel);
    const cred = this.proc.cred;
    const inode = stack.sockfs.newInode(S_IFSOCK | 0o777, cred.euid, cred.egid);
    const file = new OpenFile(inode, undefined, `socket:[${inode.ino}]`, O_RDWR | ((type & SOCK_NONBLOCK) !== 0 ? O_NONBLOCK : 0), SOCKET_FILE_OPS, this.caller());
    file.driverData = new NetSocket(stack, domain, base, proto);
    try {
      return this.proc.fds.install(file, (type & SOCK_CLOEXEC) !== 0 || (type & O_CLOEXEC) !== 0);
    } catch (e) {
      filePut(file);
      throw e;
    }
  }

  /** bind(2). */
  bind(fd: number, addr: SockAddrIn): void {
    this.enter();
    socketOf(this.fileOf(fd)).bind(addr);
  }

  /** sendto(2): returns the bytes sent; ENETUNREACH without a route. */
  sendto(fd: number, data: Uint8Array, to: SockAddrIn): number {
    this.enter();
    return socketOf(this.fileOf(fd)).sendto(data, to);
  }

  /** recvfrom(2): the next datagram; blocks unless the socket is non-blocking (EAGAIN). */
  *recvfrom(fd: number): SysCall<Datagram> {
    this.enter();
    const file = this.fileOf(fd);
    const sock = socketOf(file);
    return yield* this.retry(() => sock.recv(), file);
  }

  /** if_nametoindex(3); ENODEV when there is no such interface. */
  ifNameToIndex(name: string): number {
    const dev = netStackOf(this.kernel).byName(name);
    if (!dev) throw new Errno('ENODEV');
    return dev.ifindex;
  }

  /** getifaddrs(3). */
  getifaddrs(): IfAddrs[] {
    this.enter();
    const devs = netStackOf(this.kernel).devices;
    const out: IfAddrs[] = [];
    for (const d of devs) {
      out.push({
        name: d.name,
        flags: d.reportedFlags(),
        addr: { family: AF_PACKET, addr: Uint8Array.from(d.mac), ifindex: d.ifindex, hatype: d.type },
        broadaddr: { family: AF_PACKET, addr: d.isLoopback ? new Uint8Array(6) : new Uint8Array(6).fill(0xff), ifindex: d.ifindex, hatype: d.type },
        data: { ...d.stats },
      });
    }
    for (const fam of ['inet', 'inet6'] as const) {
      for (const d of devs) {
        for (const a of d.addrs) {
          if (a.family !== fam) continue;
          const family = fam === 'inet' ? AF_INET : AF_INET6;
          const mask = prefixMask(a.prefix, fam === 'inet' ? 4 : 16);
          const scopeId = fam === 'inet6' && a.scope === 'link' ? d.ifindex : fam === 'inet6' ? 0 : undefined;
          const entry: IfAddrs = {
            name: d.name,
            flags: d.reportedFlags(),
            addr: { family, addr: Uint8Array.from(a.address), ...(scopeId === undefined ? {} : { scopeId }) },
            netmask: { family, addr: mask, ...(scopeId === undefined ? {} : { scopeId: 0 }) },
          };
          if (fam === 'inet' && (d.flags & IFF_BROADCAST) !== 0) {
            entry.broadaddr = { family, addr: Uint8Array.from(a.address.map((b, i) => b | (~mask[i]! & 0xff))) };
          }
          out.push(entry);
        }
      }
    }
    return out;
  }
}
