/**
 * Word expansion in POSIX order: tilde, parameters, command substitution and arithmetic
 * first, producing segments that remember whether they were quoted; then field
 * splitting on IFS (only unquoted results split), pathname expansion (only unquoted
 * pattern characters count) and quote removal, which the lexer has already done.
 */
import type { Syscalls, SysCall } from '../../kernel/index.js';
import { UserDb } from '../lib/userdb.js';
import { evalArith } from './arith.js';
import type { Command, Word, WordPart } from './ast.js';
import { ShellError } from './errors.js';
import { globPaths, hasGlobChars, removeAffix, type MaskedString } from './pattern.js';
import type { ShellState } from './state.js';

/** What expansion needs from the shell. */
export interface ExpandHost {
  /** The shell's syscalls (globbing, ~user lookups). */
  readonly sys: Syscalls;
  /** The shell's state. */
  readonly st: ShellState;
  /** Runs a command substitution and returns its raw output (it sets $?). */
  commandSubstitution(body: Command): SysCall<string>;
}

// One piece of expansion output; `brk` separates the fields of "$@".
type Seg = { text: string; quoted: boolean; split: boolean } | { brk: true };

const DEFAULT_IFS = ' \t\n';

function* tildeHome(host: ExpandHost, user: string): SysCall<string | undefined> {
  if (user === '') return host.st.get('HOME');
  return (yield* UserDb.load(host.sys)).userByName(user)?.home;
}

function positional(st: ShellState, name: string): string | undefined {
  if (name === '0') return st.arg0;
  const n = Number(name);
  return n >= 1 && n <= st.positional.length ? st.positional[n - 1] : undefined;
}

/** The value of a special or ordinary parameter (not $@ / $*). */
export function paramValue(st: ShellState, name: string): string | undefined {
  switch (name) {
    case '?':
      return String(st.status);
    case '$':
      return String(st.shellPid);
    case '#':
      return String(st.positional.length);
    case '!':
      return st.lastBg === undefined ? undefined : String(st.lastBg);
    case '-':
      return st.flags();
  }
  if (/^\d+$/.test(name)) return positional(st, name);
  return st.get(name);
}

function* paramSegs(host: ExpandHost, part: WordPart & { kind: 'param' }): SysCall<Seg[]> {
  const st = host.st;
  const { name, op, colon, quoted } = part;
  const split = !quoted;
  if (op === 'bad') throw new ShellError('Bad substitution', true);
  if ((name === '@' || name === '*') && (op === '' || op === '-' || op === '+' || op === '=' || op === '?')) {
    const list = st.positional;
    const isSet = list.length > 0 && !(colon && list.length === 1 && list[0] === '');
    if ((op === '-' || op === '=') && !isSet) return yield* argSegs(host, part);
    if (op === '+') return isSet ? yield* argSegs(host, part) : [];
    if (op === '?' && !isSet) throw new ShellError(`${name}: parameter not set`, true);
    if (name === '*' && quoted) {
      const ifs = st.get('IFS') ?? DEFAULT_IFS;
      return [{ text: list.join(ifs.slice(0, 1)), quoted: true, split: false }];
    }
    const out: Seg[] = [];
    list.forEach((v, i) => {
      if (i > 0) out.push({ brk: true });
      out.push({ text: v, quoted, split });
    });
    return out;
  }
  let value = name === '@' || name === '*' ? st.positional.join(' ') : paramValue(st, name);
  const unset = value === undefined || (colon && value === '');
  switch (op) {
    case '-':
      if (unset) return yield* argSegs(host, part);
      break;
    case '=':
      if (unset) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ShellError(`${name}: bad variable name`, true);
        value = yield* expandString(host, part.arg ?? { parts: [], raw: '' });
        st.set(name, value);
      }
      break;
    case '?':
      if (unset) {
        const msg = part.arg === undefined ? '' : yield* expandString(host, part.arg);
        throw new ShellError(`${name}: ${msg === '' ? 'parameter not set' : msg}`, true);
      }
      break;
    case '+':
      return unset ? [] : yield* argSegs(host, part);
    case 'len':
      if (name === '@' || name === '*') return [{ text: String(st.positional.length), quoted, split }];
      if (value === undefined && st.opts.nounset) throw new ShellError(`${name}: parameter not set`, true);
      return [{ text: String([...(value ?? '')].length), quoted, split }];
    case '#':
    case '##':
    case '%':
    case '%%': {
      const pat = yield* expandPattern(host, part.arg ?? { parts: [], raw: '' });
      value = removeAffix(value ?? '', pat, op);
      break;
    }
    case '':
      if (value === undefined && st.opts.nounset && name !== '!' && !/^[@*]$/.test(name)) throw new ShellError(`${name}: parameter not set`, true);
      break;
  }
  return [{ text: value ?? '', quoted, split }];
}

