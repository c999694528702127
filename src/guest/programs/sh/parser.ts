/**
 * The shell grammar (POSIX sh, as dash accepts it): lists, and-or lists, pipelines,
 * simple commands with assignments and redirections, ( ) and { } groups, if, while,
 * until, for, case and function definitions. The top level is parsed one complete
 * command at a time, so a script runs up to the line that has a syntax error.
 */
import type { Assign, Case, Command, For, If, List, Loop, Redir, RedirOp, SimpleCommand, Word } from './ast.js';
import { Lexer, type Token } from './lexer.js';

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'case', 'esac', 'while', 'until', 'for', 'in', '{', '}', '!']);
const LIST_END = new Set(['then', 'else', 'elif', 'fi', 'do', 'done', 'esac', '}']);
const REDIR_OPS = new Set(['<', '>', '>>', '>|', '<>', '<&', '>&', '<<', '<<-']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function reserved(t: Token): string | undefined {
  if (t.t !== 'word') return undefined;
  const w = t.word;
  return RESERVED.has(w.raw) && w.parts.length === 1 && w.parts[0]?.kind === 'lit' && !w.parts[0].quoted ? w.raw : undefined;
}

function describe(t: Token): string {
  switch (t.t) {
    case 'eof':
      return 'end of file';
    case 'nl':
      return 'newline';
    case 'op':
      return `"${t.op}"`;
    case 'io':
      return 'word';
    case 'word': {
      const r = reserved(t);
      return r !== undefined ? `"${r}"` : 'word';
    }
  }
}

/** Parses shell source. */
export class Parser extends Lexer {
  /** The next complete command (a list up to a newline), or undefined at end of input. */
  parseNext(): Command | undefined {
    while (this.peek().t === 'nl') this.next();
    if (this.peek().t === 'eof') return undefined;
    const list = this.parseList(true);
    const t = this.peek();
    if (t.t === 'nl') this.next();
    else if (t.t !== 'eof') this.unexpected(t);
    return list;
  }

  /** The whole source as one list (for backquotes, eval and dot scripts). */
  parseProgram(): Command {
    const items: List['items'] = [];
    for (;;) {
      const c = this.parseNext();
      if (c === undefined) break;
      items.push({ cmd: c, background: false });
    }
    return { type: 'list', items };
  }

  /** The line the parser has reached. */
  get currentLine(): number {
    return this.line;
  }

  protected parseCommandSubstitution(): Command {
    const body = this.parseList(false, true);
    const t = this.next();
    if (t.t !== 'op' || t.op !== ')') this.unexpected(t, ')');
    return body;
  }

  protected subParser(src: string, line: number): Parser {
    return new Parser(src, line);
  }

  private unexpected(t: Token, expecting?: string): never {
    this.syntax(`${describe(t)} unexpected${expecting === undefined ? '' : ` (expecting "${expecting}")`}`);
  }

  private isWord(t: Token, w: string): boolean {
    return reserved(t) === w;
  }

  private expectWord(w: string): void {
    const t = this.next();
    if (!this.isWord(t, w)) this.unexpected(t, w);
  }

  private skipNewlines(): void {
    while (this.peek().t === 'nl') this.next();
  }

  private atListEnd(t: Token): boolean {
    if (t.t === 'eof') return true;
    if (t.t === 'op') return t.op === ')' || t.op === ';;';
    const r = reserved(t);
    return r !== undefined && LIST_END.has(r);
  }

  // top: stop at a newline (one complete command); otherwise newlines separate commands
  // until a closing word. allowEmpty: an empty list is fine (case items, $( )).
  private parseList(top: boolean, allowEmpty = false): List {
    const items: List['items'] = [];
    for (;;) {
      if (!top) this.skipNewlines();
      const t = this.peek();
      if (this.atListEnd(t) || (top && t.t === 'nl')) break;
      const cmd = this.parseAndOr();
      const sep = this.peek();
      if (sep.t === 'op' && (sep.op === ';' || sep.op === '&')) {
        this.next();
        items.push({ cmd, background: sep.op === '&' });
        continue;
      }
      items.push({ cmd, background: false });
      if (sep.t === 'nl' && !top) continue;
      break;
    }
    if (items.length === 0 && !allowEmpty) this.unexpected(this.peek());
    return { type: 'list', items };
  }

  private parseAndOr(): Command {
    let left = this.parsePipeline();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.op !== '&&' && t.op !== '||')) return left;
      this.next();
      this.skipNewlines();
      left = { type: 'andor', op: t.op, left, right: this.parsePipeline() };
    }
  }

  private parsePipeline(): Command {
    let bang = false;
    if (this.isWord(this.peek(), '!')) {
      this.next();
      bang = true;
    }
    const cmds = [this.parseCommand()];
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || t.op !== '|') break;
      this.next();
      this.skipNewlines();
      cmds.push(this.parseCommand());
    }
    if (cmds.length === 1 && !bang) return cmds[0] as Command;
    return { type: 'pipeline', cmds, bang };
  }

  private parseCommand(): Command {
    const t = this.peek();
    const line = t.line;
    if (t.t === 'op' && t.op === '(') {
      this.next();
      const body = this.parseList(false);
      const close = this.next();
      if (close.t !== 'op' || close.op !== ')') this.unexpected(close, ')');
      return { type: 'subshell', body, redirs: this.parseRedirs(), line };
    }
    const r = reserved(t);
    switch (r) {
      case '{': {
        this.next();
        const body = this.parseList(false);
        this.expectWord('}');
        return { type: 'group', body, redirs: this.parseRedirs(), line };
      }
      case 'if':
        return this.parseIf();
      case 'while':
      case 'until':
        return this.parseLoop(r === 'until');
      case 'for':
        return this.parseFor();
      case 'case':
        return this.parseCase();
      case undefined:
        break;
      default:
        this.unexpected(t);
    }
    const t1 = t.t === 'word' && NAME.test(t.word.raw) ? this.peek(1) : undefined;
    if (t.t === 'word' && t1?.t === 'op' && t1.op === '(') {
      this.next();
      this.next();
      const close = this.next();
      if (close.t !== 'op' || close.op !== ')') this.unexpected(close, ')');
      this.skipNewlines();
      return { type: 'func', name: t.word.raw, body: this.parseCommand(), line };
    }
    return this.parseSimple();
  }

  private parseIf(): If {
    const line = this.next().line;
    const clauses: If['clauses'] = [];
    let cond = this.parseList(false);
    this.expectWord('then');
    clauses.push({ cond, body: this.parseList(false) });
    let otherwise: Command | undefined;
    for (;;) {
      const t = this.peek();
      if (this.isWord(t, 'elif')) {
        this.next();
        cond = this.parseList(false);
        this.expectWord('then');
        clauses.push({ cond, body: this.parseList(false) });
        continue;
      }
      if (this.isWord(t, 'else')) {
        this.next();
        otherwise = this.parseList(false);
      }
      break;
    }
    this.expectWord('fi');
    return { type: 'if', clauses, otherwise, redirs: this.parseRedirs(), line };
  }

  private parseLoop(until: boolean): Loop {
    const line = this.next().line;
    const cond = this.parseList(false);
    this.expectWord('do');
    const body = this.parseList(false);
    this.expectWord('done');
    return { type: 'loop', until, cond, body, redirs: this.parseRedirs(), line };
  }

  private parseFor(): For {
    const line = this.next().line;
    const v = this.next();
    if (v.t !== 'word' || !NAME.test(v.word.raw)) this.syntax('Bad for loop variable');
    this.skipNewlines();
    let words: Word[] | undefined;
    if (this.isWord(this.peek(), 'in')) {
      this.next();
      words = [];
      for (;;) {
        const t = this.peek();
        if (t.t !== 'word') break;
        words.push(t.word);
        this.next();
      }
      const sep = this.next();
      if (!(sep.t === 'nl' || (sep.t === 'op' && sep.op === ';'))) this.unexpected(sep);
    } else {
      const t = this.peek();
      if (t.t === 'op' && t.op === ';') this.next();
    }
    this.skipNewlines();
    this.expectWord('do');
    const body = this.parseList(false);
    this.expectWord('done');
    return { type: 'for', name: v.word.raw, words, body, redirs: this.parseRedirs(), line };
  }

  private parseCase(): Case {
    const line = this.next().line;
    const w = this.next();
    if (w.t !== 'word') this.unexpected(w);
    this.skipNewlines();
    this.expectWord('in');
    const items: Case['items'] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (this.isWord(t, 'esac')) break;
      if (t.t === 'op' && t.op === '(') this.next();
      const patterns: Word[] = [];
      for (;;) {
        const p = this.next();
        if (p.t !== 'word') this.unexpected(p, ')');
        patterns.push(p.word);
        const sep = this.next();
        if (sep.t === 'op' && sep.op === '|') continue;
        if (sep.t === 'op' && sep.op === ')') break;
        this.unexpected(sep, ')');
      }
      const body = this.parseList(false, true);
      items.push({ patterns, body: body.items.length === 0 ? undefined : body });
      const end = this.peek();
      if (end.t === 'op' && end.op === ';;') {
        this.next();
        continue;
      }
      if (!this.isWord(end, 'esac')) this.unexpected(end, 'esac');
    }
    this.expectWord('esac');
    return { type: 'case', word: w.word, items, redirs: this.parseRedirs(), line };
  }

  private isRedirStart(t: Token): boolean {
    return t.t === 'io' || (t.t === 'op' && REDIR_OPS.has(t.op));
  }

  private parseRedirs(): Redir[] {
    const out: Redir[] = [];
    while (this.isRedirStart(this.peek())) out.push(this.parseRedir());
    return out;
  }

  private parseRedir(): Redir {
    let t = this.next();
    let fd: number | undefined;
    if (t.t === 'io') {
      fd = t.fd;
      t = this.next();
    }
    if (t.t !== 'op' || !REDIR_OPS.has(t.op)) this.unexpected(t);
    const op = t.op as RedirOp;
    const target = this.next();
    if (target.t !== 'word') this.unexpected(target);
    const redir: Redir = { fd: fd ?? (op.startsWith('<') ? 0 : 1), op, target: target.word };
    if (op === '<<' || op === '<<-') this.addHeredoc(redir, op === '<<-');
    return redir;
  }

  private parseSimple(): SimpleCommand {
    const first = this.peek();
    const cmd: SimpleCommand = { type: 'simple', assigns: [], words: [], redirs: [], line: first.line };
    for (;;) {
      const t = this.peek();
      if (this.isRedirStart(t)) {
        cmd.redirs.push(this.parseRedir());
        continue;
      }
      if (t.t !== 'word') break;
      this.next();
      const a = cmd.words.length === 0 ? assignmentOf(t.word) : undefined;
      if (a !== undefined) cmd.assigns.push(a);
      else cmd.words.push(t.word);
    }
    if (cmd.words.length === 0 && cmd.assigns.length === 0 && cmd.redirs.length === 0) this.unexpected(this.peek());
    return cmd;
  }
}

/** NAME=value as an assignment, when the word is one. */
function assignmentOf(w: Word): Assign | undefined {
  const first = w.parts[0];
  if (first === undefined || first.kind !== 'lit' || first.quoted) return undefined;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (m === null) return undefined;
  const rest = first.text.slice(m[0].length);
  const parts = [...(rest === '' ? [] : [{ ...first, text: rest }]), ...w.parts.slice(1)];
  return { name: m[1] ?? '', value: { parts, raw: w.raw.slice(m[0].length) } };
}
