/**
 * chpasswd(8) from shadow-utils: reads "user:password" lines from stdin and updates the
 * password field of /etc/shadow (or of /etc/passwd for users without a shadow entry),
 * with the last-change day set to today. Clear-text passwords are hashed with SHA-512
 * crypt and a 16-character salt from /dev/urandom; with -e the field is stored as given.
 * Any bad line means nothing is written. Files are replaced the way shadow-utils does:
 * a "-" backup of the old file, the new one written beside it and renamed over.
 *
 * Debian's chpasswd hands clear-text passwords to PAM (pam_unix, yescrypt) unless -e or
 * -c is given; this guest has no PAM, so every mode takes the direct path that
 * `chpasswd -c SHA512` takes on Debian, with its messages.
 */
import { CLOCK_REALTIME, Errno, O_CLOEXEC, O_CREAT, O_EXCL, O_RDONLY, O_WRONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { SECS_PER_DAY } from './lib/calendar.js';
import { getopt } from './lib/getopt.js';
import { SHA512_ROUNDS_MAX, SHA512_ROUNDS_MIN, saltFromBytes, sha512Crypt, sha512Setting } from './lib/sha512-crypt.js';
import { parsePasswd, readFileIfExists } from './lib/userdb.js';
import { errText, readAll, readText, writeAll } from './stdio.js';

const USAGE = `Usage: chpasswd [options]

Options:
  -c, --crypt-method METHOD     the crypt method (one of NONE DES MD5 SHA256 SHA512 YESCRYPT)
  -e, --encrypted               supplied passwords are encrypted
  -h, --help                    display this help message and exit
  -m, --md5                     encrypt the clear text password using
                                the MD5 algorithm
  -R, --root CHROOT_DIR         directory to chroot into
  -s, --sha-rounds              number of rounds for the SHA, BCRYPT
                                or YESCRYPT crypt algorithms

`;
const SHADOW = '/etc/shadow';
const PASSWD = '/etc/passwd';

function* randomSalt(sys: Syscalls): SysCall<string> {
  const fd = yield* sys.open('/dev/urandom', O_RDONLY | O_CLOEXEC);
  try {
    const bytes = yield* sys.read(fd, 16);
    return saltFromBytes(bytes);
  } finally {
    sys.close(fd);
  }
}

/** Replaces `path` with `text`: old content kept as `path-`, new written to `path+` with the same mode and owner, then renamed. */
export function* replaceFile(sys: Syscalls, path: string, text: string): SysCall<void> {
  const st = yield* sys.stat(path);
  const oldFd = yield* sys.open(path, O_RDONLY | O_CLOEXEC);
  let old: Uint8Array;
  try {
    old = yield* readAll(sys, oldFd);
  } finally {
    sys.close(oldFd);
  }
  for (const [name, data] of [[`${path}-`, old], [`${path}+`, new TextEncoder().encode(text)]] as const) {
    try {
      yield* sys.unlink(name);
    } catch (e) {
      if (!Errno.is(e, 'ENOENT')) throw e;
    }
    const fd = yield* sys.open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
    try {
      yield* writeAll(sys, fd, data);
      sys.fchown(fd, st.uid, st.gid);
      sys.fchmod(fd, st.mode & 0o7777);
      yield* sys.fsync(fd);
    } finally {
      sys.close(fd);
    }
  }
  yield* sys.rename(`${path}+`, path);
}

/** chpasswd [-e] [-c SHA512] [-s ROUNDS] */
export function* chpasswdMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('chpasswd', argv.slice(1), {
    short: 'c:ems:',
    long: [
      { name: 'crypt-method', key: 'c', arg: 'required' },
      { name: 'encrypted', key: 'e', arg: 'none' },
      { name: 'md5', key: 'm', arg: 'none' },
      { name: 'sha-rounds', key: 's', arg: 'required' },
    ],
  });
  if (!p.ok) {
    yield* writeAll(sys, 2, `${p.message}\n${USAGE}`);
    return 2;
  }
  let encrypted = false;
  let plain = false;
  let rounds: number | undefined;
  let method: string | undefined;
  for (const o of p.opts) {
    if (o.key === 'e') encrypted = true;
    else if (o.key === 'm' || o.key === 'c') {
      method = o.key === 'm' ? 'MD5' : (o.value ?? '');
      // Only SHA-512 crypt (and NONE, which stores the text as given) exist here.
      if (method !== 'SHA512' && method !== 'NONE') {
        yield* writeAll(sys, 2, `chpasswd: unsupported crypt method: ${method}\n${USAGE}`);
        return 2;
      }
      plain = method === 'NONE';
    } else if (o.key === 's') {
      const n = /^\d+$/.test(o.value ?? '') ? Number(o.value) : NaN;
      if (!(n >= SHA512_ROUNDS_MIN && n <= SHA512_ROUNDS_MAX)) {
        yield* writeAll(sys, 2, `chpasswd: invalid numeric argument '${o.value ?? ''}'\n`);
        return 1;
      }
      rounds = n;
    }
  }
  if (rounds !== undefined && method === undefined) {
    yield* writeAll(sys, 2, `chpasswd: -s flag is only allowed with the -c flag\n${USAGE}`);
    return 2;
  }
  if (sys.geteuid() !== 0) {
    yield* writeAll(sys, 2, 'chpasswd: Permission denied.\nchpasswd: cannot lock /etc/passwd; try again later.\n');
    return 1;
  }

  let passwdText: string;
  let shadowText: string | undefined;
  try {
    passwdText = (yield* readFileIfExists(sys, PASSWD)) ?? '';
    shadowText = yield* readFileIfExists(sys, SHADOW);
  } catch (e) {
    yield* writeAll(sys, 2, `chpasswd: cannot open ${SHADOW}: ${errText(e)}\n`);
    return 1;
  }
  const users = parsePasswd(passwdText);
  const passwdLines = passwdText.split('\n');
  const shadowLines = (shadowText ?? '').split('\n');
  const today = Math.floor(sys.clockGettime(CLOCK_REALTIME).sec / SECS_PER_DAY);
  let errors = false;
  let passwdChanged = false;
  let shadowChanged = false;

  const input = (yield* readText(sys, 0)).split('\n');
  if (input[input.length - 1] === '') input.pop();
  for (let i = 0; i < input.length; i++) {
    const line = i + 1;
    const text = input[i] ?? '';
    const colon = text.indexOf(':');
    if (colon < 0) {
      yield* writeAll(sys, 2, `chpasswd: line ${line}: missing new password\n`);
      errors = true;
      continue;
    }
    const name = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const pw = users.find((u) => u.name === name);
    if (pw === undefined) {
      yield* writeAll(sys, 2, `chpasswd: line ${line}: user '${name}' does not exist\n`);
      errors = true;
      continue;
    }
    const hash = encrypted || plain ? password : sha512Crypt(password, sha512Setting(yield* randomSalt(sys), rounds));
    const si = shadowLines.findIndex((l) => l.split(':')[0] === name);
    if (si >= 0) {
      const f = (shadowLines[si] ?? '').split(':');
      while (f.length < 9) f.push('');
      f[1] = hash;
      // Day 0 would mean "must change at next login": shadow-utils leaves it empty instead.
      f[2] = today === 0 ? '' : String(today);
      shadowLines[si] = f.join(':');
      shadowChanged = true;
    }
    if (si < 0 || pw.passwd !== 'x') {
      const pi = passwdLines.findIndex((l) => l.split(':')[0] === name);
      const f = (passwdLines[pi] ?? '').split(':');
      f[1] = hash;
      passwdLines[pi] = f.join(':');
      passwdChanged = true;
    }
  }
  if (errors) {
    yield* writeAll(sys, 2, 'chpasswd: error detected, changes ignored\n');
    return 1;
  }
  try {
    if (shadowChanged) yield* replaceFile(sys, SHADOW, shadowLines.join('\n'));
    if (passwdChanged) yield* replaceFile(sys, PASSWD, passwdLines.join('\n'));
  } catch (e) {
    yield* writeAll(sys, 2, `chpasswd: failure while writing changes to ${shadowChanged ? SHADOW : PASSWD}: ${errText(e)}\n`);
    return 1;
  }
  return 0;
}
