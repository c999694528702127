/**
 * Shell pattern matching (*, ?, [...] with ranges, negation and character classes), used
 * by case, by ${x#pattern} and friends, and by pathname expansion, which walks the
 * directories a pattern names. Quoted characters always match themselves.
 */
import { Errno, type SysCall, type Syscalls } from '../../kernel/index.js';

/** A string with a per-character "was quoted" flag. */
export interface MaskedString {
  /** The characters. */
  text: string;
  /** quoted[i] is true when text[i] came from quoting or escaping. */
  quoted: boolean[];
}

const CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|\-/]/g, '\\$&');

/** True when the string has an unquoted *, ? or [. */
export function hasGlobChars(p: MaskedString): boolean {
  for (let i = 0; i < p.text.length; i++) if (!p.quoted[i] && '*?['.includes(p.text[i] ?? '')) return true;
  return false;
}

// A bracket expression starting at p.text[i] === '['; returns [regex, next index] or undefined.
function bracket(p: MaskedString, i: number, slash: boolean): [string, number] | undefined {
  let j = i + 1;
  let negate = false;
  if (!p.quoted[j] && (p.text[j] === '!' || p.text[j] === '^')) {
    negate = true;
    j++;
  }
  let body = '';
  let first = true;
  while (j < p.text.length) {
    const c = p.text[j] ?? '';
    const q = p.quoted[j] === true;
    if (c === ']' && !q && !first) {
      if (body === '') return undefined;
      const cls = `[${negate ? '^' : ''}${body}${negate && slash ? '/' : ''}]`;
      return [cls, j + 1];
    }
    first = false;
    if (c === '[' && !q && p.text[j + 1] === ':') {
      const end = p.text.indexOf(':]', j + 2);
      const name = end < 0 ? undefined : p.text.slice(j + 2, end);
      const cls = name === undefined ? undefined : CLASSES[name];
      if (cls !== undefined && end >= 0) {
        body += cls;
        j = end + 2;
        continue;
      }
    }
    if (p.text[j + 1] === '-' && p.text[j + 2] !== undefined && p.text[j + 2] !== ']') {
      body += `${escapeRe(c)}-${escapeRe(p.text[j + 2] ?? '')}`;
      j += 3;
      continue;
    }
    body += escapeRe(c);
    j++;
  }
  return undefined;
}

/** The regular-expression source for a pattern; `slash` keeps wildcards from matching '/'. */
export function patternSource(p: MaskedString, slash = false): string {
  let re = '';
  for (let i = 0; i < p.text.length; ) {
    const c = p.text[i] ?? '';
    if (p.quoted[i] === true) {
      re += escapeRe(c);
      i++;
    } else if (c === '*') {
      re += slash ? '[^/]*' : '[\\s\\S]*';
      i++;
    } else if (c === '?') {
      re += slash ? '[^/]' : '[\\s\\S]';
      i++;
    } else if (c === '[') {
      const b = bracket(p, i, slash);
      if (b === undefined) {
        re += '\\[';
        i++;
      } else {
        re += b[0];
        i = b[1];
      }
    } else if (c === '\\') {
      i++;
      re += escapeRe(p.text[i] ?? '\\');
      i++;
    } else {
      re += escapeRe(c);
      i++;
    }
  }
  return re;
}

/** True when the whole of `s` matches the pattern. */
export function matchPattern(p: MaskedString, s: string): boolean {
  return new RegExp(`^(?:${patternSource(p)})$`).test(s);
}

/** ${x#p} (shortest prefix), ${x##p}, ${x%p} (shortest suffix), ${x%%p}: the value with the match removed. */
export function removeAffix(value: string, p: MaskedString, op: '#' | '##' | '%' | '%%'): string {
  const re = new RegExp(`^(?:${patternSource(p)})$`);
  const n = value.length;
  if (op === '#') {
    for (let i = 0; i <= n; i++) if (re.test(value.slice(0, i))) return value.slice(i);
  } else if (op === '##') {
    for (let i = n; i >= 0; i--) if (re.test(value.slice(0, i))) return value.slice(i);
  } else if (op === '%') {
    for (let i = n; i >= 0; i--) if (re.test(value.slice(i))) return value.slice(0, i);
  } else {
    for (let i = 0; i <= n; i++) if (re.test(value.slice(i))) return value.slice(0, i);
  }
  return value;
}

function splitComponents(p: MaskedString): MaskedString[] {
  const out: MaskedString[] = [];
  let cur: MaskedString = { text: '', quoted: [] };
  for (let i = 0; i < p.text.length; i++) {
    if (p.text[i] === '/') {
      out.push(cur);
      cur = { text: '', quoted: [] };
    } else {
      cur.text += p.text[i];
      cur.quoted.push(p.quoted[i] === true);
    }
  }
  out.push(cur);
  return out;
}

function* listDir(sys: Syscalls, dir: string): SysCall<string[]> {
  try {
    return (yield* sys.readdir(dir === '' ? '.' : dir)).map((d) => d.name);
  } catch (e) {
    if (e instanceof Errno) return [];
    throw e;
  }
}

function* exists(sys: Syscalls, path: string): SysCall<boolean> {
  try {
    yield* sys.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
}

/** Pathname expansion: the sorted matching paths, or [] when nothing matches. */
export function* globPaths(sys: Syscalls, p: MaskedString): SysCall<string[]> {
  const comps = splitComponents(p);
  let bases = [''];
  let first = true;
  for (let ci = 0; ci < comps.length; ci++) {
    const comp = comps[ci] as MaskedString;
    const isLast = ci === comps.length - 1;
    if (comp.text === '') {
      // Leading slash (absolute pattern) or a trailing one (directories only).
      if (first) bases = ['/'];
      else if (isLast) {
        const dirs: string[] = [];
        for (const b of bases) {
          try {
            const st = yield* sys.stat(b);
            if ((st.mode & 0o170000) === 0o040000) dirs.push(b + '/');
          } catch (e) {
            if (!(e instanceof Errno)) throw e;
          }
        }
        bases = dirs;
      }
      first = false;
      continue;
    }
    const join = (b: string, n: string): string => (b === '/' ? `/${n}` : b === '' ? n : `${b}/${n}`);
    if (!hasGlobChars(comp)) {
      bases = bases.map((b) => join(b, comp.text));
      if (isLast) {
        const kept: string[] = [];
        for (const b of bases) if (yield* exists(sys, b)) kept.push(b);
        bases = kept;
      }
    } else {
      const re = new RegExp(`^(?:${patternSource(comp, true)})$`);
      const dotOk = comp.text.startsWith('.');
      const next: string[] = [];
      for (const b of bases) {
        const names = (yield* listDir(sys, b)).sort();
        for (const n of names) if ((dotOk || !n.startsWith('.')) && re.test(n)) next.push(join(b, n));
      }
      bases = next;
    }
    first = false;
    if (bases.length === 0) return [];
  }
  return bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
