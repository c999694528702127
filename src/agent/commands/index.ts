/**
 * The guest agent's commands beyond sync/ping/info, as qemu-ga 7.2 implements them on
 * Linux (with 2.5's behaviour where the profile is older), running inside the agent
 * process on its syscalls. `createQgaCommandEnv` sets up what they share; the handlers
 * go to AgentProtocol's `handlers` option.
 */
import { SIGPIPE, type Block, type Syscalls } from '../../guest/kernel/index.js';
import type { QgaAgentRuntime, QgaProgramEnv } from '../program/main.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { isLegacy, type QgaCommandEnv } from './common.js';
import { GuestExecTable } from './exec.js';
import { fileHandlers } from './file.js';
import { fsfreezeHandlers } from './fsfreeze.js';
import { fsinfoHandlers } from './fsinfo.js';
import { memoryHandlers } from './memory.js';
import { networkHandlers } from './network.js';
import { shutdownHandlers } from './shutdown.js';
import { QgaStateDir, QgaStateError } from './state.js';
import { suspendHandlers } from './suspend.js';
import { timeHandlers } from './time.js';
import { userHandlers } from './user.js';
import { vcpuHandlers } from './vcpus.js';

/** What the agent's command line decides for its commands. */
export interface QgaCommandSetup {
  /** `-t`: the state directory. */
  stateDir: string;
  /** `-F`: the fsfreeze hook. */
  fsfreezeHook?: string;
}

/** The shared environment of one agent process's handlers. */
export function createQgaCommandEnv(sys: Syscalls, setup: QgaCommandSetup): QgaCommandEnv {
  return {
    sys,
    state: new QgaStateDir(sys, setup.stateDir),
    exec: new GuestExecTable(sys),
    ...(setup.fsfreezeHook === undefined ? {} : { fsfreezeHook: setup.fsfreezeHook }),
  };
}

/** guest-exec and guest-exec-status, on the environment's exec table. */
function execHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  return {
    'guest-exec': (args, ctx) => env.exec.exec(args, isLegacy(ctx)),
    'guest-exec-status': (args, ctx) => env.exec.status(args.pid, isLegacy(ctx)),
  };
}

/** Every command handler (commands a profile lacks are skipped when registering). */
export function qgaCommandHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  return {
    ...timeHandlers(env),
    ...shutdownHandlers(env),
    ...fileHandlers(env),
    ...fsfreezeHandlers(env),
    ...fsinfoHandlers(env),
    ...suspendHandlers(env),
    ...networkHandlers(env),
    ...vcpuHandlers(env),
    ...userHandlers(env),
    ...memoryHandlers(env),
    ...execHandlers(env),
  };
}

export type { QgaCommandEnv } from './common.js';
export { GuestExecTable, GUEST_EXEC_MAX_OUTPUT } from './exec.js';
export { QgaStateDir, QgaStateError, QGA_PSTATE_DEFAULT_FD_COUNTER, QGA_FROZEN_MARKER, QGA_PSTATE_FILE } from './state.js';
export { encodeFstrimRange, decodeFstrimRange } from './fsfreeze.js';
export { GUEST_FILE_READ_COUNT_MAX, QGA_READ_COUNT_DEFAULT } from './file.js';

/** Every command with its services, for the qemu-ga program (QemuGaBuild.runtime). */
export function qgaAgentRuntime(penv: QgaProgramEnv): QgaAgentRuntime {
  const { sys, options, log } = penv;
  const env = createQgaCommandEnv(sys, { stateDir: options.stateDir, ...(options.fsfreezeHook === undefined ? {} : { fsfreezeHook: options.fsfreezeHook }) });
  return {
    handlers: qgaCommandHandlers(env),
    *start(frozen) {
      // qemu-ga ignores SIGPIPE: a guest-exec child closing its stdin must not kill it.
      sys.signal(SIGPIPE, 'ignore');
      try {
        yield* env.state.load(frozen);
      } catch (e) {
        if (!(e instanceof QgaStateError)) throw e;
        yield* log.log('critical', e.message);
        return 'failed to load persistent state';
      }
      return undefined;
    },
    watches: () => env.exec.watches(),
    dispatch: (ready) => env.exec.dispatch(ready),
  };
}
