/**
 * Guest boot: the kernel starts on the CPU the VMM hands it, reads firmware's hand-off,
 * binds drivers to PCI functions, installs the userland and starts programs.
 */
import { Kernel } from './kernel/index.js';
import { GuestPlatform } from './platform/platform.js';
import type { GuestBootEnv } from '../machine/guest-loader.js';
import { probePciDrivers, type GuestPciDriver } from './drivers/registry.js';
import { installMinimalPrograms } from './programs/index.js';

/** What to boot. */
export interface GuestBootOptions {
  /** PCI drivers, tried in order. */
  drivers: readonly GuestPciDriver[];
  /** Host name. */
  hostname?: string;
  /** Runs after drivers are bound: start services (the agent), install extra programs. */
  userspace?: (os: GuestOs) => void;
}

/** A booted guest. */
export class GuestOs {
  /** The kernel. */
  readonly kernel: Kernel;
  /** Platform resources shared by drivers. */
  readonly platform: GuestPlatform;
  /** Which driver took which function. */
  readonly bound: Map<string, string>;

  /** Boots: kernel, platform, drivers, programs, userspace. */
  constructor(env: GuestBootEnv, opts: GuestBootOptions) {
    const sec = Math.floor(env.realtimeNs / 1e9);
    this.kernel = new Kernel({ sched: env.sched, trace: env.trace, hostname: opts.hostname, realtime: { sec, nsec: env.realtimeNs - sec * 1e9 }, seed: env.seed });
    this.platform = new GuestPlatform(env, this.kernel);
    this.kernel.cmdline = this.platform.handoff.cmdline;
    installMinimalPrograms(this.kernel);
    const bound = probePciDrivers(this.platform, opts.drivers);
    this.bound = new Map([...bound].map(([fn, name]) => [this.platform.pciName(fn), name]));
    opts.userspace?.(this);
  }
}
