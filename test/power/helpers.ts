/**
 * A whole machine for power and clock tests: the chipset and the agent's port, a guest with
 * the Debian userland (shutdown, hwclock, sh) instead of qemu-ga, QMP events collected, and
 * helpers to run a guest command to completion on the virtual clock.
 */
import { ChardevRegistry, createChardevPipe, type ChardevPipeHost } from '../../src/chardev/index.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { addDefaultDevices, QGA_CHARDEV_ID } from '../../src/machine/defaults.js';
import { Machine } from '../../src/machine/machine.js';
import { guestLoader } from '../../src/guest/loader.js';
import type { GuestOs } from '../../src/guest/boot.js';
import { installCoreutils, installEtcFiles } from '../../src/guest/programs/index.js';
import { WEXITSTATUS, WIFSIGNALED, WTERMSIG, type HostSpawnOptions, type SpawnedProcess } from '../../src/guest/kernel/index.js';
import type { MachineConfig } from '../../src/machine/config.js';
import type { MachineEvent } from '../../src/machine/run-state.js';

/** Nanoseconds per millisecond / second. */
export const MS = 1_000_000;
/** Nanoseconds per second. */
export const SEC = 1_000_000_000;

/** A booted test machine. */
export interface PowerRig {
  m: Machine;
  /** QMP events in order. */
  events: MachineEvent[];
  /** Set when the machine asked the host program to exit. */
  quit: { asked: boolean };
  /** The guest running now (a reset replaces it). */
  os(): GuestOs;
  /** Event names seen so far. */
  names(): string[];
  /** Guest kernel and machine log lines ("source: message"). */
  log: string[];
  /** Host end of the agent port's chardev. */
  agent: ChardevPipeHost;
}

/**
 * Builds and boots a small machine (the chipset plus the agent's virtio-serial port, and
 * whatever `configure` adds) whose guest has the Debian userland on its tmpfs root.
 */
export async function bootRig(configure?: (cfg: MachineConfig) => void, userspace?: (os: GuestOs) => void): Promise<PowerRig> {
  const cfg = defaultMachineConfig();
  cfg.ramSize = cfg.maxMem = 512 * 1024 * 1024;
  configure?.(cfg);
  addDefaultDevices(cfg, 'agent-only');
  const chardevs = new ChardevRegistry();
  const pipe = createChardevPipe(QGA_CHARDEV_ID);
  await pipe.chardev.open();
  chardevs.add(pipe.chardev);
  const m = new Machine(cfg, {
    chardevs,
    guest: guestLoader({
      hostname: 'debian',
      userspace: (os) => {
        installCoreutils(os.kernel);
        installEtcFiles(os.kernel);
        userspace?.(os);
      },
    }),
  });
  const events: MachineEvent[] = [];
  const quit = { asked: false };
  const log: string[] = [];
  m.trace.subscribe(['guest', 'machine', 'virtio'], (rec) => log.push(`${rec.source}: ${rec.message}`));
  m.on('event', (e) => events.push(e));
  m.on('quit', () => (quit.asked = true));
  m.boot();
  m.runUntilIdle(m.sched.now() + 10 * MS);
  return { m, events, quit, log, agent: pipe.host, os: () => m.guest as GuestOs, names: () => events.map((e) => e.event) };
}

/** What a finished guest command left behind. */
export interface GuestRun {
  out: string;
  err: string;
  code: number | undefined;
  proc: SpawnedProcess;
}

/** Starts argv in the current guest and runs the machine for up to `budgetNs` of virtual time or until it exits. */
export function runIn(rig: PowerRig, argv: readonly string[], opts: HostSpawnOptions & { budgetNs?: number } = {}): GuestRun {
  const { budgetNs = 5 * SEC, ...spawnOpts } = opts;
  const env = spawnOpts.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
  const proc = rig.os().kernel.spawn(argv[0] ?? '', argv, { stdin: 'null', ...spawnOpts, env });
  const end = rig.m.sched.now() + budgetNs;
  while (proc.status === undefined && rig.m.sched.now() < end) {
    if (!rig.m.runUntilIdle(Math.min(end, rig.m.sched.now() + 100 * MS))) break;
  }
  const st = proc.status;
  return {
    out: proc.stdout?.text() ?? '',
    err: proc.stderr?.text() ?? '',
    code: st === undefined ? undefined : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st),
    proc,
  };
}

/** Advances the machine clock by `ns` (whatever is due runs). */
export function advance(rig: PowerRig, ns: number): void {
  rig.m.runUntilIdle(rig.m.sched.now() + ns);
}

/** Runs the machine while `p` is pending (host I/O needs the Node event loop to turn too). */
export async function pump<T>(rig: PowerRig, p: Promise<T>, sliceNs = 10 * MS): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  for (let i = 0; i < 2000 && !done; i++) {
    rig.m.runUntilIdle(rig.m.sched.now() + sliceNs);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}
