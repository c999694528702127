/**
 * How qemu-ga runs helper programs, in the three ways its code does it: fork + execl of a
 * fixed path with the standard streams on /dev/null (shutdown, hwclock, the fsfreeze
 * hook, chpasswd), GLib's g_spawn_sync with a PATH search (systemctl and pm-utils for
 * suspend), and g_find_program_in_path. The guest kernel's spawn is fork and exec in one
 * step; where exec fails in qemu-ga's child, that child exits with EXIT_FAILURE, so here
 * a stand-in child does exactly that and the caller sees the same wait status.
 */
import { Errno, O_CLOEXEC, O_RDWR, S_ISDIR, S_ISREG, WEXITSTATUS, WIFEXITED, X_OK, type Program, type SpawnOptions, type Syscalls } from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import { errnoError, type QgaCall } from './common.js';

/** _exit(EXIT_FAILURE). */
const EXIT_FAILURE = 1;
/** What GLib searches when PATH is unset. */
const GLIB_DEFAULT_PATH = '/bin:/usr/bin:.';
/** The name a forked copy of the agent runs under. */
const AGENT_COMM = 'qemu-ga';

/** GLib's G_SPAWN_ERROR text for a child that could not be executed. */
export function spawnFailureMessage(argv0: string, e: Errno): string {
  return `Failed to execute child process \u201c${argv0}\u201d (${e.message})`;
}

/** Opens /dev/null for a child's standard streams (-1 if even that fails). */
export function* openDevNull(sys: Syscalls): QgaCall<number> {
  try {
    return yield* sys.open('/dev/null', O_RDWR | O_CLOEXEC);
  } catch (e) {
    if (e instanceof Errno) return -1;
    throw e;
  }
}

/** Options of forkExecl. */
export interface ForkExeclOptions {
  /** Descriptor to become the child's stdin (default /dev/null). */
  stdin?: number;
  /** What the forked child does when execl fails (default: _exit(EXIT_FAILURE)). */
  onExecFailure?: (child: Syscalls) => Program;
}

// The forked agent whose execl failed.
function* execFailed(): Program {
  return EXIT_FAILURE;
}

/**
 * fork(); in the child: standard streams to /dev/null, execl(path, argv...), and
 * _exit(EXIT_FAILURE) if that fails. Returns the child's pid. A fork that fails is
 * "failed to create child process: <errno>".
 */
export function* forkExecl(sys: Syscalls, path: string, argv: readonly string[], opts: ForkExeclOptions = {}): QgaCall<number> {
  const nul = yield* openDevNull(sys);
  const io: SpawnOptions = nul < 0 ? {} : { stdin: nul, stdout: nul, stderr: nul };
  if (opts.stdin !== undefined) io.stdin = opts.stdin;
  try {
    try {
      return yield* sys.spawn(path, argv, io);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
    try {
      return yield* sys.spawn(opts.onExecFailure ?? execFailed, [AGENT_COMM], io);
    } catch (e) {
      throw errnoError('failed to create child process', e);
    }
  } finally {
    if (nul >= 0) sys.close(nul);
  }
}

/** A child forked to run agent code (what qemu-ga's fork() without exec does). */
export function* forkAgent(sys: Syscalls, body: (child: Syscalls) => Program): QgaCall<number> {
  const nul = yield* openDevNull(sys);
  try {
    return yield* sys.spawn((child: Syscalls) => body(child), [AGENT_COMM], nul < 0 ? {} : { stdin: nul, stdout: nul, stderr: nul });
  } catch (e) {
    throw errnoError('failed to create child process', e);
  } finally {
    if (nul >= 0) sys.close(nul);
  }
}

/** ga_wait_child: waitpid(pid, 0), retried on EINTR; its wait status. */
export function* waitChild(sys: Syscalls, pid: number): QgaCall<number> {
  for (;;) {
    try {
      return (yield* sys.waitpid(pid, 0)).status;
    } catch (e) {
      if (Errno.is(e, 'EINTR')) continue;
      throw errnoError(`failed to wait for child (pid: ${pid})`, e);
    }
  }
}

/** What g_spawn_sync reported. */
export type SpawnSyncResult = { kind: 'exited'; status: number } | { kind: 'failed'; notFound: boolean; message: string };

/**
 * g_spawn_sync(G_SPAWN_SEARCH_PATH | STDOUT/STDERR_TO_DEV_NULL): runs argv[0] (looked up
 * in the agent's PATH) with stdin on /dev/null too, waits for it and returns its wait
 * status, or why it could not be started (ENOENT is GLib's G_SPAWN_ERROR_NOENT).
 */
export function* spawnSync(sys: Syscalls, argv: readonly string[]): QgaCall<SpawnSyncResult> {
  const nul = yield* openDevNull(sys);
  let pid: number;
  try {
    pid = yield* sys.spawn(argv[0] ?? '', argv, nul < 0 ? {} : { stdin: nul, stdout: nul, stderr: nul });
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    return { kind: 'failed', notFound: e.code === 'ENOENT', message: spawnFailureMessage(argv[0] ?? '', e) };
  } finally {
    if (nul >= 0) sys.close(nul);
  }
  for (;;) {
    try {
      return { kind: 'exited', status: (yield* sys.waitpid(pid, 0)).status };
    } catch (e) {
      if (Errno.is(e, 'EINTR')) continue;
      if (!(e instanceof Errno)) throw e;
      return { kind: 'failed', notFound: false, message: `Failed to read data from child process (${e.message})` };
    }
  }
}

/** g_file_test(G_FILE_TEST_IS_EXECUTABLE) and not a directory. */
function* isExecutableFile(sys: Syscalls, path: string): QgaCall<boolean> {
  try {
    yield* sys.access(path, X_OK);
    const st = yield* sys.stat(path);
    return !S_ISDIR(st.mode) && S_ISREG(st.mode) && (st.mode & 0o111) !== 0;
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
}

/** g_find_program_in_path: a name with a slash as is, else the first executable in $PATH. */
export function* findProgramInPath(sys: Syscalls, name: string): QgaCall<string | undefined> {
  if (name.includes('/')) return (yield* isExecutableFile(sys, name)) ? name : undefined;
  for (const dir of (sys.getenv('PATH') ?? GLIB_DEFAULT_PATH).split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${name}`;
    if (yield* isExecutableFile(sys, candidate)) return candidate;
  }
  return undefined;
}

/** Checks a child's wait status the way qemu-ga's helpers do, failing with `failedText`. */
export function checkChildStatus(status: number, failedText: string): void {
  if (!WIFEXITED(status)) throw qgaGenericError('child process has terminated abnormally');
  if (WEXITSTATUS(status) !== 0) throw qgaGenericError(failedText);
}
