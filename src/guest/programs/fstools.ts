/**
 * Small util-linux filesystem tools over the ext4/xfs driver: blkid (what a device holds),
 * fsfreeze (FIFREEZE/FITHAW on a mount point) and fstrim (FITRIM, with -v's report).
 */
import { Errno, FIFREEZE, FITHAW, FITRIM, FSTRIM_RANGE_SIZE, O_CLOEXEC, O_DIRECTORY, O_RDONLY, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { formatBlkid, listBlockDevices, probeDevice } from './lib/blkid.js';
import { getopt, usageError } from './lib/getopt.js';
import { errText, writeAll } from './stdio.js';

/** blkid [DEVICE...]: exit 2 when nothing was identified, as blkid does. */
export function* blkidMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('blkid', argv.slice(1), { short: 'cs:o:' });
  if (!p.ok) {
    yield* usageError(sys, 'blkid', p.message);
    return 4;
  }
  const want = p.opts.find((o) => o.key === 's')?.value;
  const format = p.opts.find((o) => o.key === 'o')?.value ?? 'full';
  const devices = p.operands.length > 0 ? p.operands : yield* listBlockDevices(sys);
  let found = 0;
  for (const dev of devices) {
    const info = yield* probeDevice(sys, dev);
    if (info === undefined) continue;
    found++;
    if (format === 'value' && want !== undefined) {
      const v = want === 'UUID' ? info.uuid : want === 'LABEL' ? info.label : want === 'TYPE' ? info.type : undefined;
      if (v !== undefined && v !== '') yield* writeAll(sys, 1, `${v}\n`);
    } else {
      yield* writeAll(sys, 1, `${formatBlkid(info)}\n`);
    }
  }
  return found > 0 ? 0 : 2;
}

function* openMountpoint(sys: Syscalls, prog: string, path: string): SysCall<number | undefined> {
  try {
    return yield* sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } catch (e) {
    yield* writeAll(sys, 2, `${prog}: cannot open ${path}: ${errText(e)}\n`);
    return undefined;
  }
}

/** fsfreeze -f|-u MOUNTPOINT */
export function* fsfreezeMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('fsfreeze', argv.slice(1), { short: 'fu', long: [{ name: 'freeze', key: 'f', arg: 'none' }, { name: 'unfreeze', key: 'u', arg: 'none' }] });
  if (!p.ok) {
    yield* usageError(sys, 'fsfreeze', p.message);
    return 1;
  }
  const op = p.opts.at(-1)?.key;
  const path = p.operands[0];
  if (op === undefined || path === undefined) {
    yield* writeAll(sys, 2, `fsfreeze: ${op === undefined ? 'neither --freeze or --unfreeze specified' : 'no filename specified'}\nTry 'fsfreeze --help' for more information.\n`);
    return 1;
  }
  const fd = yield* openMountpoint(sys, 'fsfreeze', path);
  if (fd === undefined) return 1;
  try {
    yield* sys.ioctl(fd, op === 'f' ? FIFREEZE : FITHAW, 0);
    return 0;
  } catch (e) {
    yield* writeAll(sys, 2, `fsfreeze: ${path}: ${op === 'f' ? 'freeze' : 'unfreeze'} failed: ${errText(e)}\n`);
    return 1;
  } finally {
    sys.close(fd);
  }
}

// util-linux's size_to_human_string: "1.2 GiB", "512 MiB", "0 B".
function humanBytes(n: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(v) : (Math.round(v * 10) / 10).toString();
  return `${s} ${units[i]}`;
}

/** fstrim [-v] [-o OFFSET] [-l LENGTH] [-m MINLEN] MOUNTPOINT */
export function* fstrimMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('fstrim', argv.slice(1), {
    short: 'vo:l:m:',
    long: [{ name: 'verbose', key: 'v', arg: 'none' }, { name: 'offset', key: 'o', arg: 'required' }, { name: 'length', key: 'l', arg: 'required' }, { name: 'minimum', key: 'm', arg: 'required' }],
  });
  if (!p.ok) {
    yield* usageError(sys, 'fstrim', p.message);
    return 1;
  }
  let verbose = false;
  const range = { start: 0n, len: 0xffff_ffff_ffff_ffffn, minlen: 0n };
  for (const o of p.opts) {
    if (o.key === 'v') verbose = true;
    else {
      const v = o.value ?? '';
      if (!/^\d+$/.test(v)) {
        yield* writeAll(sys, 2, `fstrim: failed to parse ${o.key === 'o' ? 'offset' : o.key === 'l' ? 'length' : 'minimum extent length'}: '${v}'\n`);
        return 1;
      }
      if (o.key === 'o') range.start = BigInt(v);
      else if (o.key === 'l') range.len = BigInt(v);
      else range.minlen = BigInt(v);
    }
  }
  const path = p.operands[0];
  if (path === undefined) {
    yield* writeAll(sys, 2, 'fstrim: no mountpoint specified\n');
    return 1;
  }
  const fd = yield* openMountpoint(sys, 'fstrim', path);
  if (fd === undefined) return 1;
  const arg = new Uint8Array(FSTRIM_RANGE_SIZE);
  const dv = new DataView(arg.buffer);
  dv.setBigUint64(0, range.start, true);
  dv.setBigUint64(8, range.len, true);
  dv.setBigUint64(16, range.minlen, true);
  try {
    yield* sys.ioctl(fd, FITRIM, arg);
  } catch (e) {
    const text = Errno.is(e, 'EOPNOTSUPP') ? 'the discard operation is not supported' : `FITRIM ioctl failed: ${errText(e)}`;
    yield* writeAll(sys, 2, `fstrim: ${path}: ${text}\n`);
    return 1;
  } finally {
    sys.close(fd);
  }
  const trimmed = dv.getBigUint64(8, true);
  if (verbose) yield* writeAll(sys, 1, `${path}: ${humanBytes(trimmed)} (${trimmed} bytes) trimmed\n`);
  return 0;
}
