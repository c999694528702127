/**
 * Signal-driven I/O (Linux's fasync_helper / kill_fasync): a driver keeps one FasyncList
 * per wakeup source; a file joins it when F_SETFL turns O_ASYNC on and leaves when it is
 * turned off or the file is closed. kill() signals the F_SETOWN owner of every file on
 * the list. Files without an owner are kept but nobody is signalled, as in Linux.
 */
import { SIGIO } from './signals.js';
import type { OpenFile } from './vfs/file.js';

/** The files that asked for SIGIO from one source. */
export class FasyncList {
  private readonly files = new Set<OpenFile>();

  /** fasync_helper: adds or removes `file`. */
  helper(file: OpenFile, on: boolean): void {
    if (on) this.files.add(file);
    else this.files.delete(file);
  }

  /** Whether any file is on the list (Linux's `async_queue != NULL`). */
  get active(): boolean {
    return this.files.size > 0;
  }

  /** kill_fasync: sends `sig` (SIGIO unless told) to the owner of each file. */
  kill(sig = SIGIO): void {
    for (const f of this.files) f.owner?.signal(sig);
  }
}
