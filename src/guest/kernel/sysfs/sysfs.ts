/**
 * /sys: the kernel's device model made visible. Drivers and subsystems add directories,
 * attributes and symlinks at Linux's paths ("/devices/pci0000:00/0000:00:05.0/virtio2");
 * symlinks are given as absolute /sys paths and stored relative, as sysfs shows them,
 * because tools (qemu-ga among them) resolve them with realpath and parse the result.
 */
import { Errno } from '../errno.js';
import { SynthDir, SynthFs, synthFile, synthLink, type SynthFile, type SynthNode } from '../vfs/synthfs.js';
import type { Timespec } from '../time.js';

/** statfs f_type of sysfs. */
export const SYSFS_MAGIC = 0x62656572;

/** sysfs reports every attribute as one page long. */
const ATTR_SIZE = 4096;

/** What an attribute does when read and written. */
export type SysfsAttr = Omit<SynthFile, 'kind' | 'size'>;

function split(path: string): string[] {
  if (!path.startsWith('/')) throw new Error(`sysfs path must be absolute: ${path}`);
  return path.split('/').filter((p) => p !== '');
}

/** The path of `target` relative to the directory holding `linkPath` (both absolute in /sys). */
export function relativeSysfsLink(linkPath: string, target: string): string {
  const from = split(linkPath).slice(0, -1);
  const to = split(target);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  return [...Array<string>(from.length - common).fill('..'), ...to.slice(common)].join('/') || '.';
}

/** The /sys tree. */
export class Sysfs {
  /** The filesystem mounted at /sys. */
  readonly fs: SynthFs;

  constructor(dev: number, now: () => Timespec) {
    this.fs = new SynthFs({ type: 'sysfs', source: 'sysfs', dev, now, magic: SYSFS_MAGIC, options: 'rw' });
    for (const d of ['block', 'bus', 'class', 'dev/block', 'dev/char', 'devices/system', 'devices/virtual', 'firmware', 'fs', 'kernel', 'module', 'power']) {
      this.fs.tree.dir(d);
    }
  }

  /** The directory at `path`, created with its parents if missing. */
  dir(path: string): SynthDir {
    return this.fs.tree.dir(split(path).join('/'), 0o755);
  }

  /** Adds (or replaces) an attribute file; parents are created. */
  attr(path: string, spec: SysfsAttr): void {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) throw new Error('sysfs: empty attribute path');
    this.fs.tree.dir(parts.join('/'), 0o755).add(name, synthFile({ ...spec, size: ATTR_SIZE }));
  }

  /** A read-only attribute whose value is `show()` followed by a newline, as sysfs prints. */
  value(path: string, show: () => string | number): void {
    this.attr(path, { mode: 0o444, show: () => `${show()}\n` });
  }

  /** A symlink at `path` pointing at the absolute /sys path `target`. */
  link(path: string, target: string): void {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) throw new Error('sysfs: empty link path');
    this.fs.tree.dir(parts.join('/'), 0o755).add(name, synthLink(relativeSysfsLink(path, target)));
  }

  /** Removes the entry at `path` (a whole directory goes with its contents). */
  remove(path: string): void {
    const parts = split(path);
    const name = parts.pop();
    const parent = name === undefined ? undefined : this.lookup('/' + parts.join('/'));
    if (parent instanceof SynthDir && name !== undefined) parent.remove(name);
  }

  /** The node at `path`, if any (symlinks are not followed). */
  lookup(path: string): SynthNode | undefined {
    let node: SynthNode = this.fs.tree;
    for (const part of split(path)) {
      if (!(node instanceof SynthDir)) return undefined;
      const next = node.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  /** True if `path` exists. */
  exists(path: string): boolean {
    return this.lookup(path) !== undefined;
  }

  /** Throws ENOENT unless `path` is a directory (for code that must attach under a parent). */
  requireDir(path: string): SynthDir {
    const n = this.lookup(path);
    if (!(n instanceof SynthDir)) throw new Errno('ENOENT');
    return n;
  }
}
