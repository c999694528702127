/**
 * The shell's tokenizer: operators, newlines and words, read straight from the source
 * text so that "$(...)" can hand over to the grammar mid-word and here-document bodies
 * can be collected when the newline after their operator is reached.
 */
import type { Command, ParamOp, Redir, Word, WordPart } from './ast.js';
import { ShellSyntaxError } from './errors.js';

/** A token. */
export type Token =
  | { t: 'word'; word: Word; line: number }
  | { t: 'io'; fd: number; line: number }
  | { t: 'op'; op: string; line: number }
  | { t: 'nl'; line: number }
  | { t: 'eof'; line: number };

const OPERATORS = ['<<-', '&&', '||', ';;', '<<', '>>', '<&', '>&', '<>', '>|', ';', '&', '|', '<', '>', '(', ')'];
const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

type Mode = 'word' | 'dq' | 'brace' | 'heredoc' | 'arith';

interface PendingHeredoc {
  redir: Redir;
  stripTabs: boolean;
}

// Collects parts, merging neighbouring literals with the same quoting.
class PartList {
  readonly parts: WordPart[] = [];
  lit(text: string, quoted: boolean): void {
    const prev = this.parts[this.parts.length - 1];
    if (prev !== undefined && prev.kind === 'lit' && prev.quoted === quoted && text !== '') prev.text += text;
    else this.parts.push({ kind: 'lit', text, quoted });
  }
  push(p: WordPart): void {
    this.parts.push(p);
  }
}

/** Tokenizer over one source text; the grammar extends it. */
export abstract class Lexer {
  /** Current position in the source. */
  protected pos = 0;
  /** Current line (1-based). */
  protected line: number;
  private readonly ahead: Token[] = [];
  private readonly heredocs: PendingHeredoc[] = [];

  constructor(
    /** The source text. */
    protected readonly src: string,
    firstLine = 1,
  ) {
    this.line = firstLine;
  }

  /** Parses "$(" ... ")": the grammar reads a list up to the closing parenthesis. */
  protected abstract parseCommandSubstitution(): Command;

  /** A parser for nested source (backquotes, here-document bodies) starting at `line`. */
  protected abstract subParser(src: string, line: number): Lexer & { parseProgram(): Command };

  /** Raises a syntax error at the current line. */
  protected syntax(message: string): never {
    throw new ShellSyntaxError(message, this.line);
  }

  /** The k-th token ahead, without consuming it. */
  protected peek(k = 0): Token {
    while (this.ahead.length <= k) this.ahead.push(this.lex());
    return this.ahead[k] as Token;
  }

  /** Consumes and returns the next token. */
  protected next(): Token {
    const t = this.peek();
    this.ahead.shift();
    return t;
  }

  /** Queues a here-document whose body follows the next newline. */
  protected addHeredoc(redir: Redir, stripTabs: boolean): void {
    this.heredocs.push({ redir, stripTabs });
  }

  private ch(off = 0): string {
    return this.src[this.pos + off] ?? '';
  }

  private advance(n = 1): string {
    const s = this.src.slice(this.pos, this.pos + n);
    for (const c of s) if (c === '\n') this.line++;
    this.pos += n;
    return s;
  }

  private lex(): Token {
    for (;;) {
      const c = this.ch();
      if (c === ' ' || c === '\t') this.advance();
      else if (c === '\\' && this.ch(1) === '\n') this.advance(2);
      else if (c === '#') {
        while (this.pos < this.src.length && this.ch() !== '\n') this.advance();
      } else break;
    }
    const line = this.line;
    if (this.pos >= this.src.length) {
      this.readHeredocBodies();
      return { t: 'eof', line };
    }
    if (this.ch() === '\n') {
      this.advance();
      this.readHeredocBodies();
      return { t: 'nl', line };
    }
    for (const op of OPERATORS) {
      if (this.src.startsWith(op, this.pos)) {
        this.advance(op.length);
        return { t: 'op', op, line };
      }
    }
    const start = this.pos;
    const parts = this.readParts('word', false);
    const raw = this.src.slice(start, this.pos);
    if (/^\d+$/.test(raw) && (this.ch() === '<' || this.ch() === '>')) return { t: 'io', fd: Number(raw), line };
    return { t: 'word', word: { parts, raw }, line };
  }

