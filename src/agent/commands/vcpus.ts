/**
 * guest-get-vcpus / guest-set-vcpus over /sys/devices/system/cpu/cpuN/online. A CPU
 * without an `online` file (cpu0 on x86) is online and cannot be offlined. 7.2 lists the
 * cpuN entries in directory order; 2.5 counted processors (sysconf) and walked 0..N-1.
 * Setting processes the list in order and stops at the first failure: the count done so
 * far is returned, and the error only when nothing was done.
 */
import { Errno, O_CLOEXEC, O_DIRECTORY, O_RDONLY, O_RDWR, type Block } from '../../guest/kernel/index.js';
import { QgaError, qgaGenericError } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import type { GuestLogicalProcessor } from '../schema/types.js';
import { errnoError, isLegacy, type QgaCall, type QgaCommandEnv } from './common.js';

/** Where the CPUs are. */
export const SYS_CPU_DIR = '/sys/devices/system/cpu';

/** The vcpu handlers. */
export function vcpuHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;

  /** transfer_vcpu: sysfs → vcpu (read) or vcpu → sysfs (write); throws QgaError. */
  function* transfer(vcpu: GuestLogicalProcessor, read: boolean): QgaCall<void> {
    const dirpath = `${SYS_CPU_DIR}/cpu${vcpu['logical-id']}/`;
    let dirfd: number;
    try {
      dirfd = yield* sys.open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } catch (e) {
      throw errnoError(`open("${dirpath}")`, e);
    }
    try {
      const file = `${dirpath}/online`;
      let fd: number;
      try {
        fd = yield* sys.open(`${dirpath}online`, (read ? O_RDONLY : O_RDWR) | O_CLOEXEC);
      } catch (e) {
        if (!Errno.is(e, 'ENOENT')) throw errnoError(`open("${file}")`, e);
        if (read) {
          vcpu.online = true;
          vcpu['can-offline'] = false;
        } else if (!vcpu.online) {
          throw qgaGenericError(`logical processor #${vcpu['logical-id']} can't be offlined`);
        }
        // Otherwise: re-onlining a CPU that cannot go offline is a success.
        return;
      }
      try {
        let b: Uint8Array;
        try {
          b = yield* sys.pread(fd, 1, 0);
        } catch (e) {
          throw errnoError(`pread("${file}")`, e);
        }
        if (b.length === 0) throw qgaGenericError(`pread("${file}"): unexpected EOF`);
        const isOnline = b[0] !== 0x30;
        if (read) {
          vcpu.online = isOnline;
          vcpu['can-offline'] = true;
        } else if (vcpu.online !== isOnline) {
          try {
            yield* sys.pwrite(fd, vcpu.online ? '1' : '0', 0);
          } catch (e) {
            throw errnoError(`pwrite("${file}")`, e);
          }
        }
      } finally {
        sys.close(fd);
      }
    } finally {
      sys.close(dirfd);
    }
  }

  // 7.2: the cpuN entries, in directory order.
  function* listIds(legacy: boolean): QgaCall<number[]> {
    let entries;
    try {
      entries = yield* sys.readdir(SYS_CPU_DIR);
    } catch (e) {
      if (legacy && e instanceof Errno) return [0];
      throw errnoError(`failed to list entries: ${SYS_CPU_DIR}`, e);
    }
    if (legacy) {
      // sysconf(_SC_NPROCESSORS_CONF): how many cpuN there are, numbered from 0.
      const n = entries.filter((d) => /^cpu\d+$/.test(d.name)).length;
      return Array.from({ length: Math.max(n, 1) }, (_v, i) => i);
    }
    const ids: number[] = [];
    for (const d of entries) {
      const m = /^cpu\s*([+-]?\d+)/.exec(d.name);
      if (m !== null) ids.push(Number(m[1]));
    }
    return ids;
  }

  return {
    'guest-get-vcpus': function* (_args, ctx) {
      const out: GuestLogicalProcessor[] = [];
      for (const id of yield* listIds(isLegacy(ctx))) {
        const vcpu: GuestLogicalProcessor = { 'logical-id': id, online: false, 'can-offline': false };
        yield* transfer(vcpu, true);
        out.push(vcpu);
      }
      return out;
    },
    'guest-set-vcpus': function* (args) {
      let processed = 0;
      for (const v of args.vcpus) {
        try {
          yield* transfer({ ...v }, false);
        } catch (e) {
          if (!(e instanceof QgaError) || processed === 0) throw e;
          break;
        }
        processed++;
      }
      return processed;
    },
  };
}
