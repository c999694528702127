/**
 * What a guest program is, to the kernel: a generator that yields `Block`s whenever a
 * syscall has to wait, and returns its exit code.
 */
import type { Nanos } from '../../core/scheduler.js';
import type { WaitQueue } from './waitqueue.js';
import type { Syscalls } from './syscalls.js';

/** Why a blocked process was resumed. */
export type WakeReason = 'woken' | 'timeout' | 'signal';

/**
 * One wait: until any of `queues` is woken, until virtual time `deadline`, or until a
 * signal arrives, whichever is first. Only syscalls create these; programs pass them up
 * unchanged with `yield*`.
 */
export class Block {
  constructor(
    /** Queues whose wake-up ends the wait. */
    readonly queues: readonly WaitQueue[],
    /** Absolute virtual time at which the wait times out, if any. */
    readonly deadline: Nanos | undefined,
  ) {}
}

/** A syscall that may block: delegate to it with `yield*` to get its result. */
export type SysCall<T> = Generator<Block, T, unknown>;

/** A running program; its return value is the exit code. */
export type Program = Generator<Block, number, unknown>;

/** A program's entry point, called with the process's syscall interface and argv. */
export type ProgramMain = (sys: Syscalls, argv: string[]) => Program;

/** Narrows the value a generator is resumed with back to a wake reason. */
export function isWakeReason(v: unknown): v is WakeReason {
  return v === 'woken' || v === 'timeout' || v === 'signal';
}
