/**
 * The processes a shell starts: programs found on PATH (and scripts, with or without
 * "#!"), pipelines joined by pipes, background jobs, subshells and command
 * substitutions, and waiting for them the way dash reports their fate.
 */
import {
  BUILTIN_MARKER,
  Errno,
  O_CLOEXEC,
  O_RDONLY,
  SIGINT,
  SIGPIPE,
  WEXITSTATUS,
  WIFSIGNALED,
  WTERMSIG,
  type Program,
  type SpawnOptions,
  type SysCall,
  type Syscalls,
} from '../../kernel/index.js';
import { waitFor } from '../lib/exec.js';
import { strsignal } from '../lib/signames.js';
import { errText, readText, writeAll } from '../stdio.js';
import type { Command } from './ast.js';
import { ShellError } from './errors.js';
import type { Shell } from './exec.js';
import { applyRedirs, moveFd, restoreFds, saveFd, type SavedFds } from './redirect.js';
import type { ShellState } from './state.js';

/** Spawns a program the way dash's shellexec finds it: PATH search, 127/126 failures, scripts without #! run by sh. */
export function* spawnExternal(sh: Shell, argv: readonly string[], env: Record<string, string>): SysCall<number> {
  const name = argv[0] ?? '';
  const path = sh.st.get('PATH');
  // With PATH unset dash finds nothing; an empty PATH (or element) means the current directory.
  const candidates = name.includes('/') ? [name] : path === undefined ? [] : path.split(':').map((d) => `${d === '' ? '.' : d}/${name}`);
  let sawEacces = false;
  for (const cand of candidates) {
    try {
      return yield* sh.sys.spawn(cand, argv, { env });
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') continue;
      if (e.code === 'EACCES') {
        sawEacces = true;
        continue;
      }
      if (e.code === 'ENOEXEC') return yield* spawnScript(sh, cand, argv, env);
      throw new ShellError(`${name}: ${errText(e)}`, false, 2);
    }
  }
  if (name === '') throw new ShellError(': Permission denied', false, 127);
  throw new ShellError(`${name}: ${sawEacces ? 'Permission denied' : 'not found'}`, false, sawEacces ? 126 : 127);
}

// A file that is executable but not a program: "#!interpreter [arg]" or a shell script.
function* spawnScript(sh: Shell, path: string, argv: readonly string[], env: Record<string, string>): SysCall<number> {
  const name = argv[0] ?? path;
  let text: string;
  try {
    const fd = yield* sh.sys.open(path, O_RDONLY | O_CLOEXEC);
    try {
      text = yield* readText(sh.sys, fd);
    } finally {
      sh.sys.close(fd);
    }
  } catch (e) {
    if (e instanceof Errno) throw new ShellError(`${name}: ${errText(e)}`, false, 126);
    throw e;
  }
  const first = text.split('\n')[0] ?? '';
  if (first.startsWith(BUILTIN_MARKER)) throw new ShellError(`${name}: Exec format error`, false, 126);
  if (first.startsWith('#!')) {
    const [interp = '', ...rest] = first.slice(2).trim().split(/[ \t]+/);
    const iargv = [interp, ...(rest.length > 0 ? [rest.join(' ')] : []), path, ...argv.slice(1)];
    try {
      return yield* sh.sys.spawn(interp, iargv, { env });
    } catch (e) {
      if (e instanceof Errno) throw new ShellError(`${name}: ${e.code === 'ENOENT' ? 'not found' : errText(e)}`, false, e.code === 'ENOENT' ? 127 : 126);
      throw e;
    }
  }
  const state = sh.st.clone();
  state.funcs.clear();
  state.arg0 = path;
  state.positional = argv.slice(1);
  return yield* spawnClosure(sh, state, (child) => child.runSource(text), { env });
}

/** Waits for the processes of a job; the status is the last one's (128+N for signal N, reported like dash). */
export function* waitPids(sh: Shell, pids: readonly number[]): SysCall<number> {
  let last = 0;
  for (const pid of pids) last = yield* waitFor(sh.sys, pid);
  if (WIFSIGNALED(last)) {
    yield* reportSignal(sh, WTERMSIG(last));
    return 128 + WTERMSIG(last);
  }
  return WEXITSTATUS(last);
}

/** Says on stderr that a job died of a signal ("Terminated"), except for SIGINT and SIGPIPE, as dash does. */
export function* reportSignal(sh: Shell, sig: number): SysCall<void> {
  if (sig === SIGINT || sig === SIGPIPE) return;
  try {
    yield* writeAll(sh.sys, 2, `${strsignal(sig)}\n`);
  } catch (e) {
    errText(e);
  }
}

// --- children: subshells, pipelines, background jobs, substitutions --------------------

/** Spawns a child process running `body` in a new shell on `state`. */
export function* spawnClosure(sh: Shell, state: ShellState, body: (child: Shell) => SysCall<number>, opts: SpawnOptions = {}): SysCall<number> {
  const main = function* (cs: Syscalls): Program {
    const child = sh.derive(cs, state);
    return yield* child.asSubshell(() => body(child));
  };
  return yield* sh.sys.spawn(main, [sh.st.arg0], { env: state.environ(), ...opts });
}

