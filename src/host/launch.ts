/**
 * Brings a configured machine up on the host: opens its chardevs, builds it, attaches
 * QMP monitors, boots firmware and starts the pacing runner. Shared by the CLI and by
 * library users who want real sockets.
 */
import { ChardevRegistry } from '../chardev/index.js';
import type { MachineConfig } from '../machine/config.js';
import { Machine } from '../machine/machine.js';
import { QmpMonitor } from '../qmp/monitor.js';
import { MachineRunner, type PacingMode } from './runner.js';
import type { TraceCategory, TraceSink } from '../core/trace.js';
import type { GuestLoader } from '../machine/guest-loader.js';

/** A running machine with its host-side attachments. */
export interface LaunchedMachine {
  /** The machine. */
  machine: Machine;
  /** Its pacing runner. */
  runner: MachineRunner;
  /** QMP monitors. */
  monitors: QmpMonitor[];
  /** Stops pacing and closes every chardev (sockets are unlinked). */
  close(): Promise<void>;
}

/** How to launch. */
export interface LaunchOptions {
  /** Pacing of virtual time. */
  clock: PacingMode;
  /** Wall-clock ns at virtual time 0. */
  epochNs?: number;
  /** Trace categories to print from the very first event, and where. */
  trace?: { categories: TraceCategory[]; sink: TraceSink };
  /** Guest kernel to start after firmware (none: firmware only). */
  guest?: GuestLoader;
  /** Host UTC offset in seconds for `-rtc base=localtime`. */
  rtcLocalOffsetSec?: number;
}

/** Opens chardevs, builds and boots the machine, and starts pacing. */
export async function launchMachine(cfg: MachineConfig, opts: LaunchOptions): Promise<LaunchedMachine> {
  const chardevs = new ChardevRegistry();
  try {
    for (const c of cfg.chardevs) {
      if (c.kind === 'options') await chardevs.openFromOptions(c.value);
      else await chardevs.openFromCompat(c.label, c.value);
    }
    const machine = new Machine(cfg, { chardevs, epochNs: opts.epochNs, trace: opts.trace, guest: opts.guest, rtcLocalOffsetSec: opts.rtcLocalOffsetSec });
    const monitors = cfg.monitors.map((mon) => {
      const cd = chardevs.get(mon.chardev);
      if (!cd) throw new Error(`Chardev '${mon.chardev}' not found`);
      return new QmpMonitor(machine, cd);
    });
    const runner = new MachineRunner(machine, opts.clock);
    machine.on('wake', () => runner.wake());
    machine.setInputHook(() => runner.catchUp());
    machine.boot();
    runner.start();
    return {
      machine,
      runner,
      monitors,
      close: async () => {
        runner.stop();
        for (const m of monitors) m.detach();
        await chardevs.closeAll();
      },
    };
  } catch (e) {
    await chardevs.closeAll();
    throw e;
  }
}
