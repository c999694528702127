/**
 * Installs qemu-ga in a guest, as a guest image ships one build of it, and starts it as
 * Debian's unit does: on the virtio port, state in /var/run. Which version the guest
 * has is a property of its image, so the host chooses it here (from MachineConfig's
 * qgaVersion) and the agent learns it from its own binary.
 */
import type { Kernel } from '../../guest/kernel/index.js';
import { QGA_DEFAULT_PROFILE, QGA_PROFILE_NAMES, isQgaProfileName } from '../schema/index.js';
import { qemuGaProgram, type QemuGaBuild } from './main.js';
import { QGA_STATE_DIR_DEFAULT, QGA_VIRTIO_PATH_DEFAULT } from './options.js';

/** Where Debian installs the agent. */
export const QEMU_GA_PATH = '/usr/sbin/qemu-ga';

/** What to install and how to start it. */
export interface QemuGaInstallOptions {
  /** The qemu-ga version of the image (a profile name; default 7.2). */
  version?: string;
  /** Added to the agent's command line (e.g. `-b guest-exec`, `-v`). */
  args?: readonly string[];
  /** Command handlers built into the binary (see QemuGaBuild). */
  handlers?: QemuGaBuild['handlers'];
}

/** Throws for a version no profile exists for. */
export function checkQgaVersion(version: string): asserts version is (typeof QGA_PROFILE_NAMES)[number] {
  if (!isQgaProfileName(version)) throw new Error(`qemu-ga version '${version}' is not modelled (choose one of ${QGA_PROFILE_NAMES.join(', ')})`);
}

/** Installs /usr/sbin/qemu-ga (the requested build); returns the command line its service runs. */
export function installQemuGa(kernel: Kernel, opts: QemuGaInstallOptions = {}): string[] {
  const version = opts.version ?? QGA_DEFAULT_PROFILE;
  checkQgaVersion(version);
  kernel.installProgram(QEMU_GA_PATH, qemuGaProgram({ profile: version, handlers: opts.handlers }), 'qemu-ga');
  return ['qemu-ga', '-m', 'virtio-serial', '-p', QGA_VIRTIO_PATH_DEFAULT, '-t', QGA_STATE_DIR_DEFAULT, ...(opts.args ?? [])];
}

/** Installs /usr/sbin/qemu-ga (the requested build) and spawns it; returns its pid. */
export function startQemuGa(kernel: Kernel, opts: QemuGaInstallOptions = {}): number {
  const argv = installQemuGa(kernel, opts);
  kernel.mkdirp(QGA_STATE_DIR_DEFAULT, 0o755);
  return kernel.spawn(QEMU_GA_PATH, argv, { stdin: 'null', stdout: 'console', stderr: 'console' }).pid;
}
