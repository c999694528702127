/**
 * Directories: entries are read once into a map; every change plans the directory's new
 * blocks (reading what it must and checking space, so that nothing has changed yet if
 * that waits or fails), then applies the change and rewrites the blocks that differ.
 */
import { SFS_BLOCK_SIZE, SFS_NAME_MAX, SFS_SYMLINK_MAX, decodeDirectoryBlock, encodeDirectory, type SfsDirent } from '../../../abi/simplefs.js';
import { Errno } from '../../kernel/errno.js';
import { S_IFDIR, S_IFMT, S_ISDIR, S_ISGID, modeToDtype } from '../../kernel/constants.js';
import type { DirEntry, FsCaller, Inode } from '../../kernel/vfs/types.js';
import { spanOf, writeNewData } from './file.js';
import type { SfInode } from './inode.js';

/** A directory entry as held in memory. */
export interface DirRecord {
  /** Inode number. */
  ino: number;
  /** DT_* type. */
  type: number;
}

/** Most hard links to one inode (ext4's EXT4_LINK_MAX). */
export const SFS_LINK_MAX = 65000;

const encoder = new TextEncoder();

function checkName(name: string): void {
  if (encoder.encode(name).length > SFS_NAME_MAX) throw new Errno('ENAMETOOLONG');
}

/** A directory's entries, reading its blocks the first time (WouldBlock meanwhile). */
export function loadDir(d: SfInode): Map<string, DirRecord> {
  if (!S_ISDIR(d.mode)) throw new Errno('ENOTDIR');
  if (d.entries !== undefined) return d.entries;
  const fs = d.fs;
  const blocks = fs.map.lookup(d.ptrs, 0, spanOf(d.size));
  if (blocks.some((b) => b === 0)) throw new Errno('EIO', `directory ${d.ino} has a hole`);
  fs.cache.need(blocks);
  const entries = new Map<string, DirRecord>();
  let parent = d.ino;
  for (const b of blocks) {
    const recs = decodeDirectoryBlock(fs.cache.peek(b) as Uint8Array);
    if (recs === undefined) throw new Errno('EIO', `directory ${d.ino} block ${b} is corrupt`);
    for (const r of recs) {
      if (r.name === '.') continue;
      if (r.name === '..') parent = r.ino;
      else entries.set(r.name, { ino: r.ino, type: r.type });
    }
  }
  d.entries = entries;
  d.parentIno = parent;
  return entries;
}

function records(d: SfInode, entries: Map<string, DirRecord>, parent = d.parentIno): SfsDirent[] {
  const out: SfsDirent[] = [
    { ino: d.ino, type: modeToDtype(S_IFDIR), name: '.' },
    { ino: parent, type: modeToDtype(S_IFDIR), name: '..' },
  ];
  for (const [name, r] of entries) out.push({ ino: r.ino, type: r.type, name });
  return out;
}

/** A directory's next contents, with the blocks they will take. */
interface DirPlan {
  dir: SfInode;
  blocks: Uint8Array[];
  /** New blocks (data and indirect) the rewrite will allocate. */
  need: number;
}

function planDir(d: SfInode, recs: SfsDirent[]): DirPlan {
  const blocks = encodeDirectory(recs);
  const oldN = spanOf(d.size);
  const fs = d.fs;
  fs.map.prepare(d.ptrs, 0, Math.max(oldN, blocks.length));
  const holes: number[] = [];
  for (let fb = 0; fb < blocks.length; fb++) if (fs.map.mapped(d.ptrs, fb) === 0) holes.push(fb);
  return { dir: d, blocks, need: holes.length + fs.map.metaNeeded(d.ptrs, holes) };
}

function commitDir(p: DirPlan): void {
  const d = p.dir;
  const fs = d.fs;
  const oldN = spanOf(d.size);
  p.blocks.forEach((bytes, fb) => {
    let db = fs.map.mapped(d.ptrs, fb);
    if (db === 0) {
      db = fs.allocBlock();
      d.blockCount += 1 + fs.map.assign(d.ptrs, fb, db, () => fs.allocBlock(db));
      fs.cache.fresh(db).set(bytes);
    } else {
      fs.cache.overwrite(db, bytes);
    }
  });
  if (p.blocks.length < oldN) d.blockCount -= fs.map.truncate(d.ptrs, p.blocks.length, oldN, (b) => fs.freeBlock(b));
  d.size = p.blocks.length * SFS_BLOCK_SIZE;
}

