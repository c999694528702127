/**
 * Builtins that deal with processes and input: kill, wait, read and exec.
 */
import { Errno, NSIG, WEXITSTATUS, WIFSIGNALED, WTERMSIG, type SysCall } from '../../kernel/index.js';
import { waitFor } from '../lib/exec.js';
import { parseSignal, shortSignalName } from '../lib/signames.js';
import { errText } from '../stdio.js';
import { ExitShell, ShellError } from './errors.js';
import type { Shell } from './exec.js';
import { reportSignal, spawnExternal } from './processes.js';

function statusCode(status: number): number {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/** kill [-s SIG | -SIG | -n N] PID... ; kill -l [STATUS] */
export function* killBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  let args = argv.slice(1);
  let sig = 15;
  if (args[0] === '-l' || args[0] === '-L') {
    if (args.length === 1) {
      // dash lists 0..NSIG, numbers standing in for signals it has no name for.
      const names: string[] = [];
      for (let n = 0; n <= NSIG; n++) names.push(n === 0 || n === 16 || n === 32 || n === 33 ? String(n) : shortSignalName(n));
      yield* sh.out(names.join('\n') + '\n');
      return 0;
    }
    // Only the first operand counts, as in dash.
    for (const a of args.slice(1, 2)) {
      if (!/^\d+$/.test(a)) throw new ShellError(`Illegal number: ${a}`);
      let n = Number(a);
      if (n > 128) n -= 128;
      if (n < 1 || n > NSIG) throw new ShellError(`invalid signal number or exit status: ${a}`);
      yield* sh.out(`${shortSignalName(n)}\n`);
    }
    return 0;
  }
  if (args[0] === '-s' || args[0] === '-n') {
    const s = args[1];
    if (s === undefined) throw new ShellError('option requires an argument -- ' + (args[0] === '-s' ? 's' : 'n'));
    const n = parseSignal(s);
    if (n === undefined) throw new ShellError(`invalid signal number or name: ${s}`);
    sig = n;
    args = args.slice(2);
  } else if (args[0] !== undefined && args[0].startsWith('-') && args[0] !== '--' && args[0] !== '-') {
    // -SIG or -N; a negative pid (a process group) needs "--" before it. Anything else
    // is read as options, of which dash knows only -l and -s.
    const n = parseSignal((args[0] ?? '').slice(1));
    if (n === undefined) throw new ShellError(`Illegal option -${(args[0] ?? '').slice(1, 2)}`);
    sig = n;
    args = args.slice(1);
  }
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) throw new ShellError('Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]');
  let status = 0;
  for (const a of args) {
    if (!/^-?\d+$/.test(a)) throw new ShellError(`Illegal number: ${a}`);
    try {
      sh.sys.kill(Number(a), sig);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      // dash prints this one with an extra newline.
      yield* sh.warn(`${errText(e)}\n`);
      status = 1;
    }
  }
  return status;
}

// waitpid that gives up when a trapped signal arrives (wait then returns 128+N).
function* waitOrTrap(sh: Shell, pid: number): SysCall<number | undefined> {
  for (;;) {
    try {
      return (yield* sh.sys.waitpid(pid, 0)).status;
    } catch (e) {
      if (!Errno.is(e, 'EINTR')) throw e;
      if (sh.st.pendingTraps.size > 0) return undefined;
    }
  }
}

/** wait [PID...]: the status of the last PID (127 if it is not a child); no operands: all jobs, 0. */
export function* waitBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const st = sh.st;
  const args = argv.slice(1);
  if (args.length === 0) {
    while (st.jobs.length > 0) {
      const pid = st.jobs[0] as number;
      try {
        if ((yield* waitOrTrap(sh, pid)) === undefined) return 128 + ([...st.pendingTraps][0] ?? 0);
      } catch (e) {
        if (!Errno.is(e, 'ECHILD')) throw e;
      }
      st.jobs.shift();
    }
    return 0;
  }
  let status = 0;
  for (const a of args) {
    if (!/^\d+$/.test(a)) throw new ShellError(`Illegal number: ${a}`);
    const pid = Number(a);
    const idx = st.jobs.indexOf(pid);
    if (idx < 0) {
      status = 127;
      continue;
    }
    try {
      const raw = yield* waitOrTrap(sh, pid);
      if (raw === undefined) return 128 + ([...st.pendingTraps][0] ?? 0);
      st.jobs.splice(st.jobs.indexOf(pid), 1);
      status = statusCode(raw);
      if (WIFSIGNALED(raw)) yield* reportSignal(sh, WTERMSIG(raw));
    } catch (e) {
      if (!Errno.is(e, 'ECHILD')) throw e;
      status = 127;
    }
  }
  return status;
}

