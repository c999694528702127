/**
 * guest-exec / guest-exec-status. A child is spawned as GLib's g_spawn_async_with_pipes
 * does it for qemu-ga: argv = [path, ...arg] looked up in PATH (the given environment's
 * PATH first), the environment replaced when `env` is given, stdin a pipe only when
 * input-data is given (otherwise the agent's own stdin), stdout/stderr pipes when
 * capture-output is true (otherwise /dev/null). The agent's main loop then feeds the
 * input and collects the output between requests (exec-table watches), up to
 * GUEST_EXEC_MAX_OUTPUT per stream, discarding the rest as truncated.
 *
 * A status report says exited only once the child has exited and both output pipes have
 * closed; that report carries exitcode or signal and the output, and drops the entry, so
 * the next status for that pid is "Invalid parameter 'pid'".
 */
import {
  Errno,
  F_GETFL,
  F_SETFL,
  O_CLOEXEC,
  O_NONBLOCK,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WNOHANG,
  WTERMSIG,
  type PollFd,
  type SpawnOptions,
  type Syscalls,
} from '../../guest/kernel/index.js';
import { Buffer } from 'node:buffer';
import { qgaCommandFailed, qgaInvalidParameter } from '../protocol/errors.js';
import type { GuestExecStatus } from '../schema/types.js';
import { base64Encode, qgaBase64Decode } from './base64.js';
import { openDevNull, spawnFailureMessage } from './children.js';
import type { QgaCall } from './common.js';

/** GUEST_EXEC_MAX_OUTPUT: captured bytes kept per stream (16 MiB). */
export const GUEST_EXEC_MAX_OUTPUT = 16 * 1024 * 1024;
/** GUEST_EXEC_IO_SIZE: how much one output read takes (and the buffer grows by). */
export const GUEST_EXEC_IO_SIZE = 4 * 1024;
/** Where GLib looks when neither environment has a PATH. */
const GLIB_DEFAULT_PATH = '/bin:/usr/bin:.';
/** What runs an executable file that is not a program (script_execute). */
const SCRIPT_SHELL = '/bin/sh';

/** One captured output stream. */
interface ExecOutput {
  fd: number;
  chunks: Uint8Array[];
  length: number;
  closed: boolean;
  truncated: boolean;
}

/** The input being fed. */
interface ExecInput {
  fd: number;
  data: Uint8Array;
  written: number;
  closed: boolean;
}

/** One spawned child (GuestExecInfo). */
interface GuestExecInfo {
  pid: number;
  status: number;
  finished: boolean;
  hasOutput: boolean;
  input: ExecInput | undefined;
  out: ExecOutput;
  err: ExecOutput;
}

/** Arguments of guest-exec as the handler gets them. */
export interface GuestExecRequest {
  path: string;
  arg?: string[];
  env?: string[];
  'input-data'?: string;
  'capture-output'?: boolean;
}

function closedOutput(): ExecOutput {
  return { fd: -1, chunks: [], length: 0, closed: true, truncated: false };
}

/** The children guest-exec started and the I/O the main loop does for them. */
export class GuestExecTable {
  private readonly procs: GuestExecInfo[] = [];

  constructor(private readonly sys: Syscalls) {}

  /** Children not yet reported as exited. */
  get size(): number {
    return this.procs.length;
  }