/** lookup: the child inode, or undefined. */
export function dirLookup(d: SfInode, name: string): Inode | undefined {
  const r = loadDir(d).get(name);
  return r === undefined ? undefined : d.fs.iget(r.ino);
}

/** readdir. */
export function dirReaddir(d: SfInode): DirEntry[] {
  return [...loadDir(d)].map(([name, r]) => ({ name, ino: r.ino, type: r.type }));
}

/** What a new node carries besides its mode. */
export interface NodeInit {
  /** Device number (mknod). */
  rdev?: number;
  /** Symlink target. */
  target?: string;
}

/** create, mkdir, mknod and symlink. */
export function addNode(d: SfInode, name: string, mode: number, caller: FsCaller, init: NodeInit): SfInode {
  const fs = d.fs;
  fs.writeBegin();
  checkName(name);
  const entries = loadDir(d);
  if (d.dead) throw new Errno('ENOENT');
  if (entries.has(name)) throw new Errno('EEXIST');
  const target = init.target === undefined ? undefined : encoder.encode(init.target);
  if (target !== undefined && target.length > SFS_SYMLINK_MAX) throw new Errno('ENAMETOOLONG');
  const isDir = (mode & S_IFMT) === S_IFDIR;
  if (isDir && d.nlink >= SFS_LINK_MAX) throw new Errno('EMLINK');
  const slot = fs.reserveInodeSlot();
  const type = modeToDtype(mode);
  const plan = planDir(d, [...records(d, entries), { ino: fs.sb.inoBase + slot, type, name }]);
  const own = isDir ? 1 : target !== undefined ? spanOf(target.length) : 0;
  fs.checkSpace(plan.need + own, caller.cred);

  // A setgid directory hands its group (and, to subdirectories, the bit) down.
  const sgid = (d.mode & S_ISGID) !== 0;
  const child = fs.createInode(slot, isDir && sgid ? mode | S_ISGID : mode, caller.cred.euid, sgid ? d.gid : caller.cred.egid);
  if (isDir) {
    child.nlink = 2;
    child.entries = new Map();
    child.parentIno = d.ino;
    commitDir(planDir(child, records(child, child.entries)));
    d.nlink++;
  } else if (target !== undefined) {
    writeNewData(child, target);
    child.linkTarget = init.target;
  } else if (init.rdev !== undefined) {
    child.rdev = init.rdev;
  }
  child.save();
  entries.set(name, { ino: child.ino, type });
  commitDir(plan);
  d.touch();
  d.save();
  return child;
}

/** link(2) into this directory. */
export function dirLink(d: SfInode, name: string, target: Inode): void {
  const fs = d.fs;
  fs.writeBegin();
  checkName(name);
  // Every inode of this volume is an SfInode.
  if (target.fs !== fs) throw new Errno('EXDEV');
  const t = target as SfInode;
  if (S_ISDIR(t.mode)) throw new Errno('EPERM');
  const entries = loadDir(d);
  if (entries.has(name)) throw new Errno('EEXIST');
  if (t.nlink >= SFS_LINK_MAX) throw new Errno('EMLINK');
  if (t.dead || t.nlink === 0) throw new Errno('ENOENT');
  const plan = planDir(d, [...records(d, entries), { ino: t.ino, type: modeToDtype(t.mode), name }]);
  fs.checkSpace(plan.need, undefined);
  entries.set(name, { ino: t.ino, type: modeToDtype(t.mode) });
  commitDir(plan);
  t.nlink++;
  t.ctime = fs.now();
  t.save();
  d.touch();
  d.save();
}

function without(entries: Map<string, DirRecord>, name: string): Map<string, DirRecord> {
  const m = new Map(entries);
  m.delete(name);
  return m;
}

// Drops one link to a non-directory; frees it when that was the last and nobody has it open.
function dropLink(n: SfInode): void {
  n.nlink = Math.max(0, n.nlink - 1);
  n.ctime = n.fs.now();
  if (n.nlink === 0 && n.openCount === 0) n.fs.destroyInode(n);
  else n.save();
}