const decoder = new TextDecoder();

/** read [-r] [-p PROMPT] NAME...: one line from stdin split on IFS; status 1 at end of file. */
export function* readBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  let raw = false;
  let args = argv.slice(1);
  while (args[0] !== undefined && args[0].startsWith('-') && args[0] !== '-') {
    const opt = args[0];
    args = args.slice(1);
    if (opt === '--') break;
    if (opt === '-r') raw = true;
    else if (opt === '-p') {
      const prompt = args[0] ?? '';
      args = args.slice(1);
      try {
        yield* sh.sys.write(2, prompt);
      } catch (e) {
        errText(e);
      }
    } else throw new ShellError(`Illegal option ${opt}`);
  }
  if (args.length === 0) throw new ShellError('arg count');
  for (const n of args) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new ShellError(`${n}: bad variable name`);
  // Bytes one at a time, as dash does on a pipe, so nothing after the line is consumed.
  const bytes: number[] = [];
  const escaped: boolean[] = [];
  let eof = false;
  let escape = false;
  for (;;) {
    let d: Uint8Array;
    try {
      d = yield* sh.sys.read(0, 1);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      yield* sh.warn(errText(e));
      return 2;
    }
    if (d.length === 0) {
      eof = true;
      break;
    }
    const b = d[0] ?? 0;
    if (escape) {
      escape = false;
      if (b === 10) continue;
      bytes.push(b);
      escaped.push(true);
      continue;
    }
    if (b === 10) break;
    if (b === 0x5c && !raw) {
      escape = true;
      continue;
    }
    bytes.push(b);
    escaped.push(false);
  }
  const text = decoder.decode(Uint8Array.from(bytes));
  // Escaped characters are never separators; map them through a simple per-char flag.
  const chars = [...text];
  const flags = chars.length === escaped.length ? escaped : chars.map(() => false);
  const ifs = sh.st.get('IFS') ?? ' \t\n';
  const isWs = (c: string): boolean => ifs.includes(c) && ' \t\n'.includes(c);
  const isSep = (i: number): boolean => !flags[i] && ifs.includes(chars[i] ?? '');
  let i = 0;
  const skipWs = (): void => {
    while (i < chars.length && !flags[i] && isWs(chars[i] ?? '')) i++;
  };
  skipWs();
  for (let n = 0; n < args.length; n++) {
    const name = args[n] as string;
    if (n === args.length - 1) {
      let end = chars.length;
      while (end > i && !flags[end - 1] && isWs(chars[end - 1] ?? '')) end--;
      sh.st.set(name, chars.slice(i, end).join(''));
      break;
    }
    let field = '';
    while (i < chars.length && !isSep(i)) field += chars[i++];
    sh.st.set(name, field);
    skipWs();
    if (i < chars.length && isSep(i)) {
      i++;
      skipWs();
    }
  }
  return eof ? 1 : 0;
}

/** exec CMD [ARG...]: runs the command and ends the shell with its status (there is no exec syscall). */
export function* execBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const args = argv.slice(1);
  if (args[0] === '--') args.shift();
  if (args.length === 0) return 0;
  let pid: number;
  try {
    pid = yield* spawnExternal(sh, args, sh.st.environ());
  } catch (e) {
    if (e instanceof ShellError) {
      yield* sh.warn(e.message);
      throw new ExitShell(e.status);
    }
    throw e;
  }
  const status = yield* waitFor(sh.sys, pid);
  if (WIFSIGNALED(status)) {
    // Die the way the exec'd program did.
    const sig = WTERMSIG(status);
    sh.sys.signal(sig, 'default');
    sh.sys.kill(sh.sys.getpid(), sig);
  }
  throw new ExitShell(statusCode(status));
}

