/**
 * The file behind /dev/vda, /dev/vda1 and /dev/dm-0: byte-addressed read, write, lseek
 * and fsync on top of bios, and the block ioctls. File operations must not block, so an
 * operation runs as a small generator that yields the bios it needs: the first call
 * submits them and throws WouldBlock, the completion wakes the file's queue, and the
 * retried call resumes the generator. Unaligned writes read the edge blocks first.
 */
import { Errno, WouldBlock, type ErrnoCode } from '../errno.js';
import { O_EXCL, SEEK_CUR, SEEK_END, SEEK_SET } from '../constants.js';
import { isRoot } from '../cred.js';
import type { DeviceOps } from '../devices.js';
import type { OpenFile } from '../vfs/file.js';
import type { IoctlArg } from '../vfs/types.js';
import { WaitQueue } from '../waitqueue.js';
import { Gendisk } from './gendisk.js';
import {
  BLKBSZGET, BLKDISCARD, BLKFLSBUF, BLKGETSIZE, BLKGETSIZE64, BLKIOMIN, BLKIOOPT, BLKPBSZGET, BLKROGET, BLKROTATIONAL, BLKRRPART, BLKSSZGET,
} from './ioctl.js';
import type { BlockNode } from './node.js';
import { SECTOR_SIZE, type BioOp } from './types.js';

/** Most bytes one read() or write() call moves (larger requests return short and are continued). */
export const MAX_BDEV_IO_BYTES = 1024 * 1024;
/** Block size buffered I/O on a block device file uses (BLKBSZGET). */
const BDEV_SOFT_BLOCK_SIZE = 4096;

/** One bio an operation wants. */
interface Req {
  op: BioOp;
  sector: number;
  count: number;
  data?: Uint8Array;
}

/** An operation: yields batches of bios, is resumed with the batch's first error. */
type Op<T> = Generator<Req[], T, ErrnoCode | undefined>;

interface Running {
  key: string;
  gen: Op<unknown>;
  inflight: number;
  error: ErrnoCode | undefined;
}

/** Per-open state. */
interface BdevFileState {
  running?: Running;
  rescan?: { done: boolean };
  exclusive?: string;
}

/** What the device files need from the block layer. */
export interface BdevHost {
  /** Starts re-reading a disk's partition table (EBUSY if partitions are in use). */
  rescan(disk: Gendisk): { done: boolean };
  /** Woken whenever a partition scan finishes. */
  readonly settleQueue: WaitQueue;
}

function state(file: OpenFile): BdevFileState {
  if (typeof file.driverData !== 'object' || file.driverData === null) file.driverData = {};
  return file.driverData as BdevFileState;
}

