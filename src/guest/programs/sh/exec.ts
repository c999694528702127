/**
 * The shell evaluator. Commands run in this process when dash would run them in the
 * shell itself (builtins, functions, compound commands); external commands are spawned
 * after the shell has applied their redirections to its own descriptors, so the child
 * inherits exactly what a forked child would have. Where dash forks a subshell (pipeline
 * elements that are not external commands, ( ), $( ), &), a child process runs a copy of
 * this shell on a copy of its state.
 */
import { Errno, WouldBlock, type SysCall, type Syscalls } from '../../kernel/index.js';
import { errText, writeAll } from '../stdio.js';
import type { Command, Redir, SimpleCommand } from './ast.js';
import { runCase, runFor, runIf, runLoop } from './compound.js';
import { REGULAR_BUILTINS, SPECIAL_BUILTINS, type Builtin } from './builtins.js';
import { ExitShell, ReturnFromFunction, ShellError, ShellSyntaxError } from './errors.js';
import { expandFields, expandString, type ExpandHost } from './expand.js';
import { Parser } from './parser.js';
import { background, commandSubstitution, spawnExternal, spawnSubshell, startPipeline, waitPids } from './processes.js';
import { applyRedirs, restoreFds, type SavedFds } from './redirect.js';
import type { ShellState, ShellVar } from './state.js';

/** A shell running in one process. */
export class Shell implements ExpandHost {
  /** Status of the last command substitution in the current simple command. */
  substStatus: number | undefined = undefined;
  /** The builtin running (dash's commandname): diagnostics name it after the line number. */
  cmdName: string | undefined = undefined;

  constructor(
    /** The process's syscalls. */
    readonly sys: Syscalls,
    /** The shell's state. */
    readonly st: ShellState,
  ) {}

  /** A shell on another process's syscalls (a subshell child, or a scratch copy). */
  derive(sys: Syscalls, st: ShellState): Shell {
    return new Shell(sys, st);
  }

  /** True when `name` is neither a builtin nor a function, so running it means spawning a program. */
  isProgram(name: string): boolean {
    return SPECIAL_BUILTINS[name] === undefined && REGULAR_BUILTINS[name] === undefined && !this.st.funcs.has(name);
  }

  /** $(...) : runs `body` in a subshell and returns what it wrote to stdout. */
  *commandSubstitution(body: Command): SysCall<string> {
    return yield* commandSubstitution(this, body);
  }

  // --- diagnostics and output -------------------------------------------------------

  /** Prints "sh: LINE: [builtin: ]message" on stderr (ignoring a closed or broken stderr). */
  *warn(message: string, line = this.st.lineno, prefixed = false): SysCall<void> {
    const ctx = !prefixed && this.cmdName !== undefined ? `${this.cmdName}: ` : '';
    try {
      yield* writeAll(this.sys, 2, `${this.st.arg0}: ${line}: ${ctx}${message}\n`);
    } catch (e) {
      errText(e);
    }
  }

  /** Writes to standard output. */
  *out(text: string | Uint8Array): SysCall<void> {
    yield* writeAll(this.sys, 1, text);
  }

  // --- top level ----------------------------------------------------------------------

  /** Parses and runs source one complete command at a time; returns the last status. */
  *runSource(src: string, firstLine = 1): SysCall<number> {
    const parser = new Parser(src, firstLine);
    for (;;) {
      let cmd: Command | undefined;
      try {
        cmd = parser.parseNext();
      } catch (e) {
        if (!(e instanceof ShellSyntaxError)) throw e;
        yield* this.warn(e.message, e.line);
        throw new ExitShell(2);
      }
      if (cmd === undefined) break;
      yield* this.runTop(cmd);
    }
    return this.st.status;
  }

  /** Runs one command, reporting errors that only fail that command. */
  *runTop(cmd: Command): SysCall<number> {
    try {
      return yield* this.run(cmd);
    } catch (e) {
      if (!(e instanceof ShellError)) throw e;
      yield* this.warn(e.message, this.st.lineno, e.prefixed);
      if (e.fatal) throw new ExitShell(e.status);
      this.st.status = e.status;
      return e.status;
    }
  }

