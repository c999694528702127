/** The default guest: our kernel model with its built-in drivers, as a loader the VMM can start. */
import type { GuestLoader } from '../machine/guest-loader.js';
import type { Kernel } from './kernel/index.js';
import type { MachineConfig } from '../machine/config.js';
import { GuestOs, type GuestBootOptions } from './boot.js';
import { BUILTIN_PCI_DRIVERS } from './drivers/index.js';
import { QEMU_GA_PATH, installQemuGa, type QemuGaInstallOptions } from '../agent/program/install.js';
import { installCoreutils, installEtcFiles } from './programs/index.js';
import { rcProgram } from './programs/rc.js';

/** Where the image's boot-finishing program lives. */
export const RC_PATH = '/sbin/rc';
/** The ordinary user of the default image, logged in on tty1. */
export const DEFAULT_LOGIN_USER = 'user';
/** Rootfs trees copied to a blank disk root on first boot: the image's configuration and homes. */
export const IMAGE_SEED_TREES: readonly string[] = ['/etc', '/home', '/root', '/var', '/run'];

/** What the default guest image holds. */
export interface GuestImageOptions extends Partial<GuestBootOptions> {
  /** qemu-ga's command line additions. */
  qemuGaArgs?: readonly string[];
  /** Which qemu-ga build the image ships (a profile name; default 7.2). */
  qgaVersion?: string;
  /** Command handlers compiled into that build. */
  qemuGaHandlers?: QemuGaInstallOptions['handlers'];
}

/**
 * Builds a loader that boots a GuestOs with the built-in drivers and a Debian-like image:
 * the userland, /etc with root and one user, qemu-ga; once the disks are mounted, rc logs
 * the user in and starts qemu-ga as the image's service.
 */
export function guestLoader(opts: GuestImageOptions = {}): GuestLoader {
  const rootfs = (kernel: Kernel): void => {
    installCoreutils(kernel);
    installEtcFiles(kernel, { hostname: opts.hostname });
    const argv = installQemuGa(kernel, { version: opts.qgaVersion, args: opts.qemuGaArgs, handlers: opts.qemuGaHandlers });
    kernel.installProgram(RC_PATH, rcProgram({ autologin: DEFAULT_LOGIN_USER, services: [[QEMU_GA_PATH, ...argv.slice(1)]] }), 'rc');
    opts.rootfs?.(kernel);
  };
  const userspace = opts.userspace ?? ((os: GuestOs) => void os.kernel.spawn(RC_PATH, ['rc'], { stdin: 'null', stdout: 'console', stderr: 'console' }));
  return (env) => new GuestOs(env, { drivers: opts.drivers ?? BUILTIN_PCI_DRIVERS, hostname: opts.hostname, userspace, rootfs, seedMissing: opts.seedMissing ?? IMAGE_SEED_TREES });
}

/** The loader for a configuration: its guest name as host name, its qemu-ga version. */
export function guestLoaderFor(cfg: Pick<MachineConfig, 'name' | 'qgaVersion'>, opts: GuestImageOptions = {}): GuestLoader {
  return guestLoader({ hostname: cfg.name, qgaVersion: cfg.qgaVersion, ...opts });
}
