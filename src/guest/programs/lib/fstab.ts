/**
 * /etc/fstab (fstab(5)) parsing, and mount(8)'s split of an option list into MS_* flags
 * for mount(2) and the filesystem-specific rest it passes as data.
 */
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REMOUNT } from '../../kernel/index.js';

/** One fstab line. */
export interface FstabEntry {
  /** What to mount ("UUID=...", "LABEL=...", "/dev/vdb1", "tmpfs"). */
  spec: string;
  /** Where ("/", "/home", "none" for swap). */
  file: string;
  /** Filesystem type ("ext4", "xfs", "tmpfs", "swap", "auto"). */
  vfstype: string;
  /** Options, split at commas. */
  options: string[];
  /** dump frequency. */
  freq: number;
  /** fsck pass. */
  passno: number;
  /** 1-based line number. */
  line: number;
}

// fstab fields escape blanks and backslashes as octal (\040 for a space).
function unescapeField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses fstab text; malformed lines are reported, not fatal (as mount -a does). */
export function parseFstab(text: string): { entries: FstabEntry[]; errors: number[] } {
  const entries: FstabEntry[] = [];
  const errors: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(/[ \t]+/);
    if (f.length < 3) {
      errors.push(i + 1);
      return;
    }
    const freq = Number(f[4] ?? '0');
    const passno = Number(f[5] ?? '0');
    if (!Number.isInteger(freq) || !Number.isInteger(passno)) {
      errors.push(i + 1);
      return;
    }
    entries.push({
      spec: unescapeField(f[0] ?? ''),
      file: unescapeField(f[1] ?? ''),
      vfstype: f[2] ?? 'auto',
      options: (f[3] ?? 'defaults').split(',').filter((o) => o !== ''),
      freq,
      passno,
      line: i + 1,
    });
  });
  return { entries, errors };
}

/** mount(8)'s reading of an option list. */
export interface MountOptionSplit {
  /** MS_* flags for mount(2). */
  flags: number;
  /** Filesystem-specific options, comma-joined, for mount(2)'s data. */
  data: string;
  /** noauto: mount -a skips it. */
  noauto: boolean;
  /** nofail: a missing device is not an error. */
  nofail: boolean;
  /** An option mount does not support here (bind, move ...). */
  unsupported: string | undefined;
}

// Options that only mean something to mount(8), fstab tools or the generic VFS.
const IGNORED = new Set([
  'defaults', 'auto', 'user', 'nouser', 'users', 'owner', 'group', 'async', 'relatime', 'norelatime', 'strictatime', 'nostrictatime',
  'noatime', 'atime', 'nodiratime', 'diratime', 'lazytime', 'nolazytime', 'silent', 'loud', 'nomand', '_netdev', 'sync', 'dirsync',
  'iversion', 'noiversion', 'suid', 'dev', 'exec', 'rw',
]);

/** Splits options as mount(8) does before calling mount(2). */
export function splitMountOptions(options: readonly string[]): MountOptionSplit {
  let flags = 0;
  const data: string[] = [];
  let noauto = false;
  let nofail = false;
  let unsupported: string | undefined;
  for (const o of options) {
    if (o === 'ro') flags |= MS_RDONLY;
    else if (o === 'rw') flags &= ~MS_RDONLY;
    else if (o === 'nosuid') flags |= MS_NOSUID;
    else if (o === 'suid') flags &= ~MS_NOSUID;
    else if (o === 'nodev') flags |= MS_NODEV;
    else if (o === 'dev') flags &= ~MS_NODEV;
    else if (o === 'noexec') flags |= MS_NOEXEC;
    else if (o === 'exec') flags &= ~MS_NOEXEC;
    else if (o === 'remount') flags |= MS_REMOUNT;
    else if (o === 'noauto') noauto = true;
    else if (o === 'auto') noauto = false;
    else if (o === 'nofail') nofail = true;
    else if (o === 'bind' || o === 'rbind' || o === 'move' || o === 'loop' || o.startsWith('loop=')) unsupported ??= o;
    else if (IGNORED.has(o) || o.startsWith('x-') || o.startsWith('comment=')) continue;
    else data.push(o);
  }
  return { flags, data: data.join(','), noauto, nofail, unsupported };
}
