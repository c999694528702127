/**
 * port-echo(1): echoes everything read from a virtio-serial port back to the host, and keeps
 * doing so across host disconnects the way qemu-ga keeps its channel: while the host side is
 * closed the port reports EOF/POLLHUP at once, so it sleeps 100 ms between looks instead of
 * spinning, and never closes the port.
 */
import { NS_PER_MS } from '../../core/scheduler.js';
import { Errno, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLOUT, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { complain, writeAll } from './stdio.js';

/** Largest read. */
export const PORT_ECHO_READ_SIZE = 64 * 1024;
/** Pause while the host side is closed (qemu-ga's usleep(100 * 1000)). */
export const PORT_ECHO_IDLE_NS = 100 * NS_PER_MS;

/** Errors after which the port is reopened: it went away (unplugged) or is not there yet. */
const REOPEN: readonly string[] = ['ENOENT', 'ENXIO', 'ENODEV'];

function isReopen(e: unknown): boolean {
  return e instanceof Errno && REOPEN.includes(e.code);
}

/** Opens `path`, waiting (quietly after the first complaint) while it does not exist yet. */
function* openPort(sys: Syscalls, path: string): SysCall<number> {
  let told = false;
  for (;;) {
    try {
      return yield* sys.open(path, O_RDWR | O_NONBLOCK);
    } catch (e) {
      if (!isReopen(e)) throw e;
      if (!told) yield* complain(sys, 'port-echo', `${path} (waiting for it)`, e);
      told = true;
      yield* sys.sleep(PORT_ECHO_IDLE_NS);
    }
  }
}

/**
 * Writes all of `data`; on EAGAIN waits for POLLOUT. Returns false when the host went away
 * first: the rest belonged to a connection that no longer exists, so it is dropped.
 */
function* writeBack(sys: Syscalls, fd: number, data: Uint8Array): SysCall<boolean> {
  let off = 0;
  while (off < data.length) {
    try {
      off += yield* sys.write(fd, data.subarray(off));
      continue;
    } catch (e) {
      if (!Errno.is(e, 'EAGAIN')) throw e;
    }
    const pfd = [{ fd, events: POLLOUT, revents: 0 }];
    yield* sys.poll(pfd, -1);
    if ((pfd[0]!.revents & POLLOUT) === 0 && (pfd[0]!.revents & POLLHUP) !== 0) return false;
  }
  return true;
}

/** One open of the port: echoes until the port disappears (then the caller reopens). */
function* serve(sys: Syscalls, fd: number): SysCall<void> {
  const pfd = [{ fd, events: POLLIN, revents: 0 }];
  for (;;) {
    yield* sys.poll(pfd, -1);
    // POLLHUP alone (an unplugged port) is read too: the read's ENODEV is what says so.
    if ((pfd[0]!.revents & (POLLIN | POLLHUP | POLLERR)) === 0) continue;
    let data: Uint8Array;
    try {
      data = yield* sys.read(fd, PORT_ECHO_READ_SIZE);
    } catch (e) {
      if (Errno.is(e, 'EAGAIN')) continue;
      throw e;
    }
    if (data.length === 0) {
      // EOF: the host side is closed. Like qemu-ga, keep the port and look again later.
      yield* sys.sleep(PORT_ECHO_IDLE_NS);
      continue;
    }
    yield* writeBack(sys, fd, data);
  }
}

/** port-echo PATH */
export function* portEchoMain(sys: Syscalls, argv: string[]): Program {
  const path = argv[1];
  if (path === undefined || argv.length > 2) {
    yield* writeAll(sys, 2, 'usage: port-echo PATH\n');
    return 2;
  }
  for (;;) {
    const fd = yield* openPort(sys, path);
    try {
      yield* serve(sys, fd);
    } catch (e) {
      if (!isReopen(e)) {
        yield* complain(sys, 'port-echo', path, e);
        return 1;
      }
    } finally {
      sys.close(fd);
    }
  }
}
