/** Installs qemu-ga in a guest and starts it as Debian's unit does, on the virtio port. */
import type { Kernel } from '../../guest/kernel/index.js';
import { qemuGaMain } from './main.js';
import { QGA_STATE_DIR_DEFAULT, QGA_VIRTIO_PATH_DEFAULT } from './options.js';

/** Where Debian installs the agent. */
export const QEMU_GA_PATH = '/usr/sbin/qemu-ga';

/** Installs /usr/sbin/qemu-ga and spawns it; `extraArgs` are added to its command line. */
export function startQemuGa(kernel: Kernel, extraArgs: readonly string[] = []): number {
  kernel.installProgram(QEMU_GA_PATH, qemuGaMain, 'qemu-ga');
  kernel.mkdirp(QGA_STATE_DIR_DEFAULT, 0o755);
  const p = kernel.spawn(QEMU_GA_PATH, ['qemu-ga', '-m', 'virtio-serial', '-p', QGA_VIRTIO_PATH_DEFAULT, '-t', QGA_STATE_DIR_DEFAULT, ...extraArgs], { stdin: 'null', stdout: 'console', stderr: 'console' });
  return p.pid;
}
