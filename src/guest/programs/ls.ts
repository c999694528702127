/**
 * ls(1) as coreutils prints it to something that is not a terminal: one name per line,
 * sorted bytewise (the C locale); -l with aligned columns and dates, -a/-A, -d, -i, -n,
 * -h, -r, -t, -S. Failing to access an operand is "serious trouble" (exit 2).
 */
import {
  CLOCK_REALTIME,
  S_ISBLK,
  S_ISCHR,
  S_ISDIR,
  S_ISLNK,
  major,
  minor,
  type Program,
  type Stat,
  type SysCall,
  type Syscalls,
} from '../kernel/index.js';
import { MONTH_ABBR, gmtime, pad } from './lib/calendar.js';
import { getopt, usageError } from './lib/getopt.js';
import { modeString } from './lib/modestr.js';
import { UserDb } from './lib/userdb.js';
import { errText, writeAll } from './stdio.js';

interface LsOptions {
  all: boolean;
  almostAll: boolean;
  long: boolean;
  dirSelf: boolean;
  numeric: boolean;
  inode: boolean;
  human: boolean;
  reverse: boolean;
  sort: 'name' | 'time' | 'size';
}

interface Entry {
  name: string;
  path: string;
  st: Stat;
  target: string | undefined;
}

const SIX_MONTHS = 31556952 / 2;

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = 'KMGTPE';
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  // coreutils rounds up, showing one decimal below 10.
  const s = v < 10 ? (Math.ceil(v * 10) / 10).toFixed(1) : String(Math.ceil(v));
  return s === '10.0' ? `10${units[u]}` : s + units[u];
}

