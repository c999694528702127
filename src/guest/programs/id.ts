/** id(1): the real and effective user and group ids of the caller or of a named user. */
import type { Program, Syscalls } from '../kernel/index.js';
import { getopt, usageError } from './lib/getopt.js';
import { UserDb } from './lib/userdb.js';
import { writeAll } from './stdio.js';

/** id [-u|-g|-G] [-n] [-r] [USER] */
export function* idMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'id';
  const p = getopt(prog, argv.slice(1), {
    short: 'ugGnrza',
    long: [
      { name: 'user', key: 'u', arg: 'none' },
      { name: 'group', key: 'g', arg: 'none' },
      { name: 'groups', key: 'G', arg: 'none' },
      { name: 'name', key: 'n', arg: 'none' },
      { name: 'real', key: 'r', arg: 'none' },
      { name: 'zero', key: 'z', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  const has = (k: string): boolean => p.opts.some((o) => o.key === k);
  const only = ['u', 'g', 'G'].filter(has);
  if (only.length > 1) {
    yield* writeAll(sys, 2, `${prog}: cannot print "only" of more than one choice\n`);
    return 1;
  }
  if (only.length === 0 && (has('n') || has('r'))) {
    yield* writeAll(sys, 2, `${prog}: cannot print only names or real IDs in default format\n`);
    return 1;
  }
  if (p.operands.length > 1) {
    yield* usageError(sys, prog, `${prog}: extra operand '${p.operands[1] ?? ''}'`);
    return 1;
  }
  const db = yield* UserDb.load(sys);
  let uid: number, euid: number, gid: number, egid: number, groups: number[];
  const who = p.operands[0];
  if (who !== undefined) {
    const pw = db.userByName(who) ?? (/^\d+$/.test(who) ? db.userById(Number(who)) : undefined);
    if (pw === undefined) {
      yield* writeAll(sys, 2, `${prog}: '${who}': no such user\n`);
      return 1;
    }
    uid = euid = pw.uid;
    gid = egid = pw.gid;
    groups = db.groupList(pw.name, pw.gid);
  } else {
    uid = sys.getuid();
    euid = sys.geteuid();
    gid = sys.getgid();
    egid = sys.getegid();
    // Like coreutils: the effective group first, then the supplementary list without it.
    groups = [egid, ...sys.getgroups().filter((g) => g !== egid)];
  }
  const names = has('n');
  const sep = has('z') ? '\0' : '\n';
  const user = (n: number): string => (names ? db.userName(n) : String(n));
  const group = (n: number): string => (names ? db.groupName(n) : String(n));
  if (has('u')) {
    yield* writeAll(sys, 1, user(has('r') ? uid : euid) + sep);
    return 0;
  }
  if (has('g')) {
    yield* writeAll(sys, 1, group(has('r') ? gid : egid) + sep);
    return 0;
  }
  if (has('G')) {
    yield* writeAll(sys, 1, groups.map(group).join(has('z') ? '\0' : ' ') + sep);
    return 0;
  }
  const named = (n: number, name: string | undefined): string => (name === undefined ? String(n) : `${n}(${name})`);
  let line = `uid=${named(uid, db.userById(uid)?.name)} gid=${named(gid, db.groupById(gid)?.name)}`;
  if (euid !== uid) line += ` euid=${named(euid, db.userById(euid)?.name)}`;
  if (egid !== gid) line += ` egid=${named(egid, db.groupById(egid)?.name)}`;
  line += ` groups=${groups.map((g) => named(g, db.groupById(g)?.name)).join(',')}`;
  yield* writeAll(sys, 1, line + '\n');
  return 0;
}