/** Spawns a subshell (a copy of this shell) running `body`. */
export function* spawnSubshell(sh: Shell, body: (child: Shell) => SysCall<number>, opts: SpawnOptions = {}): SysCall<number> {
  return yield* spawnClosure(sh, sh.st.clone(), body, opts);
}

/** Starts one command without waiting (a pipeline element or background job); returns its pid. */
export function* startAsync(sh: Shell, cmd: Command): SysCall<number> {
  if (cmd.type !== 'simple') return yield* spawnSubshell(sh, (child) => child.run(cmd));
  sh.st.lineno = cmd.line;
  // Expansion happens here, on a copy of the state, so a direct child can be the program itself.
  const scratch = sh.derive(sh.sys, sh.st.clone());
  let expanded: { argv: string[]; assigns: [string, string][] };
  try {
    expanded = yield* scratch.expandSimple(cmd);
  } catch (e) {
    // An expansion error ends only this element, as it would in dash's forked child.
    if (!(e instanceof ShellError)) throw e;
    return yield* spawnFailure(sh, e);
  }
  const { argv, assigns } = expanded;
  const name = argv[0];
  const external = name !== undefined && sh.isProgram(name);
  if (!external) return yield* spawnClosure(sh, scratch.st, (child) => child.execExpanded(cmd, argv, assigns));
  yield* scratch.trace(argv, assigns);
  let saved: SavedFds;
  try {
    saved = yield* applyRedirs(scratch, cmd.redirs);
  } catch (e) {
    if (!(e instanceof ShellError)) throw e;
    return yield* spawnFailure(sh, e);
  }
  try {
    return yield* spawnExternal(scratch, argv, scratch.st.environ(assigns));
  } catch (e) {
    if (!(e instanceof ShellError)) throw e;
    return yield* spawnFailure(sh, e);
  } finally {
    restoreFds(sh.sys, saved);
  }
}

// In dash the forked child reports a failed exec; a short-lived child does that here.
function* spawnFailure(sh: Shell, e: ShellError): SysCall<number> {
  const line = sh.st.lineno;
  return yield* spawnSubshell(sh, function* (child: Shell) {
    yield* child.warn(e.message, line, e.prefixed);
    return e.status;
  });
}

/** Starts every command of a pipeline connected by pipes; returns their pids. */
export function* startPipeline(sh: Shell, cmds: readonly Command[]): SysCall<number[]> {
  const sys = sh.sys;
  const pids: number[] = [];
  let prevRead: number | undefined;
  for (let i = 0; i < cmds.length; i++) {
    const last = i === cmds.length - 1;
    const [r, w] = last ? [undefined, undefined] : sys.pipe(O_CLOEXEC);
    const saved: SavedFds = [];
    try {
      if (prevRead !== undefined) {
        saved.push(saveFd(sys, 0));
        sys.dup2(prevRead, 0);
      }
      if (w !== undefined) {
        saved.push(saveFd(sys, 1));
        sys.dup2(w, 1);
      }
      pids.push(yield* startAsync(sh, cmds[i] as Command));
    } finally {
      restoreFds(sys, saved);
      if (prevRead !== undefined) sys.close(prevRead);
      if (w !== undefined) sys.close(w);
    }
    prevRead = r;
  }
  return pids;
}

/** cmd & : stdin from /dev/null, not waited for; $! is the (last) pid. */
export function* background(sh: Shell, cmd: Command): SysCall<void> {
  const sys = sh.sys;
  const saved = [saveFd(sys, 0)];
  let pids: number[];
  try {
    try {
      moveFd(sys, yield* sys.open('/dev/null', O_RDONLY | O_CLOEXEC), 0);
    } catch (e) {
      errText(e);
    }
    pids = cmd.type === 'pipeline' && !cmd.bang ? yield* startPipeline(sh, cmd.cmds) : [yield* startAsync(sh, cmd)];
  } finally {
    restoreFds(sys, saved);
  }
  sh.st.lastBg = pids[pids.length - 1];
  sh.st.jobs.push(...pids);
}

/** $(...) : runs `body` in a subshell and returns what it wrote to stdout. */
export function* commandSubstitution(sh: Shell, body: Command): SysCall<string> {
  const sys = sh.sys;
  const [r, w] = sys.pipe(O_CLOEXEC);
  let pid: number;
  try {
    pid = yield* spawnSubshell(sh, (child) => child.run(body), { stdout: w });
  } catch (e) {
    sys.close(r);
    throw e;
  } finally {
    sys.close(w);
  }
  let text: string;
  try {
    text = yield* readText(sys, r);
  } finally {
    sys.close(r);
  }
  const status = yield* waitFor(sys, pid);
  const code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  sh.substStatus = code;
  sh.st.status = code;
  return text;
}
