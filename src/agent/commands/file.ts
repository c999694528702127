/**
 * guest-file-open/close/read/write/seek/flush. Files are opened with fopen's mode table
 * (plus O_NOCTTY and O_NONBLOCK, so a FIFO cannot hang the agent, and close-on-exec), new
 * files created exclusively and then chmod'ed 0666 regardless of umask, and wrapped in a
 * stdio stream. Handles come from the persistent counter in the state directory. Each
 * handle remembers whether it was last read or written: qemu-ga flushes before reading
 * after a write and seeks in place before writing after a read, as C requires.
 */
import {
  Errno,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  F_GETFL,
  F_SETFL,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  type Block,
} from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import type { GuestFileWhence } from '../schema/types.js';
import { base64Encode, qgaBase64Decode } from './base64.js';
import { errnoError, errnoText, isLegacy, type QgaCall, type QgaCommandEnv } from './common.js';
import { STDIO_BUFSIZ, StdioStream } from './stdio-stream.js';

/** QGA_READ_COUNT_DEFAULT: guest-file-read's count when none is given. */
export const QGA_READ_COUNT_DEFAULT = 4096;
/** GUEST_FILE_READ_COUNT_MAX (5.0+): 48 MiB, which base64 and JSON bring to the parser's 64 MiB. */
export const GUEST_FILE_READ_COUNT_MAX = 48 * 1024 * 1024;
/**
 * 2.5 had no maximum and allocated `count` bytes up front; ours stops reading here
 * instead of trying to build a reply the parser on the other side could not take.
 */
export const QGA_LEGACY_READ_LIMIT = 64 * 1024 * 1024;
/** Mode bits of a file guest-file-open creates (DEFAULT_NEW_FILE_MODE). */
export const DEFAULT_NEW_FILE_MODE = 0o666;

/** fopen() modes and the open() flags each stands for. */
const OPEN_MODES: readonly (readonly [readonly string[], number])[] = [
  [['r', 'rb'], O_RDONLY],
  [['w', 'wb'], O_WRONLY | O_CREAT | O_TRUNC],
  [['a', 'ab'], O_WRONLY | O_CREAT | O_APPEND],
  [['r+', 'rb+', 'r+b'], O_RDWR],
  [['w+', 'wb+', 'w+b'], O_RDWR | O_CREAT | O_TRUNC],
  [['a+', 'ab+', 'a+b'], O_RDWR | O_CREAT | O_APPEND],
];

/** find_open_flag: the open() flags for a mode, or the QgaError. */
export function openFlagsForMode(mode: string): number {
  for (const [forms, flags] of OPEN_MODES) if (forms.includes(mode)) return flags | O_NOCTTY | O_NONBLOCK;
  throw qgaGenericError(`invalid file open mode '${mode}'`);
}

type RwState = 'new' | 'reading' | 'writing';

interface GuestFileHandle {
  stream: StdioStream;
  state: RwState;
}

/** QGASeek values, which are also the wire's integers. */
const WHENCE: Readonly<Record<string, number>> = { set: 0, cur: 1, end: 2 };

/** ga_parse_whence: QGA_SEEK_SET/CUR/END (0/1/2, or their names) to SEEK_*. */
export function parseWhence(whence: GuestFileWhence): number {
  const code = typeof whence === 'string' ? (WHENCE[whence] ?? -1) : whence;
  switch (code) {
    case 0:
      return SEEK_SET;
    case 1:
      return SEEK_CUR;
    case 2:
      return SEEK_END;
    default:
      throw qgaGenericError(`invalid whence code ${code}`);
  }
}

