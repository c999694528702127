/**
 * dmsetup(8) from lvm2, the subset that linear mappings need: create (table from --table
 * or standard input), remove, ls, table, suspend, resume and version. It talks to the
 * kernel only through ioctls on /dev/mapper/control, as libdevmapper does.
 */
import {
  Errno, O_RDWR, major, minor, strerror, type Program, type SysCall, type Syscalls,
} from '../kernel/index.js';
import {
  DM_DEV_CREATE, DM_DEV_REMOVE, DM_DEV_SUSPEND, DM_LIST_DEVICES, DM_READONLY_FLAG, DM_STATUS_TABLE_FLAG, DM_SUSPEND_FLAG, DM_TABLE_LOAD,
  DM_TABLE_STATUS, DM_VERSION, type DmIoctlArg, type DmTargetSpec,
} from '../kernel/block/ioctl.js';
import { getopt, usageError } from './lib/getopt.js';
import { errText, readText, writeAll } from './stdio.js';

const CONTROL = '/dev/mapper/control';
/** The libdevmapper release this dmsetup claims (Debian 12's lvm2). */
const LIBRARY_VERSION = '1.02.185 (2022-05-18)';

class DmError extends Error {}

function* dmIoctl(sys: Syscalls, fd: number, request: number, what: string, arg: DmIoctlArg): SysCall<DmIoctlArg> {
  try {
    yield* sys.ioctl(fd, request, arg);
  } catch (e) {
    const text = errText(e);
    const target = arg.name !== undefined ? ` on ${arg.name} ` : ' ';
    yield* writeAll(sys, 2, `device-mapper: ${what} ioctl${target} failed: ${text}\n`);
    throw new DmError(text);
  }
  return arg;
}

/** Parses table text: one "start length type params" per line; "\n" written literally also separates lines. */
export function parseDmTable(text: string): DmTargetSpec[] | string {
  const out: DmTargetSpec[] = [];
  for (const raw of text.split(/\n|\\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m === null) return `Invalid format on line ${out.length + 1} of table`;
    out.push({ start: Number(m[1]), length: Number(m[2]), type: m[3] ?? '', params: (m[4] ?? '').trim() });
  }
  return out;
}

const devText = (dev: number | undefined): string => `${major(dev ?? 0)}:${minor(dev ?? 0)}`;

function* create(sys: Syscalls, fd: number, name: string, table: DmTargetSpec[], flags: number, uuid: string | undefined): SysCall<void> {
  yield* dmIoctl(sys, fd, DM_DEV_CREATE, 'create', { name, flags, ...(uuid !== undefined ? { uuid } : {}) });
  try {
    yield* dmIoctl(sys, fd, DM_TABLE_LOAD, 'reload', { name, targets: table });
    yield* dmIoctl(sys, fd, DM_DEV_SUSPEND, 'resume', { name, flags: 0 });
  } catch (e) {
    // Like libdevmapper, a device whose table was refused is not left behind.
    try {
      yield* sys.ioctl(fd, DM_DEV_REMOVE, { name });
    } catch (err) {
      errText(err);
    }
    throw e;
  }
}

function* tableLines(sys: Syscalls, fd: number, name: string): SysCall<string> {
  const a = yield* dmIoctl(sys, fd, DM_TABLE_STATUS, 'table', { name, flags: DM_STATUS_TABLE_FLAG });
  return (a.targets ?? []).map((t) => `${t.start} ${t.length} ${t.type} ${t.params}\n`).join('');
}