  /** qmp_guest_exec; `legacy` decodes input-data without 7.2's character check. */
  *exec(req: GuestExecRequest, legacy: boolean): QgaCall<{ pid: number }> {
    const input = req['input-data'] === undefined ? undefined : qgaBase64Decode(req['input-data'], legacy);
    const capture = req['capture-output'] === true;
    const argv = [req.path, ...(req.arg ?? [])];
    const env = req.env === undefined ? undefined : envFromList(req.env);
    const sys = this.sys;
    const opened: number[] = [];
    const keep = new Set<number>();
    try {
      const io: SpawnOptions = {};
      if (env !== undefined) io.env = env;
      let inFd = -1;
      if (input !== undefined) {
        const [r, w] = sys.pipe(O_CLOEXEC);
        opened.push(r, w);
        io.stdin = r;
        inFd = w;
      }
      let outFd = -1;
      let errFd = -1;
      if (capture) {
        const [or, ow] = sys.pipe(O_CLOEXEC);
        const [er, ew] = sys.pipe(O_CLOEXEC);
        opened.push(or, ow, er, ew);
        io.stdout = ow;
        io.stderr = ew;
        outFd = or;
        errFd = er;
      } else {
        const nul = yield* openDevNull(sys);
        if (nul >= 0) {
          opened.push(nul);
          io.stdout = nul;
          io.stderr = nul;
        }
      }
      const pid = yield* this.spawnSearching(argv, env, io);
      const info: GuestExecInfo = { pid, status: 0, finished: false, hasOutput: capture, input: undefined, out: closedOutput(), err: closedOutput() };
      if (input !== undefined) {
        sys.fcntl(inFd, F_SETFL, sys.fcntl(inFd, F_GETFL) | O_NONBLOCK);
        info.input = { fd: inFd, data: input, written: 0, closed: false };
        keep.add(inFd);
      }
      if (capture) {
        for (const fd of [outFd, errFd]) sys.fcntl(fd, F_SETFL, sys.fcntl(fd, F_GETFL) | O_NONBLOCK);
        info.out = { fd: outFd, chunks: [], length: 0, closed: false, truncated: false };
        info.err = { fd: errFd, chunks: [], length: 0, closed: false, truncated: false };
        keep.add(outFd);
        keep.add(errFd);
      }
      this.procs.push(info);
      return { pid };
    } finally {
      for (const fd of opened) if (!keep.has(fd)) sys.close(fd);
    }
  }

