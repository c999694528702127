/**
 * The default machine for library users and benches: the same devices as `npm start`,
 * with the agent channel on an in-memory pipe instead of a unix socket.
 */
import { ChardevRegistry, createChardevPipe, type ChardevPipeHost } from './chardev/index.js';
import { defaultMachineConfig, type MachineConfig } from './machine/config.js';
import { addDefaultDevices, QGA_CHARDEV_ID, type DefaultDeviceSet } from './machine/defaults.js';
import { Machine, type MachineHostOptions } from './machine/machine.js';
import { guestLoaderFor } from './guest/loader.js';

/** A default machine and the host end of its agent channel. */
export interface DefaultMachine {
  /** The machine (built, not yet booted). */
  machine: Machine;
  /** Host end of the agent port's chardev. */
  agent: ChardevPipeHost;
}

/** Builds the default machine; `configure` may change the configuration first. */
export async function createDefaultMachine(opts: { configure?: (cfg: MachineConfig) => void; host?: MachineHostOptions; devices?: DefaultDeviceSet } = {}): Promise<DefaultMachine> {
  const cfg = defaultMachineConfig();
  opts.configure?.(cfg);
  addDefaultDevices(cfg, opts.devices);
  const chardevs = opts.host?.chardevs ?? new ChardevRegistry();
  const { chardev, host } = createChardevPipe(QGA_CHARDEV_ID);
  await chardev.open();
  chardevs.add(chardev);
  const machine = new Machine(cfg, { guest: guestLoaderFor(cfg), ...opts.host, chardevs });
  return { machine, agent: host };
}