  private readHeredocBodies(): void {
    while (this.heredocs.length > 0) {
      const h = this.heredocs.shift() as PendingHeredoc;
      const target = h.redir.target;
      const quoted = /['"\\]/.test(target.raw);
      const delim = target.parts.map((p) => (p.kind === 'lit' ? p.text : '')).join('');
      const startLine = this.line;
      let body = '';
      while (this.pos < this.src.length) {
        const nl = this.src.indexOf('\n', this.pos);
        const end = nl < 0 ? this.src.length : nl;
        let text = this.src.slice(this.pos, end);
        this.advance(end - this.pos + (nl < 0 ? 0 : 1));
        if (h.stripTabs) text = text.replace(/^\t+/, '');
        if (text === delim) break;
        body += text + '\n';
      }
      h.redir.body = quoted ? { parts: [{ kind: 'lit', text: body, quoted: true }], raw: body } : this.subParser(body, startLine).readHeredocWord();
    }
  }

  /** Reads the whole source as a here-document body: only $, ` and \ are special. */
  readHeredocWord(): Word {
    const parts = this.readParts('heredoc', true);
    return { parts, raw: this.src };
  }

  private stops(mode: Mode, depth: number): boolean {
    const c = this.ch();
    if (this.pos >= this.src.length) return true;
    switch (mode) {
      case 'word':
        return META.has(c);
      case 'dq':
        return c === '"';
      case 'brace':
        return c === '}';
      case 'arith':
        return depth === 0 && c === ')' && this.ch(1) === ')';
      case 'heredoc':
        return false;
    }
  }

  // Reads word parts until the mode's terminator (not consumed).
  private readParts(mode: Mode, quotedCtx: boolean): WordPart[] {
    const out = new PartList();
    let depth = 0;
    while (!this.stops(mode, depth)) {
      const c = this.ch();
      if (c === '\\') {
        const n = this.ch(1);
        if (n === '\n') {
          this.advance(2);
          continue;
        }
        const escapable = mode === 'word' || (mode === 'brace' && !quotedCtx) ? n !== '' : n === '$' || n === '`' || n === '\\' || (n === '"' && mode !== 'heredoc') || (n === '}' && mode === 'brace');
        if (escapable) {
          this.advance();
          out.lit(this.advance(), true);
        } else {
          out.lit(this.advance(), quotedCtx);
        }
      } else if (c === "'" && (mode === 'word' || (mode === 'brace' && !quotedCtx))) {
        this.advance();
        const end = this.src.indexOf("'", this.pos);
        if (end < 0) this.syntax('Unterminated quoted string');
        out.lit(this.advance(end - this.pos), true);
        this.advance();
      } else if (c === '"' && (mode === 'word' || mode === 'brace' || mode === 'arith')) {
        this.advance();
        const inner = this.readParts('dq', true);
        if (this.ch() !== '"') this.syntax('Unterminated quoted string');
        this.advance();
        if (inner.length === 0) out.lit('', true);
        for (const p of inner) out.push(p);
      } else if (c === '$') {
        this.readDollar(out, quotedCtx);
      } else if (c === '`') {
        out.push(this.readBackquote(quotedCtx || mode === 'dq'));
      } else {
        if (mode === 'arith') {
          if (c === '(') depth++;
          else if (c === ')') depth--;
        }
        out.lit(this.advance(), quotedCtx);
      }
    }
    return out.parts;
  }

  private readDollar(out: PartList, quoted: boolean): void {
    const n = this.ch(1);
    if (n === '(' && this.ch(2) === '(') {
      this.advance(3);
      const parts = this.readParts('arith', true);
      if (!this.src.startsWith('))', this.pos)) this.syntax("Missing '))'");
      this.advance(2);
      out.push({ kind: 'arith', expr: { parts, raw: '' }, quoted });
      return;
    }
    if (n === '(') {
      this.advance(2);
      // Tokens already read ahead and here-documents still pending belong to the outer
      // command; the nested parse must not see them.
      const ahead = this.ahead.splice(0);
      const heredocs = this.heredocs.splice(0);
      try {
        out.push({ kind: 'cmdsub', body: this.parseCommandSubstitution(), quoted });
      } finally {
        this.ahead.unshift(...ahead);
        this.heredocs.unshift(...heredocs);
      }
      return;
    }
    if (n === '{') {
      this.advance(2);
      out.push(this.readBraced(quoted));
      return;
    }
    if (SPECIAL_PARAMS.has(n)) {
      this.advance(2);
      out.push({ kind: 'param', name: n, op: '', colon: false, arg: undefined, quoted });
      return;
    }
    if (NAME_START.test(n)) {
      this.advance();
      let name = '';
      while (NAME_CHAR.test(this.ch())) name += this.advance();
      out.push({ kind: 'param', name, op: '', colon: false, arg: undefined, quoted });
      return;
    }
    out.lit(this.advance(), quoted);
  }

  private readName(): string {
    if (/\d/.test(this.ch())) {
      let d = '';
      while (/\d/.test(this.ch())) d += this.advance();
      return d;
    }
    if (SPECIAL_PARAMS.has(this.ch())) return this.advance();
    let name = '';
    while (NAME_CHAR.test(this.ch()) && (name !== '' || NAME_START.test(this.ch()))) name += this.advance();
    return name;
  }

  // What dash reports for a "${" it cannot read: in double quotes the search for the
  // closing quote runs off the end first.
  private missingBrace(quoted: boolean): never {
    this.syntax(quoted ? 'Unterminated quoted string' : "Missing '}'");
  }

  // "${" followed by something that is not a parameter expansion: dash accepts it up to
  // the next "}" and fails only when it is expanded.
  private badSubstitution(quoted: boolean): WordPart {
    const end = this.src.indexOf('}', this.pos);
    if (end < 0) this.missingBrace(quoted);
    this.advance(end + 1 - this.pos);
    return { kind: 'param', name: '', op: 'bad', colon: false, arg: undefined, quoted };
  }

  private readBraced(quoted: boolean): WordPart {
    if (this.ch() === '#' && this.ch(1) !== '}' && !/[-=?+:%#]/.test(this.ch(1))) {
      this.advance();
      const name = this.readName();
      if (name === '' || this.ch() !== '}') return this.badSubstitution(quoted);
      this.advance();
      return { kind: 'param', name, op: 'len', colon: false, arg: undefined, quoted };
    }
    const name = this.readName();
    if (name === '') return this.badSubstitution(quoted);
    if (this.ch() === '}') {
      this.advance();
      return { kind: 'param', name, op: '', colon: false, arg: undefined, quoted };
    }
    if (this.pos >= this.src.length) this.missingBrace(quoted);
    let colon = false;
    if (this.ch() === ':') {
      colon = true;
      this.advance();
      if (!'-=?+'.includes(this.ch()) || this.ch() === '') this.missingBrace(quoted);
    }
    let op: ParamOp;
    const two = this.src.slice(this.pos, this.pos + 2);
    if (!colon && (two === '##' || two === '%%')) op = two;
    else if ('-=?+'.includes(this.ch()) && this.ch() !== '') op = this.ch() as '-' | '=' | '?' | '+';
    else if (!colon && (this.ch() === '#' || this.ch() === '%')) op = this.ch() as '#' | '%';
    else return this.badSubstitution(quoted);
    this.advance(op.length);
    const start = this.pos;
    // A pattern (# ## % %%) is read with its own quoting even inside double quotes.
    const pattern = op === '#' || op === '##' || op === '%' || op === '%%';
    const parts = this.readParts('brace', quoted && !pattern);
    if (this.ch() !== '}') this.missingBrace(quoted);
    const raw = this.src.slice(start, this.pos);
    this.advance();
    return { kind: 'param', name, op, colon, arg: { parts, raw }, quoted };
  }

  private readBackquote(quoted: boolean): WordPart {
    const line = this.line;
    this.advance();
    let text = '';
    for (;;) {
      if (this.pos >= this.src.length) this.syntax('EOF in backquote substitution');
      const c = this.advance();
      if (c === '`') break;
      if (c === '\\') {
        const n = this.ch();
        if (n === '$' || n === '`' || n === '\\' || (quoted && n === '"')) {
          text += this.advance();
          continue;
        }
      }
      text += c;
    }
    return { kind: 'cmdsub', body: this.subParser(text, line).parseProgram(), quoted };
  }
}
