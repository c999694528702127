/**
 * How the shell unwinds: control flow (exit, return, break, continue) and errors travel
 * as exceptions through the evaluator's generators. None of them is an Errno, so the
 * kernel's ProcessExit still passes through every catch that rethrows non-shell errors.
 */

/** `exit N`, end of input with set -e failure, or a fatal error: the shell ends with `status`. */
export class ExitShell extends Error {
  constructor(
    /** Exit status. */
    readonly status: number,
  ) {
    super(`exit ${status}`);
    this.name = 'ExitShell';
  }
}

/** `return N` from a function or dot script. */
export class ReturnFromFunction extends Error {
  constructor(
    /** Return status. */
    readonly status: number,
  ) {
    super(`return ${status}`);
    this.name = 'ReturnFromFunction';
  }
}

/** `break N` / `continue N`. */
export class LoopControl extends Error {
  constructor(
    /** Which statement. */
    readonly kind: 'break' | 'continue',
    /** How many enclosing loops it applies to. */
    public levels: number,
  ) {
    super(`${kind} ${levels}`);
    this.name = 'LoopControl';
  }
}

/**
 * A diagnosed error (dash's sh_error): printed as "sh: LINE: message". A non-interactive
 * shell exits with status 2 when it is `fatal` (syntax, expansion and special-builtin
 * errors); otherwise only the command fails, with status 2.
 */
export class ShellError extends Error {
  /** Set once the running builtin's name has been put in front of the message. */
  prefixed = false;

  constructor(
    message: string,
    /** Whether the whole shell must exit. */
    readonly fatal = false,
    /** Status the command (or shell) gets. */
    readonly status = 2,
  ) {
    super(message);
    this.name = 'ShellError';
  }
}

/** A syntax error found by the parser at `line`; always fatal. */
export class ShellSyntaxError extends ShellError {
  constructor(
    message: string,
    /** Line where it was found. */
    readonly line: number,
  ) {
    super(`Syntax error: ${message}`, true, 2);
    this.name = 'ShellSyntaxError';
  }
}
