/**
 * The guest kernel model: process table, VFS with its mounts, device registry, clocks and
 * host name, plus the host-side API the machine and tests use to start programs and to
 * plug drivers in. Everything runs on the machine's scheduler; nothing here touches
 * devices directly — drivers register with it through the device registry.
 */
import { Prng } from '../../core/prng.js';
import type { SchedulerView } from '../../core/scheduler.js';
import type { Trace } from '../../core/trace.js';
import type { ProgramMain } from './block.js';
import { Errno, WouldBlock } from './errno.js';
import { DEFAULT_PATH, MS_NODEV, MS_NOEXEC, MS_NOSUID, O_RDWR, S_IFBLK, S_IFCHR, S_ISDIR, makedev } from './constants.js';
import { rootCred, type Cred } from './cred.js';
import { DeviceRegistry, type DeviceKind, type DeviceOps } from './devices.js';
import { FdTable } from './fdtable.js';
import { SpawnedProcess, openHostStdio, type HostSpawnOptions } from './host-spawn.js';
import { initMain } from './init.js';
import { MEM_DEVICE_NODES, registerMemDevices } from './memdev.js';
import type { Process, ProcessInfo } from './process.js';
import { ProgramRegistry, builtinExecutable, resolveProgram } from './programs.js';
import { NSIG } from './signals.js';
import { Syscalls, type UtsName } from './syscalls.js';
import { ProcessTable, type Fault } from './tasks.js';
import { KernelClock, type Timespec } from './time.js';
import { AnonFs } from './vfs/anonfs.js';
import { fileGet, filePut, type OpenFile } from './vfs/file.js';
import { MountTable, type Mount } from './vfs/mounts.js';
import { last, rootChain, walk } from './vfs/namei.js';
import { isDirectory, mkdirp, parentPath, readWholeFile, removeIfPresent, writeWholeFile } from './vfs/root-ops.js';
import { Tmpfs, type TmpfsOptions } from './vfs/tmpfs.js';
import type { FileSystem, FileSystemFactory, FsFactoryContext, Stat } from './vfs/types.js';
import { Vfs, type VfsContext } from './vfs/vfs.js';
import { switchRoot } from './vfs/switch-root.js';
import { Sysfs } from './sysfs/sysfs.js';
import { Procfs } from './procfs/procfs.js';
import { BlockLayer } from './block/layer.js';

/** How to build a kernel. */
export interface KernelOptions {
  /** The machine's scheduler (the only source of time and of execution). */
  sched: SchedulerView;
  /**
   * Where processes are scheduled (default `sched`): the power code passes a freezer here,
   * so user space can be stopped while the kernel itself keeps working (hibernation).
   */
  taskSched?: SchedulerView;
  /** The machine's trace. */
  trace: Trace;
  /** Initial host name (default "localhost"). */
  hostname?: string;
  /** Initial NIS domain name (default "(none)"). */
  domainname?: string;
  /** Wall-clock time at virtual time 0 (default the epoch; the machine sets it from the RTC). */
  realtime?: Timespec;
  /** uname fields other than the host names. */
  uname?: Partial<Pick<UtsName, 'sysname' | 'release' | 'version' | 'machine'>>;
  /** Program run as pid 1 (default: a reaper). */
  init?: ProgramMain;
  /** Root filesystem (default: an empty tmpfs given a standard directory skeleton). */
  rootfs?: FileSystem;
  /** Seed for /dev/urandom. */
  seed?: number | string;
  /** Called when a program dies of an uncaught exception. */
  onFault?: (fault: Fault) => void;
  /** Called when pid 1 exits (default: throw, stopping the scheduler run). */
  onPanic?: (message: string) => void;
}

/** Options for Kernel.createDeviceNode. */
export interface DeviceNodeOptions {
  /** Permission bits (default 0600). */
  mode?: number;
  /** Owner (default root). */
  uid?: number;
  /** Group (default root). */
  gid?: number;
  /** Character (default) or block device. */
  kind?: DeviceKind;
}

// Types /proc/filesystems marks "nodev" (they need no block device).
const VIRTUAL_FS_TYPES = new Set(['tmpfs', 'devtmpfs', 'sysfs', 'proc', 'rootfs', 'pipefs']);