/** dmsetup COMMAND [ARGS]... */
export function* dmsetupMain(sys: Syscalls, argv: string[]): Program {
  const prog = 'dmsetup';
  const p = getopt(prog, argv.slice(1), {
    short: 'ru:',
    long: [
      { name: 'table', key: 'T', arg: 'required' },
      { name: 'readonly', key: 'r', arg: 'none' },
      { name: 'uuid', key: 'u', arg: 'required' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  let tableText: string | undefined;
  let flags = 0;
  let uuid: string | undefined;
  for (const o of p.opts) {
    if (o.key === 'T') tableText = o.value ?? '';
    else if (o.key === 'r') flags |= DM_READONLY_FLAG;
    else if (o.key === 'u') uuid = o.value;
  }
  const [cmd, ...args] = p.operands;
  if (cmd === undefined) {
    yield* writeAll(sys, 2, 'Usage:\n\ndmsetup\n        [--version] [-r|--readonly] [-u|--uuid]\n\n        create <dev_name>\n            [-u|uuid <uuid>] [--table <table>|<table_file>]\n        remove <dev_name>...\n        suspend <dev_name>...\n        resume <dev_name>...\n        ls\n        table [<dev_name>]\n        version\n');
    return 1;
  }
  let fd: number;
  try {
    fd = yield* sys.open(CONTROL, O_RDWR);
  } catch (e) {
    yield* writeAll(sys, 2, `/dev/mapper/control: open failed: ${errText(e)}\nFailure to communicate with kernel device-mapper driver.\n`);
    return 1;
  }
  try {
    switch (cmd) {
      case 'version': {
        const a = yield* dmIoctl(sys, fd, DM_VERSION, 'version', {});
        yield* writeAll(sys, 1, `Library version:   ${LIBRARY_VERSION}\nDriver version:    ${(a.version ?? [0, 0, 0]).join('.')}\n`);
        return 0;
      }
      case 'create': {
        const name = args[0];
        if (name === undefined || args.length > 2) {
          yield* writeAll(sys, 2, 'Please specify device.\nCommand failed.\n');
          return 1;
        }
        let text = tableText;
        if (text === undefined) {
          if (args[1] !== undefined) {
            const tfd = yield* sys.open(args[1], 0);
            try {
              text = yield* readText(sys, tfd);
            } finally {
              sys.close(tfd);
            }
          } else text = yield* readText(sys, 0);
        }
        const table = parseDmTable(text);
        if (typeof table === 'string') {
          yield* writeAll(sys, 2, `${table}\nCommand failed.\n`);
          return 1;
        }
        yield* create(sys, fd, name, table, flags, uuid);
        return 0;
      }
      case 'remove':
      case 'suspend':
      case 'resume': {
        if (args.length === 0) {
          yield* writeAll(sys, 2, 'Please specify device.\nCommand failed.\n');
          return 1;
        }
        for (const name of args) {
          if (cmd === 'remove') yield* dmIoctl(sys, fd, DM_DEV_REMOVE, 'remove', { name });
          else yield* dmIoctl(sys, fd, DM_DEV_SUSPEND, cmd, { name, flags: cmd === 'suspend' ? DM_SUSPEND_FLAG : 0 });
        }
        return 0;
      }
      case 'ls': {
        const a = yield* dmIoctl(sys, fd, DM_LIST_DEVICES, 'list', {});
        const names = a.names ?? [];
        if (names.length === 0) yield* writeAll(sys, 1, 'No devices found\n');
        else yield* writeAll(sys, 1, names.map((n) => `${n.name}\t(${devText(n.dev)})\n`).join(''));
        return 0;
      }
      case 'table': {
        if (args.length > 0) {
          for (const name of args) yield* writeAll(sys, 1, yield* tableLines(sys, fd, name));
          return 0;
        }
        const a = yield* dmIoctl(sys, fd, DM_LIST_DEVICES, 'list', {});
        const names = a.names ?? [];
        if (names.length === 0) yield* writeAll(sys, 1, 'No devices found\n');
        for (const n of names) {
          const lines = yield* tableLines(sys, fd, n.name);
          yield* writeAll(sys, 1, lines.split('\n').filter((l) => l !== '').map((l) => `${n.name}: ${l}\n`).join(''));
        }
        return 0;
      }
      default:
        yield* writeAll(sys, 2, `Unknown command: ${cmd}\n`);
        return 1;
    }
  } catch (e) {
    if (e instanceof DmError) {
      yield* writeAll(sys, 2, 'Command failed.\n');
      return 1;
    }
    if (e instanceof Errno) {
      yield* writeAll(sys, 2, `${prog}: ${strerror(e.errno)}\nCommand failed.\n`);
      return 1;
    }
    throw e;
  } finally {
    sys.close(fd);
  }
}
