/**
 * guest-suspend-disk/ram/hybrid. Success sends no reply (the guest is asleep; the
 * command is 'success-response': false).
 *
 * 7.2 (with the 7.2.4 fix that lets each method fall through to the next) tries, in
 * order: systemd (`systemctl status systemd-hibernate|suspend|hybrid-sleep` exiting 1..3
 * means the unit exists, then `systemctl hibernate|suspend|hybrid-sleep`), pm-utils
 * (`pm-is-supported --hibernate|--suspend|--suspend-hybrid`, then pm-hibernate,
 * pm-suspend, pm-suspend-hybrid), then writing "disk"/"mem" to /sys/power/state from a
 * child (hybrid has no sysfs form). If no method claimed support: "the requested suspend
 * mode is not supported by the guest"; otherwise the last method's error, if any.
 *
 * 2.5 asks pm-is-supported in a child that falls back to reading /sys/power/state, then
 * runs the pm-utils program in a child that falls back to writing the state file.
 */
import { Errno, O_CLOEXEC, O_RDONLY, O_WRONLY, WEXITSTATUS, WIFEXITED, type Block, type Program, type Syscalls } from '../../guest/kernel/index.js';
import { QgaError, qgaGenericError } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { findProgramInPath, forkAgent, forkExecl, spawnSync, waitChild } from './children.js';
import { isLegacy, type QgaCall, type QgaCommandEnv } from './common.js';

/** The power state file. */
export const LINUX_SYS_STATE_FILE = '/sys/power/state';
/** How much of /sys/power/state qemu-ga reads ("hopefully big enough"). */
export const SYS_STATE_READ_MAX = 31;

type SuspendMode = 'disk' | 'ram' | 'hybrid';

interface ModeNames {
  systemdUnit: string;
  systemdVerb: string;
  pmArg: string;
  pmBinary: string;
  sysfile: string | undefined;
}

const MODES: Readonly<Record<SuspendMode, ModeNames>> = {
  disk: { systemdUnit: 'systemd-hibernate', systemdVerb: 'hibernate', pmArg: '--hibernate', pmBinary: 'pm-hibernate', sysfile: 'disk' },
  ram: { systemdUnit: 'systemd-suspend', systemdVerb: 'suspend', pmArg: '--suspend', pmBinary: 'pm-suspend', sysfile: 'mem' },
  hybrid: { systemdUnit: 'systemd-hybrid-sleep', systemdVerb: 'hybrid-sleep', pmArg: '--suspend-hybrid', pmBinary: 'pm-suspend-hybrid', sysfile: undefined },
};

const NOT_SUPPORTED = 'the requested suspend mode is not supported by the guest';
const EXIT_SUPPORTED = 0;
const EXIT_NOT_SUPPORTED = 1;

/** What run_process_child gives back: an exit code, or -1 with or without an error. */
type ChildRun = { code: number; error?: QgaError };