const SKELETON: readonly (readonly [string, number])[] = [
  ['/bin', 0o755], ['/sbin', 0o755], ['/etc', 0o755], ['/dev', 0o755], ['/proc', 0o555], ['/sys', 0o555],
  ['/run', 0o755], ['/tmp', 0o1777], ['/home', 0o755], ['/root', 0o700], ['/mnt', 0o755], ['/var', 0o755],
  ['/var/log', 0o755], ['/var/lib', 0o755], ['/var/tmp', 0o1777], ['/usr', 0o755], ['/usr/bin', 0o755],
  ['/usr/sbin', 0o755], ['/usr/lib', 0o755], ['/usr/local', 0o755], ['/usr/local/bin', 0o755], ['/usr/local/sbin', 0o755],
];

/** The guest kernel. */
export class Kernel {
  /** The machine scheduler. */
  readonly sched: SchedulerView;
  /** The machine trace. */
  readonly trace: Trace;
  /** Guest clocks. */
  readonly clock: KernelClock;
  /** Registered character and block devices. */
  readonly devices = new DeviceRegistry();
  /** The VFS (its `mounts` is the mount table). */
  readonly vfs: Vfs;
  /** Programs that executables can name. */
  readonly programs = new ProgramRegistry();
  /** Process table and scheduling. */
  readonly procs: ProcessTable;
  /** Where nameless inodes (pipes) live. */
  readonly pipefs: AnonFs;
  /** The /dev filesystem (shared by every devtmpfs mount, as in Linux). */
  readonly devtmpfs: Tmpfs;
  /** Kernel services handed to filesystem factories. */
  readonly fsFactoryContext: FsFactoryContext;
  /** The /sys tree (mounted at /sys when the root has that directory). */
  readonly sysfs: Sysfs;
  /** The /proc tree (mounted at /proc when the root has that directory). */
  readonly procfs: Procfs;
  /** The block layer: disks, partitions, device-mapper, swap. */
  readonly block: BlockLayer;
  /** The command line the boot loader passed (/proc/cmdline); set at boot from the hand-off. */
  cmdline = '';
  private host: string;
  private domain: string;
  private readonly utsFixed: Pick<UtsName, 'sysname' | 'release' | 'version' | 'machine'>;
  private readonly fsTypes = new Map<string, FileSystemFactory>();
  private nextAnonMinor = 1;
  private readonly onPanic: ((message: string) => void) | undefined;

