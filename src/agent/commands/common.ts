/**
 * What every command group shares: the agent environment handlers run in (its process's
 * syscalls, the state directory, the open guest files and exec children), errno-carrying
 * errors worded as QEMU's error_setg_errno words them, and the generation switch between
 * the 2.5 and 7.2 implementations.
 */
import { Buffer } from 'node:buffer';
import { Errno, O_CLOEXEC, O_RDONLY, type Block, type Syscalls } from '../../guest/kernel/index.js';
import { qgaGenericError, type QgaError } from '../protocol/errors.js';
import type { QgaCommandContext } from '../protocol/handler.js';
import type { GuestExecTable } from './exec.js';
import type { QgaStateDir } from './state.js';

/** A handler step that may block in a syscall. */
export type QgaCall<T> = Generator<Block, T, unknown>;

/** What the command handlers of one agent process share. */
export interface QgaCommandEnv {
  /** The agent process's syscalls. */
  readonly sys: Syscalls;
  /** The state directory (handle counter, frozen marker). */
  readonly state: QgaStateDir;
  /** `-F`/`--fsfreeze-hook`: the script run around freeze and thaw, if any. */
  readonly fsfreezeHook?: string;
  /** The children guest-exec started. */
  readonly exec: GuestExecTable;
}

/** error_setg_errno: the message, then ": strerror(errno)" (nothing when errno was 0). */
export function errnoText(msg: string, errno: Errno | undefined): string {
  return errno === undefined ? msg : `${msg}: ${errno.message}`;
}

/** A GenericError "msg: strerror(e)" for a failed syscall; anything else is rethrown. */
export function errnoError(msg: string, e: unknown): QgaError {
  if (!(e instanceof Errno)) throw e;
  return qgaGenericError(errnoText(msg, e));
}

/** Whether the profile runs 2.5-era command code (every profile but 7.2). */
export function isLegacy(ctx: QgaCommandContext): boolean {
  return ctx.profile.wire === '2.5';
}

/** Largest text file (mount table, /proc/net/dev, uevent) the handlers read whole. */
export const QGA_TEXT_FILE_MAX = 1024 * 1024;
/** read() chunk for whole-file reads (stdio's buffer size). */
const READ_CHUNK = 4096;

/** Reads a whole (small, text) file as UTF-8; Errno on failure. */
export function* readTextFile(sys: Syscalls, path: string): QgaCall<string> {
  return new TextDecoder().decode(yield* readFileBytes(sys, path));
}

/** Reads a whole small file, stopping at QGA_TEXT_FILE_MAX; Errno on failure. */
export function* readFileBytes(sys: Syscalls, path: string): QgaCall<Uint8Array> {
  const fd = yield* sys.open(path, O_RDONLY | O_CLOEXEC);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const d = yield* sys.read(fd, READ_CHUNK);
      if (d.length === 0) break;
      total += d.length;
      if (total > QGA_TEXT_FILE_MAX) break;
      chunks.push(d);
    }
  } finally {
    sys.close(fd);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
