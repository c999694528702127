/**
 * The reboot(2) interface shutdown, halt, reboot and poweroff use. The guest kernel does
 * not offer it yet; programs call `sys.reboot(cmd)` when the Syscalls object has that
 * method (the lead adds it), and otherwise fail with ENOSYS as an old kernel would.
 */
import { Errno, type SysCall, type Syscalls } from '../../kernel/index.js';

/** LINUX_REBOOT_CMD_RESTART: reset the machine. */
export const LINUX_REBOOT_CMD_RESTART = 0x01234567;
/** LINUX_REBOOT_CMD_HALT: stop the CPUs, leave the power on. */
export const LINUX_REBOOT_CMD_HALT = 0xcdef0123;
/** LINUX_REBOOT_CMD_POWER_OFF: power the machine off. */
export const LINUX_REBOOT_CMD_POWER_OFF = 0x4321fedc;
/** LINUX_REBOOT_CMD_RESTART2: reset with a command string. */
export const LINUX_REBOOT_CMD_RESTART2 = 0xa1b2c3d4;

/** The syscall the kernel is expected to provide. */
export interface RebootSyscall {
  /** reboot(2): root only (EPERM), EINVAL for an unknown cmd; on success the machine goes down. */
  reboot(cmd: number, arg?: string): SysCall<void>;
}

/** True when the kernel's syscall interface has reboot(). */
export function hasReboot(sys: Syscalls): sys is Syscalls & RebootSyscall {
  return typeof (sys as Syscalls & Partial<RebootSyscall>).reboot === 'function';
}

/** Calls reboot(2), or fails with ENOSYS when the kernel does not implement it. */
export function* reboot(sys: Syscalls, cmd: number, arg?: string): SysCall<void> {
  if (!hasReboot(sys)) throw new Errno('ENOSYS');
  yield* sys.reboot(cmd, arg);
}
