/**
 * Wait queues: the one way something blocked in the kernel learns that it may proceed.
 *
 * A queue only calls its waiters' `wake()`; it never resumes anyone itself. Every waiter
 * the kernel installs (a sleeping process, a host-side pipe watcher) defers its real work
 * to a fresh scheduler event, which is what lets a driver wake queues straight from its
 * interrupt handler without re-entering a process in the middle of the handler.
 */

/** Something waiting on a queue. */
export interface Waiter {
  /** Called (at most once per add) when the queue is woken; must not block or re-enter. */
  wake(): void;
}

/** A list of waiters, woken one at a time or all together in the order they arrived. */
export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  /** A name for diagnostics ("pipe:[12]", "vport0p1"). */
  constructor(readonly name = 'waitqueue') {}

  /** Adds a waiter; it is removed again when woken. */
  add(w: Waiter): void {
    this.waiters.add(w);
  }

  /** Removes a waiter that no longer wants waking (no-op if absent). */
  remove(w: Waiter): void {
    this.waiters.delete(w);
  }

  /** Number of current waiters. */
  get size(): number {
    return this.waiters.size;
  }

  /** Wakes the longest-waiting waiter; false if there was none. */
  wakeOne(): boolean {
    for (const w of this.waiters) {
      this.waiters.delete(w);
      w.wake();
      return true;
    }
    return false;
  }

  /** Wakes every current waiter (ones added during the wake-up wait for the next one). */
  wakeAll(): number {
    const list = [...this.waiters];
    this.waiters.clear();
    for (const w of list) w.wake();
    return list.length;
  }
}

/**
 * Collects the queues a file's poll() says readiness changes are announced on, the way
 * poll_wait() does in Linux; the caller then sleeps on all of them at once.
 */
export class PollTable {
  private readonly list: WaitQueue[] = [];

  /** Registers a queue whose wake-up may change this file's readiness. */
  wait(q: WaitQueue): void {
    if (!this.list.includes(q)) this.list.push(q);
  }

  /** Queues registered so far. */
  get queues(): readonly WaitQueue[] {
    return this.list;
  }
}

/**
 * Calls `fn` once, on the first wake-up of any of `queues`, and leaves all of them: how
 * kernel-side code (not a process) waits out a WouldBlock before trying again.
 */
export function wakeOnce(queues: readonly WaitQueue[], fn: () => void): void {
  let fired = false;
  const w: Waiter = {
    wake: () => {
      if (fired) return;
      fired = true;
      for (const q of queues) q.remove(w);
      fn();
    },
  };
  for (const q of queues) q.add(w);
}
