/**
 * The reboot(2) interface shutdown, halt, reboot and poweroff use: the command numbers come
 * from src/abi/linux-reboot.ts (shared with the kernel). Programs go through `reboot()` here,
 * which fails with ENOSYS on a kernel without the call, as an old kernel would.
 */
import { Errno, type SysCall, type Syscalls } from '../../kernel/index.js';

export {
  LINUX_REBOOT_CMD_RESTART,
  LINUX_REBOOT_CMD_HALT,
  LINUX_REBOOT_CMD_POWER_OFF,
  LINUX_REBOOT_CMD_RESTART2,
  LINUX_REBOOT_CMD_SW_SUSPEND,
  LINUX_REBOOT_CMD_CAD_ON,
  LINUX_REBOOT_CMD_CAD_OFF,
} from '../../../abi/linux-reboot.js';

/** The syscall the kernel provides. */
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