  // G_SPAWN_SEARCH_PATH | G_SPAWN_SEARCH_PATH_FROM_ENVP: execvp-like lookup.
  private *spawnSearching(argv: readonly string[], env: Record<string, string> | undefined, io: SpawnOptions): QgaCall<number> {
    const file = argv[0] ?? '';
    const fail = (e: Errno): Error => qgaCommandFailed(spawnFailureMessage(file, e));
    const attempt = function* (sys: Syscalls, target: string): QgaCall<number> {
      try {
        return yield* sys.spawn(target, argv, io);
      } catch (e) {
        // Like execvp, GLib hands a file the kernel cannot execute to /bin/sh as a script.
        if (!Errno.is(e, 'ENOEXEC')) throw e;
        return yield* sys.spawn(SCRIPT_SHELL, [SCRIPT_SHELL, target, ...argv.slice(1)], io);
      }
    };
    if (file === '' || file.includes('/')) {
      try {
        return yield* attempt(this.sys, file);
      } catch (e) {
        if (e instanceof Errno) throw fail(e);
        throw e;
      }
    }
    const path = env?.PATH ?? this.sys.getenv('PATH') ?? GLIB_DEFAULT_PATH;
    let sawEacces = false;
    for (const dir of path.split(':')) {
      try {
        return yield* attempt(this.sys, `${dir === '' ? '.' : dir}/${file}`);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code === 'EACCES') sawEacces = true;
        else if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR' && e.code !== 'ELOOP' && e.code !== 'ENAMETOOLONG') throw fail(e);
      }
    }
    throw fail(new Errno(sawEacces ? 'EACCES' : 'ENOENT'));
  }

  /** qmp_guest_exec_status. */
  *status(pid: number, legacy: boolean): QgaCall<GuestExecStatus> {
    const i = this.procs.findIndex((p) => p.pid === pid);
    const info = this.procs[i];
    if (info === undefined) throw qgaInvalidParameter('pid');
    yield* this.reap(info);
    let exited = info.finished;
    // Everything the child wrote is in only once both pipes have closed.
    if (info.hasOutput) exited = exited && info.out.closed && info.err.closed;
    const ges: GuestExecStatus = { exited };
    if (!exited) return ges;
    if (WIFEXITED(info.status)) ges.exitcode = WEXITSTATUS(info.status);
    else if (WIFSIGNALED(info.status)) ges.signal = WTERMSIG(info.status);
    const report = (o: ExecOutput, data: 'out-data' | 'err-data', trunc: 'out-truncated' | 'err-truncated'): void => {
      if (o.length === 0) return;
      ges[data] = base64Encode(new Uint8Array(Buffer.concat(o.chunks)));
      // 2.5 set only the has_ flag from `truncated`, so a truncated stream said false.
      if (!legacy) ges[trunc] = o.truncated;
      else if (o.truncated) ges[trunc] = false;
    };
    report(info.out, 'out-data', 'out-truncated');
    report(info.err, 'err-data', 'err-truncated');
    this.procs.splice(i, 1);
    return ges;
  }

  /** The descriptors the main loop should poll for the children (fresh entries). */
  watches(): PollFd[] {
    const out: PollFd[] = [];
    for (const p of this.procs) {
      if (p.input !== undefined && !p.input.closed) out.push({ fd: p.input.fd, events: POLLOUT, revents: 0 });
      for (const o of [p.out, p.err]) if (!o.closed) out.push({ fd: o.fd, events: POLLIN, revents: 0 });
    }
    return out;
  }

  /** What GLib's watches do when poll says a child's pipe is ready; then reaps exits. */
  *dispatch(ready: readonly PollFd[]): QgaCall<void> {
    for (const pfd of ready) {
      if (pfd.revents === 0) continue;
      for (const p of this.procs) {
        if (p.input !== undefined && !p.input.closed && p.input.fd === pfd.fd) yield* this.feed(p.input);
        for (const o of [p.out, p.err]) if (!o.closed && o.fd === pfd.fd) yield* this.collect(o, pfd.revents);
      }
    }
    for (const p of this.procs) yield* this.reap(p);
  }

  // guest_exec_input_watch: one non-blocking write per wake-up; done or broken closes.
  private *feed(inp: ExecInput): QgaCall<void> {
    if (inp.written < inp.data.length) {
      try {
        inp.written += yield* this.sys.write(inp.fd, inp.data.subarray(inp.written));
        if (inp.written < inp.data.length) return;
      } catch (e) {
        if (Errno.is(e, 'EAGAIN')) return;
        if (!(e instanceof Errno)) throw e;
      }
    }
    inp.closed = true;
    this.sys.close(inp.fd);
  }

  // guest_exec_output_watch: one read per wake-up, into the buffer while there is room.
  private *collect(o: ExecOutput, revents: number): QgaCall<void> {
    if ((revents & (POLLHUP | POLLERR)) !== 0 && (revents & POLLIN) === 0) {
      this.closeOutput(o);
      return;
    }
    // With the buffer at its limit, further output is read and thrown away.
    const room = o.length < GUEST_EXEC_MAX_OUTPUT && !o.truncated;
    if (!room) o.truncated = true;
    let d: Uint8Array;
    try {
      d = yield* this.sys.read(o.fd, room ? Math.min(GUEST_EXEC_IO_SIZE, GUEST_EXEC_MAX_OUTPUT - o.length) : GUEST_EXEC_IO_SIZE);
    } catch (e) {
      if (Errno.is(e, 'EAGAIN')) return;
      if (!(e instanceof Errno)) throw e;
      this.closeOutput(o);
      return;
    }
    if (d.length === 0) {
      this.closeOutput(o);
      return;
    }
    if (!room) return;
    o.chunks.push(d);
    o.length += d.length;
  }

  private closeOutput(o: ExecOutput): void {
    o.closed = true;
    this.sys.close(o.fd);
  }

  // The child watch: collect the exit status once the child is a zombie.
  private *reap(p: GuestExecInfo): QgaCall<void> {
    if (p.finished) return;
    try {
      const r = yield* this.sys.waitpid(p.pid, WNOHANG);
      if (r.pid === p.pid) {
        p.status = r.status;
        p.finished = true;
      }
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }
}

/** An envp list ("NAME=value") as an environment; entries without '=' are kept empty. */
function envFromList(list: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) env[kv] = '';
    else env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}
