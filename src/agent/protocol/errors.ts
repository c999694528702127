/**
 * Errors the agent answers with, and the fixed texts of its request handling. qemu-ga
 * only ever produces the classes GenericError and CommandNotFound; the rest exist in
 * QAPI's ErrorClass and are accepted so that a handler can reproduce anything QEMU can.
 */
import type { QgaWire } from '../schema/profiles.js';

/** QAPI error classes (2.5's ErrorClass; 7.2 dropped DeviceEncrypted). */
export type QgaErrorClass =
  | 'GenericError'
  | 'CommandNotFound'
  | 'DeviceEncrypted'
  | 'DeviceNotActive'
  | 'DeviceNotFound'
  | 'KVMMissingCap';

/** What a command handler throws to fail: becomes `{"error": {"class": ..., "desc": ...}}`. */
export class QgaError extends Error {
  /** The error class on the wire. */
  readonly errorClass: QgaErrorClass;
  /** The description on the wire (error_get_pretty). */
  readonly desc: string;

  /**
   * An error of `errorClass` described by `desc`. It is an answer, not a fault: no stack
   * trace is captured, which would cost more than the whole reply (hostile input makes
   * one per request).
   */
  constructor(errorClass: QgaErrorClass, desc: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(desc);
    Error.stackTraceLimit = limit;
    this.name = 'QgaError';
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** QERR_UNSUPPORTED: what stubs (and a command with no handler) answer. */
export const QGA_ERR_UNSUPPORTED = 'this feature or command is not currently supported';

/** A GenericError (error_setg). */
export function qgaGenericError(desc: string): QgaError {
  return new QgaError('GenericError', desc);
}

/** QERR_UNSUPPORTED as an error. */
export function qgaUnsupported(): QgaError {
  return qgaGenericError(QGA_ERR_UNSUPPORTED);
}

/** QERR_QGA_COMMAND_FAILED: "Guest agent command failed, error was '%s'". */
export function qgaCommandFailed(message: string): QgaError {
  return qgaGenericError(`Guest agent command failed, error was '${message}'`);
}

/** QERR_INVALID_PARAMETER: "Invalid parameter '%s'" (e.g. guest-exec-status's unknown pid). */
export function qgaInvalidParameter(name: string): QgaError {
  return qgaGenericError(`Invalid parameter '${name}'`);
}

/** QERR_INVALID_PARAMETER_VALUE: "Parameter '%s' expects %s". */
export function qgaInvalidParameterValue(name: string, expected: string): QgaError {
  return qgaGenericError(`Parameter '${name}' expects ${expected}`);
}

/** QERR_MISSING_PARAMETER: "Parameter '%s' is missing". */
export function qgaMissingParameter(name: string): QgaError {
  return qgaGenericError(`Parameter '${name}' is missing`);
}

/** QERR_INVALID_PARAMETER_TYPE: "Invalid parameter type for '%s', expected: %s". */
export function qgaInvalidParameterType(name: string, expected: string): QgaError {
  return qgaGenericError(`Invalid parameter type for '${name}', expected: ${expected}`);
}

/** The unknown-command error (both generations). */
export function qgaCommandNotFound(name: string): QgaError {
  return new QgaError('CommandNotFound', `The command ${name} has not been found`);
}

/** Why a command is disabled in 7.2 while the filesystems are frozen. */
export const QGA_FROZEN_REASON = 'the agent is in frozen state';

/**
 * A disabled command: 2.5 GenericError "The command %s has been disabled for this
 * instance"; 7.2 CommandNotFound "Command %s has been disabled[: reason]".
 */
export function qgaCommandDisabled(wire: QgaWire, name: string, reason: string | undefined): QgaError {
  if (wire === '2.5') return qgaGenericError(`The command ${name} has been disabled for this instance`);
  return new QgaError('CommandNotFound', `Command ${name} has been disabled${reason !== undefined ? `: ${reason}` : ''}`);
}

/** 7.2's envelope texts (qmp_dispatch_check_obj and qmp_dispatch). */
export const QGA_ENVELOPE_7_2 = {
  notObject: 'QMP input must be a JSON object',
  lacksExecute: "QMP input lacks member 'execute'",
  argumentsNotObject: "QMP input member 'arguments' must be an object",
  memberNotString: (member: string) => `QMP input member '${member}' must be a string`,
  unexpected: (member: string) => `QMP input member '${member}' is unexpected`,
} as const;

/** 2.5's envelope texts (process_event and qmp_dispatch_check_obj). */
export const QGA_ENVELOPE_2_5 = {
  /** QERR_JSON_PARSING, also for valid JSON that is not an object. */
  notObject: 'Invalid JSON syntax',
  /** QERR_UNSUPPORTED, for an object with neither "execute" nor "error". */
  noExecute: QGA_ERR_UNSUPPORTED,
  executeNotString: "QMP input object member 'execute' expects 'string'",
  unexpected: (member: string) => `QMP input object member '${member}' is unexpected`,
} as const;
