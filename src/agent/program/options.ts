/**
 * qemu-ga's command line, as the build of each era reads it (getopt_long rules: `-pPATH`
 * or `-p PATH`, `--path=PATH` or `--path PATH`, `-F` with an optional attached
 * argument). Every build has -m -p -l -f -F -t -v -V -d -b -D -h; 7.2 names -b
 * `--block-rpcs` (still taking `--blacklist`), lists commands with `-b help` instead of
 * `-b ?` and adds -r/--retry-path. There is no -a/--allow-rpcs in any modelled
 * version: it arrived in QEMU 8.0, and Debian's 7.2 says "invalid option -- 'a'".
 * Which build this is comes from the installed binary (its profile), never from argv.
 */
import type { QgaProfile } from '../schema/profiles.js';

/** Default channel path for the virtio-serial method. */
export const QGA_VIRTIO_PATH_DEFAULT = '/dev/virtio-ports/org.qemu.guest_agent.0';
/** Default state directory (Debian's `/var/run`-relative choice). */
export const QGA_STATE_DIR_DEFAULT = '/var/run';
/** Default pid file (written only with -d). */
export const QGA_PIDFILE_DEFAULT = '/var/run/qemu-ga.pid';
/** What a bare -F runs (CONFIG_QEMU_CONFDIR "/fsfreeze-hook"). */
export const QGA_FSFREEZE_HOOK_DEFAULT = '/etc/qemu/fsfreeze-hook';
/** What qemu-ga prints after a getopt complaint. */
export const QGA_USAGE_HINT = "Unknown option, try 'qemu-ga --help' for more information.";

/** Parsed options. */
export interface QgaOptions {
  /** Channel method (only virtio-serial is modelled). */
  method: 'virtio-serial';
  /** Channel device. */
  path: string;
  /** -l: log file (stderr without one). */
  logFile: string | undefined;
  /** -f: pid file. */
  pidFile: string;
  /** -F: fsfreeze hook script, if enabled. */
  fsfreezeHook: string | undefined;
  /** State directory (qga.state, qga.state.isfrozen). */
  stateDir: string;
  /** Disabled commands, in the order given. */
  blockRpcs: string[];
  /** Log everything (-v). */
  verbose: boolean;
  /** -d: daemonize (here: write the pid file). */
  daemonize: boolean;
  /** -r: reopen the channel when it fails (7.2). */
  retryPath: boolean;
  /** What to do instead of running, if anything. */
  action: 'run' | 'version' | 'help' | 'list-commands' | 'dump-conf';
}

/** A usage error: `message` is getopt's complaint (printed as `qemu-ga: <message>`). */
export class QgaUsageError extends Error {}

interface OptSpec {
  short: string;
  long: string[];
  arg: 'none' | 'required' | 'optional';
  since7?: boolean;
}

/** Option table of a build (7.2 or the older ones). */
function optionTable(modern: boolean): OptSpec[] {
  const t: OptSpec[] = [
    { short: 'h', long: ['help'], arg: 'none' },
    { short: 'V', long: ['version'], arg: 'none' },
    { short: 'v', long: ['verbose'], arg: 'none' },
    { short: 'd', long: ['daemonize'], arg: 'none' },
    { short: 'm', long: ['method'], arg: 'required' },
    { short: 'p', long: ['path'], arg: 'required' },
    { short: 'l', long: ['logfile'], arg: 'required' },
    { short: 'f', long: ['pidfile'], arg: 'required' },
    { short: 'F', long: ['fsfreeze-hook'], arg: 'optional' },
    { short: 't', long: ['statedir'], arg: 'required' },
    { short: 'D', long: ['dump-conf'], arg: 'none' },
    { short: 'b', long: modern ? ['block-rpcs', 'blacklist'] : ['blacklist'], arg: 'required' },
  ];
  if (modern) t.push({ short: 'r', long: ['retry-path'], arg: 'none' });
  return t;
}

