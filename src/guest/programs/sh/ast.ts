/**
 * The shell's syntax tree. Words keep their structure (literal text with its quoting,
 * parameter and command substitutions, arithmetic) so that expansion can tell quoted
 * from unquoted results for field splitting and pathname expansion.
 */

/** Parameter expansion operators: ${x-w} and friends, ${#x} is 'len', plain $x is '', 'bad' an unreadable ${...}. */
export type ParamOp = '' | '-' | '=' | '?' | '+' | '#' | '##' | '%' | '%%' | 'len' | 'bad';

/** A piece of a word. */
export type WordPart =
  | { kind: 'lit'; text: string; quoted: boolean }
  | { kind: 'param'; name: string; op: ParamOp; colon: boolean; arg: Word | undefined; quoted: boolean }
  | { kind: 'cmdsub'; body: Command; quoted: boolean }
  | { kind: 'arith'; expr: Word; quoted: boolean };

/** A word as written. */
export interface Word {
  /** Its pieces in order. */
  parts: WordPart[];
  /** The source text, for messages and reserved-word checks. */
  raw: string;
}

/** Redirection operators. */
export type RedirOp = '<' | '>' | '>>' | '>|' | '<>' | '<&' | '>&' | '<<' | '<<-';

/** One redirection. */
export interface Redir {
  /** Descriptor redirected. */
  fd: number;
  /** Operator. */
  op: RedirOp;
  /** File name, descriptor number or here-document delimiter. */
  target: Word;
  /** Here-document body (for << and <<-). */
  body?: Word;
}

/** NAME=value before a command or alone. */
export interface Assign {
  /** Variable name. */
  name: string;
  /** Value as written. */
  value: Word;
}

/** A simple command: assignments, words and redirections. */
export interface SimpleCommand {
  /** Node type. */
  type: 'simple';
  /** Assignments before the command name. */
  assigns: Assign[];
  /** The command name and arguments. */
  words: Word[];
  /** Redirections. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** Commands joined by pipes, optionally negated with "!". */
export interface Pipeline {
  /** Node type. */
  type: 'pipeline';
  /** The commands, left to right. */
  cmds: Command[];
  /** "!" in front. */
  bang: boolean;
}

/** a && b, a || b. */
export interface AndOr {
  /** Node type. */
  type: 'andor';
  /** Operator. */
  op: '&&' | '||';
  /** Left side. */
  left: Command;
  /** Right side. */
  right: Command;
}

/** Commands separated by ";", "&" or newlines. */
export interface List {
  /** Node type. */
  type: 'list';
  /** The commands; `background` for those ended by "&". */
  items: { cmd: Command; background: boolean }[];
}

/** ( list ) */
export interface Subshell {
  /** Node type. */
  type: 'subshell';
  /** Body. */
  body: Command;
  /** Redirections after the closing parenthesis. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** { list; } */
export interface Group {
  /** Node type. */
  type: 'group';
  /** Body. */
  body: Command;
  /** Redirections after the closing brace. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** if / elif / else / fi */
export interface If {
  /** Node type. */
  type: 'if';
  /** Condition and body of the if and each elif. */
  clauses: { cond: Command; body: Command }[];
  /** The else body. */
  otherwise: Command | undefined;
  /** Redirections after fi. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** while / until loops. */
export interface Loop {
  /** Node type. */
  type: 'loop';
  /** True for until. */
  until: boolean;
  /** Condition list. */
  cond: Command;
  /** Body. */
  body: Command;
  /** Redirections after done. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** for NAME [in WORDS]; do ...; done */
export interface For {
  /** Node type. */
  type: 'for';
  /** Loop variable. */
  name: string;
  /** Words to iterate (undefined: the positional parameters). */
  words: Word[] | undefined;
  /** Body. */
  body: Command;
  /** Redirections after done. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** case WORD in PATTERN) ...;; esac */
export interface Case {
  /** Node type. */
  type: 'case';
  /** The word matched. */
  word: Word;
  /** Items in order. */
  items: { patterns: Word[]; body: Command | undefined }[];
  /** Redirections after esac. */
  redirs: Redir[];
  /** Line it starts on. */
  line: number;
}

/** NAME() compound-command */
export interface FuncDef {
  /** Node type. */
  type: 'func';
  /** Function name. */
  name: string;
  /** Body. */
  body: Command;
  /** Line it starts on. */
  line: number;
}

/** Any command node. */
export type Command = SimpleCommand | Pipeline | AndOr | List | Subshell | Group | If | Loop | For | Case | FuncDef;
