/**
 * guest-set-user-password: feeds "user:password\n" to chpasswd (`chpasswd -e` when the
 * password is already crypt()ed) through a pipe on its stdin, and checks how it exited.
 * The password travels base64-encoded; once decoded it ends at its first NUL byte, as a C
 * string does, and neither it nor the user name may break chpasswd's line format.
 */
import { Buffer } from 'node:buffer';
import { Errno, O_CLOEXEC, type Block } from '../../guest/kernel/index.js';
import { qgaGenericError } from '../protocol/errors.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { qgaBase64Decode } from './base64.js';
import { checkChildStatus, findProgramInPath, forkExecl, waitChild } from './children.js';
import { errnoError, isLegacy, type QgaCommandEnv } from './common.js';

const NEWLINE = 0x0a;

/** The set-user-password handler. */
export function userHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;
  return {
    'guest-set-user-password': function* (args, ctx) {
      let raw = qgaBase64Decode(args.password, isLegacy(ctx));
      const nul = raw.indexOf(0);
      if (nul >= 0) raw = raw.subarray(0, nul);
      if (raw.includes(NEWLINE)) throw qgaGenericError('forbidden characters in raw password');
      const username = args.username.split('\0')[0] ?? '';
      if (username.includes('\n') || username.includes(':')) throw qgaGenericError('forbidden characters in username');
      const line = new Uint8Array(Buffer.concat([Buffer.from(`${username}:`, 'utf8'), raw, Buffer.from([NEWLINE])]));
      const path = yield* findProgramInPath(sys, 'chpasswd');
      // qemu-ga's wording, although it looks for chpasswd.
      if (path === undefined) throw qgaGenericError("cannot find 'passwd' program in PATH");
      let rd: number;
      let wr: number;
      try {
        [rd, wr] = sys.pipe(O_CLOEXEC);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        throw qgaGenericError('cannot create pipe FDs');
      }
      let pid: number;
      try {
        pid = yield* forkExecl(sys, path, args.crypted ? ['chpasswd', '-e'] : ['chpasswd'], { stdin: rd });
      } finally {
        sys.close(rd);
      }
      try {
        let off = 0;
        while (off < line.length) off += yield* sys.write(wr, line.subarray(off));
      } catch (e) {
        throw errnoError('cannot write new account password', e);
      } finally {
        sys.close(wr);
      }
      checkChildStatus(yield* waitChild(sys, pid), 'child process has failed to set user password');
    },
  };
}
