/** who(1): the users logged in, from /var/run/utmp, in coreutils' default format. */
import { Errno, O_RDONLY, type Program, type Syscalls } from '../kernel/index.js';
import { gmtime } from './lib/calendar.js';
import { UTMP_PATH, UT_USER_PROCESS, decodeUtmp } from './lib/utmp.js';
import { complain, readAll, writeAll } from './stdio.js';

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** who [FILE] */
export function* whoMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'who';
  const path = argv[1] ?? UTMP_PATH;
  let data: Uint8Array;
  try {
    const fd = yield* sys.open(path, O_RDONLY);
    try {
      data = yield* readAll(sys, fd);
    } finally {
      sys.close(fd);
    }
  } catch (e) {
    // A missing utmp means nobody is logged in, as for coreutils.
    if (e instanceof Errno && e.code === 'ENOENT') return 0;
    yield* complain(sys, prog, path, e);
    return 1;
  }
  let out = '';
  for (const r of decodeUtmp(data)) {
    if (r.type !== UT_USER_PROCESS || r.user === '') continue;
    const t = gmtime(r.sec);
    const when = `${t.year}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}`;
    out += `${r.user.padEnd(8)} ${r.line.padEnd(12)} ${when}${r.host === '' ? '' : ` (${r.host})`}\n`;
  }
  yield* writeAll(sys, 1, out);
  return 0;
}