/** Parses argv (without the program name) the way the `profile` build of qemu-ga does. */
export function parseQgaOptions(argv: readonly string[], profile: QgaProfile): QgaOptions {
  const modern = profile.wire === '7.2';
  const table = optionTable(modern);
  const o: QgaOptions = {
    method: 'virtio-serial',
    path: QGA_VIRTIO_PATH_DEFAULT,
    logFile: undefined,
    pidFile: QGA_PIDFILE_DEFAULT,
    fsfreezeHook: undefined,
    stateDir: QGA_STATE_DIR_DEFAULT,
    blockRpcs: [],
    verbose: false,
    daemonize: false,
    retryPath: false,
    action: 'run',
  };
  const listWord = modern ? 'help' : '?';
  const apply = (spec: OptSpec, value: string | undefined): void => {
    switch (spec.short) {
      case 'h':
        o.action = 'help';
        break;
      case 'V':
        o.action = 'version';
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'd':
        o.daemonize = true;
        break;
      case 'm':
        if (value !== 'virtio-serial') throw new QgaUsageError(`unsupported channel method/type: ${value ?? ''}`);
        break;
      case 'p':
        o.path = value!;
        break;
      case 'l':
        o.logFile = value;
        break;
      case 'f':
        o.pidFile = value!;
        break;
      case 'F':
        o.fsfreezeHook = value ?? QGA_FSFREEZE_HOOK_DEFAULT;
        break;
      case 't':
        o.stateDir = value!;
        break;
      case 'D':
        o.action = 'dump-conf';
        break;
      case 'r':
        o.retryPath = true;
        break;
      case 'b':
        if (value === listWord) o.action = 'list-commands';
        else o.blockRpcs.push(...value!.split(',').filter((s) => s !== ''));
        break;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const spec = table.find((s) => s.long.includes(name));
      if (spec === undefined) throw new QgaUsageError(`unrecognized option '${a}'`);
      let value: string | undefined;
      if (eq > 0) {
        if (spec.arg === 'none') throw new QgaUsageError(`option '--${name}' doesn't allow an argument`);
        value = a.slice(eq + 1);
      } else if (spec.arg === 'required') {
        value = argv[++i];
        if (value === undefined) throw new QgaUsageError(`option '--${name}' requires an argument`);
      }
      apply(spec, value);
    } else if (a.startsWith('-') && a.length > 1) {
      // A group of short options (`-vd`); one taking an argument ends the group.
      for (let j = 1; j < a.length; j++) {
        const spec = table.find((s) => s.short === a[j]);
        if (spec === undefined) throw new QgaUsageError(`invalid option -- '${a[j]}'`);
        if (spec.arg === 'none') {
          apply(spec, undefined);
          continue;
        }
        let value: string | undefined = j + 1 < a.length ? a.slice(j + 1) : undefined;
        if (value === undefined && spec.arg === 'required') {
          value = argv[++i];
          if (value === undefined) throw new QgaUsageError(`option requires an argument -- '${spec.short}'`);
        }
        apply(spec, value);
        break;
      }
    }
    // Anything else is not an option; qemu-ga ignores it.
  }
  return o;
}

/** `qemu-ga -D`: the key file for these options (lists come out reversed, as GLib prepends). */
export function dumpQgaConfig(o: QgaOptions, profile: QgaProfile): string {
  const modern = profile.wire === '7.2';
  const lines = ['[general]', `daemon=${o.daemonize}`, `method=${o.method}`, `path=${o.path}`];
  if (o.logFile !== undefined) lines.push(`logfile=${o.logFile}`);
  lines.push(`pidfile=${o.pidFile}`);
  if (o.fsfreezeHook !== undefined) lines.push(`fsfreeze-hook=${o.fsfreezeHook}`);
  lines.push(`statedir=${o.stateDir}`, `verbose=${o.verbose}`);
  if (modern) lines.push(`retry-path=${o.retryPath}`);
  // 7.2 writes its own comma list; older builds GKeyFile's `a;b;` string list.
  const list = [...o.blockRpcs].reverse();
  lines.push(modern ? `block-rpcs=${list.join(',')}` : `blacklist=${list.map((s) => `${s};`).join('')}`);
  return lines.join('\n') + '\n';
}

/** `qemu-ga --help`, abridged to what this build does. */
export function qgaHelp(profile: QgaProfile): string {
  const modern = profile.wire === '7.2';
  return `Usage: qemu-ga [-m <method> -p <path>] [<options>]
QEMU Guest Agent ${profile.version}

  -m, --method      transport method: only virtio-serial is modelled here
  -p, --path        device path (default ${QGA_VIRTIO_PATH_DEFAULT})
  -l, --logfile     set logfile path, logs to stderr by default
  -f, --pidfile     specify pidfile (default is ${QGA_PIDFILE_DEFAULT})
  -F, --fsfreeze-hook
                    enable fsfreeze hook (default is ${QGA_FSFREEZE_HOOK_DEFAULT})
  -t, --statedir    specify dir to store state information (default is ${QGA_STATE_DIR_DEFAULT})
  -v, --verbose     log extra debugging information
  -V, --version     print version information and exit
  -d, --daemonize   become a daemon
  -b, ${modern ? '--block-rpcs ' : '--blacklist  '} comma-separated list of RPCs to disable (no spaces,
                    use "${modern ? 'help' : '?'}" to list available RPCs)
  -D, --dump-conf   dump a qemu-ga config file based on current config
                    options / command-line parameters to stdout
${modern ? "  -r, --retry-path  attempt re-opening path if it's unavailable or closed\n" : ''}  -h, --help        display this help and exit
`;
}
