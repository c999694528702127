/**
 * The user and group databases as guest programs see them: /etc/passwd, /etc/group and
 * /etc/shadow parsed line by line (what glibc's "files" NSS module does), and lookups by
 * name and number. A missing file is an empty database, not an error.
 */
import { Errno, O_CLOEXEC, O_RDONLY, type SysCall, type Syscalls } from '../../kernel/index.js';
import { readText } from '../stdio.js';

/** One /etc/passwd line. */
export interface PasswdEntry {
  /** Login name. */
  name: string;
  /** Password field ("x" when the hash is in /etc/shadow). */
  passwd: string;
  /** User id. */
  uid: number;
  /** Primary group id. */
  gid: number;
  /** Comment (full name). */
  gecos: string;
  /** Home directory. */
  home: string;
  /** Login shell. */
  shell: string;
}

/** One /etc/group line. */
export interface GroupEntry {
  /** Group name. */
  name: string;
  /** Password field. */
  passwd: string;
  /** Group id. */
  gid: number;
  /** Supplementary members by login name. */
  members: string[];
}

/** Parses /etc/passwd text; malformed lines are skipped as glibc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length !== 7 || !/^\d+$/.test(f[2] ?? '') || !/^\d+$/.test(f[3] ?? '')) continue;
    const [name = '', passwd = '', uid = '', gid = '', gecos = '', home = '', shell = ''] = f;
    out.push({ name, passwd, uid: Number(uid), gid: Number(gid), gecos, home, shell });
  }
  return out;
}

/** Formats passwd entries back into file text. */
export function formatPasswd(entries: readonly PasswdEntry[]): string {
  return entries.map((e) => `${e.name}:${e.passwd}:${e.uid}:${e.gid}:${e.gecos}:${e.home}:${e.shell}\n`).join('');
}

/** Parses /etc/group text. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length !== 4 || !/^\d+$/.test(f[2] ?? '')) continue;
    const [name = '', passwd = '', gid = '', members = ''] = f;
    out.push({ name, passwd, gid: Number(gid), members: members === '' ? [] : members.split(',') });
  }
  return out;
}

/** Formats group entries back into file text. */
export function formatGroup(entries: readonly GroupEntry[]): string {
  return entries.map((e) => `${e.name}:${e.passwd}:${e.gid}:${e.members.join(',')}\n`).join('');
}

/** Reads a whole file as text, or undefined if it does not exist. Other errors are thrown. */
export function* readFileIfExists(sys: Syscalls, path: string): SysCall<string | undefined> {
  let fd: number;
  try {
    fd = yield* sys.open(path, O_RDONLY | O_CLOEXEC);
  } catch (e) {
    if (Errno.is(e, 'ENOENT') || Errno.is(e, 'ENOTDIR')) return undefined;
    throw e;
  }
  try {
    return yield* readText(sys, fd);
  } finally {
    sys.close(fd);
  }
}

/** A snapshot of the user and group databases. */
export class UserDb {
  constructor(
    /** /etc/passwd entries in file order. */
    readonly users: readonly PasswdEntry[],
    /** /etc/group entries in file order. */
    readonly groups: readonly GroupEntry[],
  ) {}

  /** Loads /etc/passwd and /etc/group (unreadable or missing files count as empty). */
  static *load(sys: Syscalls): SysCall<UserDb> {
    const read = function* (path: string): SysCall<string> {
      try {
        return (yield* readFileIfExists(sys, path)) ?? '';
      } catch (e) {
        if (e instanceof Errno) return '';
        throw e;
      }
    };
    return new UserDb(parsePasswd(yield* read('/etc/passwd')), parseGroup(yield* read('/etc/group')));
  }

  /** getpwnam(). */
  userByName(name: string): PasswdEntry | undefined {
    return this.users.find((u) => u.name === name);
  }

  /** getpwuid(). */
  userById(uid: number): PasswdEntry | undefined {
    return this.users.find((u) => u.uid === uid);
  }

  /** getgrnam(). */
  groupByName(name: string): GroupEntry | undefined {
    return this.groups.find((g) => g.name === name);
  }

  /** getgrgid(). */
  groupById(gid: number): GroupEntry | undefined {
    return this.groups.find((g) => g.gid === gid);
  }

  /** getgrouplist(): the primary group first, then every group listing the user, in file order. */
  groupList(user: string, primary: number): number[] {
    const out = [primary];
    for (const g of this.groups) if (g.members.includes(user) && !out.includes(g.gid)) out.push(g.gid);
    return out;
  }

  /** A user name for a uid, or the number itself. */
  userName(uid: number): string {
    return this.userById(uid)?.name ?? String(uid);
  }

  /** A group name for a gid, or the number itself. */
  groupName(gid: number): string {
    return this.groupById(gid)?.name ?? String(gid);
  }
}
