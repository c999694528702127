/**
 * systemctl's sleep verbs and `status` of the sleep units, as systemd 252 (Debian 12)
 * behaves with its default sleep.conf. `systemctl suspend|hibernate|hybrid-sleep` asks
 * logind, which checks the sleep verb is possible (can_sleep) and queues the sleep
 * service; systemctl returns at once and systemd-sleep carries the request out: the
 * hibernation mode goes to /sys/power/disk, then the sleep state to /sys/power/state.
 * Here a background child stands in for logind and systemd-sleep, as the shutdown
 * scheduler does. qemu-ga 7.2 probes with `systemctl status systemd-<verb>` first and
 * treats exit codes 1..3 as "supported": an existing inactive unit gives 3 (and an
 * unknown one 4), as systemd's LSB-style status codes say.
 */
import { Errno, O_CLOEXEC, O_RDWR, O_WRONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { readFileIfExists } from './lib/userdb.js';
import { writeAll } from './stdio.js';

/** The sleep verbs systemctl accepts. */
export type SleepVerb = 'suspend' | 'hibernate' | 'hybrid-sleep';

/** What one verb writes and needs (systemd-sleep.conf's defaults). */
export interface SleepConfig {
  /** Words for /sys/power/state, tried in order until one is accepted. */
  states: readonly string[];
  /** Words for /sys/power/disk, tried in order first (none: the mode is left alone). */
  modes: readonly string[];
  /** Whether an active swap area with room for the image is required. */
  needsSwap: boolean;
  /** How systemctl's error names the action. */
  description: string;
}

/** SuspendState=, HibernateMode=/State=, HybridSleepMode=/State= as systemd 252 defaults them. */
export const SLEEP_CONFIG: Readonly<Record<SleepVerb, SleepConfig>> = {
  suspend: { states: ['mem', 'standby', 'freeze'], modes: [], needsSwap: false, description: 'suspend system' },
  hibernate: { states: ['disk'], modes: ['platform', 'shutdown'], needsSwap: true, description: 'hibernate system' },
  'hybrid-sleep': { states: ['disk'], modes: ['suspend', 'platform', 'shutdown'], needsSwap: true, description: 'put system into hybrid sleep' },
};

/** True for a sleep verb. */
export function isSleepVerb(s: string | undefined): s is SleepVerb {
  return s === 'suspend' || s === 'hibernate' || s === 'hybrid-sleep';
}

/** Share of free swap the active anonymous memory may fill (systemd's HIBERNATION_SWAP_THRESHOLD). */
export const HIBERNATION_SWAP_THRESHOLD = 0.98;

/** Units `systemctl status` knows, with their Description= (the sleep services of systemd 252). */
export const KNOWN_UNITS: Readonly<Record<string, string>> = {
  'systemd-suspend.service': 'System Suspend',
  'systemd-hibernate.service': 'System Hibernate',
  'systemd-hybrid-sleep.service': 'System Hybrid Suspend+Hibernate',
  'systemd-suspend-then-hibernate.service': 'System Suspend then Hibernate',
};

/** systemctl status exit code for a loaded unit that is not running. */
export const STATUS_INACTIVE = 3;
/** systemctl status exit code for a unit that does not exist. */
export const STATUS_NO_SUCH_UNIT = 4;

const SYS_POWER_STATE = '/sys/power/state';
const SYS_POWER_DISK = '/sys/power/disk';

// Words of a sysfs list, the current choice's brackets removed.
function* sysfsWords(sys: Syscalls, path: string): SysCall<string[]> {
  let text: string | undefined;
  try {
    text = yield* readFileIfExists(sys, path);
  } catch (e) {
    if (e instanceof Errno) return [];
    throw e;
  }
  return (text ?? '').split(/\s+/).filter((w) => w !== '').map((w) => w.replace(/^\[(.*)\]$/, '$1'));
}

/**
 * find_hibernate_location + enough_swap_for_hibernation: the highest-priority active swap
 * area must have room for Active(anon). This kernel model has no /proc/meminfo and never
 * pages anything out, so without it the active anonymous memory counts as nothing.
 */
function* enoughSwap(sys: Syscalls): SysCall<boolean> {
  const swaps = (yield* readFileIfExists(sys, '/proc/swaps')) ?? '';
  let best: { free: number; prio: number } | undefined;
  for (const line of swaps.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const size = Number(f[2]);
    const used = Number(f[3]);
    const prio = Number(f[4]);
    if (!Number.isFinite(size) || !Number.isFinite(used) || !Number.isFinite(prio)) continue;
    if (best === undefined || prio > best.prio || (prio === best.prio && size - used > best.free)) best = { free: size - used, prio };
  }
  if (best === undefined) return false;
  const meminfo = yield* readFileIfExists(sys, '/proc/meminfo');
  const m = meminfo === undefined ? null : /^Active\(anon\):\s*(\d+)/m.exec(meminfo);
  if (meminfo !== undefined && m === null) return false;
  const active = m === null ? 0 : Number(m[1]);
  return active <= best.free * HIBERNATION_SWAP_THRESHOLD;
}

/** can_sleep: 'yes', 'no' (the kernel lacks the state or mode), or 'no-swap'. */
export function* canSleep(sys: Syscalls, verb: SleepVerb): SysCall<'yes' | 'no' | 'no-swap'> {
  const c = SLEEP_CONFIG[verb];
  const states = yield* sysfsWords(sys, SYS_POWER_STATE);
  if (!c.states.some((s) => states.includes(s))) return 'no';
  if (c.modes.length > 0) {
    const modes = yield* sysfsWords(sys, SYS_POWER_DISK);
    if (!c.modes.some((m) => modes.includes(m))) return 'no';
  }
  if (c.needsSwap && !(yield* enoughSwap(sys))) return 'no-swap';
  return 'yes';
}

// Writes the first word the file accepts; the errno of the last refusal otherwise.
function* writeFirst(sys: Syscalls, path: string, words: readonly string[]): SysCall<string | undefined> {
  let last = 'EINVAL';
  for (const w of words) {
    try {
      const fd = yield* sys.open(path, O_WRONLY | O_CLOEXEC);
      try {
        yield* sys.write(fd, `${w}\n`);
        return undefined;
      } finally {
        sys.close(fd);
      }
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      last = e.message;
    }
  }
  return last;
}

/** systemd-sleep VERB: the mode, then the state; returns when the system is back. */
export function* systemdSleepMain(sys: Syscalls, verb: SleepVerb): Program {
  const c = SLEEP_CONFIG[verb];
  if (c.modes.length > 0) {
    const err = yield* writeFirst(sys, SYS_POWER_DISK, c.modes);
    if (err !== undefined) {
      yield* writeAll(sys, 2, `Failed to write mode to ${SYS_POWER_DISK}: ${err}\n`);
      return 1;
    }
  }
  const err = yield* writeFirst(sys, SYS_POWER_STATE, c.states);
  if (err !== undefined) {
    yield* writeAll(sys, 2, `Failed to put system to sleep. System resumed again: ${err}\n`);
    return 1;
  }
  return 0;
}

/** `systemctl suspend|hibernate|hybrid-sleep`: checked and queued; 0 once the request is accepted. */
export function* sleepCommand(sys: Syscalls, verb: SleepVerb): SysCall<number> {
  const c = SLEEP_CONFIG[verb];
  if (sys.geteuid() !== 0) {
    yield* writeAll(sys, 2, `Failed to ${c.description} via logind: Access denied\n`);
    return 1;
  }
  const can = yield* canSleep(sys, verb);
  if (can !== 'yes') {
    const why = can === 'no-swap' ? 'Not enough swap space for hibernation' : `Sleep verb "${verb}" not supported`;
    yield* writeAll(sys, 2, `Failed to ${c.description} via logind: ${why}\n`);
    return 1;
  }
  // The sleep service must not hold the caller's output pipes open while the system sleeps.
  const nul = yield* sys.open('/dev/null', O_RDWR | O_CLOEXEC);
  yield* sys.spawn((cs: Syscalls) => systemdSleepMain(cs, verb), ['systemd-sleep', verb], { stdin: nul, stdout: nul, stderr: nul });
  sys.close(nul);
  return 0;
}

/** `systemctl status UNIT...`: the known sleep units are loaded and inactive (3); others unknown (4). */
export function* statusCommand(sys: Syscalls, units: readonly string[]): SysCall<number> {
  let code = 0;
  let text = '';
  for (const u of units) {
    const name = u.includes('.') ? u : `${u}.service`;
    const desc = KNOWN_UNITS[name];
    if (desc === undefined) {
      yield* writeAll(sys, 2, `Unit ${name} could not be found.\n`);
      code = STATUS_NO_SUCH_UNIT;
      continue;
    }
    if (text !== '') text += '\n';
    text += `○ ${name} - ${desc}\n     Loaded: loaded (/lib/systemd/system/${name}; static)\n     Active: inactive (dead)\n       Docs: man:${name}(8)\n`;
    if (code === 0) code = STATUS_INACTIVE;
  }
  if (text !== '') yield* writeAll(sys, 1, text);
  return code;
}