  /** Runs `f` as the body of a (sub)shell process: exit and fatal errors end it with their status, after the EXIT trap. */
  *asSubshell(f: () => SysCall<number>): SysCall<number> {
    let status: number;
    try {
      status = yield* f();
    } catch (e) {
      if (e instanceof ExitShell || e instanceof ReturnFromFunction) status = e.status;
      else if (e instanceof ShellError) {
        yield* this.warn(e.message, this.st.lineno, e.prefixed);
        status = e.status;
      } else throw e;
    }
    return yield* this.runExitTrap(status);
  }

  /** Runs the actions of trapped signals that have arrived; $? is kept. */
  *runPendingTraps(): SysCall<void> {
    const status = this.st.status;
    for (const sig of [...this.st.pendingTraps]) {
      this.st.pendingTraps.delete(sig);
      const action = this.st.traps.get(sig);
      if (action !== undefined && action !== '') yield* this.runSource(action, this.st.lineno);
    }
    this.st.status = status;
  }

  /** Runs the EXIT trap (once) as the shell ends with `status`; its exit may change the status. */
  *runExitTrap(status: number): SysCall<number> {
    const action = this.st.traps.get(0);
    if (action === undefined || action === '') return status;
    this.st.traps.delete(0);
    this.st.status = status;
    try {
      yield* this.runSource(action, this.st.lineno);
    } catch (e) {
      if (e instanceof ExitShell) return e.status;
      if (e instanceof ShellError) return e.status;
      throw e;
    }
    return status;
  }

  // --- dispatch -------------------------------------------------------------------------

  /** Runs a command and records its status in $?. */
  *run(cmd: Command): SysCall<number> {
    // A one-command list is that command: skipping it keeps deep recursion shallower.
    while (cmd.type === 'list' && cmd.items.length === 1 && cmd.items[0]?.background === false) cmd = cmd.items[0].cmd;
    const redirs = 'redirs' in cmd && cmd.type !== 'simple' ? cmd.redirs : [];
    const s = redirs.length > 0 ? yield* this.withRedirs(redirs, () => this.dispatch(cmd)) : yield* this.dispatch(cmd);
    this.st.status = s;
    if (this.st.pendingTraps.size > 0) yield* this.runPendingTraps();
    const leaf = cmd.type === 'simple' || cmd.type === 'subshell' || (cmd.type === 'pipeline' && !cmd.bang);
    if (leaf && s !== 0 && this.st.opts.errexit && this.st.noErrexit === 0) throw new ExitShell(s);
    return s;
  }

  /** Runs a command as a condition: set -e does not apply inside it. */
  *condition(cmd: Command): SysCall<number> {
    this.st.noErrexit++;
    try {
      return yield* this.run(cmd);
    } finally {
      this.st.noErrexit--;
    }
  }

  private *dispatch(cmd: Command): SysCall<number> {
    switch (cmd.type) {
      case 'list': {
        let s = this.st.status;
        for (const item of cmd.items) {
          if (item.background) {
            yield* background(this, item.cmd);
            s = 0;
            this.st.status = 0;
          } else s = yield* this.run(item.cmd);
        }
        return s;
      }
      case 'andor': {
        const l = yield* this.condition(cmd.left);
        if ((cmd.op === '&&') === (l === 0)) return yield* this.run(cmd.right);
        return l;
      }
      case 'pipeline': {
        if (cmd.bang) {
          const s = cmd.cmds.length === 1 ? yield* this.condition(cmd.cmds[0] as Command) : yield* waitPids(this, yield* startPipeline(this, cmd.cmds));
          return s === 0 ? 1 : 0;
        }
        return yield* waitPids(this, yield* startPipeline(this, cmd.cmds));
      }
      case 'simple': {
        this.substStatus = undefined;
        const { argv, assigns } = yield* this.expandSimple(cmd);
        return yield* this.execExpanded(cmd, argv, assigns);
      }
      case 'subshell': {
        this.st.lineno = cmd.line;
        const body = cmd.body;
        return yield* waitPids(this, [yield* spawnSubshell(this, (sh) => sh.run(body))]);
      }
      case 'group':
        this.st.lineno = cmd.line;
        return yield* this.run(cmd.body);
      case 'if':
        return yield* runIf(this, cmd);
      case 'loop':
        return yield* runLoop(this, cmd);
      case 'for':
        return yield* runFor(this, cmd);
      case 'case':
        return yield* runCase(this, cmd);
      case 'func':
        this.st.funcs.set(cmd.name, cmd.body);
        return 0;
    }
  }

