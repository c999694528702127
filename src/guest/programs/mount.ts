/**
 * mount(8) and umount(8) from util-linux: mount a device (by path, UUID= or LABEL=, its
 * type probed when not given), everything in /etc/fstab with -a, list mounts; unmount by
 * mount point or device. Messages and exit codes (32 for a failed mount) follow
 * util-linux 2.38 as Debian 12 ships it.
 */
import { Errno, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { probeDevice, resolveSource } from './lib/blkid.js';
import { parseFstab, splitMountOptions, type FstabEntry } from './lib/fstab.js';
import { getopt, usageError } from './lib/getopt.js';
import { readFileIfExists } from './lib/userdb.js';
import { errText, writeAll } from './stdio.js';

/** mount/umount exit status: a mount or unmount failed. */
export const MOUNT_EX_FAIL = 32;
/** mount -a exit status: some mounts failed, others succeeded. */
export const MOUNT_EX_SOMEOK = 64;
/** Exit status for bad usage. */
export const MOUNT_EX_USAGE = 1;

/** One mount as /proc/self/mountinfo lists it. */
export interface MountedEntry {
  /** Mount point. */
  target: string;
  /** Source. */
  source: string;
  /** Filesystem type. */
  fstype: string;
  /** Per-mount options. */
  options: string;
  /** Super options. */
  superOptions: string;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount table of the calling process. */
export function* readMountTable(sys: Syscalls): SysCall<MountedEntry[]> {
  const text = (yield* readFileIfExists(sys, '/proc/self/mountinfo')) ?? '';
  const out: MountedEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 6 || f.length < dash + 4) continue;
    out.push({ target: unescape(f[4] ?? ''), options: f[5] ?? '', fstype: f[dash + 1] ?? '', source: unescape(f[dash + 2] ?? ''), superOptions: f[dash + 3] ?? '' });
  }
  return out;
}

function* say(sys: Syscalls, text: string): SysCall<void> {
  try {
    yield* writeAll(sys, 2, text);
  } catch (e) {
    errText(e);
  }
}

// Filesystem types mount(8) tries, from /proc/filesystems, when neither -t nor a probe says.
function* candidateTypes(sys: Syscalls, source: string): SysCall<string[]> {
  const info = yield* probeDevice(sys, source);
  if (info !== undefined && info.type !== 'swap') return [info.type];
  const text = (yield* readFileIfExists(sys, '/proc/filesystems')) ?? '';
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('nodev')).map((l) => l.trim());
}

function* sourceMissing(sys: Syscalls, source: string): SysCall<boolean> {
  if (!source.startsWith('/')) return false;
  try {
    yield* sys.stat(source);
    return false;
  } catch (e) {
    return Errno.is(e, 'ENOENT');
  }
}

function* failure(sys: Syscalls, e: Errno, source: string, target: string, fstype: string): SysCall<void> {
  let msg: string;
  switch (e.code) {
    case 'EPERM':
      msg = 'must be superuser to use mount.';
      break;
    case 'EBUSY':
      msg = `${source} already mounted or mount point busy.`;
      break;
    case 'ENOENT':
      msg = (yield* sourceMissing(sys, source)) ? `special device ${source} does not exist.` : 'mount point does not exist.';
      break;
    case 'ENOTDIR':
      msg = 'mount point is not a directory.';
      break;
    case 'ENOTBLK':
      msg = `${source} is not a block device.`;
      break;
    case 'ENXIO':
      msg = `${source} is not a valid block device.`;
      break;
    case 'ENODEV':
      msg = `unknown filesystem type '${fstype}'.`;
      break;
    case 'EINVAL':
      msg = `wrong fs type, bad option, bad superblock on ${source}, missing codepage or helper program, or other error.\n       dmesg(1) may have more information after failed mount system call.`;
      break;
    case 'EROFS':
      msg = `cannot mount ${source} read-only.`;
      break;
    case 'EACCES':
      msg = 'permission denied.';
      break;
    default:
      msg = `mount(2) system call failed: ${e.message}.`;
  }
  yield* say(sys, `mount: ${target}: ${msg}\n`);
}