// Whether dropping one link frees the inode now (its block map must then be loaded first).
function prepareDrop(n: SfInode): void {
  if (S_ISDIR(n.mode) || (n.nlink <= 1 && n.openCount === 0)) n.fs.map.prepare(n.ptrs, 0, spanOf(n.size));
}

/** unlink(2). */
export function dirUnlink(d: SfInode, name: string): void {
  const fs = d.fs;
  fs.writeBegin();
  const entries = loadDir(d);
  const r = entries.get(name);
  if (r === undefined) throw new Errno('ENOENT');
  const child = fs.iget(r.ino);
  if (S_ISDIR(child.mode)) throw new Errno('EISDIR');
  prepareDrop(child);
  const plan = planDir(d, records(d, without(entries, name)));
  entries.delete(name);
  commitDir(plan);
  d.touch();
  d.save();
  dropLink(child);
}

/** rmdir(2). */
export function dirRmdir(d: SfInode, name: string): void {
  const fs = d.fs;
  fs.writeBegin();
  const entries = loadDir(d);
  const r = entries.get(name);
  if (r === undefined) throw new Errno('ENOENT');
  const child = fs.iget(r.ino);
  if (!S_ISDIR(child.mode)) throw new Errno('ENOTDIR');
  if (loadDir(child).size > 0) throw new Errno('ENOTEMPTY');
  prepareDrop(child);
  const plan = planDir(d, records(d, without(entries, name)));
  entries.delete(name);
  commitDir(plan);
  d.nlink--;
  d.touch();
  d.save();
  child.entries = new Map();
  fs.destroyInode(child);
}

/** rename(2) from directory `d` to `newDir` (same volume), replacing the destination. */
export function dirRename(d: SfInode, name: string, newDirInode: Inode, newName: string): void {
  const fs = d.fs;
  fs.writeBegin();
  checkName(newName);
  if (newDirInode.fs !== fs) throw new Errno('EXDEV');
  const nd = newDirInode as SfInode;
  const se = loadDir(d);
  const de = loadDir(nd);
  const r = se.get(name);
  if (r === undefined) throw new Errno('ENOENT');
  const n = fs.iget(r.ino);
  const oldRec = de.get(newName);
  const old = oldRec === undefined ? undefined : fs.iget(oldRec.ino);
  if (old === n) return;
  const nIsDir = S_ISDIR(n.mode);
  if (old !== undefined) {
    if (S_ISDIR(old.mode)) {
      if (!nIsDir) throw new Errno('EISDIR');
      if (loadDir(old).size > 0) throw new Errno('ENOTEMPTY');
    } else if (nIsDir) {
      throw new Errno('ENOTDIR');
    }
    prepareDrop(old);
  }
  const moveDir = nIsDir && d !== nd;
  if (moveDir && old === undefined && nd.nlink >= SFS_LINK_MAX) throw new Errno('EMLINK');
  const rec: DirRecord = { ino: n.ino, type: modeToDtype(n.mode) };
  const srcNext = without(se, name);
  const dstNext = d === nd ? srcNext : new Map(de);
  dstNext.set(newName, rec);
  const plans: DirPlan[] = [planDir(d, records(d, srcNext))];
  if (d !== nd) plans.push(planDir(nd, records(nd, dstNext)));
  if (moveDir) plans.push(planDir(n, records(n, loadDir(n), nd.ino)));
  fs.checkSpace(plans.reduce((s, p) => s + p.need, 0), undefined);

  if (old !== undefined) {
    if (S_ISDIR(old.mode)) {
      nd.nlink--;
      old.entries = new Map();
      fs.destroyInode(old);
    } else {
      dropLink(old);
    }
  }
  se.delete(name);
  de.set(newName, rec);
  if (moveDir) {
    n.parentIno = nd.ino;
    d.nlink--;
    nd.nlink++;
  }
  for (const p of plans) commitDir(p);
  n.ctime = fs.now();
  n.save();
  d.touch();
  d.save();
  if (nd !== d) {
    nd.touch();
    nd.save();
  }
}
