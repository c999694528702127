/**
 * guest-shutdown: `/sbin/shutdown -h -P|-H|-r +0 "hypervisor initiated shutdown"` in a
 * child with its standard streams on /dev/null, waited for. Success sends no reply at
 * all (the command is 'success-response': false); errors are still answered.
 */
import type { Block } from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { checkChildStatus, forkExecl, waitChild } from './children.js';
import type { QgaCommandEnv } from './common.js';

/** What qemu-ga runs. */
export const SHUTDOWN_PATH = '/sbin/shutdown';
/** The wall message it passes. */
export const SHUTDOWN_WALL = 'hypervisor initiated shutdown';

const FLAGS: Readonly<Record<string, string>> = { powerdown: '-P', halt: '-H', reboot: '-r' };

/** The guest-shutdown handler. */
export function shutdownHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;
  return {
    'guest-shutdown': function* (args) {
      const flag = FLAGS[args.mode ?? 'powerdown'];
      // The missing parenthesis is qemu-ga's.
      if (flag === undefined || !Object.prototype.hasOwnProperty.call(FLAGS, args.mode ?? 'powerdown')) {
        throw qgaGenericError('mode is invalid (valid values are: halt|powerdown|reboot');
      }
      const pid = yield* forkExecl(sys, SHUTDOWN_PATH, ['shutdown', '-h', flag, '+0', SHUTDOWN_WALL]);
      checkChildStatus(yield* waitChild(sys, pid), 'child process has failed to shutdown');
    },
  };
}
