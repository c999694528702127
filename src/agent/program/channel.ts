/**
 * The agent's end of its virtio port, as Linux's virtio_console lets a process use it.
 *
 * While the host side is closed the port reads EOF and polls POLLHUP, so neither read()
 * nor poll() can wait for the host to come back. qemu-ga answers that by sleeping 100 ms
 * and trying again, forever; on a virtual clock that periodic wake-up would keep the
 * machine from ever going idle. This channel waits the way Linux offers instead:
 * signal-driven I/O. The port is put in O_ASYNC mode with the agent as its F_SETOWN
 * owner, and the driver raises SIGIO when the host connects or disconnects (and when
 * data arrives: send_sigio_to_port). SIGIO stays blocked except inside the ppoll() the
 * agent sleeps in (sigsuspend that also watches guest-exec's pipes), so it never
 * interrupts a command's syscalls, and a SIGIO raised between "the host is away" and
 * going to sleep stays pending and ends the sleep at once: no lost wake-up.
 * (Real qemu-ga passes O_ASYNC to open(), which Linux ignores; only F_SETFL enables it.)
 */
import {
  Errno,
  F_GETFL,
  F_SETFL,
  F_SETOWN,
  O_ASYNC,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  SIGIO,
  SIG_BLOCK,
  type Block,
  type PollFd,
  type Syscalls,
} from '../../guest/kernel/index.js';

/** Bytes read per loop, as qemu-ga's QGA_READ_COUNT_DEFAULT. */
export const QGA_READ_CHUNK = 4096;
/** How often a missing port is looked for while the guest boots (qemu-ga's 100 ms pace). */
export const QGA_OPEN_RETRY_NS = 100_000_000;
/** How long a missing port is waited for before giving up (systemd's device timeout, 90 s). */
export const QGA_OPEN_TIMEOUT_NS = 90_000_000_000;

/** Descriptors the idle loop also waits on (guest-exec's pipes), and what to do when they are ready. */
export interface ChannelIdleWatches {
  /** Fresh poll entries. */
  watches(): PollFd[];
  /** Services the entries poll filled in. */
  dispatch(ready: readonly PollFd[]): Generator<Block, void, unknown>;
}

/** What a read brought: bytes, the host gone (EOF), or the port gone (unplugged). */
export type ChannelRead = { kind: 'data'; bytes: Uint8Array } | { kind: 'eof' } | { kind: 'gone'; error: Errno };

/** The open port. */
export class QgaChannel {
  /** How many times the agent went to sleep waiting for the host (for tests and traces). */
  hostWaits = 0;
  private readonly unblocked: Set<number>;

  private constructor(
    private readonly sys: Syscalls,
    /** The port's descriptor. */
    readonly fd: number,
  ) {
    sys.signal(SIGIO, () => undefined);
    const before = sys.sigprocmask(SIG_BLOCK, [SIGIO]);
    this.unblocked = before;
    this.unblocked.delete(SIGIO);
    sys.fcntl(fd, F_SETOWN, sys.getpid());
    sys.fcntl(fd, F_SETFL, sys.fcntl(fd, F_GETFL) | O_ASYNC);
  }

  /**
   * Opens `path` (O_RDWR | O_NONBLOCK), waiting for the driver to create it during boot;
   * an Errno if it cannot be opened (ENOENT after QGA_OPEN_TIMEOUT_NS).
   */
  static *open(sys: Syscalls, path: string): Generator<Block, QgaChannel | Errno, unknown> {
    let waited = 0;
    for (;;) {
      try {
        // Close-on-exec, as qga_open_cloexec does: helper children must not hold the port.
        return new QgaChannel(sys, yield* sys.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC));
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code !== 'ENOENT' || waited >= QGA_OPEN_TIMEOUT_NS) return e;
      }
      yield* sys.sleep(QGA_OPEN_RETRY_NS);
      waited += QGA_OPEN_RETRY_NS;
    }
  }

  /** Reads what is there, waiting in poll until data comes or the host goes (servicing `idle` meanwhile). */
  *read(idle?: ChannelIdleWatches): Generator<Block, ChannelRead, unknown> {
    for (;;) {
      // Poll first, read when told to, as qemu-ga's GLib watch (G_IO_IN | G_IO_HUP) does:
      // no EAGAIN round trip per request.
      const revents = yield* this.pollFor(POLLIN, idle);
      if (revents === 0) continue;
      try {
        const bytes = yield* this.sys.read(this.fd, QGA_READ_CHUNK);
        return bytes.length === 0 ? { kind: 'eof' } : { kind: 'data', bytes };
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code !== 'EAGAIN') return { kind: 'gone', error: e };
      }
    }
  }

  /** Writes every byte; while the host is away, waits for it (the reply then goes to whoever connects next). */
  *writeAll(bytes: Uint8Array): Generator<Block, void, unknown> {
    let off = 0;
    while (off < bytes.length) {
      try {
        off += yield* this.sys.write(this.fd, bytes.subarray(off));
        continue;
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code !== 'EAGAIN') throw e;
      }
      const revents = yield* this.pollFor(POLLOUT);
      if ((revents & POLLHUP) !== 0 && (revents & POLLOUT) === 0) yield* this.waitForHost();
    }
  }

  /**
   * Sleeps until the host side is open again (returns at once if it is), servicing
   * `idle`'s descriptors meanwhile. The port itself is not polled (it would report
   * POLLHUP at once); ppoll with SIGIO unblocked waits for the driver's signal instead.
   */
  *waitForHost(idle?: ChannelIdleWatches): Generator<Block, void, unknown> {
    for (;;) {
      const pfd = { fd: this.fd, events: POLLIN, revents: 0 };
      yield* this.sys.poll([pfd], 0);
      if ((pfd.revents & POLLHUP) === 0) return;
      this.hostWaits++;
      const extra = idle?.watches() ?? [];
      try {
        yield* this.sys.ppoll(extra, -1, this.unblocked);
      } catch (e) {
        if (!(e instanceof Errno) || e.code !== 'EINTR') throw e;
      }
      if (idle !== undefined && extra.some((x) => x.revents !== 0)) yield* idle.dispatch(extra);
    }
  }

  /** Closes the port. */
  close(): void {
    this.sys.close(this.fd);
  }

  private *pollFor(events: number, idle?: ChannelIdleWatches): Generator<Block, number, unknown> {
    const pfd = { fd: this.fd, events, revents: 0 };
    const extra = idle?.watches() ?? [];
    try {
      yield* this.sys.poll([pfd, ...extra], -1);
    } catch (e) {
      if (!(e instanceof Errno) || e.code !== 'EINTR') throw e;
    }
    if (idle !== undefined && extra.some((x) => x.revents !== 0)) yield* idle.dispatch(extra);
    return pfd.revents;
  }
}
