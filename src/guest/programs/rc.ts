/**
 * rc: the last stage of boot, the part of a service manager this guest needs. Once the
 * filesystems are mounted it runs /etc/rc.local (what rc-local.service does), logs the
 * console user in on tty1 (getty's autologin), and starts the image's services, then stays
 * to reap them. The console's input is a pipe rc holds open, so the login session lasts.
 */
import { Errno, MS_NODEV, MS_NOSUID, O_RDONLY, type Program, type ProgramMain, type SysCall, type Syscalls } from '../kernel/index.js';
import { waitFor } from './lib/exec.js';
import { errText, writeAll } from './stdio.js';

/** Path of the local boot script. */
export const RC_LOCAL = '/etc/rc.local';

/** What rc starts. */
export interface RcOptions {
  /** User logged in on tty1 (none when undefined). */
  autologin?: string;
  /** Services: absolute program path and argv, started in order. */
  services: readonly (readonly string[])[];
}

function* isExecutable(sys: Syscalls, path: string): SysCall<boolean> {
  try {
    yield* sys.access(path, 1);
    return true;
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
}

/** Builds the rc program for an image. */
export function rcProgram(opts: RcOptions): ProgramMain {
  return function* rcMain(sys: Syscalls): Program {
    // As systemd does first: /run is a fresh tmpfs each boot (pid files, utmp, qemu-ga's state).
    try {
      yield* sys.mount('tmpfs', '/run', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=755');
      yield* sys.mkdir('/run/lock', 0o1777);
      yield* sys.chmod('/run/lock', 0o1777);
    } catch (e) {
      yield* writeAll(sys, 2, `rc: cannot mount /run: ${errText(e)}\n`);
    }
    if (yield* isExecutable(sys, RC_LOCAL)) {
      try {
        const pid = yield* sys.spawn(RC_LOCAL, [RC_LOCAL]);
        const status = yield* waitFor(sys, pid);
        if (status !== 0) yield* writeAll(sys, 2, `rc: ${RC_LOCAL} exited with status ${status >> 8}\n`);
      } catch (e) {
        yield* writeAll(sys, 2, `rc: ${RC_LOCAL}: ${errText(e)}\n`);
      }
    }
    if (opts.autologin !== undefined) {
      // The read end becomes the session's stdin; rc never closes the write end, so it never sees EOF.
      const [r] = sys.pipe();
      try {
        yield* sys.spawn('/bin/login', ['login', '-f', opts.autologin, '-t', 'tty1'], { stdin: r });
      } catch (e) {
        yield* writeAll(sys, 2, `rc: login: ${errText(e)}\n`);
      }
      sys.close(r);
    }
    const devnull = yield* sys.open('/dev/null', O_RDONLY);
    for (const argv of opts.services) {
      const path = argv[0] ?? '';
      try {
        yield* sys.spawn(path, [path.split('/').pop() ?? path, ...argv.slice(1)], { stdin: devnull });
      } catch (e) {
        yield* writeAll(sys, 2, `rc: cannot start ${path}: ${errText(e)}\n`);
      }
    }
    sys.close(devnull);
    for (;;) {
      try {
        yield* sys.waitpid(-1, 0);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code === 'ECHILD') {
          try {
            yield* sys.pause();
          } catch (e2) {
            if (!(e2 instanceof Errno)) throw e2;
          }
        }
      }
    }
  };
}