function sortEntries(list: Entry[], o: LsOptions): Entry[] {
  const byName = (a: Entry, b: Entry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const cmp = (a: Entry, b: Entry): number => {
    if (o.sort === 'time') return b.st.mtime.sec - a.st.mtime.sec || b.st.mtime.nsec - a.st.mtime.nsec || byName(a, b);
    if (o.sort === 'size') return b.st.size - a.st.size || byName(a, b);
    return byName(a, b);
  };
  const sorted = [...list].sort(cmp);
  return o.reverse ? sorted.reverse() : sorted;
}

class Lister {
  private db: UserDb | undefined;

  constructor(
    private readonly sys: Syscalls,
    private readonly o: LsOptions,
  ) {}

  *entry(path: string, name: string, follow: boolean): SysCall<Entry> {
    const sys = this.sys;
    let st = yield* sys.lstat(path);
    let target: string | undefined;
    if (S_ISLNK(st.mode)) {
      if (follow) {
        try {
          st = yield* sys.stat(path);
        } catch (e) {
          errText(e);
        }
      }
      if (S_ISLNK(st.mode) && this.o.long) target = yield* sys.readlink(path);
    }
    return { name, path, st, target };
  }

  /** The text for a block of entries (one directory's contents, or the file operands). */
  *format(list: Entry[], withTotal: boolean): SysCall<string> {
    const o = this.o;
    if (!o.long) return list.map((e) => (o.inode ? `${e.st.ino} ` : '') + e.name + '\n').join('');
    if (this.db === undefined) this.db = yield* UserDb.load(this.sys);
    const db = this.db;
    const now = this.sys.clockGettime(CLOCK_REALTIME).sec;
    const rows = list.map((e) => {
      const dev = S_ISCHR(e.st.mode) || S_ISBLK(e.st.mode);
      const t = gmtime(e.st.mtime.sec);
      const recent = e.st.mtime.sec > now - SIX_MONTHS && e.st.mtime.sec <= now;
      const date = `${MONTH_ABBR[t.month - 1] ?? '???'} ${String(t.day).padStart(2)} ${recent ? `${pad(t.hour)}:${pad(t.minute)}` : ` ${t.year}`}`;
      return {
        ino: String(e.st.ino),
        mode: modeString(e.st.mode),
        nlink: String(e.st.nlink),
        owner: o.numeric ? String(e.st.uid) : db.userName(e.st.uid),
        group: o.numeric ? String(e.st.gid) : db.groupName(e.st.gid),
        ownerNumeric: o.numeric || db.userById(e.st.uid) === undefined,
        groupNumeric: o.numeric || db.groupById(e.st.gid) === undefined,
        major: dev ? String(major(e.st.rdev)) : '',
        minor: dev ? String(minor(e.st.rdev)) : '',
        size: dev ? '' : o.human ? humanSize(e.st.size) : String(e.st.size),
        date,
        name: e.name + (e.target !== undefined ? ` -> ${e.target}` : ''),
      };
    });
    const w = (k: 'ino' | 'nlink' | 'owner' | 'group' | 'major' | 'minor' | 'size'): number => Math.max(0, ...rows.map((r) => r[k].length));
    const majW = w('major');
    const minW = w('minor');
    const sizeW = Math.max(w('size'), majW > 0 ? majW + 2 + minW : 0);
    let out = '';
    if (withTotal) {
      const kb = list.reduce((sum, e) => sum + Math.ceil((e.st.blocks * 512) / 1024), 0);
      out += `total ${o.human ? humanSize(kb * 1024) : kb}\n`;
    }
    for (const r of rows) {
      const size = r.major !== '' ? `${r.major.padStart(majW)}, ${r.minor.padStart(minW)}` : r.size;
      // Names are left-aligned, numeric ids right-aligned, as coreutils does.
      const owner = r.ownerNumeric ? r.owner.padStart(w('owner')) : r.owner.padEnd(w('owner'));
      const group = r.groupNumeric ? r.group.padStart(w('group')) : r.group.padEnd(w('group'));
      out += `${o.inode ? r.ino.padStart(w('ino')) + ' ' : ''}${r.mode} ${r.nlink.padStart(w('nlink'))} ${owner} ${group} ${size.padStart(sizeW)} ${r.date} ${r.name}\n`;
    }
    return out;
  }

  /** A directory's entries, filtered and sorted. */
  *contents(dir: string): SysCall<Entry[]> {
    const o = this.o;
    const names = (yield* this.sys.readdir(dir)).map((d) => d.name);
    if (o.all) names.push('.', '..');
    const list: Entry[] = [];
    for (const name of names) {
      if (name.startsWith('.') && !o.all && !o.almostAll) continue;
      try {
        list.push(yield* this.entry(join(dir, name), name, false));
      } catch (e) {
        errText(e);
      }
    }
    return sortEntries(list, o);
  }
}

/** ls [-1aAdhilnrStU] [FILE]... */
export function* lsMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'ls';
  const p = getopt(prog, argv.slice(1), {
    short: '1aAdhilnrSt',
    long: [
      { name: 'all', key: 'a', arg: 'none' },
      { name: 'almost-all', key: 'A', arg: 'none' },
      { name: 'directory', key: 'd', arg: 'none' },
      { name: 'human-readable', key: 'h', arg: 'none' },
      { name: 'inode', key: 'i', arg: 'none' },
      { name: 'numeric-uid-gid', key: 'n', arg: 'none' },
      { name: 'reverse', key: 'r', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 2;
  }
  const o: LsOptions = { all: false, almostAll: false, long: false, dirSelf: false, numeric: false, inode: false, human: false, reverse: false, sort: 'name' };
  for (const { key } of p.opts) {
    if (key === 'a') o.all = true;
    else if (key === 'A') o.almostAll = true;
    else if (key === 'l') o.long = true;
    else if (key === 'd') o.dirSelf = true;
    else if (key === 'n') o.long = o.numeric = true;
    else if (key === 'i') o.inode = true;
    else if (key === 'h') o.human = true;
    else if (key === 'r') o.reverse = true;
    else if (key === 't') o.sort = 'time';
    else if (key === 'S') o.sort = 'size';
    else if (key === '1') o.long = false;
  }
  const ls = new Lister(sys, o);
  const operands = p.operands.length > 0 ? p.operands : ['.'];
  let status = 0;
  const files: Entry[] = [];
  const dirs: Entry[] = [];
  for (const arg of operands) {
    try {
      const e = yield* ls.entry(arg, arg, !o.long && !o.dirSelf);
      if (S_ISDIR(e.st.mode) && !o.dirSelf) dirs.push(e);
      else files.push(e);
    } catch (e) {
      yield* writeAll(sys, 2, `${prog}: cannot access '${arg}': ${errText(e)}\n`);
      status = 2;
    }
  }
  let out = '';
  if (files.length > 0) out += yield* ls.format(sortEntries(files, o), false);
  const headers = operands.length > 1 || files.length > 0 || status !== 0;
  let first = files.length === 0;
  for (const d of sortEntries(dirs, o)) {
    let text: string;
    try {
      text = yield* ls.format(yield* ls.contents(d.path), true);
    } catch (e) {
      yield* writeAll(sys, 1, out);
      out = '';
      yield* writeAll(sys, 2, `${prog}: cannot open directory '${d.path}': ${errText(e)}\n`);
      status = 2;
      continue;
    }
    out += `${first ? '' : '\n'}${headers ? `${d.name}:\n` : ''}${text}`;
    first = false;
  }
  yield* writeAll(sys, 1, out);
  return status;
}
