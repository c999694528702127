/**
 * Process credentials and the classic owner/group/other permission check, with root
 * (effective uid 0) bypassing read/write checks the way CAP_DAC_OVERRIDE does.
 */
import { Errno } from './errno.js';
import { S_IFMT, S_IFDIR } from './constants.js';

/** Who a process is; permission checks use the effective ids. */
export interface Cred {
  /** Real user id. */
  uid: number;
  /** Real group id. */
  gid: number;
  /** Effective user id. */
  euid: number;
  /** Effective group id. */
  egid: number;
  /** Supplementary groups. */
  groups: readonly number[];
}

/** A fresh root credential. */
export function rootCred(): Cred {
  return { uid: 0, gid: 0, euid: 0, egid: 0, groups: [0] };
}

/** A credential for an ordinary user (real = effective). */
export function userCred(uid: number, gid: number, groups: readonly number[] = [gid]): Cred {
  return { uid, gid, euid: uid, egid: gid, groups: [...groups] };
}

/** Copies a credential so a child cannot change its parent's. */
export function copyCred(c: Cred): Cred {
  return { ...c, groups: [...c.groups] };
}

/** True when the process is privileged (effective uid 0). */
export function isRoot(c: Cred): boolean {
  return c.euid === 0;
}

/** True when `gid` is the effective group or a supplementary group. */
export function inGroup(c: Cred, gid: number): boolean {
  return c.egid === gid || c.groups.includes(gid);
}

/** Owner, group and mode of something being accessed. */
export interface Owned {
  /** Type and permission bits. */
  mode: number;
  /** Owner uid. */
  uid: number;
  /** Owner gid. */
  gid: number;
}

/**
 * Whether `cred` may access `node` for `mask` (a combination of R_OK=4, W_OK=2, X_OK=1).
 * Root may read and write anything and search any directory, but executes a file only if
 * some execute bit is set, as in Linux.
 */
export function mayAccess(node: Owned, mask: number, cred: Cred, useReal = false): boolean {
  const uid = useReal ? cred.uid : cred.euid;
  const isDir = (node.mode & S_IFMT) === S_IFDIR;
  if (uid === 0) {
    if ((mask & 1) === 0 || isDir) return true;
    return (node.mode & 0o111) !== 0;
  }
  let bits: number;
  if (uid === node.uid) bits = (node.mode >> 6) & 7;
  else if ((useReal ? cred.gid === node.gid || cred.groups.includes(node.gid) : inGroup(cred, node.gid))) bits = (node.mode >> 3) & 7;
  else bits = node.mode & 7;
  return (bits & mask) === mask;
}

/** Throws EACCES unless mayAccess(). */
export function checkAccess(node: Owned, mask: number, cred: Cred, context?: string): void {
  if (!mayAccess(node, mask, cred)) throw new Errno('EACCES', context);
}

/** True when `cred` owns `node` or is root (who may chmod, utime, and so on). */
export function ownerOrRoot(node: Owned, cred: Cred): boolean {
  return cred.euid === 0 || cred.euid === node.uid;
}
