/**
 * Shell arithmetic ($((...))): C's integer operators with their precedence, 64-bit
 * signed values, variables read and assigned by name, and dash's diagnostics.
 */
import { ShellError } from './errors.js';

/** How arithmetic reaches the shell's variables. */
export interface ArithVars {
  /** A variable's value, if set. */
  get(name: string): string | undefined;
  /** Assigns a variable. */
  set(name: string, value: string): void;
}

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Parses a variable's value as a number the way dash does; a fatal error if it is not one. */
export function parseArithNumber(s: string): bigint {
  const t = s.trim();
  if (t === '') return 0n;
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(t);
  if (m === null) throw new ShellError(`Illegal number: ${s}`, true);
  const d = m[2] ?? '0';
  const v = /^0[xX]/.test(d) ? BigInt(d) : d.length > 1 && d.startsWith('0') ? BigInt('0o' + d.slice(1)) : BigInt(d);
  return wrap(m[1] === '-' ? -v : v);
}

const TOKEN = /^\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[-+*/%<>=!~&^|?:()])/;
const BINARY: readonly (readonly string[])[] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
const ASSIGN_OPS = new Set(['=', '*=', '/=', '%=', '+=', '-=', '<<=', '>>=', '&=', '^=', '|=']);

class ArithParser {
  private toks: string[] = [];
  private i = 0;
  private noeval = 0;

  constructor(
    private readonly expr: string,
    private readonly vars: ArithVars,
  ) {
    let rest = expr;
    for (;;) {
      if (/^\s*$/.test(rest)) break;
      const m = TOKEN.exec(rest);
      if (m === null) this.fail('expecting primary');
      this.toks.push(m[1] ?? '');
      rest = rest.slice(m[0].length);
    }
  }

  fail(what: string): never {
    throw new ShellError(`arithmetic expression: ${what}: "${this.expr}"`, true);
  }

  private peek(): string | undefined {
    return this.toks[this.i];
  }

  run(): bigint {
    const v = this.assign();
    if (this.i < this.toks.length) this.fail('expecting EOF');
    return v;
  }

  private binop(op: string, a: bigint, b: bigint): bigint {
    switch (op) {
      case '||':
        return a !== 0n || b !== 0n ? 1n : 0n;
      case '&&':
        return a !== 0n && b !== 0n ? 1n : 0n;
      case '|':
        return a | b;
      case '^':
        return a ^ b;
      case '&':
        return a & b;
      case '==':
        return a === b ? 1n : 0n;
      case '!=':
        return a !== b ? 1n : 0n;
      case '<':
        return a < b ? 1n : 0n;
      case '<=':
        return a <= b ? 1n : 0n;
      case '>':
        return a > b ? 1n : 0n;
      case '>=':
        return a >= b ? 1n : 0n;
      case '<<':
        return wrap(a << (b & 63n));
      case '>>':
        return a >> (b & 63n);
      case '+':
        return wrap(a + b);
      case '-':
        return wrap(a - b);
      case '*':
        return wrap(a * b);
      case '/':
      case '%':
        if (b === 0n) {
          if (this.noeval > 0) return 0n;
          this.fail('division by zero');
        }
        return wrap(op === '/' ? a / b : a % b);
      default:
        return this.fail('expecting primary');
    }
  }

  private assign(): bigint {
    const name = this.peek();
    const op = this.toks[this.i + 1];
    if (name !== undefined && /^[A-Za-z_]/.test(name) && op !== undefined && ASSIGN_OPS.has(op)) {
      this.i += 2;
      const rhs = this.assign();
      const v = op === '=' ? rhs : this.binop(op.slice(0, -1), this.variable(name), rhs);
      if (this.noeval === 0) this.vars.set(name, String(v));
      return v;
    }
    return this.ternary();
  }

  private ternary(): bigint {
    const c = this.binary(0);
    if (this.peek() !== '?') return c;
    this.i++;
    if (c === 0n) this.noeval++;
    const a = this.assign();
    if (c === 0n) this.noeval--;
    if (this.peek() !== ':') this.fail('expecting \':\'');
    this.i++;
    if (c !== 0n) this.noeval++;
    const b = this.ternary();
    if (c !== 0n) this.noeval--;
    return c !== 0n ? a : b;
  }

  private binary(level: number): bigint {
    if (level >= BINARY.length) return this.unary();
    let a = this.binary(level + 1);
    const ops = BINARY[level] ?? [];
    for (;;) {
      const op = this.peek();
      if (op === undefined || !ops.includes(op)) return a;
      this.i++;
      // The right side of && and || is parsed but not evaluated when the left decides.
      const skip = (op === '&&' && a === 0n) || (op === '||' && a !== 0n);
      if (skip) this.noeval++;
      const b = this.binary(level + 1);
      if (skip) this.noeval--;
      a = this.binop(op, a, b);
    }
  }

  private unary(): bigint {
    const t = this.peek();
    if (t === '-' || t === '+' || t === '!' || t === '~') {
      this.i++;
      const v = this.unary();
      if (t === '-') return wrap(-v);
      if (t === '!') return v === 0n ? 1n : 0n;
      if (t === '~') return ~v;
      return v;
    }
    return this.primary();
  }

  private variable(name: string): bigint {
    return parseArithNumber(this.vars.get(name) ?? '');
  }

  private primary(): bigint {
    const t = this.peek();
    if (t === undefined) this.fail('expecting primary');
    this.i++;
    if (t === '(') {
      const v = this.assign();
      if (this.peek() !== ')') this.fail("expecting ')'");
      this.i++;
      return v;
    }
    if (/^\d/.test(t)) {
      if (/^0\d*[89]/.test(t)) this.fail('expecting EOF');
      return parseArithNumber(t);
    }
    if (/^[A-Za-z_]/.test(t)) return this.variable(t);
    return this.fail('expecting primary');
  }
}

/** Evaluates an arithmetic expression (already expanded) to its decimal result. */
export function evalArith(expr: string, vars: ArithVars): string {
  return String(new ArithParser(expr, vars).run());
}
