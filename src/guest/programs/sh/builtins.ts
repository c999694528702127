/**
 * The shell's builtins, as dash has them: the POSIX special builtins (whose errors end a
 * non-interactive shell and whose assignments persist) and the regular ones. Builtins
 * signal failure by throwing ShellError ("sh: LINE: message", status 2) or by returning
 * a status.
 */
import { Errno, O_CLOEXEC, O_RDONLY, S_ISREG, X_OK, type SysCall } from '../../kernel/index.js';
import { ByteBuilder } from '../lib/bytes.js';
import { expandEscapes } from '../lib/escapes.js';
import { dashPrintfMessage, runPrintf } from '../lib/printf-format.js';
import { errText, readText } from '../stdio.js';
import { execBuiltin, getoptsBuiltin, killBuiltin, readBuiltin, trapBuiltin, waitBuiltin } from './builtins-proc.js';
import { ExitShell, LoopControl, ReturnFromFunction, ShellError } from './errors.js';
import type { Shell } from './exec.js';
import { OPTION_LETTERS, type ShellOptions } from './state.js';
import { testCommand } from './test-builtin.js';

/** A builtin: gets the shell and argv, returns the status. */
export type Builtin = (sh: Shell, argv: string[]) => SysCall<number>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Single-quotes a value the way dash's export -p and set print it. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function number(s: string): number {
  if (!/^\d+$/.test(s)) throw new ShellError(`Illegal number: ${s}`);
  return Number(s);
}

/** The executable a name would run from PATH, if any (command -v, type). */
export function* findInPath(sh: Shell, name: string): SysCall<string | undefined> {
  const dirs = name.includes('/') ? [''] : (sh.st.get('PATH') ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const d of dirs) {
    const path = name.includes('/') ? name : `${d === '' ? '.' : d}/${name}`;
    try {
      const st = yield* sh.sys.stat(path);
      if (!S_ISREG(st.mode)) continue;
      yield* sh.sys.access(path, X_OK);
      return path;
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }
  return undefined;
}

function* exportLike(sh: Shell, argv: string[], kind: 'export' | 'readonly'): SysCall<number> {
  const args = argv.slice(1).filter((a) => a !== '-p');
  if (args.length === 0) {
    const names = [...sh.st.vars.keys()].sort();
    let out = '';
    for (const n of names) {
      const v = sh.st.vars.get(n);
      if (v === undefined || !(kind === 'export' ? v.exported : v.readonly)) continue;
      out += `${kind} ${n}${v.value === undefined ? '' : `=${shellQuote(v.value)}`}\n`;
    }
    yield* sh.out(out);
    return 0;
  }
  for (const a of args) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!NAME.test(name)) throw new ShellError(`${name}: bad variable name`);
    const value = eq < 0 ? undefined : a.slice(eq + 1);
    if (kind === 'export') sh.st.exportVar(name, value);
    else {
      if (value !== undefined) sh.st.set(name, value);
      const v = sh.st.vars.get(name);
      if (v === undefined) sh.st.vars.set(name, { value: undefined, exported: false, readonly: true });
      else v.readonly = true;
    }
  }
  return 0;
}

function* setBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const args = argv.slice(1);
  const st = sh.st;
  if (args.length === 0) {
    const names = [...st.vars.keys()].sort();
    let out = '';
    for (const n of names) {
      const v = st.vars.get(n)?.value;
      if (v !== undefined) out += `${n}=${shellQuote(v)}\n`;
    }
    yield* sh.out(out);
    return 0;
  }
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') {
      i++;
      st.positional = args.slice(i);
      return 0;
    }
    if (a === '-' ) {
      st.opts.xtrace = false;
      i++;
      break;
    }
    if (!/^[-+]/.test(a)) break;
    const on = a.startsWith('-');
    for (const c of a.slice(1)) {
      if (c === 'o') {
        const name = args[++i];
        if (name === undefined) {
          let out = '';
          for (const [, n] of OPTION_LETTERS) out += `${n.padEnd(16)}${st.opts[n] ? 'on' : 'off'}\n`;
          yield* sh.out(out);
          return 0;
        }
        const opt = OPTION_LETTERS.find(([, n]) => n === name);
        if (opt === undefined) throw new ShellError(`Illegal option -o ${name}`);
        st.opts[opt[1]] = on;
        continue;
      }
      const opt = OPTION_LETTERS.find(([l]) => l === c);
      if (opt === undefined) throw new ShellError(`Illegal option ${on ? '-' : '+'}${c}`);
      st.opts[opt[1] as keyof ShellOptions] = on;
    }
  }
  if (i < args.length) st.positional = args.slice(i);
  return 0;
}

function* cdBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const args = argv.slice(1).filter((a) => a !== '-L' && a !== '-P');
  const st = sh.st;
  let dir: string | undefined = args[0];
  let print = false;
  if (dir === undefined) {
    dir = st.get('HOME');
    if (dir === undefined || dir === '') throw new ShellError('HOME not set');
  } else if (dir === '-') {
    dir = st.get('OLDPWD') ?? sh.sys.getcwd();
    print = true;
  }
  const old = st.get('PWD') ?? sh.sys.getcwd();
  try {
    yield* sh.sys.chdir(dir);
  } catch (e) {
    if (e instanceof Errno) throw new ShellError(`can't cd to ${dir}`);
    throw e;
  }
  st.exportVar('OLDPWD', old);
  st.exportVar('PWD', sh.sys.getcwd());
  if (print) yield* sh.out(`${sh.sys.getcwd()}\n`);
  return 0;
}

function* dotBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const file = argv[1];
  if (file === undefined) return 0;
  const path = file.includes('/') ? file : ((yield* findReadable(sh, file)) ?? file);
  let text: string;
  try {
    const fd = yield* sh.sys.open(path, O_RDONLY | O_CLOEXEC);
    try {
      text = yield* readText(sh.sys, fd);
    } finally {
      sh.sys.close(fd);
    }
  } catch (e) {
    if (e instanceof Errno) throw new ShellError(`cannot open ${file}: ${Errno.is(e, 'ENOENT') ? 'No such file' : errText(e)}`);
    throw e;
  }
  const saved = sh.st.positional;
  if (argv.length > 2) sh.st.positional = argv.slice(2);
  sh.st.funcDepth++;
  // dash names the file in diagnostics from inside it.
  const cmdName = sh.cmdName;
  sh.cmdName = file;
  try {
    return yield* sh.runSource(text);
  } catch (e) {
    if (e instanceof ReturnFromFunction) return e.status;
    throw e;
  } finally {
    sh.cmdName = cmdName;
    sh.st.funcDepth--;
    if (argv.length > 2) sh.st.positional = saved;
  }
}

function* findReadable(sh: Shell, name: string): SysCall<string | undefined> {
  for (const d of (sh.st.get('PATH') ?? '').split(':')) {
    const path = `${d === '' ? '.' : d}/${name}`;
    try {
      if (S_ISREG((yield* sh.sys.stat(path)).mode)) return path;
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }
  return undefined;
}

function loopControl(kind: 'break' | 'continue'): Builtin {
  return function* (sh: Shell, argv: string[]): SysCall<number> {
    const n = argv[1] === undefined ? 1 : number(argv[1]);
    if (n === 0) throw new ShellError(`Illegal number: ${argv[1] ?? ''}`);
    if (sh.st.loopDepth === 0) return 0;
    throw new LoopControl(kind, Math.min(n, sh.st.loopDepth));
  };
}

function* describeCommand(sh: Shell, name: string, verbose: boolean): SysCall<string | undefined> {
  if (SPECIAL_BUILTINS[name] !== undefined) return verbose ? `${name} is a special shell builtin` : name;
  if (sh.st.funcs.has(name)) return verbose ? `${name} is a shell function` : name;
  if (REGULAR_BUILTINS[name] !== undefined) return verbose ? `${name} is a shell builtin` : name;
  const path = yield* findInPath(sh, name);
  if (path === undefined) return undefined;
  return verbose ? `${name} is ${path}` : path;
}

function* typeBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  let status = 0;
  for (const name of argv.slice(1)) {
    const d = yield* describeCommand(sh, name, true);
    if (d === undefined) {
      yield* sh.out(`${name}: not found\n`);
      status = 127;
    } else yield* sh.out(`${d}\n`);
  }
  return status;
}

function* commandBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  let args = argv.slice(1);
  let mode: 'run' | 'v' | 'V' = 'run';
  while (args[0] !== undefined && /^-[pvV]+$/.test(args[0])) {
    if (args[0].includes('V')) mode = 'V';
    else if (args[0].includes('v')) mode = 'v';
    args = args.slice(1);
  }
  if (args[0] === '--') args = args.slice(1);
  if (mode !== 'run') {
    let status = 0;
    for (const name of args) {
      const d = yield* describeCommand(sh, name, mode === 'V');
      if (d === undefined) {
        if (mode === 'V') yield* sh.warn(`${name}: not found`);
        status = 127;
      } else yield* sh.out(`${d}\n`);
    }
    return status;
  }
  const name = args[0];
  if (name === undefined) return 0;
  const builtin = SPECIAL_BUILTINS[name] ?? REGULAR_BUILTINS[name];
  // The command run reports its own errors, not as "command: ...".
  const cmdName = sh.cmdName;
  sh.cmdName = undefined;
  try {
    if (builtin !== undefined) return yield* sh.runBuiltin(builtin, args);
    return yield* sh.runExternal(args, sh.st.environ(), []);
  } finally {
    sh.cmdName = cmdName;
  }
}

function* umaskBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const args = argv.slice(1);
  const symbolic = args[0] === '-S';
  if (symbolic) args.shift();
  if (args.length === 0) {
    const m = sh.sys.umask(0);
    sh.sys.umask(m);
    if (!symbolic) {
      yield* sh.out(`${m.toString(8).padStart(4, '0')}\n`);
      return 0;
    }
    const part = (shift: number): string => {
      const bits = (~m >> shift) & 7;
      return ((bits & 4) !== 0 ? 'r' : '') + ((bits & 2) !== 0 ? 'w' : '') + ((bits & 1) !== 0 ? 'x' : '');
    };
    yield* sh.out(`u=${part(6)},g=${part(3)},o=${part(0)}\n`);
    return 0;
  }
  const a = args[0] ?? '';
  if (!/^[0-7]+$/.test(a)) throw new ShellError(/^\d+$/.test(a) ? `Illegal number: ${a}` : `Illegal mode: ${a}`);
  sh.sys.umask(parseInt(a, 8));
  return 0;
}

function* echoBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  let args = argv.slice(1);
  // dash's echo knows only -n, and only as the first argument; escapes are always on.
  const nonl = args[0] === '-n';
  if (nonl) args = args.slice(1);
  const out = new ByteBuilder();
  const r = expandEscapes(args.join(' '), 'dash', out);
  if (!nonl && !r.stopped) out.byte(10);
  yield* sh.out(out.bytes());
  return 0;
}

function* printfBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const args = argv.slice(1);
  if (args[0] === '--') args.shift();
  if (args.length === 0) throw new ShellError('usage: printf format [arg ...]');
  const r = runPrintf(args[0] ?? '', args.slice(1), 'dash');
  yield* sh.out(r.out);
  for (const e of r.errors) yield* sh.warn(dashPrintfMessage(e));
  // A bad directive is a shell error in dash (status 2); bad numbers only fail the command.
  if (r.fatal) return 2;
  return r.errors.length > 0 ? 1 : 0;
}

function* localBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  for (const a of argv.slice(1)) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!NAME.test(name)) throw new ShellError(`${name}: bad variable name`);
    if (!sh.st.makeLocal(name)) throw new ShellError('not in a function');
    if (eq >= 0) sh.st.set(name, a.slice(eq + 1));
  }
  return 0;
}

/** Special builtins: assignments before them persist, and their errors end the shell. */
export const SPECIAL_BUILTINS: Readonly<Record<string, Builtin>> = {
  ':': function* () {
    return 0;
  },
  '.': dotBuiltin,
  break: loopControl('break'),
  continue: loopControl('continue'),
  eval: function* (sh, argv) {
    const src = argv.slice(1).join(' ');
    return src.trim() === '' ? 0 : yield* sh.runSource(src, sh.st.lineno);
  },
  exec: execBuiltin,
  exit: function* (sh, argv) {
    throw new ExitShell(argv[1] === undefined ? sh.st.status : number(argv[1]) & 255);
  },
  export: (sh, argv) => exportLike(sh, argv, 'export'),
  local: localBuiltin,
  readonly: (sh, argv) => exportLike(sh, argv, 'readonly'),
  return: function* (sh, argv) {
    throw new ReturnFromFunction(argv[1] === undefined ? sh.st.status : number(argv[1]) & 255);
  },
  set: setBuiltin,
  shift: function* (sh, argv) {
    const n = argv[1] === undefined ? 1 : number(argv[1]);
    if (n > sh.st.positional.length) throw new ShellError("can't shift that many");
    sh.st.positional = sh.st.positional.slice(n);
    return 0;
  },
  trap: trapBuiltin,
  times: function* (sh) {
    yield* sh.out('0m0.000000s 0m0.000000s\n0m0.000000s 0m0.000000s\n');
    return 0;
  },
  unset: function* (sh, argv) {
    let args = argv.slice(1);
    let funcs = false;
    if (args[0] === '-f' || args[0] === '-v') {
      funcs = args[0] === '-f';
      args = args.slice(1);
    }
    for (const a of args) {
      if (funcs) sh.st.funcs.delete(a);
      else if (sh.st.vars.get(a)?.readonly === true) throw new ShellError(`${a}: is read only`);
      else sh.st.unset(a);
    }
    return 0;
  },
};

/** Regular builtins. */
export const REGULAR_BUILTINS: Readonly<Record<string, Builtin>> = {
  true: function* () {
    return 0;
  },
  false: function* () {
    return 1;
  },
  echo: echoBuiltin,
  printf: printfBuiltin,
  test: (sh, argv) => testCommand(sh.sys, argv),
  '[': (sh, argv) => testCommand(sh.sys, argv),
  cd: cdBuiltin,
  pwd: function* (sh) {
    yield* sh.out(`${sh.sys.getcwd()}\n`);
    return 0;
  },
  kill: killBuiltin,
  wait: waitBuiltin,
  read: readBuiltin,
  umask: umaskBuiltin,
  command: commandBuiltin,
  type: typeBuiltin,
  getopts: getoptsBuiltin,
};
