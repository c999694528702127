/**
 * The agent's state directory (`-t`, default /var/run): `qga.state`, a GLib key file
 * holding the next guest-file handle (`[global] fd_counter=N`, rewritten on every open so
 * handles are never reused across restarts), and `qga.state.isfrozen`, which exists while
 * the filesystems are frozen so that an agent restarted in that state comes up frozen.
 */
import { Buffer } from 'node:buffer';
import { Errno, O_CLOEXEC, O_CREAT, O_EXCL, O_RDONLY, O_WRONLY, type Syscalls } from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import type { QgaAgentControl } from '../protocol/handler.js';
import type { QgaCall } from './common.js';

/** QGA_PSTATE_DEFAULT_FD_COUNTER: the first handle of a fresh state directory. */
export const QGA_PSTATE_DEFAULT_FD_COUNTER = 1000;
/** Name of the persistent state file. */
export const QGA_PSTATE_FILE = 'qga.state';
/** Name of the frozen marker. */
export const QGA_FROZEN_MARKER = 'qga.state.isfrozen';
/** Largest state file the agent reads (GLib reads it whole; ours is a few bytes). */
export const QGA_PSTATE_MAX_BYTES = 64 * 1024;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A start-up failure qemu-ga reports with g_critical and then exits. */
export class QgaStateError extends Error {}

/** GKeyFile parsing, as far as qga.state needs it: groups, keys, comments. */
export function parseKeyFile(text: string): Map<string, Map<string, string>> {
  const groups = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) throw new QgaStateError(`Key file contains line \u201c${raw}\u201d which is not a key-value pair, group, or comment`);
      const name = line.slice(1, end);
      current = groups.get(name) ?? new Map<string, string>();
      groups.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new QgaStateError(`Key file contains line \u201c${raw}\u201d which is not a key-value pair, group, or comment`);
    if (current === undefined) throw new QgaStateError('Key file does not start with a group');
    current.set(line.slice(0, eq).replace(/[ \t]+$/, ''), line.slice(eq + 1).replace(/^[ \t]+/, ''));
  }
  return groups;
}

/** g_key_file_get_integer: a gint in decimal, 0 when the value is not one. */
export function keyFileInteger(value: string): number {
  const m = /^[ \t]*([+-]?\d+)[ \t\n]*/.exec(value);
  if (m === null || m[0].length !== value.length) return 0;
  const n = Number(m[1]);
  return n < INT32_MIN || n > INT32_MAX ? 0 : n;
}

/** The state directory of one agent. */
export class QgaStateDir {
  /** Path of qga.state. */
  readonly pstatePath: string;
  /** Path of qga.state.isfrozen. */
  readonly frozenMarkerPath: string;
  private fdCounter = QGA_PSTATE_DEFAULT_FD_COUNTER;
  private tmpSeq = 0;

  constructor(
    private readonly sys: Syscalls,
    /** The directory. */
    readonly dir: string,
  ) {
    this.pstatePath = `${dir}/${QGA_PSTATE_FILE}`;
    this.frozenMarkerPath = `${dir}/${QGA_FROZEN_MARKER}`;
  }

  /** The handle the next guest-file-open gets. */
  get nextFdCounter(): number {
    return this.fdCounter;
  }

  /** check_is_frozen: whether a previous instance left the marker behind. */
  *markedFrozen(): QgaCall<boolean> {
    try {
      yield* this.sys.stat(this.frozenMarkerPath);
      return true;
    } catch (e) {
      if (Errno.is(e, 'ENOENT')) return false;
      if (e instanceof Errno) throw new QgaStateError(`unable to access state file at path ${this.frozenMarkerPath}: ${e.message}`);
      throw e;
    }
  }

  /** read_persistent_state: loads qga.state, creating it with defaults unless frozen. */
  *load(frozen: boolean): QgaCall<void> {
    try {
      yield* this.sys.stat(this.pstatePath);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (e.code !== 'ENOENT') throw new QgaStateError(`unable to access state file at path ${this.pstatePath}: ${e.message}`);
      this.fdCounter = QGA_PSTATE_DEFAULT_FD_COUNTER;
      if (!frozen && !(yield* this.write())) throw new QgaStateError(`unable to create state file at path ${this.pstatePath}`);
      return;
    }
    let text: string;
    try {
      text = yield* this.readAll();
    } catch (e) {
      if (e instanceof Errno) throw new QgaStateError(`error loading persistent state from path: ${this.pstatePath}, ${e.message}`);
      throw e;
    }
    let groups: Map<string, Map<string, string>>;
    try {
      groups = parseKeyFile(text);
    } catch (e) {
      if (e instanceof QgaStateError) throw new QgaStateError(`error loading persistent state from path: ${this.pstatePath}, ${e.message}`);
      throw e;
    }
    const v = groups.get('global')?.get('fd_counter');
    this.fdCounter = v === undefined ? QGA_PSTATE_DEFAULT_FD_COUNTER : keyFileInteger(v);
  }

  /** ga_get_fd_handle: hands out the counter and commits the next value to disk. */
  *nextHandle(): QgaCall<number> {
    const handle = this.fdCounter++;
    if (!(yield* this.write())) throw qgaGenericError('failed to commit persistent state to disk');
    return handle;
  }

  /** ga_set_frozen: disables the unsafe commands and leaves the marker. */
  *setFrozen(agent: QgaAgentControl): QgaCall<void> {
    if (agent.frozen) return;
    agent.freeze();
    try {
      const fd = yield* this.sys.open(this.frozenMarkerPath, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600);
      this.sys.close(fd);
    } catch (e) {
      // qemu-ga only warns ("fsfreeze may not function properly").
      if (!(e instanceof Errno)) throw e;
    }
  }

  /** ga_unset_frozen: re-enables the commands and removes the marker. */
  *unsetFrozen(agent: QgaAgentControl): QgaCall<void> {
    if (!agent.frozen) return;
    agent.thaw();
    try {
      yield* this.sys.unlink(this.frozenMarkerPath);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }

  private *readAll(): QgaCall<string> {
    const fd = yield* this.sys.open(this.pstatePath, O_RDONLY | O_CLOEXEC);
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const d = yield* this.sys.read(fd, 4096);
        if (d.length === 0) break;
        total += d.length;
        if (total > QGA_PSTATE_MAX_BYTES) throw new Errno('EFBIG');
        chunks.push(d);
      }
    } finally {
      this.sys.close(fd);
    }
    return new TextDecoder().decode(Buffer.concat(chunks));
  }

  // g_file_set_contents: a new file beside the old one, renamed over it.
  private *write(): QgaCall<boolean> {
    const data = `[global]\nfd_counter=${Math.trunc(this.fdCounter) | 0}\n`;
    const tmp = `${this.pstatePath}.${(this.sys.getpid() * 1000 + this.tmpSeq++).toString(36).toUpperCase().padStart(6, '0').slice(-6)}`;
    let fd = -1;
    try {
      fd = yield* this.sys.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666);
      yield* this.sys.write(fd, data);
      this.sys.close(fd);
      fd = -1;
      yield* this.sys.rename(tmp, this.pstatePath);
      return true;
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (fd >= 0) this.sys.close(fd);
      try {
        yield* this.sys.unlink(tmp);
      } catch (u) {
        if (!(u instanceof Errno)) throw u;
      }
      return false;
    }
  }
}
