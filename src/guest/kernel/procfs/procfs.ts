/**
 * /proc: process directories generated from the process table, the mount table in both
 * of Linux's formats, and a registry other subsystems add their files to (/proc/net/dev,
 * /proc/diskstats, /proc/stat) so each file is produced by the code that owns the data.
 */
import { major, minor } from '../constants.js';
import { SynthDir, SynthFs, synthFile, synthLink, type SynthFile, type SynthNode } from '../vfs/synthfs.js';
import type { Mount } from '../vfs/mounts.js';
import type { ProcessInfo } from '../process.js';
import type { Timespec } from '../time.js';
import type { FsCaller } from '../vfs/types.js';

/** statfs f_type of procfs. */
export const PROC_SUPER_MAGIC = 0x9fa0;

/** What procfs reads from the rest of the kernel. */
export interface ProcfsSources {
  /** Live processes (zombies included). */
  processes(): readonly ProcessInfo[];
  /** Mounts in mount order. */
  mounts(): readonly Mount[];
  /** Monotonic (boot-relative) nanoseconds, for /proc/uptime. */
  uptimeNs(): bigint;
}

// The kernel escapes space, tab, newline and backslash in mount table fields as octal.
function escapeMountField(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** One /proc/self/mountinfo line. */
export function mountinfoLine(m: Mount): string {
  const dev = m.fs.dev;
  const parent = m.parent?.id ?? m.id;
  const superOpts = m.fs.superOptions?.() ?? 'rw';
  return `${m.id} ${parent} ${major(dev)}:${minor(dev)} / ${escapeMountField(m.path)} ${m.options()} - ${m.fs.type} ${escapeMountField(m.fs.source)} ${superOpts}\n`;
}

/** One /proc/mounts line (fstab format; the last two fields are always 0 0). */
export function mountsLine(m: Mount): string {
  const superOpts = m.fs.superOptions?.() ?? 'rw';
  const opts = [m.readOnly ? 'ro' : 'rw', ...superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro' && o !== ''), ...m.options().split(',').slice(1)];
  return `${escapeMountField(m.fs.source)} ${escapeMountField(m.path)} ${m.fs.type} ${[...new Set(opts)].join(',')} 0 0\n`;
}

function formatUptime(ns: bigint): string {
  const cs = ns / 10_000_000n;
  return `${cs / 100n}.${(cs % 100n).toString().padStart(2, '0')}`;
}

/** The /proc tree. */
export class Procfs {
  /** The filesystem mounted at /proc. */
  readonly fs: SynthFs;
  private readonly pidDirs = new Map<number, SynthDir>();

  constructor(
    dev: number,
    now: () => Timespec,
    private readonly src: ProcfsSources,
  ) {
    const root = new SynthDir(0o555, (caller) => this.pidEntries(caller));
    this.fs = new SynthFs({ type: 'proc', source: 'proc', dev, now, magic: PROC_SUPER_MAGIC, root, options: 'rw' });
    root.add('self', synthLink((caller: FsCaller) => String(caller.pid)));
    root.add('thread-self', synthLink((caller: FsCaller) => `${caller.pid}/task/${caller.pid}`));
    root.add('mounts', synthLink('self/mounts'));
    root.add('uptime', synthFile({ show: () => {
      const up = formatUptime(src.uptimeNs());
      return `${up} ${up}\n`;
    } }));
    root.dir('net', 0o555);
    root.dir('sys', 0o555);
  }

  /** Adds (or replaces) a file at `path` relative to /proc ("net/dev", "diskstats"). */
  register(path: string, file: Omit<SynthFile, 'kind'> | SynthNode): void {
    const parts = path.split('/').filter((p) => p !== '');
    const name = parts.pop();
    if (name === undefined) throw new Error('procfs: empty path');
    const node: SynthNode = 'kind' in file ? (file as SynthNode) : synthFile(file);
    this.fs.tree.dir(parts.join('/'), 0o555).add(name, node);
  }

  /** A read-only file whose content is produced by `show` at open time. */
  registerText(path: string, show: () => string): void {
    this.register(path, { mode: 0o444, show });
  }

  private pidEntries(_caller: FsCaller): [string, SynthNode][] {
    const live = new Set<number>();
    const out: [string, SynthNode][] = [];
    for (const p of this.src.processes()) {
      live.add(p.pid);
      out.push([String(p.pid), this.pidDir(p.pid)]);
    }
    for (const pid of this.pidDirs.keys()) if (!live.has(pid)) this.pidDirs.delete(pid);
    return out;
  }

  private info(pid: number): ProcessInfo | undefined {
    return this.src.processes().find((p) => p.pid === pid);
  }

  // Directory objects are cached per pid so inode numbers stay stable while a process lives.
  private pidDir(pid: number): SynthDir {
    let d = this.pidDirs.get(pid);
    if (d !== undefined) return d;
    d = new SynthDir(0o555);
    d.add('mountinfo', synthFile({ show: () => this.src.mounts().map(mountinfoLine).join('') }));
    d.add('mounts', synthFile({ show: () => this.src.mounts().map(mountsLine).join('') }));
    d.add('comm', synthFile({ show: () => `${this.info(pid)?.comm ?? ''}\n` }));
    d.add('cmdline', synthFile({ show: () => {
      const p = this.info(pid);
      return p === undefined || p.state === 'zombie' ? '' : p.argv.map((a) => a + '\0').join('');
    } }));
    d.add('exe', synthLink(() => this.info(pid)?.exe ?? ''));
    d.add('cwd', synthLink(() => this.info(pid)?.cwd ?? '/'));
    d.add('status', synthFile({ show: () => {
      const p = this.info(pid);
      if (p === undefined) return '';
      return `Name:\t${p.comm}\nState:\t${p.state === 'zombie' ? 'Z (zombie)' : 'S (sleeping)'}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\n` +
        `Uid:\t${p.uid}\t${p.euid}\t${p.euid}\t${p.euid}\nGid:\t${p.gid}\t${p.egid}\t${p.egid}\t${p.egid}\n`;
    } }));
    d.add('fd', new SynthDir(0o500, () => (this.info(pid)?.fds ?? []).map((f): [string, SynthNode] => [String(f.fd), synthLink(f.path)])));
    this.pidDirs.set(pid, d);
    return d;
  }
}



