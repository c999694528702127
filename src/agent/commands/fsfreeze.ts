/**
 * guest-fsfreeze-status/freeze/freeze-list/thaw and guest-fstrim, through the Linux
 * filesystem ioctls on each mount point of build_fs_mount_list.
 *
 * Freeze runs the fsfreeze hook ("freeze"), enters the agent's frozen state (commands
 * outside the allow-list disabled, qga.state.isfrozen created) *before* freezing, then
 * issues FIFREEZE in reverse mount order (so nested mounts go first), counting successes;
 * EOPNOTSUPP (and in 7.2 EBUSY, a bind mount of something already frozen) is skipped.
 * Any other failure thaws everything and reports the error. 7.2 leaves the frozen state
 * again when nothing was frozen; 2.5 stayed frozen. Thaw issues FITHAW in mount order
 * until it fails, counting filesystems thawed at least once, leaves the frozen state,
 * then runs the hook ("thaw"). The status is the agent's flag, not the kernel's.
 *
 * fstrim issues FITRIM {0, ULLONG_MAX, minimum} per mount and reports each path (in
 * reverse mount order: the list is built by prepending). Before 2.4 it returned nothing
 * and failed on the first error instead.
 */
import { Errno, FIFREEZE, FITHAW, FITRIM, FSTRIM_RANGE_SIZE, O_CLOEXEC, O_RDONLY, WEXITSTATUS, WIFEXITED, X_OK, type Block } from '../../guest/kernel/index.js';
import { QgaError, qgaCommandFailed, qgaGenericError } from '../protocol/errors.js';
import type { QgaCommandContext, QgaHandlers } from '../protocol/handler.js';
import type { GuestFilesystemTrimResult } from '../schema/types.js';
import { forkExecl, waitChild } from './children.js';
import { errnoError, errnoText, isLegacy, type QgaCall, type QgaCommandEnv } from './common.js';
import { buildFsMountList } from './mounts.js';

/** struct fstrim_range as the ioctl takes it. */
export function encodeFstrimRange(start: bigint, len: bigint, minlen: bigint): Uint8Array {
  const b = new Uint8Array(FSTRIM_RANGE_SIZE);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, start), true);
  v.setBigUint64(8, BigInt.asUintN(64, len), true);
  v.setBigUint64(16, BigInt.asUintN(64, minlen), true);
  return b;
}

/** The fields of a struct fstrim_range buffer. */
export function decodeFstrimRange(b: Uint8Array): { start: bigint; len: bigint; minlen: bigint } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { start: v.getBigUint64(0, true), len: v.getBigUint64(8, true), minlen: v.getBigUint64(16, true) };
}

type HookArg = 'freeze' | 'thaw';

