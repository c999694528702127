/**
 * Running another program the way env(1) or shutdown's helpers would exec it. The kernel
 * has no exec, so the caller spawns, waits and then passes the child's fate on: its exit
 * code, or death by the same signal (so whoever waits for the caller sees what exec would
 * have shown them).
 */
import {
  WEXITSTATUS,
  WIFSIGNALED,
  WTERMSIG,
  Errno,
  type SpawnOptions,
  type SysCall,
  type Syscalls,
} from '../../kernel/index.js';

/** Waits for `pid`, retrying after signals that interrupt the wait. */
export function* waitFor(sys: Syscalls, pid: number): SysCall<number> {
  for (;;) {
    try {
      return (yield* sys.waitpid(pid, 0)).status;
    } catch (e) {
      if (!Errno.is(e, 'EINTR')) throw e;
    }
  }
}

/** Spawns `target`, waits, and returns its exit code; if it was killed, the caller dies of the same signal. */
export function* execLike(sys: Syscalls, target: string, argv: readonly string[], opts: SpawnOptions = {}): SysCall<number> {
  const pid = yield* sys.spawn(target, argv, opts);
  const status = yield* waitFor(sys, pid);
  if (WIFSIGNALED(status)) {
    const sig = WTERMSIG(status);
    try {
      sys.signal(sig, 'default');
      sys.kill(sys.getpid(), sig);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
    return 128 + sig;
  }
  return WEXITSTATUS(status);
}
