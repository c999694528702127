/**
 * guest-get-time and guest-set-time. The clock is read with microsecond resolution (GLib's
 * g_get_real_time, 2.5's gettimeofday), so the nanoseconds returned are a multiple of
 * 1000. Setting it validates the year, calls settimeofday, then runs `/sbin/hwclock -w`
 * to copy the system time to the RTC; without a time, `/sbin/hwclock -s` goes the other
 * way. 7.2 first checks once whether /sbin/hwclock is executable and, if not, answers
 * QERR_UNSUPPORTED for the life of the agent.
 */
import { Errno, X_OK } from '../../guest/kernel/index.js';
import { wideFromBigInt, type QgaWideInt } from '../schema/wide.js';
import { qgaGenericError, qgaUnsupported } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { checkChildStatus, forkExecl, waitChild } from './children.js';
import { errnoError, isLegacy, type QgaCall, type QgaCommandEnv } from './common.js';
import type { Block } from '../../guest/kernel/index.js';

/** Where qemu-ga runs hwclock from. */
export const HWCLOCK_PATH = '/sbin/hwclock';
const NS_PER_SEC = 1_000_000_000n;
/** g_date_set_time_t years qemu-ga accepts: [1970, 2070). */
const YEAR_MIN = 1970;
const YEAR_MAX = 2070;

/** The time-related handlers. */
export function timeHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;
  // 7.2 caches the access() check in a static for the agent's lifetime.
  let hwclockAvailable: boolean | undefined;

  function* setTime(time: QgaWideInt | undefined, legacy: boolean): QgaCall<void> {
    if (!legacy) {
      if (hwclockAvailable === undefined) {
        try {
          yield* sys.access(HWCLOCK_PATH, X_OK);
          hwclockAvailable = true;
        } catch (e) {
          if (!(e instanceof Errno)) throw e;
          hwclockAvailable = false;
        }
      }
      if (!hwclockAvailable) throw qgaUnsupported();
    }
    if (time !== undefined) {
      const ns = BigInt(time);
      // C division: both quotient and remainder truncate toward zero.
      const sec = ns / NS_PER_SEC;
      const usec = (ns % NS_PER_SEC) / 1000n;
      const year = new Date(Number(sec) * 1000).getUTCFullYear();
      if (!(year >= YEAR_MIN && year < YEAR_MAX)) throw qgaGenericError('Invalid time');
      try {
        sys.settimeofday({ sec: Number(sec), nsec: Number(usec) * 1000 });
      } catch (e) {
        throw errnoError('Failed to set time to guest', e);
      }
    }
    const pid = yield* forkExecl(sys, HWCLOCK_PATH, ['hwclock', time !== undefined ? '-w' : '-s']);
    checkChildStatus(yield* waitChild(sys, pid), 'hwclock failed to set hardware clock to system time');
  }

  return {
    'guest-get-time': () => {
      const ts = sys.gettimeofday();
      return wideFromBigInt(BigInt(ts.sec) * NS_PER_SEC + BigInt(Math.floor(ts.nsec / 1000)) * 1000n);
    },
    'guest-set-time': (args, ctx) => setTime(args.time, isLegacy(ctx)),
  };
}
