/**
 * /sys/power as Linux 6.1 shows it: `state` always lists freeze, mem and disk (mem means
 * whatever mem_sleep selects), `mem_sleep` offers deep only when firmware has \_S3,
 * and `disk` offers platform only when firmware has \_S4 (otherwise hibernation ends in a
 * plain power-off). The current choice is the bracketed one.
 */

/** Kernel sleep states /sys/power/state accepts. */
export type PmStateName = 'freeze' | 'mem' | 'disk';
/** What "mem" means. */
export type MemSleep = 's2idle' | 'deep';
/** How hibernation ends once the image is written. */
export type HibernationMode = 'platform' | 'shutdown' | 'reboot' | 'suspend' | 'test_resume';

/** Every hibernation mode in Linux's order. */
export const HIBERNATION_MODES: readonly HibernationMode[] = ['platform', 'shutdown', 'reboot', 'suspend', 'test_resume'];

/** The contents of /sys/power/state. */
export function showState(): string {
  return 'freeze mem disk\n';
}

/** The contents of /sys/power/mem_sleep. */
export function showMemSleep(current: MemSleep, deepAvailable: boolean): string {
  const modes: MemSleep[] = deepAvailable ? ['s2idle', 'deep'] : ['s2idle'];
  return modes.map((m) => (m === current ? `[${m}]` : m)).join(' ') + '\n';
}

/** The contents of /sys/power/disk (Linux leaves a space before the newline). */
export function showDisk(current: HibernationMode, platformAvailable: boolean): string {
  const modes = HIBERNATION_MODES.filter((m) => m !== 'platform' || platformAvailable);
  return modes.map((m) => (m === current ? `[${m}] ` : `${m} `)).join('') + '\n';
}

/** The first line of a sysfs write, as Linux's attribute parsers take it (one trailing newline dropped). */
export function sysfsWord(data: string): string {
  const nl = data.indexOf('\n');
  return nl < 0 ? data : data.slice(0, nl);
}
