/** Errors of the host-side guest agent client. */

/** The agent answered with an error: its class and description, as on the wire. */
export class QgaClientError extends Error {
  /** The error class ("GenericError", "CommandNotFound", ...). */
  readonly errorClass: string;
  /** The agent's description. */
  readonly desc: string;
  /** The command that failed. */
  readonly command: string;

  /** An error reply to `command`. */
  constructor(command: string, errorClass: string, desc: string) {
    super(`${command}: ${desc}`);
    this.name = 'QgaClientError';
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
  }

  /** The error class under the name QMP uses (`class`). */
  get class(): string {
    return this.errorClass;
  }
}

/** No reply within the time allowed; the client resynchronises before its next command. */
export class QgaTimeoutError extends Error {
  /** The command (or 'guest-sync-delimited' for a resync). */
  readonly command: string;
  /** The limit that expired, in host milliseconds. */
  readonly timeoutMs: number;

  /** A timeout of `command` after `timeoutMs`. */
  constructor(command: string, timeoutMs: number) {
    super(`qemu-ga did not answer ${command} within ${timeoutMs} ms`);
    this.name = 'QgaTimeoutError';
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}

/** The connection failed, closed, or carried something that is not an agent reply. */
export class QgaConnectionError extends Error {
  /** Describes what went wrong. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QgaConnectionError';
  }
}