/** The device operations registered for `node`'s dev_t. */
export function blockDeviceOps(node: BlockNode, host: BdevHost): DeviceOps {
  const wq = new WaitQueue(`bdev:${node.name}`);
  let nextOpenId = 1;
  const bytes = (): number => node.capacity * SECTOR_SIZE;
  const lbs = (): number => node.limits.logicalBlockSize;

  // Runs (or resumes) the operation identified by `key`; throws WouldBlock while bios are out.
  function run<T>(file: OpenFile, key: string, start: () => Op<T>): T {
    const st = state(file);
    if (st.running !== undefined && st.running.key !== key) {
      if (st.running.inflight > 0) throw new WouldBlock(wq);
      st.running = undefined;
    }
    if (st.running === undefined) st.running = { key, gen: start(), inflight: 0, error: undefined };
    const r = st.running;
    if (r.inflight > 0) throw new WouldBlock(wq);
    for (;;) {
      let step: IteratorResult<Req[], unknown>;
      try {
        step = r.gen.next(r.error);
      } catch (e) {
        st.running = undefined;
        throw e;
      }
      if (step.done === true) {
        st.running = undefined;
        return step.value as T;
      }
      r.error = undefined;
      r.inflight = step.value.length;
      for (const q of step.value) {
        node.submit({
          ...q,
          end: (err) => {
            if (err !== undefined && r.error === undefined) r.error = err;
            if (--r.inflight === 0) wq.wakeAll();
          },
        });
      }
      if (r.inflight > 0) throw new WouldBlock(wq);
    }
  }

  function* readOp(pos: number, count: number): Op<Uint8Array> {
    const first = Math.floor(pos / lbs()) * lbs();
    const end = Math.ceil((pos + count) / lbs()) * lbs();
    const buf = new Uint8Array(end - first);
    const err = yield [{ op: 'read', sector: first / SECTOR_SIZE, count: buf.length / SECTOR_SIZE, data: buf }];
    if (err !== undefined) throw new Errno(err);
    return buf.slice(pos - first, pos - first + count);
  }

  function* writeOp(pos: number, data: Uint8Array): Op<number> {
    const b = lbs();
    const first = Math.floor(pos / b) * b;
    const end = Math.ceil((pos + data.length) / b) * b;
    const buf = new Uint8Array(end - first);
    const edges: Req[] = [];
    if (pos % b !== 0) edges.push({ op: 'read', sector: first / SECTOR_SIZE, count: b / SECTOR_SIZE, data: buf.subarray(0, b) });
    if ((pos + data.length) % b !== 0 && (edges.length === 0 || end - b > first)) {
      edges.push({ op: 'read', sector: (end - b) / SECTOR_SIZE, count: b / SECTOR_SIZE, data: buf.subarray(buf.length - b) });
    }
    if (edges.length > 0) {
      const err = yield edges;
      if (err !== undefined) throw new Errno(err);
    }
    buf.set(data, pos - first);
    const err = yield [{ op: 'write', sector: first / SECTOR_SIZE, count: buf.length / SECTOR_SIZE, data: buf }];
    if (err !== undefined) throw new Errno(err);
    return data.length;
  }

  function* single(op: BioOp, sector: number, count: number): Op<number> {
    const err = yield [{ op, sector, count }];
    if (err !== undefined) throw new Errno(err);
    return 0;
  }

  function putU64(arg: IoctlArg, v: number): number {
    if (!(arg instanceof Uint8Array) || arg.length < 8) throw new Errno('EFAULT');
    new DataView(arg.buffer, arg.byteOffset, 8).setBigUint64(0, BigInt(v), true);
    return 0;
  }

  function putU32(arg: IoctlArg, v: number): number {
    if (!(arg instanceof Uint8Array) || arg.length < 4) throw new Errno('EFAULT');
    new DataView(arg.buffer, arg.byteOffset, 4).setUint32(0, v >>> 0, true);
    return 0;
  }

  function discard(file: OpenFile, arg: IoctlArg): number {
    if (!file.writable) throw new Errno('EBADF');
    if (!(arg instanceof Uint8Array) || arg.length < 16) throw new Errno('EFAULT');
    const dv = new DataView(arg.buffer, arg.byteOffset, 16);
    const start = dv.getBigUint64(0, true);
    const len = dv.getBigUint64(8, true);
    const b = BigInt(lbs());
    if (start % b !== 0n || len % b !== 0n) throw new Errno('EINVAL');
    if (start + len > BigInt(bytes())) throw new Errno('EINVAL');
    if (len === 0n) return 0;
    if (node.limits.discard === undefined) throw new Errno('EOPNOTSUPP');
    const sector = Number(start / BigInt(SECTOR_SIZE));
    const count = Number(len / BigInt(SECTOR_SIZE));
    return run(file, `discard:${sector}:${count}`, () => single('discard', sector, count));
  }

  function rereadPartitions(file: OpenFile): number {
    if (!isRoot(file.opener.cred)) throw new Errno('EACCES');
    if (!(node instanceof Gendisk) || node.maxPartitions < 1) throw new Errno('EINVAL');
    const st = state(file);
    if (st.rescan === undefined) st.rescan = host.rescan(node);
    if (!st.rescan.done) throw new WouldBlock(host.settleQueue);
    st.rescan = undefined;
    return 0;
  }

  return {
    // Like buffered block-device writes in Linux, write() moves all of its data.
    writeAll: true,
    open(file: OpenFile, flags: number): void {
      if (node.dead) throw new Errno('ENXIO');
      if ((flags & O_EXCL) !== 0) {
        const holder = `open#${nextOpenId++}`;
        node.claim(holder);
        state(file).exclusive = holder;
      }
      node.opens++;
    },
    release(file: OpenFile): void {
      node.opens--;
      const st = state(file);
      if (st.exclusive !== undefined) node.release(st.exclusive);
    },
    read(file: OpenFile, count: number, pos: number): Uint8Array {
      if (node.dead) throw new Errno('EIO');
      const n = Math.min(count, bytes() - pos, MAX_BDEV_IO_BYTES);
      if (n <= 0) return new Uint8Array(0);
      return run(file, `read:${pos}:${n}`, () => readOp(pos, n));
    },
    write(file: OpenFile, data: Uint8Array, pos: number): number {
      if (node.dead) throw new Errno('EIO');
      if (node.readOnly) throw new Errno('EPERM');
      if (data.length === 0) return 0;
      if (pos >= bytes()) throw new Errno('ENOSPC');
      const n = Math.min(data.length, bytes() - pos, MAX_BDEV_IO_BYTES);
      const chunk = data.subarray(0, n);
      return run(file, `write:${pos}:${n}`, () => writeOp(pos, chunk));
    },
    llseek(file: OpenFile, offset: number, whence: number): number {
      const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? file.pos : whence === SEEK_END ? bytes() : NaN;
      const pos = base + offset;
      if (!Number.isSafeInteger(pos) || pos < 0 || pos > bytes()) throw new Errno('EINVAL');
      return pos;
    },
    fsync(file: OpenFile): void {
      if (node.dead) throw new Errno('EIO');
      run(file, 'flush', () => single('flush', 0, 0));
    },
    ioctl(file: OpenFile, request: number, arg: IoctlArg): number {
      switch (request) {
        case BLKGETSIZE64:
          return putU64(arg, bytes());
        case BLKGETSIZE:
          return putU64(arg, node.capacity);
        case BLKSSZGET:
          return putU32(arg, lbs());
        case BLKPBSZGET:
        case BLKIOMIN:
          return putU32(arg, node.limits.physicalBlockSize ?? lbs());
        case BLKIOOPT:
          return putU32(arg, 0);
        case BLKBSZGET:
          return putU32(arg, Math.max(lbs(), BDEV_SOFT_BLOCK_SIZE));
        case BLKROGET:
          return putU32(arg, node.readOnly ? 1 : 0);
        case BLKROTATIONAL:
          if (!(arg instanceof Uint8Array) || arg.length < 2) throw new Errno('EFAULT');
          arg[0] = node.limits.rotational ?? true ? 1 : 0;
          arg[1] = 0;
          return 0;
        case BLKDISCARD:
          return discard(file, arg);
        case BLKFLSBUF:
          // Nothing is cached above the driver, so there is nothing to drop.
          if (!isRoot(file.opener.cred)) throw new Errno('EACCES');
          return 0;
        case BLKRRPART:
          return rereadPartitions(file);
        default:
          throw new Errno('ENOTTY');
      }
    },
  };
}
