/**
 * Runtime errors of character devices (binding, connecting, opening files), worded the
 * way QEMU words them so that scripts and people who know QEMU recognise them.
 */

/** Error thrown when a chardev cannot be opened or used; `code` is the errno name if any. */
export class ChardevError extends Error {
  /** The Node/errno code behind the failure ("EADDRINUSE"), when there was one. */
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ChardevError';
    this.code = code;
  }
}

// QEMU appends strerror() text to socket and file errors; Node only gives the errno
// name, so the glibc wording is kept here for the codes a chardev can realistically see.
const STRERROR: Readonly<Record<string, string>> = {
  EACCES: 'Permission denied',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EAGAIN: 'Resource temporarily unavailable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EEXIST: 'File exists',
  EHOSTUNREACH: 'No route to host',
  EINVAL: 'Invalid argument',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  ENETUNREACH: 'Network is unreachable',
  ENOENT: 'No such file or directory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  ENOTSOCK: 'Socket operation on non-socket',
  ENXIO: 'No such device or address',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EROFS: 'Read-only file system',
  ETIMEDOUT: 'Connection timed out',
};

// getaddrinfo failures carry gai_strerror() text in QEMU, not strerror().
const GAI_STRERROR: Readonly<Record<string, string>> = {
  ENOTFOUND: 'Name or service not known',
  EAI_NONAME: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
  EAI_SERVICE: 'Servname not supported for ai_socktype',
  ENODATA: 'No address associated with hostname',
};

/** The errno-style code of a Node error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** glibc's strerror() text for a Node error, falling back to its own message. */
export function strerror(err: unknown): string {
  const code = errnoCode(err);
  if (code !== undefined) {
    const text = STRERROR[code] ?? GAI_STRERROR[code];
    if (text !== undefined) return text;
  }
  return err instanceof Error ? err.message : String(err);
}

/** True when the error came from name resolution rather than from the socket itself. */
export function isResolutionError(err: unknown): boolean {
  const code = errnoCode(err);
  return code !== undefined && code in GAI_STRERROR;
}

/** Builds a ChardevError as `<prefix>: <strerror>`, keeping the errno code. */
export function chardevErrno(prefix: string, err: unknown): ChardevError {
  return new ChardevError(`${prefix}: ${strerror(err)}`, errnoCode(err));
}
