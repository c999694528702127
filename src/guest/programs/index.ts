/**
 * The guest's userland: dash as /bin/sh, the coreutils and util-linux programs the
 * simulation needs, systemd's power commands and chpasswd, installed where Debian 12's
 * packages put them; plus the helpers programs share and the /etc files of a fresh
 * install.
 */
import type { Kernel, ProgramMain } from '../kernel/index.js';
import { catMain } from './cat.js';
import { chpasswdMain } from './chpasswd.js';
import { echoMain } from './echo.js';
import { envMain } from './env.js';
import { headMain } from './head.js';
import { hostnameMain } from './hostname.js';
import { hwclockMain } from './hwclock.js';
import { idMain } from './id.js';
import { lsMain } from './ls.js';
import { printfMain } from './printf.js';
import { shMain } from './sh/main.js';
import { systemctlMain } from './shutdown.js';
import { sleepMain } from './sleep.js';
import { syncMain } from './sync.js';
import { guardOutput } from './stdio.js';
import { falseMain, trueMain } from './true.js';
import { unameMain } from './uname.js';
import { wcMain } from './wc.js';
import { loginMain } from './login.js';
import { whoMain } from './who.js';
import { dmsetupMain } from './dmsetup.js';
import { mkswapMain } from './mkswap.js';
import { swapoffMain, swaponMain } from './swapon.js';
import { mountMain, umountMain } from './mount.js';
import { mkfsExt4Main, mkfsXfsMain } from './mkfs.js';
import { blkidMain, fsfreezeMain, fstrimMain } from './fstools.js';

/** Program name → entry point, for the minimal set. */
export const MINIMAL_PROGRAMS: Readonly<Record<string, ProgramMain>> = {
  true: trueMain,
  false: falseMain,
  echo: echoMain,
  cat: catMain,
  sleep: sleepMain,
};

/** Installs every minimal program as `${dir}/<name>` (default /bin). */
export function installMinimalPrograms(kernel: Kernel, dir = '/bin'): void {
  for (const [name, main] of Object.entries(MINIMAL_PROGRAMS)) kernel.installProgram(`${dir}/${name}`, main, name);
}

/** Where each program lives, as in Debian 12 (registered program name = file name). */
export const COREUTILS_LAYOUT: readonly (readonly [string, ProgramMain])[] = [
  ['/bin/dash', shMain],
  ['/bin/cat', catMain],
  ['/bin/echo', echoMain],
  ['/bin/true', trueMain],
  ['/bin/false', falseMain],
  ['/bin/sleep', sleepMain],
  ['/bin/ls', lsMain],
  ['/bin/uname', unameMain],
  ['/bin/sync', syncMain],
  ['/bin/hostname', hostnameMain],
  ['/bin/systemctl', systemctlMain],
  ['/usr/bin/printf', printfMain],
  ['/usr/bin/env', envMain],
  ['/usr/bin/id', idMain],
  ['/usr/bin/head', headMain],
  ['/usr/bin/wc', wcMain],
  ['/sbin/hwclock', hwclockMain],
  ['/usr/sbin/chpasswd', chpasswdMain],
  ['/bin/login', loginMain],
  ['/usr/bin/who', whoMain],
  ['/sbin/dmsetup', dmsetupMain],
  ['/sbin/mkswap', mkswapMain],
  ['/sbin/swapon', swaponMain],
  ['/sbin/swapoff', swapoffMain],
  ['/bin/mount', mountMain],
  ['/bin/umount', umountMain],
  ['/sbin/mke2fs', mkfsExt4Main],
  ['/sbin/mkfs.xfs', mkfsXfsMain],
  ['/sbin/blkid', blkidMain],
  ['/sbin/fsfreeze', fsfreezeMain],
  ['/sbin/fstrim', fstrimMain],
];

/** Symlinks Debian has for these: /bin/sh → dash, systemd-sysv's power commands → systemctl. */
export const COREUTILS_SYMLINKS: readonly (readonly [string, string])[] = [
  ['/bin/sh', 'dash'],
  ['/sbin/shutdown', '/bin/systemctl'],
  ['/sbin/reboot', '/bin/systemctl'],
  ['/sbin/halt', '/bin/systemctl'],
  ['/sbin/poweroff', '/bin/systemctl'],
  ['/sbin/mkfs.ext4', 'mke2fs'],
];

/** Installs the whole userland into the kernel's root filesystem. */
export function installCoreutils(kernel: Kernel): void {
  for (const [path, main] of COREUTILS_LAYOUT) {
    const name = path.split('/').pop() ?? path;
    kernel.installProgram(path, name === 'dash' ? main : guardOutput(main, name === 'ls' ? 2 : 1), name);
  }
  for (const [path, target] of COREUTILS_SYMLINKS) kernel.createSymlink(path, target);
}

export { writeAll, readAll, readText, errText, complain, guardOutput } from './stdio.js';
export { parseDuration } from './sleep.js';
export { shMain } from './sh/main.js';
export { installEtcFiles, defaultUsers, defaultGroups, DEBIAN_OS_RELEASE, SHADOW_GID, DEFAULT_USER_UID, DEFAULT_LAST_CHANGE, type EtcOptions } from './etc-files.js';
export { sha512Crypt, sha512Verify, parseSha512Setting, saltFromBytes } from './lib/sha512-crypt.js';
export {
  RTC_RD_TIME,
  RTC_SET_TIME,
  RTC_UIE_ON,
  RTC_UIE_OFF,
  RTC_TIME_SIZE,
  encodeRtcTime,
  decodeRtcTime,
  rtcTimeFromEpoch,
  epochFromRtcTime,
  isValidRtcTime,
  type RtcTime,
} from './lib/rtc.js';
export {
  LINUX_REBOOT_CMD_RESTART,
  LINUX_REBOOT_CMD_HALT,
  LINUX_REBOOT_CMD_POWER_OFF,
  LINUX_REBOOT_CMD_RESTART2,
  hasReboot,
  type RebootSyscall,
} from './lib/reboot.js';
export { SCHEDULED_FILE } from './shutdown.js';
export { UserDb, parsePasswd, parseGroup, type PasswdEntry, type GroupEntry } from './lib/userdb.js';