  private *withRedirs(redirs: readonly Redir[], f: () => SysCall<number>): SysCall<number> {
    let saved: SavedFds;
    try {
      saved = yield* applyRedirs(this, redirs);
    } catch (e) {
      if (!(e instanceof ShellError) || e.fatal) throw e;
      yield* this.warn(e.message, this.st.lineno, e.prefixed);
      return e.status;
    }
    try {
      return yield* f();
    } finally {
      restoreFds(this.sys, saved);
    }
  }

  // --- simple commands -----------------------------------------------------------------

  /** Expands a simple command's words and assignment values (words first, as POSIX orders it). */
  *expandSimple(cmd: SimpleCommand): SysCall<{ argv: string[]; assigns: [string, string][] }> {
    this.st.lineno = cmd.line;
    const argv = yield* expandFields(this, cmd.words);
    const assigns: [string, string][] = [];
    // Each assignment's expansion sees the ones before it, as in dash; the variables are
    // put back afterwards and the command decides what the assignments really do.
    const saved: [string, ShellVar | undefined][] = [];
    try {
      for (const a of cmd.assigns) {
        const v = yield* expandString(this, a.value, true);
        assigns.push([a.name, v]);
        const old = this.st.vars.get(a.name);
        saved.push([a.name, old === undefined ? undefined : { ...old }]);
        this.st.vars.set(a.name, { value: v, exported: old?.exported ?? false, readonly: false });
      }
    } finally {
      for (let i = saved.length - 1; i >= 0; i--) {
        const [k, v] = saved[i] as [string, ShellVar | undefined];
        if (v === undefined) this.st.vars.delete(k);
        else this.st.vars.set(k, v);
      }
    }
    return { argv, assigns };
  }

  /** set -x: writes the command about to run to stderr. */
  *trace(argv: readonly string[], assigns: readonly (readonly [string, string])[]): SysCall<void> {
    if (!this.st.opts.xtrace) return;
    const words = [...assigns.map(([k, v]) => `${k}=${v}`), ...argv];
    try {
      yield* writeAll(this.sys, 2, `${this.st.get('PS4') ?? '+ '}${words.join(' ')}\n`);
    } catch (e) {
      errText(e);
    }
  }

  /** Runs a simple command whose words are already expanded. */
  *execExpanded(cmd: SimpleCommand, argv: string[], assigns: [string, string][]): SysCall<number> {
    this.st.lineno = cmd.line;
    yield* this.trace(argv, assigns);
    const name = argv[0];
    if (name === undefined) {
      const saved = yield* this.redirsOrStatus(cmd.redirs, false);
      if (typeof saved === 'number') return saved;
      try {
        for (const [k, v] of assigns) this.st.set(k, v);
      } finally {
        restoreFds(this.sys, saved);
      }
      return this.substStatus ?? 0;
    }
    const special = SPECIAL_BUILTINS[name];
    if (special !== undefined) {
      for (const [k, v] of assigns) this.st.set(k, v);
      if (name === 'exec' && argv.length === 1) {
        try {
          yield* applyRedirs(this, cmd.redirs, true);
        } catch (e) {
          if (e instanceof ShellError) throw new ShellError(e.message, true, e.status);
          throw e;
        }
        return 0;
      }
      const saved = yield* this.redirsOrStatus(cmd.redirs, true);
      if (typeof saved === 'number') return saved;
      try {
        return yield* this.invokeBuiltin(special, argv);
      } catch (e) {
        if (e instanceof ShellError && !e.fatal) {
          const fatal = new ShellError(e.message, true, e.status);
          fatal.prefixed = e.prefixed;
          throw fatal;
        }
        throw e;
      } finally {
        restoreFds(this.sys, saved);
      }
    }
    const func = this.st.funcs.get(name);
    if (func !== undefined) return yield* this.withTempVars(assigns, cmd.redirs, () => this.callFunction(func, argv));
    const builtin = REGULAR_BUILTINS[name];
    if (builtin !== undefined) return yield* this.withTempVars(assigns, cmd.redirs, () => this.runBuiltin(builtin, argv));
    return yield* this.runExternal(argv, this.st.environ(assigns), cmd.redirs);
  }

