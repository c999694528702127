/**
 * Our agent as the differential test and the agent bench reach it: the default machine
 * on a virtual clock with its agent chardev on a unix socket in a temp dir, qemu-ga
 * started in the guest with a block list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchMachine, type LaunchedMachine } from '../../src/host/launch.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { addDefaults } from '../../src/machine/defaults.js';
import { guestLoader } from '../../src/guest/loader.js';

/** A running machine and the socket of its agent. */
export interface OurAgent {
  /** The launched machine. */
  vm: LaunchedMachine;
  /** The agent's unix socket. */
  socket: string;
  /** Stops the machine and removes the temp dir. */
  stop(): Promise<void>;
}

/** Boots the default machine with qemu-ga started with `-b blocked`. */
export async function startOurAgent(blocked: readonly string[]): Promise<OurAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'qga-ours-'));
  const cfg = defaultMachineConfig();
  const socket = join(dir, 'qga.sock');
  addDefaults(cfg, { qgaPath: socket, qmpPath: join(dir, 'qmp.sock') });
  const vm = await launchMachine(cfg, { clock: 'virtual', guest: guestLoader({ qemuGaArgs: ['-b', blocked.join(',')] }) });
  return {
    vm,
    socket,
    stop: async () => {
      await vm.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
