/**
 * Mounting at boot. The kernel itself mounts the root filesystem named on its command
 * line (root=/dev/vda1 [rootfstype=ext4] [rootflags=...] [ro|rw] [rootwait]) once the block
 * layer has finished scanning partitions, and switches to it (the tmpfs rootfs stays
 * underneath, /dev, /proc, /sys and /run move over). Then an init-like guest process
 * takes over: it puts the userland's executables on the new root, runs `mount -a` for
 * /etc/fstab, and enables fstab's swap areas, in fstab order.
 */
import { MS_RDONLY, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_ISDIR, S_ISLNK, S_ISREG, WEXITSTATUS, major, minor } from '../kernel/index.js';
import { Errno, WouldBlock } from '../kernel/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Program, SysCall } from '../kernel/block.js';
import type { Syscalls } from '../kernel/syscalls.js';
import { BUILTIN_MARKER } from '../kernel/programs.js';
import { wakeOnce } from '../kernel/waitqueue.js';
import type { FileSystem } from '../kernel/vfs/types.js';
import { resolveSource } from '../programs/lib/blkid.js';
import { parseFstab, splitMountOptions } from '../programs/lib/fstab.js';
import { readFileIfExists } from '../programs/lib/userdb.js';
import { mountAll } from '../programs/mount.js';
import { errText, writeAll } from '../programs/stdio.js';
import { waitFor } from '../programs/lib/exec.js';
import { SIMPLEFS_TYPES } from './simplefs/mount.js';

/** How long the kernel waits for the root device with rootwait (virtual time), before giving up. */
export const ROOT_WAIT_LIMIT_NS = 30_000_000_000;
/** How often it looks for the device node again meanwhile. */
export const ROOT_WAIT_POLL_NS = 10_000_000;
/** Directories whose executables move onto the new root. */
export const USERLAND_DIRS: readonly string[] = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

/** The root-related words of a kernel command line. */
export interface RootOptions {
  /** root= device path ("/dev/vda1"); undefined: stay on the rootfs. */
  root?: string;
  /** rootfstype= (default: every disk filesystem type in turn). */
  rootfstype?: string;
  /** rootflags= (filesystem options). */
  rootflags?: string;
  /** "ro" on the command line (Linux's default is ro too, but distributions pass rw or remount). */
  readOnly?: boolean;
  /** rootwait: wait for the device to appear. */
  rootwait?: boolean;
}

/** Picks the root options out of a command line. */
export function parseRootOptions(cmdline: string): RootOptions {
  const out: RootOptions = {};
  for (const w of cmdline.split(/\s+/).filter((s) => s !== '')) {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    const v = eq < 0 ? '' : w.slice(eq + 1);
    if (k === 'root') out.root = v;
    else if (k === 'rootfstype') out.rootfstype = v;
    else if (k === 'rootflags') out.rootflags = v;
    else if (k === 'ro') out.readOnly = true;
    else if (k === 'rw') out.readOnly = false;
    else if (k === 'rootwait') out.rootwait = true;
  }
  return out;
}

/** How boot mounting went. */
export interface BootMountResult {
  /** Root: switched to a disk, left on the rootfs (no root=), or failed (still on the rootfs). */
  root: 'switched' | 'rootfs' | 'failed';
  /** Why the root mount failed. */
  error?: string;
  /** Exit status of `mount -a` (undefined if it never ran). */
  mountAll?: number;
  /** fstab swap areas enabled. */
  swaps: string[];
  /** Executables, symlinks and directories the second stage had to (re)create on the root. */
  installed: number;
}

/** Boot mounting options: the root options plus hooks. */
export interface BootMountOptions extends RootOptions {
  /** Longest wait for the root device (default ROOT_WAIT_LIMIT_NS with rootwait, otherwise none). */
  waitNs?: number;
  /** Files of the rootfs copied to the new root when missing there (never overwriting), e.g. ["/etc"]. */
  seedMissing?: readonly string[];
  /** Called once everything is mounted (or failed): start services here. */
  onDone?: (result: BootMountResult) => void;
}