/** getopts OPTSTRING NAME [ARG...]: the next option from ARGs (or $@), with OPTIND and OPTARG. */
export function* getoptsBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const st = sh.st;
  const optstring = argv[1];
  const name = argv[2];
  if (optstring === undefined || name === undefined) throw new ShellError('Usage: getopts optstring var [arg...]');
  const args = argv.length > 3 ? argv.slice(3) : st.positional;
  let optind = Number(st.get('OPTIND') ?? '1');
  if (!Number.isInteger(optind) || optind < 1) optind = 1;
  // A changed OPTIND (a script resetting it to 1) restarts at the beginning of an argument.
  if (optind !== st.getopts.optind) st.getopts.offset = 1;
  const silent = optstring.startsWith(':');
  const finish = (value: string, ind: number, offset: number): void => {
    st.set(name, value);
    st.set('OPTIND', String(ind));
    st.getopts = { offset, optind: ind };
  };
  const arg = args[optind - 1];
  if (arg === undefined || !arg.startsWith('-') || arg === '-') {
    finish('?', optind, 1);
    st.unset('OPTARG');
    return 1;
  }
  if (arg === '--') {
    finish('?', optind + 1, 1);
    st.unset('OPTARG');
    return 1;
  }
  const off = st.getopts.offset;
  const c = arg[off] ?? '';
  let nextInd = optind;
  let nextOff = off + 1;
  if (nextOff >= arg.length) {
    nextInd++;
    nextOff = 1;
  }
  const at = optstring.indexOf(c);
  if (at < 0 || c === ':') {
    if (silent) {
      st.set('OPTARG', c);
    } else {
      st.unset('OPTARG');
      yield* writeRaw(sh, `Illegal option -${c}\n`);
    }
    finish('?', nextInd, nextOff);
    return 0;
  }
  if (optstring[at + 1] === ':') {
    let value: string | undefined;
    if (nextOff !== 1) {
      value = arg.slice(off + 1);
      nextInd = optind + 1;
    } else {
      value = args[nextInd - 1];
      if (value !== undefined) nextInd++;
    }
    nextOff = 1;
    if (value === undefined) {
      if (silent) {
        st.set('OPTARG', c);
        finish(':', nextInd, 1);
      } else {
        st.unset('OPTARG');
        yield* writeRaw(sh, `No arg for -${c} option\n`);
        finish('?', nextInd, 1);
      }
      return 0;
    }
    st.set('OPTARG', value);
  } else st.unset('OPTARG');
  finish(c, nextInd, nextOff);
  return 0;
}

// Messages dash writes without the usual "sh: LINE:" prefix.
function* writeRaw(sh: Shell, text: string): SysCall<void> {
  try {
    yield* sh.sys.write(2, text);
  } catch (e) {
    errText(e);
  }
}

function trapNumber(s: string): number | undefined {
  if (s === 'EXIT' || s === '0') return 0;
  const n = parseSignal(s);
  return n === undefined || n === 0 ? undefined : n;
}

/** trap [ACTION CONDITION...]: EXIT and signal traps; '' ignores, '-' restores the default. */
export function* trapBuiltin(sh: Shell, argv: string[]): SysCall<number> {
  const st = sh.st;
  let args = argv.slice(1);
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) {
    let out = '';
    for (const sig of [...st.traps.keys()].sort((a, b) => a - b)) {
      const action = st.traps.get(sig) ?? '';
      out += `trap -- '${action.replace(/'/g, `'\\''`)}' ${sig === 0 ? 'EXIT' : shortSignalName(sig)}\n`;
    }
    yield* sh.out(out);
    return 0;
  }
  // A first operand that is a condition means "reset these".
  let action: string | undefined = args[0];
  if (args.length === 1 || /^\d+$/.test(action ?? '')) action = '-';
  else args = args.slice(1);
  let status = 0;
  for (const cond of args) {
    const sig = trapNumber(cond);
    if (sig === undefined) {
      yield* writeRaw(sh, `trap: ${cond}: bad trap\n`);
      status = 1;
      continue;
    }
    if (action === '-') st.traps.delete(sig);
    else st.traps.set(sig, action ?? '');
    if (sig === 0) continue;
    try {
      if (action === '-') sh.sys.signal(sig, 'default');
      else if (action === '') sh.sys.signal(sig, 'ignore');
      else sh.sys.signal(sig, () => void st.pendingTraps.add(sig));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      yield* writeRaw(sh, `trap: ${cond}: bad trap\n`);
      st.traps.delete(sig);
      status = 1;
    }
  }
  return status;
}
