/**
 * reboot(2) in the kernel: the permission and command checks, the sync, and the hand-over to
 * whatever the platform installed to restart, halt, power off or hibernate the machine (the
 * kernel core knows no hardware; the guest's power code registers these, as Linux's ACPI
 * code fills in pm_power_off and the reboot methods).
 */
import {
  LINUX_REBOOT_CMD_CAD_OFF,
  LINUX_REBOOT_CMD_CAD_ON,
  LINUX_REBOOT_CMD_HALT,
  LINUX_REBOOT_CMD_KEXEC,
  LINUX_REBOOT_CMD_POWER_OFF,
  LINUX_REBOOT_CMD_RESTART,
  LINUX_REBOOT_CMD_RESTART2,
  LINUX_REBOOT_CMD_SW_SUSPEND,
} from '../../abi/linux-reboot.js';
import type { SysCall } from './block.js';
import { isRoot, type Cred } from './cred.js';
import { Errno } from './errno.js';
import type { Kernel } from './kernel.js';
import type { WaitQueue } from './waitqueue.js';

/** What a reboot(2) command asks the platform for. */
export type RebootAction = 'restart' | 'halt' | 'power-off' | 'hibernate';

/** The platform side of reboot(2). */
export interface KernelPowerOps {
  /** Whether power-off is possible (without it POWER_OFF halts, as Linux does without pm_power_off). */
  canPowerOff(): boolean;
  /**
   * Carries the action out. restart, halt and power-off never come back to the caller (the
   * generator parks it); hibernate returns after the machine resumed, or throws an Errno.
   */
  perform(action: RebootAction, arg: string | undefined, ctx: RebootContext): SysCall<void>;
}

const opsOf = new WeakMap<Kernel, KernelPowerOps>();
const cadOf = new WeakMap<Kernel, boolean>();

/** Installs the platform's reboot operations. */
export function setKernelPowerOps(kernel: Kernel, ops: KernelPowerOps | undefined): void {
  if (ops) opsOf.set(kernel, ops);
  else opsOf.delete(kernel);
}

/** Whether Ctrl-Alt-Del reboots at once (LINUX_REBOOT_CMD_CAD_ON) rather than signalling init. */
export function ctrlAltDelReboots(kernel: Kernel): boolean {
  return cadOf.get(kernel) ?? true;
}

/** What the syscall layer lends the implementation. */
export interface RebootContext {
  /** sync(2) for the caller. */
  sync(): SysCall<void>;
  /** Blocks the caller for good (its CPU is going away). */
  park(): SysCall<void>;
  /** Sleeps until `q` is woken (signals do not end the wait). */
  wait(q: WaitQueue): SysCall<void>;
}

/**
 * reboot(2) as the C library calls it (magic numbers supplied): EPERM without root, EINVAL
 * for an unknown command. Filesystems are synced before the machine goes down.
 */
export function* rebootSyscall(kernel: Kernel, cred: Cred, cmd: number, arg: string | undefined, ctx: RebootContext): SysCall<void> {
  if (!isRoot(cred)) throw new Errno('EPERM');
  const ops = opsOf.get(kernel);
  let action: RebootAction;
  switch (cmd >>> 0) {
    case LINUX_REBOOT_CMD_CAD_ON:
    case LINUX_REBOOT_CMD_CAD_OFF:
      cadOf.set(kernel, cmd >>> 0 === LINUX_REBOOT_CMD_CAD_ON);
      return;
    case LINUX_REBOOT_CMD_RESTART:
    case LINUX_REBOOT_CMD_RESTART2:
      action = 'restart';
      break;
    case LINUX_REBOOT_CMD_HALT:
      action = 'halt';
      break;
    case LINUX_REBOOT_CMD_POWER_OFF:
      action = ops?.canPowerOff() === true ? 'power-off' : 'halt';
      break;
    case LINUX_REBOOT_CMD_SW_SUSPEND:
      if (ops === undefined) throw new Errno('ENOSYS');
      yield* ctx.sync();
      yield* ops.perform('hibernate', undefined, ctx);
      return;
    case LINUX_REBOOT_CMD_KEXEC:
      // No kexec image can have been loaded.
      throw new Errno('EINVAL');
    default:
      throw new Errno('EINVAL');
  }
  yield* ctx.sync();
  if (ops === undefined) {
    // No platform code: all a CPU can do is stop.
    kernel.trace.emit(kernel.sched.now(), 'guest', 'kernel', 'reboot: System halted');
    for (;;) yield* ctx.park();
  }
  yield* ops.perform(action, cmd >>> 0 === LINUX_REBOOT_CMD_RESTART2 ? arg : undefined, ctx);
  for (;;) yield* ctx.park();
}
