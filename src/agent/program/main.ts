/**
 * The guest agent as a guest userspace program: opens its virtio port, feeds what arrives
 * to the protocol engine, writes replies back. While the host side is disconnected the
 * port reads EOF and the agent waits in poll (qemu-ga sleeps 100 ms and retries), never
 * spinning on the virtual clock; its parser is kept across reconnects, so clients resync
 * with 0xFF.
 */
import { Errno, O_NONBLOCK, O_RDWR, POLLHUP, POLLIN, POLLOUT, type Block, type Syscalls } from '../../guest/kernel/index.js';
import { AgentProtocol } from '../protocol/index.js';
import { qgaProfile, qgaVersionBanner } from '../schema/index.js';
import { QgaUsageError, parseQgaOptions } from './options.js';

/** Bytes read per loop, as qemu-ga's QGA_READ_COUNT_DEFAULT. */
export const QGA_READ_CHUNK = 4096;
/** How long the agent waits before looking at a disconnected port again (qemu-ga's usleep). */
export const QGA_RECONNECT_POLL_NS = 100_000_000;

/** `qemu-ga [options]`. */
export function* qemuGaMain(sys: Syscalls, argv: string[]): Generator<Block, number, unknown> {
  let opts;
  try {
    opts = parseQgaOptions(argv.slice(1));
  } catch (e) {
    if (!(e instanceof QgaUsageError)) throw e;
    yield* sys.write(2, `qemu-ga: ${e.message}\n`);
    return 1;
  }
  const profile = qgaProfile(opts.profile);
  if (opts.printVersion) {
    yield* sys.write(1, `${qgaVersionBanner(profile.version)}\n`);
    return 0;
  }
  const fd = yield* openChannel(sys, opts.path);
  if (fd < 0) return 1;
  const proto = new AgentProtocol<Block>({ profile, blockRpcs: opts.blockRpcs, write: (bytes) => writeAll(sys, fd, bytes) });
  for (;;) {
    const data = yield* readSome(sys, fd);
    if (data.length === 0) {
      // Host side closed: the port reads EOF (and polls HUP) until it reconnects, so poll
      // cannot wait for it; qemu-ga sleeps 100 ms and looks again, and so do we.
      yield* sys.sleep(QGA_RECONNECT_POLL_NS);
      continue;
    }
    proto.feed(data);
    yield* proto.drain();
  }
}

/**
 * Opens the port. Until the driver has created it, waits and retries, as systemd starts
 * qemu-ga only once the port device exists (and qemu-ga's --retry-path does).
 */
function* openChannel(sys: Syscalls, path: string): Generator<Block, number, unknown> {
  for (;;) {
    try {
      return yield* sys.open(path, O_RDWR | O_NONBLOCK);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (e.code !== 'ENOENT') {
        yield* sys.write(2, `qemu-ga: error opening channel '${path}': ${e.message}\n`);
        return -1;
      }
    }
    yield* sys.sleep(QGA_RECONNECT_POLL_NS);
  }
}

/** Reads what is there, waiting in poll until data or hang-up; empty = EOF. */
function* readSome(sys: Syscalls, fd: number): Generator<Block, Uint8Array, unknown> {
  for (;;) {
    try {
      return yield* sys.read(fd, QGA_READ_CHUNK);
    } catch (e) {
      if (!(e instanceof Errno) || e.code !== 'EAGAIN') throw e;
    }
    const pfd = { fd, events: POLLIN, revents: 0 };
    yield* sys.poll([pfd], -1);
    if (pfd.revents & POLLHUP && !(pfd.revents & POLLIN)) return new Uint8Array(0);
  }
}

/** Writes every byte, waiting for POLLOUT while the port is full or the host away. */
function* writeAll(sys: Syscalls, fd: number, bytes: Uint8Array): Generator<Block, void, unknown> {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += yield* sys.write(fd, bytes.subarray(off));
      continue;
    } catch (e) {
      if (!(e instanceof Errno) || e.code !== 'EAGAIN') throw e;
    }
    const pfd = { fd, events: POLLOUT, revents: 0 };
    yield* sys.poll([pfd], -1);
    // Hang-up without POLLOUT: the host is away and poll will not wait for it to return.
    if (pfd.revents & POLLHUP && !(pfd.revents & POLLOUT)) yield* sys.sleep(QGA_RECONNECT_POLL_NS);
  }
}
