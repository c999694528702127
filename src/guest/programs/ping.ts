/**
 * ping(8) as iputils prints it, over the kernel's ICMP datagram ("ping") sockets: numeric
 * IPv4/IPv6 destinations, -c COUNT, -i INTERVAL, -W TIMEOUT, -q. Exit status 0 when a reply
 * came back, 1 when none did, 2 on errors (no route, bad arguments).
 */
import { CLOCK_MONOTONIC, Errno, POLLIN, type Program, type Syscalls } from '../kernel/index.js';
import { inetNtop, inetPton } from '../kernel/net/addr.js';
import { AF_INET, AF_INET6, IPPROTO_ICMP, IPPROTO_ICMPV6, SOCK_DGRAM } from '../kernel/net/constants.js';
import { writeAll } from './stdio.js';

/** Data bytes per echo request (iputils' default -s). */
export const PING_DATA_BYTES = 56;
/** Longest -c accepted. */
const MAX_COUNT = 1_000_000;
/** Time waited for straggling replies after the last request when none arrived (iputils' MAXWAIT). */
const MAX_WAIT_NS = 10_000_000_000;

function ms(ns: number): string {
  const us = Math.round(ns / 1000);
  if (us >= 100_000 - 50) return `${Math.round(us / 1000)}`;
  if (us >= 10_000 - 5) return (us / 1000).toFixed(1);
  if (us >= 1000) return (us / 1000).toFixed(2);
  return (us / 1000).toFixed(3);
}

/** ping [-c count] [-i interval] [-W timeout] [-q] destination */
export function* pingMain(sys: Syscalls, argv: string[]): Program {
  let count = Infinity;
  let intervalNs = 1e9;
  let waitNs: number | undefined;
  let quiet = false;
  let dest: string | undefined;
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const num = () => Number(args[++i]);
    if (a === '-c') count = num();
    else if (a === '-i') intervalNs = num() * 1e9;
    else if (a === '-W') waitNs = num() * 1e9;
    else if (a === '-q') quiet = true;
    else if (a.startsWith('-')) {
      yield* writeAll(sys, 2, `ping: invalid option -- '${a.slice(1)}'\n`);
      return 2;
    } else dest = a;
  }
  if (dest === undefined) {
    yield* writeAll(sys, 2, 'ping: usage error: Destination address required\n');
    return 1;
  }
  if (!(count >= 1 && count <= MAX_COUNT) || !(intervalNs >= 0)) {
    yield* writeAll(sys, 2, 'ping: invalid argument\n');
    return 2;
  }
  const addr = inetPton(dest);
  if (!addr) {
    yield* writeAll(sys, 2, `ping: ${dest}: Name or service not known\n`);
    return 2;
  }
  const v6 = addr.length === 16;
  const family = v6 ? AF_INET6 : AF_INET;
  const fd = sys.net.socket(family, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
  const text = inetNtop(addr);
  yield* writeAll(sys, 1, v6 ? `PING ${text}(${text}) ${PING_DATA_BYTES} data bytes\n` : `PING ${text} (${text}) ${PING_DATA_BYTES}(${PING_DATA_BYTES + 28}) bytes of data.\n`);
  const now = () => {
    const t = sys.clockGettime(CLOCK_MONOTONIC);
    return t.sec * 1e9 + t.nsec;
  };
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  const start = now();
  let sent = 0;
  let lastSend = start;
  for (let seq = 1; seq <= count; seq++) {
    const msg = new Uint8Array(8 + PING_DATA_BYTES);
    msg[0] = v6 ? 128 : 8;
    msg[6] = seq >> 8;
    msg[7] = seq & 0xff;
    for (let i = 8; i < msg.length; i++) msg[i] = i & 0xff;
    try {
      sys.net.sendto(fd, msg, { family, address: addr, port: 0 });
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      yield* writeAll(sys, 2, `ping: connect: ${e.message}\n`);
      return 2;
    }
    sent++;
    lastSend = now();
    sentAt.set(seq, lastSend);
    const last = seq === count;
    const until = last ? lastSend + (waitNs ?? (rtts.length > 0 ? Math.max(2 * Math.max(...rtts), 1e6) : MAX_WAIT_NS)) : lastSend + intervalNs;
    while (now() < until && !(last && sentAt.size === 0)) {
      const pfd = [{ fd, events: POLLIN, revents: 0 }];
      if ((yield* sys.poll(pfd, until - now())) === 0) break;
      const d = yield* sys.net.recvfrom(fd);
      const rseq = (d.data[6]! << 8) | d.data[7]!;
      const t0 = sentAt.get(rseq);
      if (t0 === undefined) continue;
      sentAt.delete(rseq);
      const rtt = now() - t0;
      rtts.push(rtt);
      if (!quiet) yield* writeAll(sys, 1, `${d.data.length} bytes from ${inetNtop(d.from.address)}: icmp_seq=${rseq} ttl=64 time=${ms(rtt)} ms\n`);
      if (last && sentAt.size === 0) break;
    }
  }
  sys.close(fd);
  const recv = rtts.length;
  const loss = Math.round(((sent - recv) * 100) / sent);
  let out = `\n--- ${text} ping statistics ---\n${sent} packets transmitted, ${recv} received, ${loss}% packet loss, time ${Math.round((lastSend - start) / 1e6)}ms\n`;
  if (recv > 0) {
    const avg = rtts.reduce((a, b) => a + b, 0) / recv;
    const mdev = Math.sqrt(Math.max(0, rtts.reduce((a, b) => a + b * b, 0) / recv - avg * avg));
    out += `rtt min/avg/max/mdev = ${(Math.min(...rtts) / 1e6).toFixed(3)}/${(avg / 1e6).toFixed(3)}/${(Math.max(...rtts) / 1e6).toFixed(3)}/${(mdev / 1e6).toFixed(3)} ms\n`;
  }
  yield* writeAll(sys, 1, out);
  return recv > 0 ? 0 : 1;
}
