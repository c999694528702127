/**
 * Everything a shell remembers between commands: variables with their export and
 * read-only flags, positional parameters, options, functions, the last status and the
 * background jobs. A subshell starts from a deep copy.
 */
import type { Command } from './ast.js';
import { ShellError } from './errors.js';

/** One shell variable. */
export interface ShellVar {
  /** Value (undefined: declared, e.g. by export or readonly, but unset). */
  value: string | undefined;
  /** Passed to commands in their environment. */
  exported: boolean;
  /** Assignments and unset fail. */
  readonly: boolean;
}

/** `set` options. */
export interface ShellOptions {
  /** -e: exit when a command fails outside a condition. */
  errexit: boolean;
  /** -x: trace commands to stderr. */
  xtrace: boolean;
  /** -f: no pathname expansion. */
  noglob: boolean;
  /** -u: expanding an unset variable is an error. */
  nounset: boolean;
}

/** Option letters and their names, as set -o lists them. */
export const OPTION_LETTERS: readonly (readonly [string, keyof ShellOptions])[] = [
  ['e', 'errexit'],
  ['f', 'noglob'],
  ['u', 'nounset'],
  ['x', 'xtrace'],
];

/** The shell's state. */
export class ShellState {
  /** Variables in creation order. */
  vars = new Map<string, ShellVar>();
  /** $1, $2, ... */
  positional: string[] = [];
  /** $0, also the prefix of diagnostics. */
  arg0 = 'sh';
  /** $?. */
  status = 0;
  /** $$ (a subshell keeps its parent's). */
  shellPid = 0;
  /** $! (undefined until something ran in the background). */
  lastBg: number | undefined = undefined;
  /** Line of the command being run, for diagnostics. */
  lineno = 0;
  /** set options. */
  opts: ShellOptions = { errexit: false, xtrace: false, noglob: false, nounset: false };
  /** Defined functions. */
  funcs = new Map<string, Command>();
  /** Background children not yet waited for. */
  jobs: number[] = [];
  /** Depth of contexts where set -e does not apply (conditions, && and || left sides, !). */
  noErrexit = 0;
  /** Loops we are inside (break/continue need one). */
  loopDepth = 0;
  /** Functions (and dot scripts) we are inside (return needs one). */
  funcDepth = 0;
  /** True in a subshell. */
  subshell = false;
  /** Per function call: variables made local, with the values to restore. */
  locals: Map<string, ShellVar | undefined>[] = [];
  /** trap actions by signal number (0 is EXIT); '' means ignored. */
  traps = new Map<number, string>();
  /** Trapped signals that arrived and whose actions have not run yet. */
  pendingTraps = new Set<number>();
  /** getopts: character offset inside the current argument, and the OPTIND it belongs to. */
  getopts = { offset: 1, optind: 1 };

  /** A deep copy for a subshell. */
  clone(): ShellState {
    const s = new ShellState();
    for (const [k, v] of this.vars) s.vars.set(k, { ...v });
    s.positional = [...this.positional];
    s.arg0 = this.arg0;
    s.status = this.status;
    s.shellPid = this.shellPid;
    s.lastBg = this.lastBg;
    s.lineno = this.lineno;
    s.opts = { ...this.opts };
    s.funcs = new Map(this.funcs);
    s.subshell = true;
    // A subshell keeps ignored signals ignored; other traps are reset.
    for (const [sig, action] of this.traps) if (action === '' && sig !== 0) s.traps.set(sig, '');
    return s;
  }

  /** Makes a variable local to the innermost function call; false outside functions. */
  makeLocal(name: string): boolean {
    const frame = this.locals[this.locals.length - 1];
    if (frame === undefined) return false;
    if (!frame.has(name)) {
      const v = this.vars.get(name);
      frame.set(name, v === undefined ? undefined : { ...v });
    }
    return true;
  }

  /** Ends a function call's scope, restoring the variables it made local. */
  popLocals(): void {
    const frame = this.locals.pop();
    if (frame === undefined) return;
    for (const [k, v] of frame) {
      if (v === undefined) this.vars.delete(k);
      else this.vars.set(k, v);
    }
  }

  /** A variable's value, if set. */
  get(name: string): string | undefined {
    return this.vars.get(name)?.value;
  }

  /** Assigns a variable (a fatal error if it is read-only). */
  set(name: string, value: string): void {
    const v = this.vars.get(name);
    if (v?.readonly === true) throw new ShellError(`${name}: is read only`, true);
    if (v === undefined) this.vars.set(name, { value, exported: false, readonly: false });
    else v.value = value;
  }

  /** Removes a variable (a fatal error if it is read-only). */
  unset(name: string): void {
    if (this.vars.get(name)?.readonly === true) throw new ShellError(`${name}: is read only`, true);
    this.vars.delete(name);
  }

  /** Marks a variable for export, assigning it when a value is given. */
  exportVar(name: string, value?: string): void {
    if (value !== undefined) this.set(name, value);
    const v = this.vars.get(name);
    if (v === undefined) this.vars.set(name, { value: undefined, exported: true, readonly: false });
    else v.exported = true;
  }

  /** The environment for a command: exported variables, then `extra` assignments. */
  environ(extra: readonly (readonly [string, string])[] = []): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of this.vars) if (v.exported && v.value !== undefined) env[k] = v.value;
    for (const [k, v] of extra) env[k] = v;
    return env;
  }

  /** $- : the single-letter options in effect, in the order dash lists them. */
  flags(): string {
    const o = this.opts;
    return (o.nounset ? 'u' : '') + (o.xtrace ? 'x' : '') + (o.noglob ? 'f' : '') + (o.errexit ? 'e' : '');
  }
}
