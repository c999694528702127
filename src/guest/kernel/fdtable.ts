/**
 * A process's descriptor table: small integers pointing at shared open files, each with
 * its own close-on-spawn flag. The table never drops file references on its own; whoever
 * removes an entry releases the file.
 */
import { Errno } from './errno.js';
import { OPEN_MAX } from './constants.js';
import { fileGet, type OpenFile } from './vfs/file.js';

/** One descriptor. */
export interface FdEntry {
  /** The open file. */
  file: OpenFile;
  /** FD_CLOEXEC: not inherited by spawned children. */
  cloexec: boolean;
}

/** Descriptor table. */
export class FdTable {
  private readonly fds = new Map<number, FdEntry>();

  constructor(
    /** RLIMIT_NOFILE: descriptors must be below this. */
    readonly limit = OPEN_MAX,
  ) {}

  /** The entry for `fd`, if open. */
  get(fd: number): FdEntry | undefined {
    return this.fds.get(fd);
  }

  /** The open file for `fd`; EBADF if it is not open. */
  file(fd: number): OpenFile {
    const e = this.fds.get(fd);
    if (e === undefined) throw new Errno('EBADF');
    return e.file;
  }

  /** Installs `file` (whose reference the table takes over) at the lowest free fd >= min. */
  install(file: OpenFile, cloexec = false, min = 0): number {
    if (!Number.isInteger(min) || min < 0 || min >= this.limit) throw new Errno('EINVAL');
    for (let fd = min; fd < this.limit; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, { file, cloexec });
        return fd;
      }
    }
    throw new Errno('EMFILE');
  }

  /** True if a descriptor can still be allocated. */
  hasRoom(): boolean {
    return this.fds.size < this.limit;
  }

  /** Puts `file` at exactly `fd`, returning what was there (for the caller to release). */
  installAt(fd: number, file: OpenFile, cloexec = false): FdEntry | undefined {
    if (!Number.isInteger(fd) || fd < 0 || fd >= this.limit) throw new Errno('EBADF');
    const old = this.fds.get(fd);
    this.fds.set(fd, { file, cloexec });
    return old;
  }

  /** Removes `fd`, returning its entry (for the caller to release); EBADF if not open. */
  remove(fd: number): FdEntry {
    const e = this.fds.get(fd);
    if (e === undefined) throw new Errno('EBADF');
    this.fds.delete(fd);
    return e;
  }

  /** Open descriptors in ascending order. */
  entries(): [number, FdEntry][] {
    return [...this.fds].sort((a, b) => a[0] - b[0]);
  }

  /** Removes every entry, returning them (for the caller to release). */
  clear(): FdEntry[] {
    const all = this.entries().map(([, e]) => e);
    this.fds.clear();
    return all;
  }

  /** The table a spawned child starts with: every non-cloexec descriptor, sharing the files. */
  inherit(): FdTable {
    const t = new FdTable(this.limit);
    for (const [fd, e] of this.entries()) if (!e.cloexec) t.fds.set(fd, { file: fileGet(e.file), cloexec: false });
    return t;
  }
}
