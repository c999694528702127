/** The default guest: our kernel model with its built-in drivers, as a loader the VMM can start. */
import type { GuestLoader } from '../machine/guest-loader.js';
import { GuestOs, type GuestBootOptions } from './boot.js';
import { BUILTIN_PCI_DRIVERS } from './drivers/index.js';
import { startQemuGa } from '../agent/program/install.js';

/** Builds a loader that boots a GuestOs with the built-in drivers and, by default, qemu-ga. */
export function guestLoader(opts: Partial<GuestBootOptions> & { qemuGaArgs?: readonly string[] } = {}): GuestLoader {
  const userspace = opts.userspace ?? ((os: GuestOs) => void startQemuGa(os.kernel, opts.qemuGaArgs));
  return (env) => new GuestOs(env, { drivers: opts.drivers ?? BUILTIN_PCI_DRIVERS, hostname: opts.hostname, userspace });
}
