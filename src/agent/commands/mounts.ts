/**
 * build_fs_mount_list: the local, block-backed filesystems that freeze, thaw, fstrim and
 * get-fsinfo walk, in mount-table order. Read from /proc/self/mountinfo; entries whose
 * device major is 0 (tmpfs, proc, sysfs, ...) are skipped unless they are btrfs on a
 * block device. Without mountinfo the older /proc/self/mounts path is taken, which skips
 * sources not starting with '/', smbfs, cifs and bind mounts.
 */
import { Buffer } from 'node:buffer';
import { Errno, S_ISBLK, S_ISDIR, major, minor, type Syscalls } from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import { readFileBytes, type QgaCall } from './common.js';

/** One filesystem to act on. */
export interface FsMount {
  /** Mount point. */
  dirname: string;
  /** Filesystem type. */
  devtype: string;
  /** Device major. */
  devmajor: number;
  /** Device minor. */
  devminor: number;
}

const MOUNTINFO = '/proc/self/mountinfo';
const MTAB = '/proc/self/mounts';

// "mount-id parent-id maj:min root mount-point" up to the character after the mount
// point; "%u" takes an optional sign, like sscanf.
const MOUNTINFO_HEAD = /^\s*[+-]?\d+\s+[+-]?\d+\s+([+-]?\d+):([+-]?\d+)\s+\S+\s+(\S+)[\s\S]/;
// After " - ": the type, the source, and some character after the source.
const MOUNTINFO_TAIL = /^ - \s*(\S+)\s+(\S+)[\s\S]/;

/** Bytes of a latin1 string (one byte per char) as UTF-8 text. */
function bytesToText(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
}

/** decode_mntname: the kernel's `\ooo` escapes (and `\\`) back to bytes. */
export function decodeMountName(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') out += c;
    else if (s[i + 1] === '\\') {
      out += '\\';
      i++;
    } else if (/^[0-3][0-7][0-7]$/.test(s.slice(i + 1, i + 4))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else out += c;
  }
  return out;
}

// getmntent's unescaping: only \040, \011, \012 and \134.
function decodeMntent(s: string): string {
  return s.replace(/\\(040|011|012|134)/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** dev_major_minor: -2 for a directory (bind mount), -1 when not a block device. */
function* devMajorMinor(sys: Syscalls, devpath: string): QgaCall<{ r: number; major: number; minor: number }> {
  let st;
  try {
    st = yield* sys.stat(devpath);
  } catch (e) {
    if (e instanceof Errno) return { r: -1, major: 0, minor: 0 };
    throw e;
  }
  if (S_ISDIR(st.mode)) return { r: -2, major: 0, minor: 0 };
  if (S_ISBLK(st.mode)) return { r: 0, major: major(st.rdev), minor: minor(st.rdev) };
  return { r: -1, major: 0, minor: 0 };
}

function* fromMtab(sys: Syscalls): QgaCall<FsMount[]> {
  let raw: Uint8Array;
  try {
    raw = yield* readFileBytes(sys, MTAB);
  } catch (e) {
    if (e instanceof Errno) throw qgaGenericError(`failed to open mtab file: '${MTAB}'`);
    throw e;
  }
  const out: FsMount[] = [];
  for (const line of Buffer.from(raw).toString('latin1').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0]!.startsWith('#')) continue;
    const fsname = bytesToText(decodeMntent(f[0]!));
    const type = bytesToText(decodeMntent(f[2]!));
    if (!fsname.startsWith('/') || type === 'smbfs' || type === 'cifs') continue;
    const d = yield* devMajorMinor(sys, fsname);
    if (d.r === -2) continue;
    out.push({ dirname: bytesToText(decodeMntent(f[1]!)), devtype: type, devmajor: d.major, devminor: d.minor });
  }
  return out;
}

/** build_fs_mount_list (throws the QgaError it would set). */
export function* buildFsMountList(sys: Syscalls): QgaCall<FsMount[]> {
  let raw: Uint8Array;
  try {
    raw = yield* readFileBytes(sys, MOUNTINFO);
  } catch (e) {
    if (e instanceof Errno) return yield* fromMtab(sys);
    throw e;
  }
  const text = Buffer.from(raw).toString('latin1');
  const out: FsMount[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // getline keeps the newline, which the "%c" conversions may take.
    const line = i < lines.length - 1 ? `${lines[i]!}\n` : lines[i]!;
    const head = MOUNTINFO_HEAD.exec(line);
    if (head === null) continue;
    const dirEnd = head[0].length - 1;
    const dash = line.indexOf(' - ', dirEnd);
    if (dash < 0) continue;
    const tail = MOUNTINFO_TAIL.exec(line.slice(dash));
    if (tail === null) continue;
    let devmajor = Number(head[1]) >>> 0;
    let devminor = Number(head[2]) >>> 0;
    const type = tail[1]!;
    const dev = bytesToText(decodeMountName(tail[2]!));
    if (devmajor === 0) {
      // btrfs reports major 0: its device node says which disk it is on.
      if (type !== 'btrfs') continue;
      const d = yield* devMajorMinor(sys, dev);
      if (d.r < 0) continue;
      devmajor = d.major;
      devminor = d.minor;
    }
    out.push({ dirname: bytesToText(decodeMountName(head[3]!)), devtype: bytesToText(type), devmajor, devminor });
  }
  return out;
}