/** Mounts one thing the way mount(8) does; returns 0 or MOUNT_EX_FAIL after printing why. */
export function* mountOne(sys: Syscalls, spec: string, target: string, fstype: string | undefined, options: readonly string[]): SysCall<number> {
  const split = splitMountOptions(options);
  if (split.unsupported !== undefined) {
    yield* say(sys, `mount: ${target}: option '${split.unsupported}' is not supported here.\n`);
    return MOUNT_EX_FAIL;
  }
  const source = yield* resolveSource(sys, spec);
  if (source === undefined) {
    if (split.nofail) return 0;
    yield* say(sys, `mount: ${target}: can't find ${spec}.\n`);
    return MOUNT_EX_FAIL;
  }
  const types = fstype === undefined || fstype === 'auto' ? yield* candidateTypes(sys, source) : fstype.split(',');
  let last: Errno = new Errno('EINVAL');
  for (const t of types) {
    try {
      yield* sys.mount(source, target, t, split.flags, split.data);
      return 0;
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      last = e;
      // Only a type mismatch is worth trying the next candidate for.
      if (e.code !== 'EINVAL' && e.code !== 'ENODEV') break;
    }
  }
  if (split.nofail && (last.code === 'ENOENT' || last.code === 'ENXIO')) return 0;
  yield* failure(sys, last, source, target, types.join(',') || (fstype ?? 'auto'));
  return MOUNT_EX_FAIL;
}

function* readFstab(sys: Syscalls): SysCall<FstabEntry[]> {
  const text = (yield* readFileIfExists(sys, '/etc/fstab')) ?? '';
  const { entries, errors } = parseFstab(text);
  for (const line of errors) yield* say(sys, `mount: /etc/fstab: parse error at line ${line} -- ignored\n`);
  return entries;
}

/** mount -a: everything in /etc/fstab that is not noauto, swap or already mounted, in file order. */
export function* mountAll(sys: Syscalls, onlyTypes: readonly string[] | undefined): SysCall<number> {
  let ok = 0;
  let failed = 0;
  for (const e of yield* readFstab(sys)) {
    if (e.vfstype === 'swap' || e.file === 'none' || e.file === 'swap' || splitMountOptions(e.options).noauto) continue;
    if (onlyTypes !== undefined && !onlyTypes.includes(e.vfstype)) continue;
    const mounted = yield* readMountTable(sys);
    if (mounted.some((m) => m.target === e.file)) continue;
    if ((yield* mountOne(sys, e.spec, e.file, e.vfstype, e.options)) === 0) ok++;
    else failed++;
  }
  if (failed === 0) return 0;
  return ok > 0 ? MOUNT_EX_SOMEOK : MOUNT_EX_FAIL;
}

