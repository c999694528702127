/**
 * guest-get-memory-blocks, guest-set-memory-blocks and guest-get-memory-block-info over
 * /sys/devices/system/memory: memoryN/state ("online"/"offline"), memoryN/removable and
 * block_size_bytes (hex). Setting answers per block, in order: success, not-found,
 * operation-not-supported or operation-failed, the failures (and some successes, where
 * qemu-ga's errno bookkeeping leaks through) carrying the errno as error-code.
 */
import { DT_DIR, Errno, O_CLOEXEC, O_DIRECTORY, O_RDONLY, O_WRONLY, type Block } from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import type { GuestMemoryBlock, GuestMemoryBlockResponse, GuestMemoryBlockResponseType } from '../schema/types.js';
import { wideFromBigInt } from '../schema/wide.js';
import { errnoError, errnoText, type QgaCall, type QgaCommandEnv } from './common.js';

/** The memory block directory (with qemu-ga's trailing slash). */
export const SYS_MEMORY_DIR = '/sys/devices/system/memory/';
/** Bytes of `state` qemu-ga reads. */
export const MEMBLK_STATE_READ = 10;
/** Bytes of `block_size_bytes` qemu-ga reads. */
export const MEMBLK_SIZE_READ = 20;

/** A failed sysfs read or write: the QgaError text and the errno behind it. */
class SysfsFileError extends Error {
  constructor(
    readonly desc: string,
    readonly errno: Errno | undefined,
  ) {
    super(desc);
  }
}

