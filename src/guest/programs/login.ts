/**
 * login(1) for an already-authenticated user (`login -f USER`, what getty's autologin
 * runs): records the session in /var/run/utmp, runs the user's shell as the user on the
 * caller's stdio, and marks the record dead when the shell exits.
 */
import { O_CREAT, O_RDWR, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { UTMP_PATH, UTMP_RECORD_SIZE, UT_DEAD_PROCESS, UT_USER_PROCESS, decodeUtmp, encodeUtmp, type UtmpRecord } from './lib/utmp.js';
import { UserDb } from './lib/userdb.js';
import { readAll, writeAll } from './stdio.js';

// Rewrites the record of `line` (or appends one), as pututline() does.
function* putRecord(sys: Syscalls, rec: UtmpRecord): SysCall<void> {
  const fd = yield* sys.open(UTMP_PATH, O_RDWR | O_CREAT, 0o664);
  try {
    const existing = decodeUtmp(yield* readAll(sys, fd));
    const slot = existing.findIndex((r) => r.line === rec.line);
    sys.lseek(fd, (slot < 0 ? existing.length : slot) * UTMP_RECORD_SIZE, 0);
    yield* writeAll(sys, fd, encodeUtmp(rec));
  } finally {
    sys.close(fd);
  }
}

/** login -f USER [-t TTY] */
export function* loginMain(sys: Syscalls, argv: string[]): Program {
  const args = argv.slice(1);
  const fIdx = args.indexOf('-f');
  const user = fIdx >= 0 ? args[fIdx + 1] : undefined;
  const tIdx = args.indexOf('-t');
  const line = tIdx >= 0 ? (args[tIdx + 1] ?? 'tty1') : 'tty1';
  if (user === undefined || sys.geteuid() !== 0) {
    yield* writeAll(sys, 2, 'login: only root may log in a user without a password (login -f USER)\n');
    return 1;
  }
  const db = yield* UserDb.load(sys);
  const pw = db.userByName(user);
  if (pw === undefined) {
    yield* writeAll(sys, 2, `login: user ${user} unknown\n`);
    return 1;
  }
  const now = sys.gettimeofday();
  const rec: UtmpRecord = { type: UT_USER_PROCESS, pid: sys.getpid(), line, id: line.replace(/^tty/, ''), user, host: '', sec: now.sec, usec: Math.floor(now.nsec / 1000) };
  yield* putRecord(sys, rec);
  const shell = pw.shell === '' ? '/bin/sh' : pw.shell;
  const env = { HOME: pw.home, USER: user, LOGNAME: user, SHELL: shell, PATH: pw.uid === 0 ? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' : '/usr/local/bin:/usr/bin:/bin' };
  const pid = yield* sys.spawn(shell, ['-' + (shell.split('/').pop() ?? 'sh')], { uid: pw.uid, gid: pw.gid, groups: db.groupList(user, pw.gid), env, cwd: pw.home });
  const res = yield* sys.waitpid(pid, 0);
  yield* putRecord(sys, { ...rec, type: UT_DEAD_PROCESS, user: '' });
  return res.status >> 8;
}
