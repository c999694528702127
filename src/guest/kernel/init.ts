/**
 * The default pid 1: it only reaps. Orphans are re-parented to it when their parent dies,
 * and host-started processes are its children, so without it zombies would pile up.
 */
import type { Program } from './block.js';
import { Errno } from './errno.js';
import { SIGCHLD } from './signals.js';
import type { Syscalls } from './syscalls.js';

/** A minimal init: reap every child forever, sleeping in pause() while there are none. */
export function* initMain(sys: Syscalls): Program {
  // A handler (rather than the default "ignore") is what lets SIGCHLD end pause().
  sys.signal(SIGCHLD, () => undefined);
  for (;;) {
    try {
      yield* sys.waitpid(-1, 0);
    } catch (e) {
      if (Errno.is(e, 'ECHILD')) {
        try {
          yield* sys.pause();
        } catch (e2) {
          if (!Errno.is(e2, 'EINTR')) throw e2;
        }
      } else if (!Errno.is(e, 'EINTR')) {
        throw e;
      }
    }
  }
}
