/**
 * reboot(2)'s ABI (include/uapi/linux/reboot.h): the magic numbers the raw syscall checks and
 * the commands. The C library wrapper supplies the magic; the guest's Syscalls.reboot is that
 * wrapper's shape, so programs pass only the command.
 */

/** First magic argument. */
export const LINUX_REBOOT_MAGIC1 = 0xfee1dead;
/** Second magic argument (one of four accepted values). */
export const LINUX_REBOOT_MAGIC2 = 672274793;
/** LINUX_REBOOT_CMD_RESTART: reset the machine. */
export const LINUX_REBOOT_CMD_RESTART = 0x01234567;
/** LINUX_REBOOT_CMD_HALT: stop the CPUs, leave the power on. */
export const LINUX_REBOOT_CMD_HALT = 0xcdef0123;
/** LINUX_REBOOT_CMD_CAD_ON: Ctrl-Alt-Del reboots at once. */
export const LINUX_REBOOT_CMD_CAD_ON = 0x89abcdef;
/** LINUX_REBOOT_CMD_CAD_OFF: Ctrl-Alt-Del sends SIGINT to init. */
export const LINUX_REBOOT_CMD_CAD_OFF = 0x00000000;
/** LINUX_REBOOT_CMD_POWER_OFF: power the machine off. */
export const LINUX_REBOOT_CMD_POWER_OFF = 0x4321fedc;
/** LINUX_REBOOT_CMD_RESTART2: reset with a command string. */
export const LINUX_REBOOT_CMD_RESTART2 = 0xa1b2c3d4;
/** LINUX_REBOOT_CMD_SW_SUSPEND: hibernate. */
export const LINUX_REBOOT_CMD_SW_SUSPEND = 0xd000fce2;
/** LINUX_REBOOT_CMD_KEXEC: boot a loaded kexec kernel. */
export const LINUX_REBOOT_CMD_KEXEC = 0x45584543;
