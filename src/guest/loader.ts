/** The default guest: our kernel model with its built-in drivers, as a loader the VMM can start. */
import type { GuestLoader } from '../machine/guest-loader.js';
import { GuestOs, type GuestBootOptions } from './boot.js';
import { BUILTIN_PCI_DRIVERS } from './drivers/index.js';

/** Builds a loader that boots a GuestOs with the built-in drivers plus `opts`. */
export function guestLoader(opts: Partial<GuestBootOptions> = {}): GuestLoader {
  return (env) => new GuestOs(env, { drivers: opts.drivers ?? BUILTIN_PCI_DRIVERS, hostname: opts.hostname, userspace: opts.userspace });
}
