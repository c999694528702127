/**
 * Path resolution. A resolved location is the chain of (mount, inode) steps from the root,
 * so ".." is simply a step back, mount boundaries need no special case on the way up, and
 * the canonical path (realpath, getcwd) is the chain's names joined.
 *
 * A consequence worth knowing: a working directory remembers the way it was reached, so
 * if one of its ancestors is later renamed, ".." from it still follows the old route.
 */
import { Errno } from '../errno.js';
import { MAXSYMLINKS, NAME_MAX, PATH_MAX, S_ISDIR, S_ISLNK } from '../constants.js';
import { checkAccess } from '../cred.js';
import type { FsCaller, Inode } from './types.js';
import type { Mount, MountTable } from './mounts.js';

/** One step of a resolved path. */
export interface PathStep {
  /** Component name ("" for the root). */
  readonly name: string;
  /** Mount the inode was reached through. */
  readonly mnt: Mount;
  /** The inode. */
  readonly inode: Inode;
}

/** A resolved path: steps from the root (first) to the target (last). */
export type PathChain = readonly PathStep[];

/** Where and as whom a lookup runs. */
export interface LookupContext {
  /** The mount table. */
  mounts: MountTable;
  /** Caller identity (for search permission and caller-dependent filesystems). */
  caller: FsCaller;
  /** Working directory, for relative paths. */
  cwd: PathChain;
}

/** How the last component is treated. */
export interface WalkOptions {
  /** Follow a symlink in the last component. */
  follow: boolean;
  /** Return the parent instead of failing with ENOENT when the last component is missing. */
  allowMissing?: boolean;
  /** Stop before the last component, returning its parent and name unresolved. */
  parentOnly?: boolean;
}

/** Result of a walk. */
export interface WalkResult {
  /** The target (found) or its parent directory (missing / parentOnly). */
  chain: PathChain;
  /** True when `chain` ends at the target itself. */
  found: boolean;
  /** The last component's name ("" when the path is "/"). */
  name: string;
  /** The path ended in "/" (so the target must be a directory). */
  trailingSlash: boolean;
}

/** The last step of a chain. */
export function last(chain: PathChain): PathStep {
  const s = chain[chain.length - 1];
  if (s === undefined) throw new Error('kernel: empty path chain');
  return s;
}

/** The canonical absolute path of a chain. */
export function chainPath(chain: PathChain): string {
  return chain.length <= 1 ? '/' : chain.slice(1).map((s) => '/' + s.name).join('');
}

/** Follows any mounts stacked on a step, to the topmost one's root. */
export function crossMounts(mounts: MountTable, step: PathStep): PathStep {
  let s = step;
  for (let m = mounts.coveredBy(s.mnt, s.inode); m !== undefined; m = mounts.coveredBy(s.mnt, s.inode)) {
    s = { name: s.name, mnt: m, inode: m.root };
  }
  return s;
}

/** The chain for "/" (the topmost filesystem mounted there). */
export function rootChain(mounts: MountTable): PathChain {
  const r = mounts.root;
  return [crossMounts(mounts, { name: '', mnt: r, inode: r.root })];
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}

/** Resolves `path` (Linux's link_path_walk plus the last-component rules in `opts`). */
export function walk(ctx: LookupContext, path: string, opts: WalkOptions): WalkResult {
  if (path === '') throw new Errno('ENOENT');
  if (path.length >= PATH_MAX) throw new Errno('ENAMETOOLONG');
  let chain: PathStep[] = path.startsWith('/') ? [...rootChain(ctx.mounts)] : [...ctx.cwd];
  const todo = components(path);
  const trailingSlash = path.endsWith('/') && todo.length > 0;
  let links = 0;
  let lastName = '';
  if (opts.parentOnly && todo.length === 0) return { chain, found: false, name: '', trailingSlash: false };
  while (todo.length > 0) {
    const name = todo.shift() as string;
    const isLast = todo.length === 0;
    lastName = name;
    const cur = last(chain);
    if (!S_ISDIR(cur.inode.mode)) throw new Errno('ENOTDIR');
    if (isLast && opts.parentOnly) return { chain, found: false, name, trailingSlash };
    checkAccess(cur.inode, 1, ctx.caller.cred);
    if (name === '.') continue;
    if (name === '..') {
      if (chain.length > 1) chain.pop();
      continue;
    }
    if (name.length > NAME_MAX) throw new Errno('ENAMETOOLONG');
    if (cur.inode.lookup === undefined) throw new Errno('ENOTDIR');
    const child = cur.inode.lookup(name, ctx.caller);
    if (child === undefined) {
      if (isLast && opts.allowMissing) return { chain, found: false, name, trailingSlash };
      throw new Errno('ENOENT');
    }
    if (S_ISLNK(child.mode) && (!isLast || opts.follow || trailingSlash)) {
      if (++links > MAXSYMLINKS) throw new Errno('ELOOP');
      const target = child.readlink?.(ctx.caller) ?? '';
      if (target === '') throw new Errno('ENOENT');
      if (target.startsWith('/')) chain = [...rootChain(ctx.mounts)];
      todo.unshift(...components(target));
      continue;
    }
    chain.push(crossMounts(ctx.mounts, { name, mnt: cur.mnt, inode: child }));
  }
  const end = last(chain);
  if (trailingSlash && !S_ISDIR(end.inode.mode)) throw new Errno('ENOTDIR');
  return { chain, found: true, name: lastName, trailingSlash };
}