/** The three suspend handlers. */
export function suspendHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;

  // run_process_child: g_spawn_sync; not found is -1 without an error.
  function* runProcessChild(argv: readonly string[]): QgaCall<ChildRun> {
    const r = yield* spawnSync(sys, argv);
    if (r.kind === 'exited') return { code: WEXITSTATUS(r.status) };
    if (r.notFound) return { code: -1 };
    return { code: -1, error: qgaGenericError(`failed to create child process, error '${r.message}'`) };
  }

  /** Whether the state file lists `word` (what the sysfs method checks, in any process). */
  function* stateFileOffers(s: Syscalls, word: string): QgaCall<boolean> {
    let fd: number;
    try {
      fd = yield* s.open(LINUX_SYS_STATE_FILE, O_RDONLY | O_CLOEXEC);
    } catch (e) {
      if (e instanceof Errno) return false;
      throw e;
    }
    try {
      const d = yield* s.read(fd, SYS_STATE_READ_MAX);
      return d.length > 0 && new TextDecoder().decode(d).includes(word);
    } catch (e) {
      if (e instanceof Errno) return false;
      throw e;
    } finally {
      s.close(fd);
    }
  }

  /** The forked child that writes the state file: exit 0 on success. */
  function stateWriter(word: string | undefined): (s: Syscalls) => Program {
    return function* (s: Syscalls): Program {
      if (word === undefined) return EXIT_NOT_SUPPORTED;
      try {
        const fd = yield* s.open(LINUX_SYS_STATE_FILE, O_WRONLY);
        yield* s.write(fd, word);
        s.close(fd);
        return 0;
      } catch (e) {
        if (e instanceof Errno) return 1;
        throw e;
      }
    };
  }

  function* suspend72(mode: SuspendMode): QgaCall<void> {
    const n = MODES[mode];
    let supported = false;
    // systemd
    const st = yield* runProcessChild(['systemctl', 'status', n.systemdUnit]);
    if (st.code > 0 && st.code < 4) {
      supported = true;
      const r = yield* runProcessChild(['systemctl', n.systemdVerb]);
      if (r.code === 0) return;
    }
    // pm-utils
    const pm = yield* runProcessChild(['pm-is-supported', n.pmArg]);
    if (pm.code === EXIT_SUPPORTED) {
      supported = true;
      const r = yield* runProcessChild([n.pmBinary]);
      if (r.code === 0) return;
    }
    // sysfs
    let lastError: QgaError | undefined;
    if (n.sysfile !== undefined && (yield* stateFileOffers(sys, n.sysfile))) {
      supported = true;
      const pid = yield* forkAgent(sys, stateWriter(n.sysfile));
      if (WEXITSTATUS(yield* waitChild(sys, pid)) !== 0) lastError = qgaGenericError('child process has failed to suspend');
    }
    if (!supported) throw qgaGenericError(NOT_SUPPORTED);
    if (lastError !== undefined) throw lastError;
  }

  // 2.5: one child either execs pm-utils or does the sysfs part itself.
  function* forkPmOrSysfs(pmPath: string | undefined, argv: readonly string[], fallback: (s: Syscalls) => Program): QgaCall<number> {
    if (pmPath !== undefined) return yield* forkExecl(sys, pmPath, argv, { onExecFailure: fallback });
    return yield* forkAgent(sys, fallback);
  }

  function* suspend25(mode: SuspendMode): QgaCall<void> {
    const n = MODES[mode];
    const isPath = yield* findProgramInPath(sys, 'pm-is-supported');
    const checkPid = yield* forkPmOrSysfs(isPath, ['pm-is-supported', n.pmArg], function* (s: Syscalls): Program {
      if (n.sysfile === undefined) return EXIT_NOT_SUPPORTED;
      return (yield* stateFileOffers(s, n.sysfile)) ? EXIT_SUPPORTED : EXIT_NOT_SUPPORTED;
    });
    const status = yield* waitChild(sys, checkPid);
    if (!WIFEXITED(status)) throw qgaGenericError('child process has terminated abnormally');
    const code = WEXITSTATUS(status);
    if (code === EXIT_NOT_SUPPORTED) throw qgaGenericError(NOT_SUPPORTED);
    if (code !== EXIT_SUPPORTED) throw qgaGenericError(`the helper program '${isPath ?? '(null)'}' returned an unexpected exit status code (${code})`);
    const binPath = yield* findProgramInPath(sys, n.pmBinary);
    const pid = yield* forkPmOrSysfs(binPath, [n.pmBinary], stateWriter(n.sysfile));
    const s2 = yield* waitChild(sys, pid);
    if (!WIFEXITED(s2)) throw qgaGenericError('child process has terminated abnormally');
    if (WEXITSTATUS(s2) !== 0) throw qgaGenericError('child process has failed to suspend');
  }

  return {
    'guest-suspend-disk': (_args, ctx) => (isLegacy(ctx) ? suspend25('disk') : suspend72('disk')),
    'guest-suspend-ram': (_args, ctx) => (isLegacy(ctx) ? suspend25('ram') : suspend72('ram')),
    'guest-suspend-hybrid': (_args, ctx) => (isLegacy(ctx) ? suspend25('hybrid') : suspend72('hybrid')),
  };
}