/** The guest-file-* handlers, sharing one handle table. */
export function fileHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;
  const handles = new Map<number, GuestFileHandle>();

  function find(id: number): GuestFileHandle {
    const h = handles.get(id);
    if (h === undefined) throw qgaGenericError(`handle '${id}' has not been found`);
    return h;
  }

  // safe_open_or_create: exclusive creation so the mode bits can be set freely.
  function* openOrCreate(path: string, mode: string): QgaCall<StdioStream> {
    let flags = openFlagsForMode(mode);
    let fd: number;
    try {
      try {
        fd = yield* sys.open(path, flags | ((flags & O_CREAT) !== 0 ? O_EXCL : 0) | O_CLOEXEC, 0);
      } catch (e) {
        if (!Errno.is(e, 'EEXIST')) throw e;
        flags &= ~O_CREAT;
        fd = yield* sys.open(path, flags | O_CLOEXEC, 0);
      }
    } catch (e) {
      throw errnoError(`failed to open file '${path}' (mode: '${mode}')`, e);
    }
    if ((flags & O_CREAT) !== 0) {
      try {
        sys.fchmod(fd, DEFAULT_NEW_FILE_MODE);
      } catch (e) {
        sys.close(fd);
        yield* unlinkQuietly(path);
        throw errnoError(`failed to set permission 0${DEFAULT_NEW_FILE_MODE.toString(8)} on new file '${path}' (mode: '${mode}')`, e);
      }
    }
    const acc = flags & (O_WRONLY | O_RDWR);
    const blk = sys.fstat(fd).blksize;
    return new StdioStream(sys, fd, acc !== O_WRONLY, acc !== O_RDONLY, blk > 0 ? blk : STDIO_BUFSIZ);
  }

  function* unlinkQuietly(path: string): QgaCall<void> {
    try {
      yield* sys.unlink(path);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }

  function* fclose(stream: StdioStream): QgaCall<void> {
    try {
      yield* stream.close();
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }

  return {
    'guest-file-open': function* (args) {
      const mode = args.mode ?? 'r';
      const stream = yield* openOrCreate(args.path, mode);
      try {
        sys.fcntl(stream.fd, F_SETFL, sys.fcntl(stream.fd, F_GETFL) | O_NONBLOCK);
      } catch (e) {
        yield* fclose(stream);
        throw errnoError('Failed to set FD nonblocking', e);
      }
      let handle: number;
      try {
        handle = yield* env.state.nextHandle();
      } catch (e) {
        yield* fclose(stream);
        throw e;
      }
      handles.set(handle, { stream, state: 'new' });
      return handle;
    },

    'guest-file-close': function* (args) {
      const h = find(args.handle);
      try {
        yield* h.stream.close();
      } catch (e) {
        throw errnoError('failed to close handle', e);
      }
      handles.delete(args.handle);
    },

    'guest-file-read': function* (args, ctx) {
      const h = find(args.handle);
      const legacy = isLegacy(ctx);
      let count = QGA_READ_COUNT_DEFAULT;
      if (args.count !== undefined) {
        if (args.count < 0 || (!legacy && args.count > GUEST_FILE_READ_COUNT_MAX)) {
          throw qgaGenericError(`value '${args.count}' is invalid for argument count`);
        }
        count = Math.min(args.count, QGA_LEGACY_READ_LIMIT);
      }
      const s = h.stream;
      if (h.state === 'writing') {
        try {
          yield* s.flush();
        } catch (e) {
          throw errnoError('failed to flush file', e);
        }
        h.state = 'new';
      }
      const data = yield* s.read(count);
      const error = s.error;
      const eof = s.eof;
      s.clearerr();
      if (error !== undefined) throw qgaGenericError(errnoText('failed to read file', error));
      h.state = 'reading';
      return { count: data.length, 'buf-b64': data.length > 0 ? base64Encode(data) : '', eof };
    },

    'guest-file-write': function* (args, ctx) {
      const h = find(args.handle);
      const s = h.stream;
      if (h.state === 'reading') {
        try {
          yield* s.seek(0, SEEK_CUR);
        } catch (e) {
          throw errnoError('failed to seek file', e);
        }
        h.state = 'new';
      }
      const buf = qgaBase64Decode(args['buf-b64'], isLegacy(ctx));
      let count = buf.length;
      if (args.count !== undefined) {
        if (args.count < 0 || args.count > buf.length) throw qgaGenericError(`value '${args.count}' is invalid for argument count`);
        count = args.count;
      }
      const written = yield* s.write(buf.subarray(0, count));
      const error = s.error;
      const eof = s.eof;
      s.clearerr();
      if (error !== undefined) throw qgaGenericError(errnoText('failed to write to file', error));
      h.state = 'writing';
      return { count: written, eof };
    },

    'guest-file-seek': function* (args) {
      const h = find(args.handle);
      const whence = parseWhence(args.whence);
      const s = h.stream;
      try {
        yield* s.seek(args.offset, whence);
      } catch (e) {
        s.clearerr();
        // A pipe cannot seek, and stdio does not buffer it anyway.
        if (Errno.is(e, 'ESPIPE')) h.state = 'new';
        throw errnoError('failed to seek file', e);
      }
      const position = s.tell();
      const eof = s.eof;
      s.clearerr();
      h.state = 'new';
      return { position, eof };
    },

    'guest-file-flush': function* (args) {
      const h = find(args.handle);
      try {
        yield* h.stream.flush();
      } catch (e) {
        throw errnoError('failed to flush file', e);
      }
      h.state = 'new';
    },
  };
}
