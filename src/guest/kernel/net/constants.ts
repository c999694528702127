/** Linux networking constants of the socket and interface ABI (x86-64 values). */

/** Address family: unspecified. */
export const AF_UNSPEC = 0;
/** Address family: IPv4. */
export const AF_INET = 2;
/** Address family: IPv6. */
export const AF_INET6 = 10;
/** Address family: link layer (getifaddrs' per-interface entries). */
export const AF_PACKET = 17;

/** Socket type: stream. */
export const SOCK_STREAM = 1;
/** Socket type: datagram. */
export const SOCK_DGRAM = 2;
/** Socket type: raw. */
export const SOCK_RAW = 3;
/** socket() type flag: non-blocking. */
export const SOCK_NONBLOCK = 0o4000;
/** socket() type flag: close-on-exec. */
export const SOCK_CLOEXEC = 0o2000000;

/** Protocol: ICMP (ping sockets). */
export const IPPROTO_ICMP = 1;
/** Protocol: TCP. */
export const IPPROTO_TCP = 6;
/** Protocol: UDP. */
export const IPPROTO_UDP = 17;
/** Protocol: ICMPv6. */
export const IPPROTO_ICMPV6 = 58;

/** Interface flag: administratively up. */
export const IFF_UP = 0x1;
/** Interface flag: broadcast capable. */
export const IFF_BROADCAST = 0x2;
/** Interface flag: loopback. */
export const IFF_LOOPBACK = 0x8;
/** Interface flag: operationally up (reported, never set by users). */
export const IFF_RUNNING = 0x40;
/** Interface flag: multicast capable. */
export const IFF_MULTICAST = 0x1000;
/** Interface flag: carrier present (reported). */
export const IFF_LOWER_UP = 0x10000;

/** ARP hardware type: Ethernet. */
export const ARPHRD_ETHER = 1;
/** ARP hardware type: loopback. */
export const ARPHRD_LOOPBACK = 772;

/** ioctl: interface name from index. */
export const SIOCGIFNAME = 0x8910;
/** ioctl: interface flags. */
export const SIOCGIFFLAGS = 0x8913;
/** ioctl: IPv4 address. */
export const SIOCGIFADDR = 0x8915;
/** ioctl: IPv4 broadcast address. */
export const SIOCGIFBRDADDR = 0x8919;
/** ioctl: IPv4 netmask. */
export const SIOCGIFNETMASK = 0x891b;
/** ioctl: MTU. */
export const SIOCGIFMTU = 0x8921;
/** ioctl: hardware address. */
export const SIOCGIFHWADDR = 0x8927;
/** ioctl: interface index. */
export const SIOCGIFINDEX = 0x8933;

/** Bytes of an interface name including its NUL. */
export const IFNAMSIZ = 16;
/** Bytes of struct ifreq on x86-64 (name + the largest union member, struct ifmap). */
export const IFREQ_SIZE = 40;
/** Offset of the union in struct ifreq. */
export const IFREQ_UNION = IFNAMSIZ;