/** mount [-a] [-t TYPE] [-o OPTS] [-r|-w] [DEVICE] [DIR] */
export function* mountMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('mount', argv.slice(1), {
    short: 'at:o:rwvnfL:U:',
    long: [
      { name: 'all', key: 'a', arg: 'none' },
      { name: 'types', key: 't', arg: 'required' },
      { name: 'options', key: 'o', arg: 'required' },
      { name: 'read-only', key: 'r', arg: 'none' },
      { name: 'rw', key: 'w', arg: 'none' },
      { name: 'read-write', key: 'w', arg: 'none' },
      { name: 'verbose', key: 'v', arg: 'none' },
      { name: 'no-mtab', key: 'n', arg: 'none' },
      { name: 'fake', key: 'f', arg: 'none' },
      { name: 'label', key: 'L', arg: 'required' },
      { name: 'uuid', key: 'U', arg: 'required' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, 'mount', p.message);
    return MOUNT_EX_USAGE;
  }
  let all = false;
  let fstype: string | undefined;
  const options: string[] = [];
  let source: string | undefined;
  for (const o of p.opts) {
    if (o.key === 'a') all = true;
    else if (o.key === 't') fstype = o.value;
    else if (o.key === 'o') options.push(...(o.value ?? '').split(',').filter((s) => s !== ''));
    else if (o.key === 'r') options.push('ro');
    else if (o.key === 'w') options.push('rw');
    else if (o.key === 'L') source = `LABEL=${o.value ?? ''}`;
    else if (o.key === 'U') source = `UUID=${o.value ?? ''}`;
  }
  if (all) return yield* mountAll(sys, fstype?.split(','));
  const ops = source === undefined ? p.operands : [source, ...p.operands];
  if (ops.length === 0) {
    for (const m of yield* readMountTable(sys)) {
      if (fstype !== undefined && !fstype.split(',').includes(m.fstype)) continue;
      const opts = [...new Set([...m.options.split(','), ...m.superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro')])].join(',');
      yield* writeAll(sys, 1, `${m.source} on ${m.target} type ${m.fstype} (${opts})\n`);
    }
    return 0;
  }
  if (ops.length === 1) {
    const one = ops[0] as string;
    const e = (yield* readFstab(sys)).find((x) => x.file === one || x.spec === one);
    if (e === undefined) {
      yield* say(sys, `mount: ${one}: can't find in /etc/fstab.\n`);
      return MOUNT_EX_USAGE;
    }
    return yield* mountOne(sys, e.spec, e.file, fstype ?? e.vfstype, [...e.options, ...options]);
  }
  if (ops.length > 2) {
    yield* usageError(sys, 'mount', 'mount: bad usage');
    return MOUNT_EX_USAGE;
  }
  return yield* mountOne(sys, ops[0] as string, ops[1] as string, fstype, options);
}

// Filesystems umount -a leaves alone, as util-linux's default exclusion list does.
const UMOUNT_ALL_SKIP = new Set(['proc', 'sysfs', 'devtmpfs', 'devpts', 'rootfs']);

function* umountOne(sys: Syscalls, what: string): SysCall<number> {
  const table = yield* readMountTable(sys);
  let target = what.length > 1 ? what.replace(/\/+$/, '') : what;
  if (!table.some((m) => m.target === target)) {
    const bySource = [...table].reverse().find((m) => m.source === what);
    if (bySource !== undefined) target = bySource.target;
  }
  try {
    yield* sys.umount(target);
    return 0;
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    let msg: string;
    if (e.code === 'EBUSY') msg = 'target is busy.';
    else if (e.code === 'EINVAL') msg = 'not mounted.';
    else if (e.code === 'EPERM') msg = 'must be superuser to unmount.';
    else if (e.code === 'ENOENT') msg = 'no mount point specified.';
    else msg = `umount failed: ${e.message}.`;
    yield* say(sys, `umount: ${what}: ${msg}\n`);
    return MOUNT_EX_FAIL;
  }
}

/** umount [-a] [-t TYPE] [-l] [-f] DIR|DEVICE... */
export function* umountMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('umount', argv.slice(1), {
    short: 'at:lfvnr',
    long: [
      { name: 'all', key: 'a', arg: 'none' },
      { name: 'types', key: 't', arg: 'required' },
      { name: 'lazy', key: 'l', arg: 'none' },
      { name: 'force', key: 'f', arg: 'none' },
      { name: 'verbose', key: 'v', arg: 'none' },
      { name: 'no-mtab', key: 'n', arg: 'none' },
      { name: 'read-only', key: 'r', arg: 'none' },
    ],
  });
  if (!p.ok) {
    yield* usageError(sys, 'umount', p.message);
    return MOUNT_EX_USAGE;
  }
  const all = p.opts.some((o) => o.key === 'a');
  const types = p.opts.find((o) => o.key === 't')?.value?.split(',');
  let status = 0;
  if (all) {
    for (const m of [...(yield* readMountTable(sys))].reverse()) {
      if (m.target === '/' || UMOUNT_ALL_SKIP.has(m.fstype) || (types !== undefined && !types.includes(m.fstype))) continue;
      status |= yield* umountOne(sys, m.target);
    }
    return status;
  }
  if (p.operands.length === 0) {
    yield* usageError(sys, 'umount', 'umount: bad usage');
    return MOUNT_EX_USAGE;
  }
  for (const what of p.operands) status |= yield* umountOne(sys, what);
  return status;
}
