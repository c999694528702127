/**
 * Redirections, applied to the shell's own descriptor table the way a forked child
 * would apply them before exec: the original descriptors are first parked above 10
 * with close-on-exec, so children never see them and the shell can put them back.
 */
import {
  Errno,
  F_DUPFD_CLOEXEC,
  F_SETFD,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  PIPE_CAPACITY,
  type Program,
  type SysCall,
  type Syscalls,
} from '../../kernel/index.js';
import { errText, writeAll } from '../stdio.js';
import type { Redir } from './ast.js';
import { ShellError } from './errors.js';
import { expandString, type ExpandHost } from './expand.js';

/** Descriptors to put back: `saved` is the parked copy, or undefined if the fd was closed. */
export type SavedFds = { fd: number; saved: number | undefined }[];

// dash's errmsg(): a missing file reads "No such file" when opening, "Directory
// nonexistent" when creating.
function openError(e: unknown, creating: boolean): string {
  if (Errno.is(e, 'ENOENT') || Errno.is(e, 'ENOTDIR')) return creating ? 'Directory nonexistent' : 'No such file';
  return errText(e);
}

/** Parks a copy of `fd` (if open) so it can be restored later. */
export function saveFd(sys: Syscalls, fd: number): { fd: number; saved: number | undefined } {
  try {
    return { fd, saved: sys.fcntl(fd, F_DUPFD_CLOEXEC, 10) };
  } catch (e) {
    if (Errno.is(e, 'EBADF')) return { fd, saved: undefined };
    throw e;
  }
}

/** Makes `src` appear as `fd` (inheritable), closing `src`. */
export function moveFd(sys: Syscalls, src: number, fd: number): void {
  if (src === fd) {
    sys.fcntl(fd, F_SETFD, 0);
    return;
  }
  sys.dup2(src, fd);
  sys.close(src);
}

/** Puts parked descriptors back, last change first. */
export function restoreFds(sys: Syscalls, saved: SavedFds): void {
  for (let i = saved.length - 1; i >= 0; i--) {
    const s = saved[i];
    if (s === undefined) continue;
    if (s.saved !== undefined) {
      sys.dup2(s.saved, s.fd);
      sys.close(s.saved);
    } else {
      try {
        sys.close(s.fd);
      } catch (e) {
        if (!Errno.is(e, 'EBADF')) throw e;
      }
    }
  }
}

function* heredocFd(sys: Syscalls, text: string): SysCall<number> {
  const data = new TextEncoder().encode(text);
  const [r, w] = sys.pipe(O_CLOEXEC);
  try {
    if (data.length <= PIPE_CAPACITY) yield* writeAll(sys, w, data);
    else {
      // Too big to sit in the pipe: a child feeds it while the command reads.
      yield* sys.spawn(function* (cs: Syscalls): Program {
        yield* writeAll(cs, 1, data);
        return 0;
      }, ['sh'], { stdout: w });
    }
  } finally {
    sys.close(w);
  }
  return r;
}

function* openTarget(host: ExpandHost, r: Redir): SysCall<number | 'close' | undefined> {
  const sys = host.sys;
  if (r.op === '<<' || r.op === '<<-') return yield* heredocFd(sys, yield* expandString(host, r.body ?? { parts: [], raw: '' }));
  const name = yield* expandString(host, r.target, true);
  if (r.op === '<&' || r.op === '>&') {
    if (name === '-') return 'close';
    if (!/^\d+$/.test(name)) throw new ShellError('Syntax error: Bad fd number', true);
    const src = Number(name);
    if (src === r.fd) {
      sys.fcntl(src, F_SETFD, 0);
      return undefined;
    }
    try {
      return sys.fcntl(src, F_DUPFD_CLOEXEC, 0);
    } catch (e) {
      if (e instanceof Errno) throw new ShellError(`${src}: Bad file descriptor`);
      throw e;
    }
  }
  const creating = r.op !== '<';
  const flags =
    r.op === '<' ? O_RDONLY : r.op === '<>' ? O_RDWR | O_CREAT : r.op === '>>' ? O_WRONLY | O_CREAT | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC;
  try {
    return yield* sys.open(name, flags | O_CLOEXEC, 0o666);
  } catch (e) {
    if (e instanceof Errno) throw new ShellError(`cannot ${creating ? 'create' : 'open'} ${name}: ${openError(e, creating)}`);
    throw e;
  }
}

/**
 * Applies redirections in order. Unless `permanent` (exec with no command), the
 * previous descriptors are saved for restoreFds; on an error, what was already done is
 * undone before the ShellError propagates.
 */
export function* applyRedirs(host: ExpandHost, redirs: readonly Redir[], permanent = false): SysCall<SavedFds> {
  const sys = host.sys;
  const saved: SavedFds = [];
  try {
    for (const r of redirs) {
      // Saved first: the file opened next may land on this very descriptor if it is closed.
      if (!permanent && !saved.some((s) => s.fd === r.fd)) saved.push(saveFd(sys, r.fd));
      const src = yield* openTarget(host, r);
      if (src === 'close') {
        try {
          sys.close(r.fd);
        } catch (e) {
          if (!Errno.is(e, 'EBADF')) throw e;
        }
      } else if (src !== undefined) {
        moveFd(sys, src, r.fd);
      }
    }
  } catch (e) {
    restoreFds(sys, saved);
    throw e;
  }
  return saved;
}
