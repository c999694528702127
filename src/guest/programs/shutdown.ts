/**
 * systemd's power commands as Debian 12 installs them (/sbin/shutdown, halt, reboot and
 * poweroff all link to /bin/systemctl, which looks at its name): `shutdown [-HPrhkc]
 * [TIME] [WALL...]`, `reboot`, `halt`, `poweroff`, `systemctl poweroff|reboot|halt`, and
 * (systemctl-sleep.ts) `systemctl suspend|hibernate|hybrid-sleep` and `status UNIT...`.
 * An immediate request syncs and calls reboot(2); a delayed one is recorded in
 * /run/systemd/shutdown/scheduled (as logind does) and carried out by a background child
 * on the virtual clock, unless `shutdown -c` removed the record first.
 */
import { CLOCK_REALTIME, Errno, O_CLOEXEC, O_CREAT, O_RDWR, O_TRUNC, O_WRONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { DAY_ABBR, SECS_PER_DAY, gmtime, isoDateTime } from './lib/calendar.js';
import { getopt } from './lib/getopt.js';
import { LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART, reboot } from './lib/reboot.js';
import { readFileIfExists } from './lib/userdb.js';
import { errText, writeAll } from './stdio.js';
import { isSleepVerb, sleepCommand, statusCommand } from './systemctl-sleep.js';

type Action = 'poweroff' | 'reboot' | 'halt';

const CMD: Readonly<Record<Action, number>> = { poweroff: LINUX_REBOOT_CMD_POWER_OFF, reboot: LINUX_REBOOT_CMD_RESTART, halt: LINUX_REBOOT_CMD_HALT };
const VERB: Readonly<Record<Action, string>> = { poweroff: 'power off', reboot: 'reboot', halt: 'halt' };
/** Where a pending shutdown is recorded. */
export const SCHEDULED_FILE = '/run/systemd/shutdown/scheduled';

function basename(p: string): string {
  return p.split('/').filter((s) => s !== '').pop() ?? p;
}

/** Syncs and asks the kernel to go down now. */
function* goDown(sys: Syscalls, action: Action): SysCall<number> {
  if (sys.geteuid() !== 0) {
    yield* writeAll(sys, 2, `Failed to ${VERB[action]} system via logind: Access denied\n`);
    return 1;
  }
  yield* sys.sync();
  try {
    yield* reboot(sys, CMD[action]);
  } catch (e) {
    yield* writeAll(sys, 2, `Failed to ${VERB[action]} system: ${errText(e)}\n`);
    return 1;
  }
  return 0;
}

// "now", "+M" (minutes) or "HH:MM" (the next such time, UTC) → seconds from now.
function parseWhen(arg: string, nowSec: number): number | undefined {
  if (arg === 'now') return 0;
  let m = /^\+?(\d+)$/.exec(arg);
  if (m !== null) return Number(m[1]) * 60;
  m = /^(\d{1,2}):(\d{2})$/.exec(arg);
  if (m === null) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  const today = Math.floor(nowSec / SECS_PER_DAY) * SECS_PER_DAY;
  let at = today + h * 3600 + min * 60;
  if (at <= nowSec) at += SECS_PER_DAY;
  return at - nowSec;
}

function* schedule(sys: Syscalls, action: Action, delaySec: number, wall: string, warnWall: boolean): SysCall<number> {
  if (sys.geteuid() !== 0) {
    yield* writeAll(sys, 2, 'Failed to schedule shutdown: Access denied\n');
    return 1;
  }
  const now = sys.clockGettime(CLOCK_REALTIME);
  const usec = (now.sec + delaySec) * 1_000_000 + Math.floor(now.nsec / 1000);
  const record = `USEC=${usec}\nWARN_WALL=${warnWall ? 1 : 0}\nMODE=${action}\n${wall === '' ? '' : `WALL_MESSAGE=${wall}\n`}`;
  try {
    yield* sys.mkdir('/run/systemd', 0o755);
  } catch (e) {
    if (!Errno.is(e, 'EEXIST')) throw e;
  }
  try {
    yield* sys.mkdir('/run/systemd/shutdown', 0o755);
  } catch (e) {
    if (!Errno.is(e, 'EEXIST')) throw e;
  }
  const fd = yield* sys.open(SCHEDULED_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
  try {
    yield* writeAll(sys, fd, record);
  } finally {
    sys.close(fd);
  }
  const delayNs = delaySec * 1_000_000_000 - (now.nsec % 1000);
  // The waiter stands in for logind: it must not hold the caller's output pipes open.
  const nul = yield* sys.open('/dev/null', O_RDWR | O_CLOEXEC);
  yield* sys.spawn(function* (cs: Syscalls): Program {
    yield* cs.sleep(delayNs);
    // Carried out only if this very request is still the scheduled one.
    if ((yield* readFileIfExists(cs, SCHEDULED_FILE)) !== record) return 0;
    yield* cs.unlink(SCHEDULED_FILE);
    return yield* goDown(cs, action);
  }, ['systemd-shutdown'], { stdin: nul, stdout: nul, stderr: nul });
  sys.close(nul);
  const t = gmtime(now.sec + delaySec);
  const pretty = action === 'reboot' ? 'Reboot' : 'Shutdown';
  yield* writeAll(sys, 2, `${pretty} scheduled for ${DAY_ABBR[t.weekday] ?? ''} ${isoDateTime(t)} UTC, use 'shutdown -c' to cancel.\n`);
  return 0;
}

function* cancel(sys: Syscalls): SysCall<number> {
  if (sys.geteuid() !== 0) {
    yield* writeAll(sys, 2, 'Failed to cancel shutdown: Access denied\n');
    return 1;
  }
  try {
    yield* sys.unlink(SCHEDULED_FILE);
  } catch (e) {
    if (!Errno.is(e, 'ENOENT')) throw e;
  }
  return 0;
}

function* shutdownCommand(sys: Syscalls, args: string[]): SysCall<number> {
  const p = getopt('shutdown', args, {
    short: 'HPrhkc',
    long: [
      { name: 'halt', key: 'H', arg: 'none' },
      { name: 'poweroff', key: 'P', arg: 'none' },
      { name: 'reboot', key: 'r', arg: 'none' },
      { name: 'no-wall', key: 'W', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* writeAll(sys, 2, `${p.message}\n`);
    return 1;
  }
  let action: Action = 'poweroff';
  let halt = false;
  let wallOnly = false;
  let warnWall = true;
  for (const o of p.opts) {
    if (o.key === 'H') {
      action = 'halt';
      halt = true;
    } else if (o.key === 'P') action = 'poweroff';
    else if (o.key === 'r') action = 'reboot';
    else if (o.key === 'h' && !halt) action = 'poweroff';
    else if (o.key === 'k') wallOnly = true;
    else if (o.key === 'W') warnWall = false;
    else if (o.key === 'c') return yield* cancel(sys);
  }
  let delay = 60;
  let rest = p.operands;
  if (rest.length > 0) {
    const when = parseWhen(rest[0] ?? '', sys.clockGettime(CLOCK_REALTIME).sec);
    if (when === undefined) {
      yield* writeAll(sys, 2, `Failed to parse time specification: ${rest[0] ?? ''}\n`);
      return 1;
    }
    delay = when;
    rest = rest.slice(1);
  }
  if (wallOnly) return 0;
  if (delay === 0) return yield* goDown(sys, action);
  return yield* schedule(sys, action, delay, rest.join(' '), warnWall);
}

function* simpleCommand(sys: Syscalls, name: Action, args: string[]): SysCall<number> {
  const p = getopt(name, args, {
    short: 'pfwdn',
    long: [
      { name: 'halt', key: 'H', arg: 'none' },
      { name: 'poweroff', key: 'p', arg: 'none' },
      { name: 'reboot', key: 'r', arg: 'none' },
      { name: 'force', key: 'f', arg: 'none' },
      { name: 'wtmp-only', key: 'w', arg: 'none' },
      { name: 'no-wtmp', key: 'd', arg: 'none' },
      { name: 'no-sync', key: 'n', arg: 'none' },
      { name: 'no-wall', key: 'W', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* writeAll(sys, 2, `${p.message}\n`);
    return 1;
  }
  let action = name;
  for (const o of p.opts) {
    if (o.key === 'w') return 0;
    if (o.key === 'H') action = 'halt';
    else if (o.key === 'p' && name === 'halt') action = 'poweroff';
    else if (o.key === 'r') action = 'reboot';
  }
  if (p.operands.length > 0) {
    yield* writeAll(sys, 2, 'Too many arguments.\n');
    return 1;
  }
  return yield* goDown(sys, action);
}

/** systemctl and its shutdown/halt/reboot/poweroff personalities, chosen by argv[0]. */
export function* systemctlMain(sys: Syscalls, argv: string[]): Program {
  const self = basename(argv[0] ?? 'systemctl');
  const args = argv.slice(1);
  if (self === 'shutdown') return yield* shutdownCommand(sys, args);
  if (self === 'reboot' || self === 'halt' || self === 'poweroff') return yield* simpleCommand(sys, self, args);
  const words = args.filter((a) => !a.startsWith('-'));
  const verb = words[0];
  if (verb === 'poweroff' || verb === 'reboot' || verb === 'halt') return yield* goDown(sys, verb);
  if (isSleepVerb(verb)) return yield* sleepCommand(sys, verb);
  if (verb === 'status' && words.length > 1) return yield* statusCommand(sys, words.slice(1));
  yield* writeAll(sys, 2, verb === undefined || verb === 'status' ? 'This system has no service manager: only poweroff, reboot, halt, suspend, hibernate, hybrid-sleep and the status of their units are available.\n' : `Unknown command verb ${verb}.\n`);
  return 1;
}
