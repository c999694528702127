/**
 * How QAPI integers become JS numbers. Most agent integers (handles, counts, pids,
 * offsets) stay far below 2^53 and are plain `number`s. A few routinely do not — the
 * random 64-bit sync ids, nanosecond timestamps — and every uint64 may not, so those are
 * `number | bigint`: a number while exact, a bigint beyond.
 */
import type { QapiTypeRef } from './qapi.js';

/** An integer that may exceed 2^53: a number while exactly representable, else a bigint. */
export type QgaWideInt = number | bigint;

/** Command arguments of type int that are wide. */
const WIDE_ARGS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['guest-sync', new Set(['id'])],
  ['guest-sync-delimited', new Set(['id'])],
  ['guest-set-time', new Set(['time'])],
]);

/** Commands whose int return value is wide. */
const WIDE_RETURNS: ReadonlySet<string> = new Set(['guest-sync', 'guest-sync-delimited', 'guest-get-time']);

/** Whether argument `arg` of `command` is wide. */
export function isWideArg(command: string, arg: string): boolean {
  return WIDE_ARGS.get(command)?.has(arg) ?? false;
}

/** Whether the return value of `command` is wide. */
export function isWideReturn(command: string): boolean {
  return WIDE_RETURNS.has(command);
}

/** Whether a value of this type is wide by its type alone. */
export function isWideType(ref: QapiTypeRef): boolean {
  return ref === 'uint64' || ref === 'size';
}

/** An exact integer as QgaWideInt. */
export function wideFromBigInt(v: bigint): QgaWideInt {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/** An exact integer as a number, rounding what is not representable (non-wide members). */
export function narrowFromBigInt(v: bigint): number {
  return Number(v);
}