  constructor(opts: KernelOptions) {
    this.sched = opts.sched;
    this.trace = opts.trace;
    this.onPanic = opts.onPanic;
    this.clock = new KernelClock(() => this.sched.now(), opts.realtime);
    this.host = opts.hostname ?? 'localhost';
    this.domain = opts.domainname ?? '(none)';
    this.utsFixed = { sysname: 'Linux', release: '6.1.0-qga-sim', version: '#1 SMP PREEMPT_DYNAMIC qga-sim', machine: 'x86_64', ...opts.uname };
    const now = (): Timespec => this.clock.realtime();
    this.fsFactoryContext = { allocAnonDev: () => this.allocAnonDev(), now };
    this.vfs = new Vfs(new MountTable(), this.devices);
    this.procs = new ProcessTable({
      sched: opts.taskSched ?? this.sched,
      trace: this.trace,
      makeSys: (p) => new Syscalls(this, p),
      panic: (msg) => this.panic(msg),
      onFault: opts.onFault,
    });
    this.pipefs = new AnonFs('pipefs', this.allocAnonDev(), now);

    const root = opts.rootfs ?? new Tmpfs({ dev: this.allocAnonDev(), now, type: 'rootfs', rootMode: 0o755 });
    this.vfs.mounts.mountRoot(root);
    if (opts.rootfs === undefined) for (const [d, mode] of SKELETON) this.mkdirp(d, mode);

    this.devtmpfs = new Tmpfs({ dev: this.allocAnonDev(), now, type: 'devtmpfs', source: 'devtmpfs', rootMode: 0o755 });
    this.registerFilesystem('tmpfs', (source, data, ctx) => new Tmpfs({ dev: ctx.allocAnonDev(), now: ctx.now, source, ...parseTmpfsData(data) }));
    this.registerFilesystem('devtmpfs', () => this.devtmpfs);
    const haveDev = isDirectory(this.vfs, this.kernelContext(), '/dev');
    if (haveDev) this.mount(this.devtmpfs, '/dev', MS_NOSUID);

    this.sysfs = new Sysfs(this.allocAnonDev(), now);
    this.procfs = new Procfs(this.allocAnonDev(), now, {
      processes: () => this.processes(),
      mounts: () => this.mounts(),
      uptimeNs: () => BigInt(this.clock.monotonicNs()),
    });
    this.registerFilesystem('sysfs', () => this.sysfs.fs);
    this.registerFilesystem('proc', () => this.procfs.fs);
    this.procfs.registerText('cmdline', () => `${this.cmdline}\n`);
    this.procfs.registerText('filesystems', () => this.filesystemTypes().map((t) => `${VIRTUAL_FS_TYPES.has(t) ? 'nodev' : ''}\t${t}\n`).join(''));
    if (isDirectory(this.vfs, this.kernelContext(), '/sys')) this.mount(this.sysfs.fs, '/sys', MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (isDirectory(this.vfs, this.kernelContext(), '/proc')) this.mount(this.procfs.fs, '/proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);

    registerMemDevices(this.devices, new Prng(opts.seed ?? 'guest-kernel'), (line) => this.emit('console', line));
    if (haveDev) for (const [name, maj, min, mode] of MEM_DEVICE_NODES) this.createDeviceNode(`/dev/${name}`, maj, min, { mode });
    this.block = new BlockLayer(this);

    this.startProcess(opts.init ?? initMain, '', ['init'], {}, undefined, rootCred(), this.consoleFds());
  }

  private emit(source: string, msg: string): void {
    this.trace.emit(this.sched.now(), 'guest', source, msg);
  }

  private panic(msg: string): void {
    this.emit('kernel', `Kernel panic - not syncing: ${msg}`);
    if (this.onPanic !== undefined) this.onPanic(msg);
    else throw new Error(`Kernel panic - not syncing: ${msg}`);
  }

  /** A context for the kernel's own VFS operations: root, at "/", no umask. */
  kernelContext(): VfsContext {
    return { mounts: this.vfs.mounts, caller: { pid: 0, cred: rootCred() }, cwd: rootChain(this.vfs.mounts), umask: 0 };
  }

  // --- time and names -------------------------------------------------------------

  /** Current host name. */
  get hostname(): string {
    return this.host;
  }

  /** Sets the host name (what sethostname does, without the permission check). */
  setHostname(name: string): void {
    this.host = name;
    this.emit('kernel', `hostname set to '${name}'`);
  }

  /** Sets the NIS domain name. */
  setDomainname(name: string): void {
    this.domain = name;
  }

  /** uname(2) contents. */
  uname(): UtsName {
    return { ...this.utsFixed, nodename: this.host, domainname: this.domain };
  }

  /** Steps the wall clock (settimeofday without the permission check). */
  setRealtime(ts: Timespec): void {
    this.clock.setRealtime(ts);
    this.emit('kernel', `realtime set to ${ts.sec}.${String(ts.nsec).padStart(9, '0')}`);
  }

  // --- processes ------------------------------------------------------------------

  /** Programs that died of uncaught exceptions. */
  get faults(): readonly Fault[] {
    return this.procs.faults;
  }

  /** Registers a program under `name` (executables name it with builtinExecutable()). */
  registerProgram(name: string, main: ProgramMain): void {
    this.programs.register(name, main);
  }

  /** Registers a program and installs an executable for it at `path`. */
  installProgram(path: string, main: ProgramMain, name = path.split('/').pop() ?? path, mode = 0o755): void {
    this.registerProgram(name, main);
    this.writeFile(path, builtinExecutable(name), mode);
  }

  private startProcess(main: ProgramMain, exe: string, argv: readonly string[], opts: HostSpawnOptions, parent: Process | undefined, cred: Cred, fds: FdTable): Process {
    const ctx = this.kernelContext();
    const cwd = opts.cwd === undefined ? ctx.cwd : walk(ctx, opts.cwd, { follow: true }).chain;
    if (!S_ISDIR(last(cwd).inode.mode)) throw new Errno('ENOTDIR');
    const comm = (exe !== '' ? exe : (argv[0] ?? (main.name === '' ? 'anon' : main.name))).split('/').pop() ?? 'anon';
    return this.procs.create(
      {
        ppid: parent?.pid ?? 0,
        pgid: parent?.pgid ?? 1,
        sid: parent?.sid ?? 1,
        comm,
        exe,
        argv: [...argv],
        env: { ...(opts.env ?? { PATH: DEFAULT_PATH, HOME: '/root', TERM: 'linux' }) },
        cred,
        umask: opts.umask ?? 0o022,
        cwd,
        fds,
      },
      main,
      parent,
    );
  }

  // Like Linux's kernel_init, pid 1 starts with /dev/console on descriptors 0, 1 and 2.
  private consoleFds(): FdTable {
    const fds = new FdTable();
    let f: OpenFile;
    try {
      f = this.vfs.open(this.kernelContext(), '/dev/console', O_RDWR);
    } catch (e) {
      if (e instanceof Errno) return fds;
      throw e;
    }
    fds.installAt(0, f);
    fds.installAt(1, fileGet(f));
    fds.installAt(2, fileGet(f));
    return fds;
  }

  // Finds and loads an executable as the host would exec it; the host cannot wait, so a
  // filesystem that would block makes this fail with EAGAIN.
  private loadExecutable(target: string, cred: Cred, env: Record<string, string> | undefined): { main: ProgramMain; exe: string } {
    const ctx = { ...this.kernelContext(), caller: { pid: 0, cred } };
    try {
      const r = resolveProgram(ctx, this.programs, target, env?.PATH ?? DEFAULT_PATH);
      return { main: r.main, exe: r.path };
    } catch (e) {
      if (e instanceof WouldBlock) throw new Errno('EAGAIN', 'executable not readable without waiting');
      throw e;
    }
  }

  /**
   * Starts a program from the host, as a child of init by default. `target` is a path, a
   * name looked up in PATH, or a program function. Standard streams default to /dev/null
   * for input and host-collected pipes for output. Runs as root unless uid/gid are given.
   */
  spawn(target: string | ProgramMain, argv: readonly string[], opts: HostSpawnOptions = {}): SpawnedProcess {
    const parent = this.procs.get(opts.parent ?? 1);
    if (parent === undefined || parent.state === 'zombie') throw new Errno('ESRCH');
    const cred = rootCred();
    if (opts.uid !== undefined) Object.assign(cred, { uid: opts.uid, euid: opts.uid });
    if (opts.gid !== undefined) Object.assign(cred, { gid: opts.gid, egid: opts.gid, groups: [opts.gid] });
    if (opts.groups !== undefined) cred.groups = [...opts.groups];
    const { main, exe } = typeof target === 'string' ? this.loadExecutable(target, cred, opts.env) : { main: target, exe: '' };
    if (opts.cwd !== undefined && !isDirectory(this.vfs, this.kernelContext(), opts.cwd)) throw new Errno('ENOTDIR');
    const stdio = openHostStdio(opts, { sched: this.sched, vfs: this.vfs, ctx: this.kernelContext(), pipefs: this.pipefs });
    const fds = new FdTable();
    stdio.files.forEach((f, fd) => {
      if (f !== undefined) fds.installAt(fd, f);
    });
    const p = this.startProcess(main, exe, argv, opts, parent, cred, fds);
    return new SpawnedProcess(p, stdio.stdin, stdio.stdout, stdio.stderr);
  }

  /** Sends a signal from the host (the kernel itself is the sender). */
  kill(pid: number, sig: number): void {
    if (!Number.isInteger(sig) || sig < 0 || sig > NSIG) throw new Errno('EINVAL');
    const p = this.procs.get(pid);
    if (p === undefined) throw new Errno('ESRCH');
    this.procs.send(p, sig, 0);
  }

  /** A snapshot of one process. */
  process(pid: number): ProcessInfo | undefined {
    const p = this.procs.get(pid);
    return p === undefined ? undefined : this.procs.info(p);
  }

  /** Snapshots of all processes, by pid. */
  processes(): ProcessInfo[] {
    return this.procs.list().map((p) => this.procs.info(p));
  }

  // --- devices ----------------------------------------------------------------------

  /** Registers a character device driver for (major, minor). */
  registerCharDevice(major: number, minor: number, ops: DeviceOps, name?: string): void {
    this.devices.register('char', major, minor, ops, name);
    this.emit('kernel', `chrdev ${major}:${minor}${name === undefined ? '' : ' ' + name} registered`);
  }

  /** Removes a character device registration. */
  unregisterCharDevice(major: number, minor: number): void {
    this.devices.unregister('char', major, minor);
    this.emit('kernel', `chrdev ${major}:${minor} unregistered`);
  }

  /** Registers a block device driver for (major, minor). */
  registerBlockDevice(major: number, minor: number, ops: DeviceOps, name?: string): void {
    this.devices.register('block', major, minor, ops, name);
    this.emit('kernel', `blkdev ${major}:${minor}${name === undefined ? '' : ' ' + name} registered`);
  }

  /** Removes a block device registration. */
  unregisterBlockDevice(major: number, minor: number): void {
    this.devices.unregister('block', major, minor);
    this.emit('kernel', `blkdev ${major}:${minor} unregistered`);
  }

  /** A free dynamic character major (like register_chrdev(0, name)). */
  allocCharMajor(name: string): number {
    return this.devices.allocMajor('char', name);
  }

  /** A free dynamic block major. */
  allocBlockMajor(name: string): number {
    return this.devices.allocMajor('block', name);
  }

  // --- files, as the kernel (root) sees them --------------------------------------

  /** Creates a directory and its missing parents. */
  mkdirp(path: string, mode = 0o755): void {
    mkdirp(this.vfs, this.kernelContext(), path, mode);
  }

  /** Creates a device node (devtmpfs style: parents are created, an existing node replaced). */
  createDeviceNode(path: string, major: number, minor: number, opts: DeviceNodeOptions = {}): void {
    const ctx = this.kernelContext();
    mkdirp(this.vfs, ctx, parentPath(path));
    removeIfPresent(this.vfs, ctx, path);
    const type = (opts.kind ?? 'char') === 'char' ? S_IFCHR : S_IFBLK;
    this.vfs.mknod(ctx, path, type | (opts.mode ?? 0o600), makedev(major, minor));
    if (opts.uid !== undefined || opts.gid !== undefined) this.chown(path, opts.uid ?? -1, opts.gid ?? -1, false);
    this.emit('kernel', `node ${path} ${opts.kind ?? 'char'} ${major}:${minor}`);
  }

  /** Creates (or replaces) a symlink, creating parent directories. */
  createSymlink(path: string, target: string): void {
    const ctx = this.kernelContext();
    mkdirp(this.vfs, ctx, parentPath(path));
    removeIfPresent(this.vfs, ctx, path);
    this.vfs.symlink(ctx, target, path);
  }

  /** Removes a non-directory (device node, symlink, file) if it exists. */
  removeNode(path: string): void {
    removeIfPresent(this.vfs, this.kernelContext(), path);
  }

  /** Writes a whole file (created or truncated), creating parent directories. */
  writeFile(path: string, data: string | Uint8Array, mode = 0o644): void {
    const ctx = this.kernelContext();
    mkdirp(this.vfs, ctx, parentPath(path));
    writeWholeFile(this.vfs, ctx, path, data, mode);
  }

  /** Reads a whole file (filesystems that would have to wait fail with EAGAIN). */
  readFile(path: string): Uint8Array {
    return readWholeFile(this.vfs, this.kernelContext(), path);
  }

  /** chown as root (-1 keeps an id); `follow` false changes a symlink itself. */
  chown(path: string, uid: number, gid: number, follow = true): void {
    const ctx = this.kernelContext();
    this.vfs.chown(last(this.vfs.resolve(ctx, path, follow)), uid, gid, ctx.caller.cred);
  }

  /** chmod as root. */
  chmod(path: string, mode: number): void {
    const ctx = this.kernelContext();
    this.vfs.chmod(last(this.vfs.resolve(ctx, path, true)), mode, ctx.caller.cred);
  }

  /** stat() as root. */
  stat(path: string, follow = true): Stat {
    return this.vfs.stat(this.kernelContext(), path, follow);
  }

  /** Drops a reference to an open file held outside descriptor tables. */
  releaseFile(f: OpenFile): void {
    filePut(f);
  }

  // --- filesystems and mounts -----------------------------------------------------

  /** Allocates an anonymous device number (0:N) for a virtual filesystem. */
  allocAnonDev(): number {
    return makedev(0, this.nextAnonMinor++);
  }

  /** Makes a filesystem type available to mount(2). */
  registerFilesystem(type: string, factory: FileSystemFactory): void {
    this.fsTypes.set(type, factory);
  }

  /** The factory for a filesystem type, if registered. */
  filesystemType(type: string): FileSystemFactory | undefined {
    return this.fsTypes.get(type);
  }

  /** Registered filesystem types in registration order (/proc/filesystems). */
  filesystemTypes(): string[] {
    return [...this.fsTypes.keys()];
  }

  /** A new tmpfs instance (not mounted). */
  createTmpfs(opts: Partial<Omit<TmpfsOptions, 'dev' | 'now'>> = {}): Tmpfs {
    return new Tmpfs({ dev: this.allocAnonDev(), now: () => this.clock.realtime(), ...opts });
  }

  /**
   * Makes `fs` the root filesystem (an initramfs's switch_root): mounted over "/", with
   * /dev, /proc, /sys and /run moved onto it. May throw WouldBlock before changing
   * anything while the new root's directories are read; call it again once woken.
   */
  switchRoot(fs: FileSystem, flags = 0): Mount {
    const r = switchRoot(this.vfs.mounts, fs, flags, this.kernelContext().caller, this.procs.list());
    this.emit('kernel', `switch_root: ${fs.source} (${fs.type}) is now / (${r.root.options()}) id ${r.root.id}; moved ${r.moved.map((m) => m.path).join(' ') || 'nothing'}`);
    for (const m of r.left) this.emit('kernel', `switch_root: ${m.path} has no mount point on the new root, left behind`);
    return r.root;
  }

  /** Mounts on behalf of a syscall or the host, with tracing. */
  attachMount(ctx: VfsContext, fs: FileSystem, path: string, flags: number): Mount {
    const m = this.vfs.mount(ctx, fs, path, flags);
    this.emit('kernel', `mount ${fs.source} on ${m.path} type ${fs.type} (${m.options()}) id ${m.id}`);
    return m;
  }

  /** Unmounts on behalf of a syscall or the host, with tracing. */
  detachMount(ctx: VfsContext, path: string): void {
    const m = this.vfs.umount(ctx, path);
    this.emit('kernel', `umount ${m.path} id ${m.id}`);
  }

  /** Mounts a filesystem instance on a directory (as root). */
  mount(fs: FileSystem, path: string, flags = 0): Mount {
    return this.attachMount(this.kernelContext(), fs, path, flags);
  }

  /** Unmounts whatever is mounted on `path`. */
  umount(path: string): void {
    this.detachMount(this.kernelContext(), path);
  }

  /** The mount table in mount order. */
  mounts(): readonly Mount[] {
    return this.vfs.mounts.list();
  }
}

// tmpfs mount data: "size=1m,mode=700".
function parseTmpfsData(data: string): Partial<TmpfsOptions> {
  const out: Partial<TmpfsOptions> = {};
  for (const opt of data.split(',').filter((s) => s !== '')) {
    const [k, v = ''] = opt.split('=');
    if (k === 'mode') {
      if (!/^[0-7]+$/.test(v)) throw new Errno('EINVAL');
      out.rootMode = parseInt(v, 8) & 0o7777;
    } else if (k === 'size') {
      const m = /^(\d+)([kmg]?)$/i.exec(v);
      if (m === null) throw new Errno('EINVAL');
      const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
      out.maxBytes = Number(m[1]) * mult;
    }
  }
  return out;
}