/** The memory block handlers. */
export function memoryHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;

  // ga_read_sysfs_file / ga_write_sysfs_file: open, one transfer, close; errors name the step.
  function* onSysfsFile<T>(dir: string, name: string, flags: number, step: string, io: (fd: number) => QgaCall<T>): QgaCall<T> {
    let fd: number;
    try {
      fd = yield* sys.open(`${dir}${name}`, flags | O_CLOEXEC);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      throw new SysfsFileError(errnoText(`open sysfs file "${name}"`, e), e);
    }
    try {
      return yield* io(fd);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      throw new SysfsFileError(errnoText(`${step} sysfs file "${name}"`, e), e);
    } finally {
      sys.close(fd);
    }
  }

  function* readSysfs(dir: string, name: string, size: number): QgaCall<Uint8Array> {
    return yield* onSysfsFile(dir, name, O_RDONLY, 'pread', function* (fd) {
      const d = yield* sys.pread(fd, size, 0);
      if (d.length === 0) throw new SysfsFileError(`pread sysfs file "${name}": unexpected EOF`, undefined);
      return d;
    });
  }

  function* writeSysfs(dir: string, name: string, data: string): QgaCall<void> {
    yield* onSysfsFile(dir, name, O_WRONLY, 'pwrite', function* (fd) {
      yield* sys.pwrite(fd, data, 0);
    });
  }

  function* openBlockDir(index: bigint): QgaCall<{ fd: number; path: string }> {
    const path = `${SYS_MEMORY_DIR}memory${index}/`;
    return { fd: yield* sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), path };
  }

  // transfer_memory_block, sysfs → block.
  function* readBlock(blk: GuestMemoryBlock): QgaCall<void> {
    let dir: { fd: number; path: string };
    try {
      dir = yield* openBlockDir(BigInt(blk['phys-index']));
    } catch (e) {
      throw errnoError(`open("${SYS_MEMORY_DIR}memory${blk['phys-index']}/")`, e);
    }
    try {
      let state: Uint8Array;
      try {
        state = yield* readSysfs(dir.path, 'state', MEMBLK_STATE_READ);
      } catch (e) {
        if (!(e instanceof SysfsFileError)) throw e;
        // Old kernels have no state file: always online.
        if (e.errno?.code !== 'ENOENT') throw qgaGenericError(e.desc);
        blk.online = true;
        blk['can-offline'] = false;
        return;
      }
      blk.online = new TextDecoder().decode(state).startsWith('online');
      try {
        const r = yield* readSysfs(dir.path, 'removable', 1);
        blk['can-offline'] = r[0] !== 0x30;
      } catch (e) {
        if (!(e instanceof SysfsFileError)) throw e;
        if (e.errno?.code !== 'ENOENT') throw qgaGenericError(e.desc);
        blk['can-offline'] = false;
      }
    } finally {
      sys.close(dir.fd);
    }
  }

  // transfer_memory_block, block → sysfs: the response, with errno where qemu-ga sets it.
  function* writeBlock(blk: GuestMemoryBlock): QgaCall<GuestMemoryBlockResponse> {
    const result: GuestMemoryBlockResponse = { 'phys-index': blk['phys-index'], response: 'success' };
    const fail = (response: GuestMemoryBlockResponseType | undefined, e: Errno | undefined): GuestMemoryBlockResponse => {
      if (response !== undefined) result.response = response;
      result['error-code'] = e === undefined ? 0 : e.errno;
      return result;
    };
    try {
      sys.close(yield* sys.open(SYS_MEMORY_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      return fail(e.code === 'ENOENT' ? 'operation-not-supported' : undefined, e);
    }
    let dir: { fd: number; path: string };
    try {
      dir = yield* openBlockDir(BigInt(blk['phys-index']));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      return fail(e.code === 'ENOENT' ? 'not-found' : 'operation-failed', e);
    }
    try {
      let state: Uint8Array;
      try {
        state = yield* readSysfs(dir.path, 'state', MEMBLK_STATE_READ);
      } catch (e) {
        if (!(e instanceof SysfsFileError)) throw e;
        if (e.errno?.code === 'ENOENT') return fail(blk.online ? undefined : 'operation-not-supported', e.errno);
        return fail('operation-failed', e.errno);
      }
      const isOnline = new TextDecoder().decode(state).startsWith('online');
      if (blk.online !== isOnline) {
        try {
          yield* writeSysfs(dir.path, 'state', blk.online ? 'online' : 'offline');
        } catch (e) {
          if (!(e instanceof SysfsFileError)) throw e;
          return fail('operation-failed', e.errno);
        }
      }
      return result;
    } finally {
      sys.close(dir.fd);
    }
  }

  return {
    'guest-get-memory-blocks': function* () {
      let entries;
      try {
        entries = yield* sys.readdir(SYS_MEMORY_DIR);
      } catch (e) {
        // A kernel without memory blocks in sysfs is fine.
        if (Errno.is(e, 'ENOENT')) return [];
        throw errnoError(`Can't open directory"${SYS_MEMORY_DIR}"`, e);
      }
      const out: GuestMemoryBlock[] = [];
      for (const d of entries) {
        if (!d.name.startsWith('memory') || (d.type & DT_DIR) === 0) continue;
        const blk: GuestMemoryBlock = { 'phys-index': wideFromBigInt(strtoul10(d.name.slice(6))), online: false, 'can-offline': false };
        yield* readBlock(blk);
        out.push(blk);
      }
      if (out.length === 0) throw qgaGenericError('guest reported zero memory blocks!');
      return out;
    },

    'guest-set-memory-blocks': function* (args) {
      const out: GuestMemoryBlockResponse[] = [];
      for (const blk of args['mem-blks']) out.push(yield* writeBlock(blk));
      return out;
    },

    'guest-get-memory-block-info': function* () {
      let dirfd: number;
      try {
        dirfd = yield* sys.open(SYS_MEMORY_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      } catch (e) {
        throw errnoError(`open("${SYS_MEMORY_DIR}")`, e);
      }
      let buf: Uint8Array;
      try {
        buf = yield* readSysfs(SYS_MEMORY_DIR, 'block_size_bytes', MEMBLK_SIZE_READ);
      } catch (e) {
        if (e instanceof SysfsFileError) throw qgaGenericError(e.desc);
        throw e;
      } finally {
        sys.close(dirfd);
      }
      return { size: wideFromBigInt(BigInt.asUintN(64, strtolHex(new TextDecoder().decode(buf)))) };
    },
  };
}

/** strtol(buf, NULL, 16): leading space, sign, optional 0x, hex digits; clamped to long. */
export function strtolHex(s: string): bigint {
  const m = /^\s*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)/.exec(s);
  if (m === null || m[2] === '') return 0n;
  let v = BigInt(`0x${m[2]}`);
  const max = (1n << 63n) - 1n;
  if (v > max) v = m[1] === '-' ? max + 1n : max;
  return m[1] === '-' ? -v : v;
}

/** strtoul(s, NULL, 10) as a uint64: a '-' wraps around, no digits is 0. */
export function strtoul10(s: string): bigint {
  const m = /^\s*([+-]?)(\d+)/.exec(s);
  if (m === null) return 0n;
  const v = BigInt(m[2]!);
  return BigInt.asUintN(64, m[1] === '-' ? -v : v);
}