/** One thing the userland consists of on the rootfs. */
type UserlandItem = ({ path: string; kind: 'file'; data: Uint8Array; mode: number } | { path: string; kind: 'symlink'; target: string } | { path: string; kind: 'dir'; mode: number }) & { owner?: { uid: number; gid: number } };

const decoder = new TextDecoder();

// Runs a kernel operation that may wait: on WouldBlock it sleeps on the named queues (or a
// short timer when none) and tries again from a fresh scheduler event.
function kernelRetry<T>(kernel: Kernel, label: string, op: () => T, done: (v: T) => void, fail: (e: Errno) => void): void {
  let v: T;
  try {
    v = op();
  } catch (e) {
    if (e instanceof WouldBlock) {
      const again = (): void => void kernel.sched.after(0, label, () => kernelRetry(kernel, label, op, done, fail));
      if (e.queues.length === 0) {
        kernel.sched.after(ROOT_WAIT_POLL_NS, label, () => kernelRetry(kernel, label, op, done, fail));
        return;
      }
      wakeOnce(e.queues, again);
      return;
    }
    if (e instanceof Errno) return fail(e);
    throw e;
  }
  done(v);
}

function log(kernel: Kernel, msg: string): void {
  kernel.trace.emit(kernel.sched.now(), 'guest', 'kernel', msg);
}

// The rootfs's executables (builtin markers naming registered programs) and symlinks.
function snapshotUserland(kernel: Kernel): UserlandItem[] {
  const ctx = kernel.kernelContext();
  const out: UserlandItem[] = [];
  for (const dir of USERLAND_DIRS) {
    let entries;
    try {
      const st = kernel.vfs.stat(ctx, dir, false);
      if (!S_ISDIR(st.mode)) continue;
      out.push({ path: dir, kind: 'dir', mode: st.mode & 0o7777 });
      entries = kernel.vfs.readdir(ctx, dir);
    } catch (e) {
      if (e instanceof Errno) continue;
      throw e;
    }
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = `${dir}/${e.name}`;
      const st = kernel.vfs.stat(ctx, path, false);
      if (S_ISLNK(st.mode)) {
        out.push({ path, kind: 'symlink', target: kernel.vfs.readlink(ctx, path) });
      } else if (S_ISREG(st.mode)) {
        const data = kernel.readFile(path);
        const first = decoder.decode(data.subarray(0, 256)).split('\n')[0] ?? '';
        const name = first.startsWith(BUILTIN_MARKER + ' ') ? first.slice(BUILTIN_MARKER.length + 1).trim() : undefined;
        if (name !== undefined && kernel.programs.get(name) !== undefined) out.push({ path, kind: 'file', data, mode: st.mode & 0o7777 });
      }
    }
  }
  return out;
}

// Copies of rootfs files under `roots` (for seedMissing).
function snapshotTree(kernel: Kernel, roots: readonly string[]): UserlandItem[] {
  const ctx = kernel.kernelContext();
  const out: UserlandItem[] = [];
  const walk = (path: string): void => {
    let st;
    try {
      st = kernel.vfs.stat(ctx, path, false);
    } catch (e) {
      if (e instanceof Errno) return;
      throw e;
    }
    // Seeds keep their owners (/home/user, /etc/shadow's group), unlike the root-owned userland.
    const owner = { uid: st.uid, gid: st.gid };
    if (S_ISLNK(st.mode)) out.push({ path, kind: 'symlink', target: kernel.vfs.readlink(ctx, path) });
    else if (S_ISREG(st.mode)) out.push({ path, kind: 'file', data: kernel.readFile(path), mode: st.mode & 0o7777, owner });
    else if (S_ISDIR(st.mode)) {
      out.push({ path, kind: 'dir', mode: st.mode & 0o7777, owner });
      for (const e of kernel.vfs.readdir(ctx, path).map((x) => x.name).sort()) walk(`${path}/${e}`);
    }
  };
  for (const r of roots) walk(r);
  return out;
}

