/**
 * What every syscall shares: signal delivery on entry, sleeping on wait queues (with
 * EINTR when a signal ends the sleep), and the retry loop that turns an operation's
 * WouldBlock into either EAGAIN or a sleep followed by another attempt.
 */
import type { Nanos } from '../../core/scheduler.js';
import { Block, isWakeReason, type SysCall, type WakeReason } from './block.js';
import { Errno, WouldBlock } from './errno.js';
import type { Kernel } from './kernel.js';
import type { Process } from './process.js';
import { PollTable, type WaitQueue } from './waitqueue.js';
import type { OpenFile } from './vfs/file.js';
import type { FsCaller } from './vfs/types.js';
import type { VfsContext } from './vfs/vfs.js';

/** Base of the per-process syscall interface. */
export abstract class SyscallBase {
  constructor(
    /** The kernel. */
    protected readonly kernel: Kernel,
    /** The calling process. */
    protected readonly proc: Process,
  ) {}

  /** Syscall entry: delivers pending signals (and stops a process that is exiting). */
  protected enter(): void {
    this.kernel.procs.deliver(this.proc);
  }

  /** The caller as filesystems see it. */
  protected caller(): FsCaller {
    return { pid: this.proc.pid, cred: this.proc.cred };
  }

  /** The context for a VFS operation by this process. */
  protected ctx(): VfsContext {
    return { mounts: this.kernel.vfs.mounts, caller: this.caller(), cwd: this.proc.cwd, umask: this.proc.umask };
  }

  /** The open file behind a descriptor (EBADF if none). */
  protected fileOf(fd: number): OpenFile {
    return this.proc.fds.file(fd);
  }

  /** Sleeps until a queue is woken or the deadline passes; EINTR if a signal ends it. */
  protected *sleepOn(queues: readonly WaitQueue[], deadline?: Nanos): SysCall<WakeReason> {
    const reason: unknown = yield new Block(queues, deadline);
    if (!isWakeReason(reason)) throw new Error('kernel: process resumed with a bad wake reason');
    if (reason === 'signal') throw new Errno('EINTR');
    return reason;
  }

  /** Runs `op` until it stops throwing WouldBlock, sleeping in between (EAGAIN if `file` is non-blocking). */
  protected *retry<T>(op: () => T, file?: OpenFile): SysCall<T> {
    for (;;) {
      try {
        return op();
      } catch (e) {
        if (!(e instanceof WouldBlock)) throw e;
        if (file?.nonblocking === true) throw new Errno('EAGAIN');
        yield* this.sleepOn(this.queuesFor(e, file));
      }
    }
  }

  /** Where to sleep after `e`: its own queues, or those the file's poll() names. */
  protected queuesFor(e: WouldBlock, file: OpenFile | undefined): readonly WaitQueue[] {
    if (e.queues.length > 0) return e.queues;
    if (file?.ops.poll !== undefined) {
      const pt = new PollTable();
      file.ops.poll(file, pt);
      if (pt.queues.length > 0) return pt.queues;
    }
    // Nothing would ever wake us: report it rather than hang forever.
    throw new Errno('EAGAIN');
  }
}