  // Applies redirections; a failure is reported and becomes the status (fatal for special builtins).
  private *redirsOrStatus(redirs: readonly Redir[], fatal: boolean): SysCall<SavedFds | number> {
    try {
      return yield* applyRedirs(this, redirs);
    } catch (e) {
      if (!(e instanceof ShellError)) throw e;
      if (fatal || e.fatal) throw new ShellError(e.message, true, e.status);
      yield* this.warn(e.message, this.st.lineno, e.prefixed);
      return e.status;
    }
  }

  /** Calls a builtin as the current command: its diagnostics are prefixed with its name. */
  *invokeBuiltin(builtin: Builtin, argv: string[]): SysCall<number> {
    const saved = this.cmdName;
    const name = argv[0] ?? '';
    this.cmdName = name;
    try {
      return yield* builtin(this, argv);
    } catch (e) {
      // A failed write (closed or full output) is dash's "echo: echo: I/O error", status 1.
      if (e instanceof Errno && !(e instanceof WouldBlock)) {
        yield* this.warn(`${name}: I/O error`);
        return 1;
      }
      if (e instanceof ShellError && !e.prefixed) {
        e.message = `${name}: ${e.message}`;
        e.prefixed = true;
      }
      throw e;
    } finally {
      this.cmdName = saved;
    }
  }

  /** Runs a regular builtin: its ShellErrors fail only it, with status 2. */
  *runBuiltin(builtin: Builtin, argv: string[]): SysCall<number> {
    try {
      return yield* this.invokeBuiltin(builtin, argv);
    } catch (e) {
      if (!(e instanceof ShellError) || e.fatal) throw e;
      yield* this.warn(e.message, this.st.lineno, e.prefixed);
      return e.status;
    }
  }

  private *withTempVars(assigns: readonly [string, string][], redirs: readonly Redir[], f: () => SysCall<number>): SysCall<number> {
    const saved = yield* this.redirsOrStatus(redirs, false);
    if (typeof saved === 'number') return saved;
    const old = assigns.map(([k]) => {
      const v = this.st.vars.get(k);
      return [k, v === undefined ? undefined : { ...v }] as const;
    });
    try {
      // Like dash, the assignments are exported for the duration of the command.
      for (const [k, v] of assigns) this.st.exportVar(k, v);
      return yield* f();
    } finally {
      for (let i = old.length - 1; i >= 0; i--) {
        const [k, v] = old[i] as (typeof old)[number];
        if (v === undefined) this.st.vars.delete(k);
        else this.st.vars.set(k, v);
      }
      restoreFds(this.sys, saved);
    }
  }

  /** Calls a shell function with `argv[1..]` as its positional parameters. */
  *callFunction(body: Command, argv: readonly string[]): SysCall<number> {
    const saved = this.st.positional;
    this.st.positional = argv.slice(1);
    this.st.funcDepth++;
    this.st.locals.push(new Map());
    try {
      return yield* this.run(body);
    } catch (e) {
      if (e instanceof ReturnFromFunction) return e.status;
      throw e;
    } finally {
      this.st.positional = saved;
      this.st.funcDepth--;
      this.st.popLocals();
    }
  }

  // --- external commands ---------------------------------------------------------------

  /** Applies redirections, spawns the program found on PATH, restores, waits. */
  *runExternal(argv: string[], env: Record<string, string>, redirs: readonly Redir[]): SysCall<number> {
    const saved = yield* this.redirsOrStatus(redirs, false);
    if (typeof saved === 'number') return saved;
    let pid: number;
    try {
      pid = yield* spawnExternal(this, argv, env);
    } catch (e) {
      if (!(e instanceof ShellError)) throw e;
      yield* this.warn(e.message, this.st.lineno, e.prefixed);
      return e.status;
    } finally {
      restoreFds(this.sys, saved);
    }
    return yield* waitPids(this, [pid]);
  }

}