function* exists(sys: Syscalls, path: string): SysCall<boolean> {
  try {
    yield* sys.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
}

function* sameFile(sys: Syscalls, path: string, data: Uint8Array): SysCall<boolean> {
  let fd: number;
  try {
    fd = yield* sys.open(path, O_RDONLY);
  } catch (e) {
    if (e instanceof Errno) return false;
    throw e;
  }
  try {
    const cur = yield* sys.read(fd, data.length + 1);
    return cur.length === data.length && cur.every((b, i) => b === data[i]);
  } finally {
    sys.close(fd);
  }
}

// mkdir -p: missing ancestors get 0755, the directory itself `mode`; returns how many were made.
function* mkdirs(sys: Syscalls, path: string, mode: number): SysCall<number> {
  const parts = path.split('/').filter((c) => c !== '');
  let made = 0;
  for (let i = 1; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    if (yield* exists(sys, p)) continue;
    yield* sys.mkdir(p, i === parts.length ? mode : 0o755);
    if (i === parts.length) yield* sys.chmod(p, mode);
    made++;
  }
  return made;
}

// Puts items on the (new) root: always (userland) or only where nothing is yet (seeds).
function* install(sys: Syscalls, items: readonly UserlandItem[], overwrite: boolean): SysCall<number> {
  let changed = 0;
  for (const it of items) {
    try {
      if (it.kind === 'dir') {
        const made = yield* mkdirs(sys, it.path, it.mode);
        if (made > 0 && it.owner !== undefined) yield* sys.chown(it.path, it.owner.uid, it.owner.gid);
        changed += made;
        continue;
      }
      const present = yield* exists(sys, it.path);
      if (present && !overwrite) continue;
      if (it.kind === 'symlink') {
        if (present) {
          if (S_ISLNK((yield* sys.lstat(it.path)).mode) && (yield* sys.readlink(it.path)) === it.target) continue;
          yield* sys.unlink(it.path);
        }
        yield* sys.symlink(it.target, it.path);
      } else {
        if (present && (yield* sameFile(sys, it.path, it.data))) continue;
        const fd = yield* sys.open(it.path, O_WRONLY | O_CREAT | O_TRUNC, it.mode);
        try {
          let off = 0;
          while (off < it.data.length) off += yield* sys.write(fd, it.data.subarray(off));
        } finally {
          sys.close(fd);
        }
        if (it.owner !== undefined) yield* sys.chown(it.path, it.owner.uid, it.owner.gid);
        yield* sys.chmod(it.path, it.mode);
      }
      changed++;
    } catch (e) {
      yield* writeAll(sys, 2, `boot: cannot install ${it.path}: ${errText(e)}\n`);
    }
  }
  return changed;
}

function* swapAll(sys: Syscalls): SysCall<string[]> {
  const text = (yield* readFileIfExists(sys, '/etc/fstab')) ?? '';
  const on: string[] = [];
  for (const e of parseFstab(text).entries) {
    if (e.vfstype !== 'swap' || splitMountOptions(e.options).noauto) continue;
    const dev = yield* resolveSource(sys, e.spec);
    if (dev === undefined) {
      yield* writeAll(sys, 2, `swapon: cannot find the device for ${e.spec}\n`);
      continue;
    }
    try {
      yield* sys.swapon(dev);
      on.push(dev);
    } catch (err) {
      yield* writeAll(sys, 2, `swapon: ${dev}: swapon failed: ${errText(err)}\n`);
    }
  }
  return on;
}

// The init-like second stage, run as a guest process.
function secondStage(userland: readonly UserlandItem[], seeds: readonly UserlandItem[], result: BootMountResult, finish: () => void) {
  return function* bootMounts(sys: Syscalls): Program {
    try {
      result.installed = yield* install(sys, userland, true);
      result.installed += yield* install(sys, seeds, false);
      if (yield* exists(sys, '/bin/mount')) {
        const pid = yield* sys.spawn('/bin/mount', ['mount', '-a']);
        result.mountAll = WEXITSTATUS(yield* waitFor(sys, pid));
      } else {
        result.mountAll = yield* mountAll(sys, undefined);
      }
      result.swaps = yield* swapAll(sys);
      return result.mountAll === 0 ? 0 : 1;
    } finally {
      finish();
    }
  };
}

function diskTypes(kernel: Kernel, rootfstype: string | undefined): string[] {
  if (rootfstype !== undefined) return rootfstype.split(',');
  const registered = kernel.filesystemTypes();
  return SIMPLEFS_TYPES.filter((t) => registered.includes(t));
}

/**
 * Starts boot mounting: waits for the block layer, mounts and switches to the root (if
 * root= is given), then runs the second stage as a guest process. `opts.onDone` runs once
 * it is all over.
 */
export function startBootMounts(kernel: Kernel, opts: BootMountOptions): void {
  const result: BootMountResult = { root: opts.root === undefined ? 'rootfs' : 'failed', swaps: [], installed: 0 };
  const userland = snapshotUserland(kernel);
  const seeds = snapshotTree(kernel, opts.seedMissing ?? []);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    log(kernel, `boot: mounts done (root ${result.root}${result.mountAll === undefined ? '' : `, mount -a status ${result.mountAll}`})`);
    opts.onDone?.(result);
  };
  const secondStageNow = (): void => {
    try {
      kernel.spawn(secondStage(userland, seeds, result, finish), ['mount-boot'], { stdout: 'console', stderr: 'console' });
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      result.error = `cannot start the boot process: ${e.message}`;
      finish();
    }
  };
  const rootPath = opts.root;
  if (rootPath === undefined) {
    secondStageNow();
    return;
  }
  const fail = (msg: string): void => {
    result.root = 'failed';
    result.error = msg;
    log(kernel, `VFS: Cannot open root device "${rootPath}": ${msg}`);
    finish();
  };
  const flags = opts.readOnly === true ? MS_RDONLY : 0;
  const types = diskTypes(kernel, opts.rootfstype);
  const limit = opts.waitNs ?? (opts.rootwait === true ? ROOT_WAIT_LIMIT_NS : 0);
  const deadline = kernel.sched.now() + limit;
  let announced = false;

  const tryType = (i: number): void => {
    const type = types[i];
    if (type === undefined) return fail('no filesystem type could mount it');
    const factory = kernel.filesystemType(type);
    if (factory === undefined) return tryType(i + 1);
    kernelRetry(
      kernel,
      'mount root',
      () => factory(rootPath, opts.rootflags ?? '', kernel.fsFactoryContext),
      (fs) => switchTo(fs),
      (e) => (e.code === 'EINVAL' || e.code === 'ENODEV' ? tryType(i + 1) : fail(e.message)),
    );
  };
  const switchTo = (fs: FileSystem): void => {
    kernelRetry(
      kernel,
      'switch root',
      () => kernel.switchRoot(fs, flags),
      () => {
        result.root = 'switched';
        log(kernel, `VFS: Mounted root (${fs.type} filesystem)${flags & MS_RDONLY ? ' readonly' : ''} on device ${major(fs.dev)}:${minor(fs.dev)}.`);
        secondStageNow();
      },
      (e) => fail(e.message),
    );
  };
  const lookForDevice = (): void => {
    let found = false;
    try {
      kernel.stat(rootPath);
      found = true;
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
    if (found) return tryType(0);
    if (kernel.sched.now() >= deadline) return fail('no such device');
    if (!announced) {
      announced = true;
      log(kernel, `Waiting for root device ${rootPath}...`);
    }
    kernel.sched.after(ROOT_WAIT_POLL_NS, 'root wait', lookForDevice);
  };
  kernel.block.whenSettled(lookForDevice);
}
