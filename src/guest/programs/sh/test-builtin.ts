/**
 * test / [ : POSIX's rules by argument count for up to four arguments, and a
 * recursive-descent parse with ! -a -o and parentheses beyond that. File tests go
 * through stat, lstat and access.
 */
import { Errno, R_OK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX, W_OK, X_OK, type Stat, type SysCall, type Syscalls } from '../../kernel/index.js';
import { ShellError } from './errors.js';

const UNARY = new Set(['-b', '-c', '-d', '-e', '-f', '-g', '-h', '-k', '-L', '-n', '-p', '-r', '-s', '-S', '-t', '-u', '-w', '-x', '-z', '-O', '-G']);
const BINARY = new Set(['=', '!=', '<', '>', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-nt', '-ot', '-ef']);

class TestEval {
  private i = 0;

  constructor(
    private readonly sys: Syscalls,
    private readonly name: string,
    private readonly args: readonly string[],
  ) {}

  private fail(msg: string): never {
    throw new ShellError(msg);
  }

  private int(s: string): bigint {
    if (!/^\s*[+-]?\d+\s*$/.test(s)) this.fail(`Illegal number: ${s}`);
    return BigInt(s.trim());
  }

  private *statOf(path: string, follow = true): SysCall<Stat | undefined> {
    try {
      return follow ? yield* this.sys.stat(path) : yield* this.sys.lstat(path);
    } catch (e) {
      if (e instanceof Errno) return undefined;
      throw e;
    }
  }

  private *unary(op: string, arg: string): SysCall<boolean> {
    const type = (t: number) => function* (this: TestEval): SysCall<boolean> {
      const st = yield* this.statOf(arg, t !== S_IFLNK);
      return st !== undefined && (st.mode & S_IFMT) === t;
    };
    switch (op) {
      case '-n':
        return arg !== '';
      case '-z':
        return arg === '';
      case '-e':
        return (yield* this.statOf(arg)) !== undefined;
      case '-f':
        return yield* type(S_IFREG).call(this);
      case '-d':
        return yield* type(S_IFDIR).call(this);
      case '-b':
        return yield* type(S_IFBLK).call(this);
      case '-c':
        return yield* type(S_IFCHR).call(this);
      case '-p':
        return yield* type(S_IFIFO).call(this);
      case '-S':
        return yield* type(S_IFSOCK).call(this);
      case '-h':
      case '-L':
        return yield* type(S_IFLNK).call(this);
      case '-s':
        return ((yield* this.statOf(arg))?.size ?? 0) > 0;
      case '-u':
      case '-g':
      case '-k': {
        const bit = op === '-u' ? S_ISUID : op === '-g' ? S_ISGID : S_ISVTX;
        return (((yield* this.statOf(arg))?.mode ?? 0) & bit) !== 0;
      }
      case '-O':
        return (yield* this.statOf(arg))?.uid === this.sys.geteuid();
      case '-G':
        return (yield* this.statOf(arg))?.gid === this.sys.getegid();
      case '-r':
      case '-w':
      case '-x':
        try {
          yield* this.sys.access(arg, op === '-r' ? R_OK : op === '-w' ? W_OK : X_OK);
          return true;
        } catch (e) {
          if (e instanceof Errno) return false;
          throw e;
        }
      case '-t':
        try {
          yield* this.sys.ioctl(Number(this.int(arg)), 0x5401, new Uint8Array(60));
          return true;
        } catch (e) {
          if (e instanceof Errno) return false;
          throw e;
        }
      default:
        return this.fail(`${op}: unexpected operator`);
    }
  }

  private *binary(a: string, op: string, b: string): SysCall<boolean> {
    switch (op) {
      case '=':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
        return a < b;
      case '>':
        return a > b;
      case '-eq':
        return this.int(a) === this.int(b);
      case '-ne':
        return this.int(a) !== this.int(b);
      case '-lt':
        return this.int(a) < this.int(b);
      case '-le':
        return this.int(a) <= this.int(b);
      case '-gt':
        return this.int(a) > this.int(b);
      case '-ge':
        return this.int(a) >= this.int(b);
      case '-nt':
      case '-ot': {
        const sa = yield* this.statOf(a);
        const sb = yield* this.statOf(b);
        const ta = sa === undefined ? undefined : sa.mtime.sec * 1e9 + sa.mtime.nsec;
        const tb = sb === undefined ? undefined : sb.mtime.sec * 1e9 + sb.mtime.nsec;
        if (op === '-nt') return ta !== undefined && (tb === undefined || ta > tb);
        return tb !== undefined && (ta === undefined || ta < tb);
      }
      case '-ef': {
        const sa = yield* this.statOf(a);
        const sb = yield* this.statOf(b);
        return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
      }
      default:
        return this.fail(`${op}: unexpected operator`);
    }
  }

  /** Evaluates the whole argument list. */
  *evaluate(): SysCall<boolean> {
    const a = this.args;
    switch (a.length) {
      case 0:
        return false;
      case 1:
        return a[0] !== '';
      case 2:
        if (a[0] === '!') return a[1] === '';
        if (UNARY.has(a[0] ?? '')) return yield* this.unary(a[0] ?? '', a[1] ?? '');
        return this.fail(`${a[0] ?? ''}: unexpected operator`);
      case 3:
        if (BINARY.has(a[1] ?? '')) return yield* this.binary(a[0] ?? '', a[1] ?? '', a[2] ?? '');
        if (a[0] === '!') return !(yield* new TestEval(this.sys, this.name, a.slice(1)).evaluate());
        if (a[0] === '(' && a[2] === ')') return a[1] !== '';
        break;
      case 4:
        if (a[0] === '!') return !(yield* new TestEval(this.sys, this.name, a.slice(1)).evaluate());
        if (a[0] === '(' && a[3] === ')') return yield* new TestEval(this.sys, this.name, a.slice(1, 3)).evaluate();
        break;
    }
    const v = yield* this.orExpr();
    // dash names the argument before the one it could not use.
    if (this.i < a.length) this.fail(`${a[this.i - 1] ?? ''}: unexpected operator`);
    return v;
  }

  private *orExpr(): SysCall<boolean> {
    let v = yield* this.andExpr();
    while (this.args[this.i] === '-o') {
      this.i++;
      const w = yield* this.andExpr();
      v = v || w;
    }
    return v;
  }

  private *andExpr(): SysCall<boolean> {
    let v = yield* this.notExpr();
    while (this.args[this.i] === '-a') {
      this.i++;
      const w = yield* this.notExpr();
      v = v && w;
    }
    return v;
  }

  private *notExpr(): SysCall<boolean> {
    if (this.args[this.i] === '!') {
      this.i++;
      return !(yield* this.notExpr());
    }
    return yield* this.primary();
  }

  private *primary(): SysCall<boolean> {
    const a = this.args;
    const t = a[this.i];
    if (t === undefined) return this.fail('argument expected');
    if (t === '(') {
      this.i++;
      const v = yield* this.orExpr();
      if (a[this.i] !== ')') this.fail('closing paren expected');
      this.i++;
      return v;
    }
    if (BINARY.has(a[this.i + 1] ?? '') && this.i + 2 < a.length) {
      this.i += 3;
      return yield* this.binary(t, a[this.i - 2] ?? '', a[this.i - 1] ?? '');
    }
    if (UNARY.has(t) && this.i + 1 < a.length) {
      this.i += 2;
      return yield* this.unary(t, a[this.i - 1] ?? '');
    }
    this.i++;
    return t !== '';
  }
}

/** test EXPR / [ EXPR ]: status 0 (true), 1 (false); errors are ShellErrors (status 2). */
export function* testCommand(sys: Syscalls, argv: readonly string[]): SysCall<number> {
  const name = argv[0] ?? 'test';
  let args = argv.slice(1);
  if (name === '[') {
    if (args[args.length - 1] !== ']') throw new ShellError('missing ]');
    args = args.slice(0, -1);
  }
  return (yield* new TestEval(sys, name, args).evaluate()) ? 0 : 1;
}