/** The freeze, thaw and trim handlers. */
export function fsfreezeHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys, state } = env;

  function* runHook(arg: HookArg): QgaCall<void> {
    const hook = env.fsfreezeHook;
    if (hook === undefined) return;
    try {
      yield* sys.access(hook, X_OK);
    } catch (e) {
      throw errnoError(`can't access fsfreeze hook '${hook}'`, e);
    }
    const pid = yield* forkExecl(sys, hook, [hook, arg]);
    const status = yield* waitChild(sys, pid);
    if (!WIFEXITED(status)) throw qgaGenericError('fsfreeze hook has terminated abnormally');
    if (WEXITSTATUS(status) !== 0) throw qgaGenericError(`fsfreeze hook has failed with status ${WEXITSTATUS(status)}`);
  }

  function* openDir(path: string): QgaCall<number> {
    return yield* sys.open(path, O_RDONLY | O_CLOEXEC, 0);
  }

  function* thaw(ctx: QgaCommandContext, runThawHook: boolean): QgaCall<number> {
    const mounts = yield* buildFsMountList(sys);
    let thawed = 0;
    for (const m of mounts) {
      let fd: number;
      try {
        fd = yield* openDir(m.dirname);
      } catch (e) {
        if (e instanceof Errno) continue;
        throw e;
      }
      let any = false;
      try {
        // Each FIFREEZE needs its own FITHAW; the last success is the real thaw.
        for (;;) {
          yield* sys.ioctl(fd, FITHAW, 0);
          any = true;
        }
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
      } finally {
        sys.close(fd);
      }
      if (any) thawed++;
    }
    yield* state.unsetFrozen(ctx.agent);
    if (runThawHook) yield* runHook('thaw');
    return thawed;
  }

  function* freeze(ctx: QgaCommandContext, mountpoints: readonly string[] | undefined): QgaCall<number> {
    const legacy = isLegacy(ctx);
    yield* runHook('freeze');
    const mounts = yield* buildFsMountList(sys);
    yield* state.setFrozen(ctx.agent);
    let frozen = 0;
    let failure: Error | undefined;
    for (const m of [...mounts].reverse()) {
      if (mountpoints !== undefined && !mountpoints.includes(m.dirname)) continue;
      let fd: number;
      try {
        fd = yield* openDir(m.dirname);
      } catch (e) {
        failure = errnoError(`failed to open ${m.dirname}`, e);
        break;
      }
      try {
        yield* sys.ioctl(fd, FIFREEZE, 0);
        frozen++;
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code !== 'EOPNOTSUPP' && (legacy || e.code !== 'EBUSY')) failure = errnoError(`failed to freeze ${m.dirname}`, e);
      } finally {
        sys.close(fd);
      }
      if (failure !== undefined) break;
    }
    if (failure !== undefined) {
      // qmp_guest_fsfreeze_thaw(NULL): its own errors are dropped.
      try {
        yield* thaw(ctx, true);
      } catch (e) {
        if (!(e instanceof QgaError)) throw e;
      }
      throw failure;
    }
    if (frozen === 0 && !legacy) yield* state.unsetFrozen(ctx.agent);
    return frozen;
  }

  function* trim(ctx: QgaCommandContext, minimum: number | undefined): QgaCall<{ paths: GuestFilesystemTrimResult[] } | undefined> {
    const mounts = yield* buildFsMountList(sys);
    const minlen = BigInt(minimum ?? 0);
    if (ctx.profile.schema.command('guest-fstrim')?.returns === undefined) {
      yield* trimOldStyle(ctx, mounts.map((m) => m.dirname), minlen);
      return undefined;
    }
    const paths: GuestFilesystemTrimResult[] = [];
    for (const m of mounts) {
      const result: GuestFilesystemTrimResult = { path: m.dirname };
      paths.unshift(result);
      let fd: number;
      try {
        fd = yield* openDir(m.dirname);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        result.error = `failed to open: ${e.message}`;
        continue;
      }
      const range = encodeFstrimRange(0n, -1n, minlen);
      try {
        yield* sys.ioctl(fd, FITRIM, range);
        const r = decodeFstrimRange(range);
        result.minimum = Number(BigInt.asIntN(64, r.minlen));
        result.trimmed = Number(BigInt.asIntN(64, r.len));
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        result.error = e.code === 'ENOTTY' || e.code === 'EOPNOTSUPP' ? 'trim not supported' : `failed to trim: ${e.message}`;
      } finally {
        sys.close(fd);
      }
    }
    return { paths };
  }

  // 1.2-2.3: no result; unsupported filesystems skipped, anything else fails the command.
  function* trimOldStyle(ctx: QgaCommandContext, dirs: readonly string[], minlen: bigint): QgaCall<void> {
    const wording = (what: string, e: Errno): Error =>
      ctx.profile.name === '1.2' ? qgaCommandFailed(`${what}, ${e.message}`) : qgaGenericError(errnoText(what, e));
    for (const dir of dirs) {
      let fd: number;
      try {
        fd = yield* openDir(dir);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        throw wording(`failed to open ${dir}`, e);
      }
      try {
        yield* sys.ioctl(fd, FITRIM, encodeFstrimRange(0n, -1n, minlen));
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        if (e.code !== 'ENOTTY' && e.code !== 'EOPNOTSUPP') throw wording(`failed to trim ${dir}`, e);
      } finally {
        sys.close(fd);
      }
    }
  }

  return {
    'guest-fsfreeze-status': (_args, ctx) => (ctx.agent.frozen ? 'frozen' : 'thawed'),
    'guest-fsfreeze-freeze': (_args, ctx) => freeze(ctx, undefined),
    'guest-fsfreeze-freeze-list': (args, ctx) => freeze(ctx, args.mountpoints),
    'guest-fsfreeze-thaw': (_args, ctx) => thaw(ctx, true),
    // The 1.x/2.2 result is `{}` (the engine encodes a command without `returns` so).
    'guest-fstrim': (args, ctx) => trim(ctx, args.minimum) as QgaCall<{ paths: GuestFilesystemTrimResult[] }>,
  };
}
