/**
 * Small helpers guest programs share for their standard streams: writing everything,
 * reading to end of file, and printing errors the way coreutils do.
 */
import { Errno, type Program, type ProgramMain, type SysCall, type Syscalls } from '../kernel/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes all of `data` to `fd` (looping over short writes). */
export function* writeAll(sys: Syscalls, fd: number, data: string | Uint8Array): SysCall<void> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  let off = 0;
  while (off < bytes.length) off += yield* sys.write(fd, bytes.subarray(off));
}

/** Reads `fd` to end of file. */
export function* readAll(sys: Syscalls, fd: number): SysCall<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const d = yield* sys.read(fd, 65536);
    if (d.length === 0) break;
    parts.push(d);
    total += d.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Reads `fd` to end of file as UTF-8 text. */
export function* readText(sys: Syscalls, fd: number): SysCall<string> {
  return decoder.decode(yield* readAll(sys, fd));
}

/** The strerror() text of an Errno; anything else is rethrown (it is a bug or an exit). */
export function errText(e: unknown): string {
  if (e instanceof Errno) return e.message;
  throw e;
}

/** Prints "prog: what: strerror" on stderr, ignoring failures to do so. */
export function* complain(sys: Syscalls, prog: string, what: string, e: unknown): SysCall<void> {
  const text = errText(e);
  try {
    yield* writeAll(sys, 2, `${prog}: ${what === '' ? '' : what + ': '}${text}\n`);
  } catch (err) {
    errText(err);
  }
}

/** A read failure, kept apart from write failures so each gets its own message. */
export class InputError extends Error {
  constructor(
    /** The failed read's errno. */
    readonly errno: Errno,
  ) {
    super(errno.message);
    this.name = 'InputError';
  }
}

/** read(2) whose failures are InputErrors. */
export function* readInput(sys: Syscalls, fd: number, count: number): SysCall<Uint8Array> {
  try {
    return yield* sys.read(fd, count);
  } catch (e) {
    if (e instanceof Errno) throw new InputError(e);
    throw e;
  }
}

const OUTPUT_ERRORS = new Set(['EBADF', 'ENOSPC', 'EIO', 'EDQUOT', 'EFBIG']);

/**
 * Wraps a program so that an output failure nobody handled (closed or full stdout) ends
 * it as coreutils' close_stdout does — "prog: write error: ..." and `status` — rather
 * than as a crash.
 */
export function guardOutput(main: ProgramMain, status = 1): ProgramMain {
  return function* (sys: Syscalls, argv: string[]): Program {
    try {
      return yield* main(sys, argv);
    } catch (e) {
      if (!(e instanceof Errno) || !OUTPUT_ERRORS.has(e.code)) throw e;
      try {
        yield* writeAll(sys, 2, `${argv[0] ?? 'program'}: write error: ${e.message}\n`);
      } catch (e2) {
        errText(e2);
      }
      return status;
    }
  };
}
