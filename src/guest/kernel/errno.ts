/**
 * Linux error numbers as the guest kernel reports them. Syscalls throw `Errno` instead of
 * returning -1, so a program's `try/catch` plays the part of checking `errno`.
 */
import type { WaitQueue } from './waitqueue.js';

// Numbers are x86_64 Linux's, texts glibc's strerror(), so guest programs print exactly
// what a real guest would.
const TABLE = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  ESRCH: [3, 'No such process'],
  EINTR: [4, 'Interrupted system call'],
  EIO: [5, 'Input/output error'],
  ENXIO: [6, 'No such device or address'],
  E2BIG: [7, 'Argument list too long'],
  ENOEXEC: [8, 'Exec format error'],
  EBADF: [9, 'Bad file descriptor'],
  ECHILD: [10, 'No child processes'],
  EAGAIN: [11, 'Resource temporarily unavailable'],
  ENOMEM: [12, 'Cannot allocate memory'],
  EACCES: [13, 'Permission denied'],
  EFAULT: [14, 'Bad address'],
  ENOTBLK: [15, 'Block device required'],
  EBUSY: [16, 'Device or resource busy'],
  EEXIST: [17, 'File exists'],
  EXDEV: [18, 'Invalid cross-device link'],
  ENODEV: [19, 'No such device'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EINVAL: [22, 'Invalid argument'],
  ENFILE: [23, 'Too many open files in system'],
  EMFILE: [24, 'Too many open files'],
  ENOTTY: [25, 'Inappropriate ioctl for device'],
  ETXTBSY: [26, 'Text file busy'],
  EFBIG: [27, 'File too large'],
  ENOSPC: [28, 'No space left on device'],
  ESPIPE: [29, 'Illegal seek'],
  EROFS: [30, 'Read-only file system'],
  EMLINK: [31, 'Too many links'],
  EPIPE: [32, 'Broken pipe'],
  ERANGE: [34, 'Numerical result out of range'],
  ENAMETOOLONG: [36, 'File name too long'],
  ENOSYS: [38, 'Function not implemented'],
  ENOTEMPTY: [39, 'Directory not empty'],
  ELOOP: [40, 'Too many levels of symbolic links'],
  ENODATA: [61, 'No data available'],
  EOVERFLOW: [75, 'Value too large for defined data type'],
  ENOTSOCK: [88, 'Socket operation on non-socket'],
  EDESTADDRREQ: [89, 'Destination address required'],
  EMSGSIZE: [90, 'Message too long'],
  EPROTONOSUPPORT: [93, 'Protocol not supported'],
  ESOCKTNOSUPPORT: [94, 'Socket type not supported'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  EAFNOSUPPORT: [97, 'Address family not supported by protocol'],
  EADDRINUSE: [98, 'Address already in use'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
  ENETDOWN: [100, 'Network is down'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ENOBUFS: [105, 'No buffer space available'],
  EISCONN: [106, 'Transport endpoint is already connected'],
  ENOTCONN: [107, 'Transport endpoint is not connected'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EHOSTUNREACH: [113, 'No route to host'],
  EDQUOT: [122, 'Disk quota exceeded'],
  ECANCELED: [125, 'Operation canceled'],
} as const satisfies Record<string, readonly [number, string]>;

/** Symbolic errno names the kernel knows. */
export type ErrnoCode = keyof typeof TABLE;

const BY_NUMBER = new Map<number, ErrnoCode>(Object.entries(TABLE).map(([code, [n]]) => [n, code as ErrnoCode]));

/** The Linux number of an errno name. */
export function errnoNumber(code: ErrnoCode): number {
  return TABLE[code][0];
}

/** glibc's strerror() text for an errno number ("Unknown error N" otherwise). */
export function strerror(errno: number): string {
  const code = BY_NUMBER.get(errno);
  return code === undefined ? `Unknown error ${errno}` : TABLE[code][1];
}

/** The errno name for a number, if the kernel knows it. */
export function errnoCode(errno: number): ErrnoCode | undefined {
  return BY_NUMBER.get(errno);
}

/** A failed syscall: `.errno` is the Linux number, `.code` its name, `.message` strerror(). */
export class Errno extends Error {
  /** Linux errno number. */
  readonly errno: number;
  /** Symbolic name ('ENOENT'). */
  readonly code: ErrnoCode;
  /** What was being done when it failed ("open /etc/x"), for diagnostics only. */
  readonly context: string | undefined;

  constructor(code: ErrnoCode, context?: string) {
    super(TABLE[code][1]);
    this.name = 'Errno';
    this.errno = TABLE[code][0];
    this.code = code;
    this.context = context;
  }

  /** True when `e` is an Errno with the given name. */
  static is(e: unknown, code: ErrnoCode): e is Errno {
    return e instanceof Errno && e.code === code;
  }
}

/**
 * Thrown by a file or inode operation that cannot make progress yet. The kernel turns it
 * into EAGAIN for O_NONBLOCK callers; otherwise it sleeps on `queues` (or, when empty, the
 * queues the file's poll() registers) and then calls the operation again from scratch, so
 * an operation must not have changed anything visible before throwing it.
 */
export class WouldBlock extends Errno {
  /** Where the wake-up that makes a retry worthwhile will come from. */
  readonly queues: readonly WaitQueue[];

  constructor(...queues: WaitQueue[]) {
    super('EAGAIN');
    this.name = 'WouldBlock';
    this.queues = queues;
  }
}
