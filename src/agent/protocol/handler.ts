/**
 * What a command handler is. Handlers run inside a guest program on the simulated
 * kernel, where a blocking system call is a `yield*` into a generator; so a handler may
 * be a generator function, and the engine passes its yields through to whoever drives
 * the engine. A plain function works too. A handler fails by throwing a QgaError.
 */
import type { QDict, QValue } from '../../qobject/index.js';
import type { QgaProfile } from '../schema/profiles.js';
import type { QgaCommandArgs, QgaCommandName, QgaCommandReturn } from '../schema/types.js';

/** What a handler produces: a value, or a generator that yields and finally returns one. */
export type QgaHandlerResult<R, Y> = R | Generator<Y, R, unknown>;

/** The engine state a handler may touch. */
export interface QgaAgentControl {
  /** The agent is in the frozen state (guest-fsfreeze-freeze succeeded). */
  readonly frozen: boolean;
  /** ga_set_frozen: disable everything but the freeze allow-list. */
  freeze(): void;
  /** ga_unset_frozen: re-enable what is not blocked. */
  thaw(): void;
}

/** Passed to every handler call. */
export interface QgaCommandContext {
  /** The command being run. */
  readonly command: string;
  /** The profile in force. */
  readonly profile: QgaProfile;
  /** The arguments as received (an empty dict when absent), for what the typed ones round. */
  readonly rawArgs: QDict;
  /** The request's `id` member, if any (echoed by 7.2, rejected earlier by 2.5). */
  readonly id: QValue | undefined;
  /** Freeze state. */
  readonly agent: QgaAgentControl;
  /** ga_set_response_delimited: the next response goes out with a 0xFF before it. */
  setResponseDelimited(): void;
  /** guest-info's view of the command list, in the profile's order. */
  commandInfo(): QgaCommandInfo[];
}

/** One entry of guest-info's supported_commands. */
export interface QgaCommandInfo {
  /** Command name. */
  name: string;
  /** Currently enabled. */
  enabled: boolean;
  /** Sends a reply on success. */
  'success-response': boolean;
}

/** A handler with untyped arguments and result (for commands outside the typed map). */
export type QgaAnyHandler<Y = unknown> = (args: Record<string, unknown>, ctx: QgaCommandContext) => QgaHandlerResult<unknown, Y>;

/** A typed handler for command K; Y is what its generator yields (a syscall block). */
export type QgaHandler<K extends QgaCommandName, Y = unknown> = (
  args: QgaCommandArgs<K>,
  ctx: QgaCommandContext,
) => QgaHandlerResult<QgaCommandReturn<K>, Y>;

/** Typed handlers by command name. */
export type QgaHandlers<Y = unknown> = { [K in QgaCommandName]?: QgaHandler<K, Y> };

/** Whether a handler's result is a generator to drive rather than a value. */
export function isGenerator(v: unknown): v is Generator<unknown, unknown, unknown> {
  return Object.prototype.toString.call(v) === '[object Generator]';
}
