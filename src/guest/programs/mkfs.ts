/**
 * mkfs.ext4 (mke2fs) and mkfs.xfs: format a block device in the simulator's disk format,
 * presented as ext4 or xfs. The filesystem is built by the same code the host-side mkfs
 * uses and written through the device node, after discarding the device as both tools do
 * by default. The UUID is random (from /dev/urandom) unless given.
 */
import { CLOCK_REALTIME, Errno, O_CLOEXEC, O_EXCL, O_RDONLY, O_RDWR, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { BLKDISCARD, BLKGETSIZE64 } from '../kernel/block/ioctl.js';
import { SFS_BLOCK_SIZE, formatUuid, parseUuid, type SfsFlavor } from '../../abi/simplefs.js';
import { MkfsError, buildFilesystem, type MkfsOptions } from '../../disk-image/format.js';
import { probeDevice } from './lib/blkid.js';
import { getopt, usageError } from './lib/getopt.js';
import { errText, writeAll } from './stdio.js';

/** Largest single write mkfs issues (contiguous blocks are merged up to this). */
export const MKFS_WRITE_CHUNK = 1024 * 1024;

function* randomUuid(sys: Syscalls): SysCall<Uint8Array> {
  const fd = yield* sys.open('/dev/urandom', O_RDONLY | O_CLOEXEC);
  try {
    const u = Uint8Array.from(yield* sys.read(fd, 16));
    u[6] = ((u[6] ?? 0) & 0x0f) | 0x40;
    u[8] = ((u[8] ?? 0) & 0x3f) | 0x80;
    return u;
  } finally {
    sys.close(fd);
  }
}

function* deviceBytes(sys: Syscalls, fd: number): SysCall<number> {
  const out = new Uint8Array(8);
  try {
    yield* sys.ioctl(fd, BLKGETSIZE64, out);
    return Number(new DataView(out.buffer).getBigUint64(0, true));
  } catch (e) {
    if (!Errno.is(e, 'ENOTTY')) throw e;
    return sys.fstat(fd).size;
  }
}

/** What a format run needs. */
interface FormatJob {
  prog: string;
  device: string;
  flavor: SfsFlavor;
  opts: Omit<MkfsOptions, 'type'>;
  blocks: number | undefined;
  discard: boolean;
  quiet: boolean;
  force: boolean;
}

// Writes `blocks` (block number → data), merging runs of consecutive blocks into large writes.
function* writeBlocks(sys: Syscalls, fd: number, blocks: Map<number, Uint8Array>): SysCall<void> {
  const order = [...blocks.keys()].sort((a, b) => a - b);
  let i = 0;
  while (i < order.length) {
    let j = i + 1;
    while (j < order.length && order[j] === (order[j - 1] as number) + 1 && (j - i) * SFS_BLOCK_SIZE < MKFS_WRITE_CHUNK) j++;
    const buf = new Uint8Array((j - i) * SFS_BLOCK_SIZE);
    for (let k = i; k < j; k++) buf.set(blocks.get(order[k] as number) as Uint8Array, (k - i) * SFS_BLOCK_SIZE);
    let off = 0;
    while (off < buf.length) off += yield* sys.pwrite(fd, buf.subarray(off), (order[i] as number) * SFS_BLOCK_SIZE + off);
    i = j;
  }
}

function* format(sys: Syscalls, job: FormatJob): SysCall<number> {
  const { prog, device } = job;
  if (job.flavor === 'xfs' && !job.force) {
    const existing = yield* probeDevice(sys, device);
    if (existing !== undefined) {
      yield* writeAll(sys, 2, `${prog}: ${device} appears to contain an existing filesystem (${existing.type}).\n${prog}: Use the -f option to force overwrite.\n`);
      return 1;
    }
  }
  let fd: number;
  try {
    fd = yield* sys.open(device, O_RDWR | O_EXCL | O_CLOEXEC);
  } catch (e) {
    if (Errno.is(e, 'EBUSY')) yield* writeAll(sys, 2, `${device} is apparently in use by the system; will not make a filesystem here!\n`);
    else yield* writeAll(sys, 2, `${prog}: ${errText(e)} while trying to determine filesystem size\n`);
    return 1;
  }
  try {
    const bytes = yield* deviceBytes(sys, fd);
    const deviceBlocks = Math.floor(bytes / SFS_BLOCK_SIZE);
    const blockCount = job.blocks ?? deviceBlocks;
    if (blockCount > deviceBlocks) {
      yield* writeAll(sys, 2, `${prog}: Filesystem larger than apparent device size.\nProceed anyway? (y,N) n\n`);
      return 1;
    }
    const uuid = job.opts.uuid ?? (yield* randomUuid(sys));
    const blocks = new Map<number, Uint8Array>();
    let result;
    try {
      result = buildFilesystem(blockCount, { ...job.opts, type: job.flavor, uuid, timeSec: sys.clockGettime(CLOCK_REALTIME).sec }, { writeBlock: (b, d) => void blocks.set(b, d) });
    } catch (e) {
      if (!(e instanceof MkfsError)) throw e;
      yield* writeAll(sys, 2, `${prog}: ${e.message}\n`);
      return 1;
    }
    const out: string[] = [];
    if (job.discard) {
      const range = new Uint8Array(16);
      new DataView(range.buffer).setBigUint64(8, BigInt(blockCount * SFS_BLOCK_SIZE), true);
      try {
        yield* sys.ioctl(fd, BLKDISCARD, range);
        if (job.flavor === 'ext4') out.push('Discarding device blocks: done');
      } catch (e) {
        errText(e);
      }
    }
    yield* writeBlocks(sys, fd, blocks);
    yield* sys.fsync(fd);
    const sb = result.superblock;
    if (job.flavor === 'ext4') {
      out.unshift('mke2fs 1.47.0 (5-Feb-2023)');
      out.push(`Creating filesystem with ${sb.blockCount} 4k blocks and ${sb.inodeCount} inodes`, `Filesystem UUID: ${formatUuid(sb.uuid)}`, 'Writing superblocks and filesystem accounting information: done', '');
    } else {
      out.push(
        `meta-data=${device.padEnd(22)} isize=512    agcount=1, agsize=${sb.blockCount} blks`,
        `data     =${''.padEnd(22)} bsize=${SFS_BLOCK_SIZE}   blocks=${sb.blockCount}, imaxpct=25`,
        `naming   =version 2${''.padEnd(13)} bsize=${SFS_BLOCK_SIZE}   ascii-ci=0, ftype=1`,
      );
    }
    if (!job.quiet) yield* writeAll(sys, 1, out.join('\n') + '\n');
    return 0;
  } catch (e) {
    yield* writeAll(sys, 2, `${prog}: ${errText(e)} while writing ${device}\n`);
    return 1;
  } finally {
    sys.close(fd);
  }
}

function* badUuid(sys: Syscalls, prog: string, v: string): SysCall<number> {
  yield* writeAll(sys, 2, `${prog}: invalid UUID '${v}'\n`);
  return 1;
}

/** mkfs.ext4 [-F] [-q] [-L label] [-U uuid] [-m reserved%] [-N inodes] [-E nodiscard] DEVICE [BLOCKS] */
export function* mkfsExt4Main(sys: Syscalls, argv: string[]): Program {
  const prog = (argv[0] ?? 'mkfs.ext4').split('/').pop() ?? 'mkfs.ext4';
  const p = getopt(prog, argv.slice(1), { short: 'FqL:U:m:N:E:t:T:O:b:' });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  const job: FormatJob = { prog, device: '', flavor: 'ext4', opts: {}, blocks: undefined, discard: true, quiet: false, force: false };
  for (const o of p.opts) {
    const v = o.value ?? '';
    if (o.key === 'F') job.force = true;
    else if (o.key === 'q') job.quiet = true;
    else if (o.key === 'L') job.opts.label = v.slice(0, 16);
    else if (o.key === 'U') {
      const u = parseUuid(v);
      if (u === undefined) return yield* badUuid(sys, prog, v);
      job.opts.uuid = u;
    } else if (o.key === 'm') job.opts.reservedPercent = Number(v);
    else if (o.key === 'N') job.opts.inodes = Number(v);
    else if (o.key === 'E' && v.split(',').includes('nodiscard')) job.discard = false;
    else if (o.key === 't' && v !== 'ext4') {
      yield* writeAll(sys, 2, `${prog}: invalid filesystem type for this mkfs: ${v}\n`);
      return 1;
    } else if (o.key === 'b' && v !== String(SFS_BLOCK_SIZE)) {
      yield* writeAll(sys, 2, `${prog}: invalid block size - ${v}\n`);
      return 1;
    }
  }
  const [device, count] = p.operands;
  if (device === undefined || p.operands.length > 2) {
    yield* writeAll(sys, 2, `Usage: ${prog} [-c|-l filename] [-b block-size] [-L volume-label] [-U UUID] [-m reserved-blocks-percentage] [-N number-of-inodes] [-F] [-q] device [blocks-count]\n`);
    return 1;
  }
  job.device = device;
  if (count !== undefined) job.blocks = Number(count);
  return yield* format(sys, job);
}

/** mkfs.xfs [-f] [-q] [-K] [-L label] [-m uuid=UUID] DEVICE */
export function* mkfsXfsMain(sys: Syscalls, argv: string[]): Program {
  const prog = 'mkfs.xfs';
  const p = getopt(prog, argv.slice(1), { short: 'fqKL:m:b:d:i:l:n:s:' });
  if (!p.ok) {
    yield* usageError(sys, prog, p.message);
    return 1;
  }
  const job: FormatJob = { prog, device: '', flavor: 'xfs', opts: {}, blocks: undefined, discard: true, quiet: false, force: false };
  for (const o of p.opts) {
    const v = o.value ?? '';
    if (o.key === 'f') job.force = true;
    else if (o.key === 'q') job.quiet = true;
    else if (o.key === 'K') job.discard = false;
    else if (o.key === 'L') {
      if (new TextEncoder().encode(v).length > 12) {
        yield* writeAll(sys, 2, `${prog}: label ${v} is too long (max 12 characters)\n`);
        return 1;
      }
      job.opts.label = v;
    } else if (o.key === 'm') {
      for (const kv of v.split(',')) {
        const [k, val = ''] = kv.split('=');
        if (k !== 'uuid') continue;
        const u = parseUuid(val);
        if (u === undefined) return yield* badUuid(sys, prog, val);
        job.opts.uuid = u;
      }
    }
  }
  const device = p.operands[0];
  if (device === undefined || p.operands.length > 1) {
    yield* writeAll(sys, 2, `${prog}: no device name given in argument list\n`);
    return 1;
  }
  job.device = device;
  return yield* format(sys, job);
}