// The word inside ${x-word}: unquoted literal text in it splits like an expansion result.
function* argSegs(host: ExpandHost, part: WordPart & { kind: 'param' }): SysCall<Seg[]> {
  return yield* segments(host, part.arg ?? { parts: [], raw: '' }, !part.quoted, false);
}

function* segments(host: ExpandHost, word: Word, litSplit: boolean, tilde: boolean): SysCall<Seg[]> {
  const out: Seg[] = [];
  let parts = word.parts;
  const first = parts[0];
  if (tilde && first !== undefined && first.kind === 'lit' && !first.quoted && first.text.startsWith('~')) {
    const slash = first.text.indexOf('/');
    if (slash >= 0 || parts.length === 1) {
      const end = slash < 0 ? first.text.length : slash;
      const home = yield* tildeHome(host, first.text.slice(1, end));
      if (home !== undefined) {
        out.push({ text: home, quoted: true, split: false });
        parts = [{ kind: 'lit', text: first.text.slice(end), quoted: false }, ...parts.slice(1)];
      }
    }
  }
  for (const p of parts) {
    switch (p.kind) {
      case 'lit':
        out.push({ text: p.text, quoted: p.quoted, split: litSplit && !p.quoted });
        break;
      case 'param':
        out.push(...(yield* paramSegs(host, p)));
        break;
      case 'cmdsub': {
        const text = (yield* host.commandSubstitution(p.body)).replace(/\n+$/, '');
        out.push({ text, quoted: p.quoted, split: !p.quoted });
        break;
      }
      case 'arith': {
        const expr = yield* expandString(host, p.expr);
        out.push({ text: evalArith(expr, host.st), quoted: p.quoted, split: !p.quoted });
        break;
      }
    }
  }
  return out;
}

interface Field extends MaskedString {
  started: boolean;
}

function splitFields(segs: readonly Seg[], ifs: string): Field[] {
  const fields: Field[] = [];
  let cur: Field = { text: '', quoted: [], started: false };
  let afterWsSplit = false;
  const finish = (force: boolean): void => {
    if (cur.started || force) fields.push(cur);
    cur = { text: '', quoted: [], started: false };
  };
  for (const s of segs) {
    if ('brk' in s) {
      finish(false);
      afterWsSplit = false;
      continue;
    }
    if (s.quoted) cur.started = true;
    for (const c of s.text) {
      if (s.split && ifs.includes(c)) {
        if (DEFAULT_IFS.includes(c)) {
          if (cur.started) {
            finish(false);
            afterWsSplit = true;
          }
        } else {
          if (!afterWsSplit || cur.started) finish(true);
          afterWsSplit = false;
        }
        continue;
      }
      afterWsSplit = false;
      cur.text += c;
      for (let k = 0; k < c.length; k++) cur.quoted.push(s.quoted);
      cur.started = true;
    }
  }
  finish(false);
  return fields;
}

/** Full expansion of command words into fields. */
export function* expandFields(host: ExpandHost, words: readonly Word[]): SysCall<string[]> {
  const out: string[] = [];
  for (const w of words) {
    const segs = yield* segments(host, w, false, true);
    const ifs = host.st.get('IFS') ?? DEFAULT_IFS;
    for (const f of splitFields(segs, ifs)) {
      if (!host.st.opts.noglob && hasGlobChars(f)) {
        const matches = yield* globPaths(host.sys, f);
        if (matches.length > 0) {
          out.push(...matches);
          continue;
        }
      }
      out.push(f.text);
    }
  }
  return out;
}

/** Expansion to one string, without field splitting or pathname expansion (assignments, redirections, here-documents). */
export function* expandString(host: ExpandHost, word: Word, tilde = false): SysCall<string> {
  const segs = yield* segments(host, word, false, tilde);
  return segs.map((s) => ('brk' in s ? ' ' : s.text)).join('');
}

/** Expansion of a pattern (case, ${x#p}): quoted characters are marked so they match literally. */
export function* expandPattern(host: ExpandHost, word: Word): SysCall<MaskedString> {
  const segs = yield* segments(host, word, false, true);
  const out: MaskedString = { text: '', quoted: [] };
  for (const s of segs) {
    const text = 'brk' in s ? ' ' : s.text;
    const q = 'brk' in s ? true : s.quoted;
    out.text += text;
    for (let i = 0; i < text.length; i++) out.quoted.push(q);
  }
  return out;
}
