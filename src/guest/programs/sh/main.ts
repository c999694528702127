/**
 * sh(1) — dash's command line: `sh -c 'string' [name [args...]]`, `sh script [args...]`
 * and scripts on standard input, with the -e -f -u -x options.
 */
import { Errno, O_CLOEXEC, O_RDONLY, type Program, type Syscalls } from '../../kernel/index.js';
import { readText, writeAll } from '../stdio.js';
import { Shell } from './exec.js';
import { OPTION_LETTERS, ShellState } from './state.js';

/** A fresh top-level state: the environment imported and exported, the usual variables set. */
export function initialState(sys: Syscalls, arg0: string): ShellState {
  const st = new ShellState();
  for (const [k, v] of Object.entries(sys.env)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) st.vars.set(k, { value: v, exported: true, readonly: false });
  st.set('IFS', ' \t\n');
  st.set('PS1', sys.geteuid() === 0 ? '# ' : '$ ');
  st.set('PS2', '> ');
  st.set('PS4', '+ ');
  st.set('OPTIND', '1');
  st.set('PPID', String(sys.getppid()));
  if (st.get('PATH') === undefined) st.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  // dash always exports PWD.
  st.exportVar('PWD', sys.getcwd());
  st.arg0 = arg0;
  st.shellPid = sys.getpid();
  return st;
}

/** sh [-efux] [-c string [name [arg...]] | script [arg...] | -s [arg...]] */
export function* shMain(sys: Syscalls, argv: string[]): Program {
  const arg0 = argv[0] ?? 'sh';
  const st = initialState(sys, arg0);
  let args = argv.slice(1);
  let command: string | undefined;
  let useC = false;
  let fromStdin = false;
  while (args[0] !== undefined && /^[-+]./.test(args[0])) {
    const a = args[0];
    args = args.slice(1);
    if (a === '--' || a === '-') break;
    const on = a.startsWith('-');
    for (const c of a.slice(1)) {
      if (c === 'c') useC = true;
      else if (c === 's') fromStdin = true;
      else if (c === 'i' || c === 'l' || c === 'm' || c === 'v' || c === 'n' || c === 'C' || c === 'a' || c === 'b' || c === 'h') continue;
      else if (c === 'o') {
        const name = args[0];
        args = args.slice(1);
        const opt = OPTION_LETTERS.find(([, n]) => n === name);
        if (opt !== undefined) st.opts[opt[1]] = on;
      } else {
        const opt = OPTION_LETTERS.find(([l]) => l === c);
        if (opt === undefined) {
          yield* writeAll(sys, 2, `${arg0}: 0: Illegal option -${c}\n`);
          return 2;
        }
        st.opts[opt[1]] = on;
      }
    }
  }
  const sh = new Shell(sys, st);
  let source: string;
  if (useC) {
    command = args[0];
    if (command === undefined) {
      yield* writeAll(sys, 2, `${arg0}: 0: -c requires an argument\n`);
      return 2;
    }
    if (args[1] !== undefined) st.arg0 = args[1];
    st.positional = args.slice(2);
    source = command;
  } else if (!fromStdin && args[0] !== undefined) {
    const script = args[0];
    st.arg0 = script;
    st.positional = args.slice(1);
    try {
      const fd = yield* sys.open(script, O_RDONLY | O_CLOEXEC);
      try {
        source = yield* readText(sys, fd);
      } finally {
        sys.close(fd);
      }
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      const why = e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'No such file' : e.message;
      yield* writeAll(sys, 2, `${arg0}: 0: cannot open ${script}: ${why}\n`);
      return e.code === 'ENOENT' ? 127 : 2;
    }
  } else {
    st.positional = args;
    try {
      source = yield* readText(sys, 0);
    } catch (e) {
      // No usable stdin is an empty script.
      if (!(e instanceof Errno)) throw e;
      source = '';
    }
  }
  return yield* sh.asSubshell(() => sh.runSource(source));
}
