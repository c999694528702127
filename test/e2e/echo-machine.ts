/**
 * The whole path a host agent client uses, with port-echo in place of qemu-ga: a unix socket
 * (or in-memory pipe) chardev, virtio-serial-pci with the agent port, the guest kernel with
 * the virtio-console driver, and port-echo on /dev/virtio-ports/org.qemu.guest_agent.0.
 *
 * It is paced by the CLI's MachineRunner in virtual mode: chardev events wake it, and its
 * slices are capped in virtual time, so the guest's 100 ms polling while the host is away
 * never starves host I/O.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChardevRegistry, createChardevPipe, type Chardev, type ChardevPipeHost } from '../../src/chardev/index.js';
import { MachineRunner } from '../../src/host/runner.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { Machine } from '../../src/machine/machine.js';
import { GuestOs } from '../../src/guest/boot.js';
import { virtioConsoleDriver, virtioConsoles, type ConsolePort } from '../../src/guest/drivers/virtio-console/index.js';
import { portEchoMain } from '../../src/guest/programs/port-echo.js';
import type { ProgramMain } from '../../src/guest/kernel/index.js';
import { VirtioSerialPci } from '../../devices/virtio-pci/virtio-serial-pci.js';
import type { VirtioSerialPort } from '../../devices/virtio-serial/port.js';

/** Name of the agent port. */
export const AGENT_PORT_NAME = 'org.qemu.guest_agent.0';
/** Where the guest finds it. */
export const AGENT_PORT_PATH = `/dev/virtio-ports/${AGENT_PORT_NAME}`;
/** What to build. */
export interface EchoMachineOptions {
  /** `socket` (a unix socket in a fresh temp dir, as the CLI default) or `pipe` (in process). */
  transport: 'socket' | 'pipe';
  /** The guest program on the port (default port-echo). */
  program?: ProgramMain;
  /** Its argv (default `port-echo <agent path>`). */
  argv?: string[];
  /** Machine seed. */
  seed?: number;
}

/** A running echo machine. */
export interface EchoMachine {
  /** The machine. */
  machine: Machine;
  /** The guest. */
  guest: GuestOs;
  /** Its pacer. */
  pacer: MachineRunner;
  /** The agent chardev. */
  chardev: Chardev;
  /** Unix socket path (socket transport). */
  socketPath?: string;
  /** The host end (pipe transport). */
  pipe?: ChardevPipeHost;
  /** The guest driver's port (after bring-up). */
  guestPort(): ConsolePort | undefined;
  /** The device model's port. */
  devicePort(): VirtioSerialPort;
  /** Stops pacing, closes the chardev, removes the temp dir. */
  close(): Promise<void>;
}

/** Builds, boots and starts pacing an echo machine. */
export async function startEchoMachine(opts: EchoMachineOptions): Promise<EchoMachine> {
  const chardevs = new ChardevRegistry();
  let dir: string | undefined;
  let socketPath: string | undefined;
  let pipe: ChardevPipeHost | undefined;
  let chardev: Chardev;
  if (opts.transport === 'socket') {
    dir = mkdtempSync(join(tmpdir(), 'qga-sim-e2e-'));
    socketPath = join(dir, 'qga.sock');
    chardev = await chardevs.openFromOptions(`socket,id=qga0,path=${socketPath},server=on,wait=off`);
  } else {
    const p = createChardevPipe('qga0');
    await p.chardev.open();
    chardevs.add(p.chardev);
    chardev = p.chardev;
    pipe = p.host;
  }
  const cfg = defaultMachineConfig();
  if (opts.seed !== undefined) cfg.seed = opts.seed;
  cfg.devices.push(
    { driver: 'virtio-serial-pci', props: [['id', 'virtio-serial0']] },
    { driver: 'virtserialport', props: [['chardev', 'qga0'], ['name', AGENT_PORT_NAME], ['id', 'channel0']] },
  );
  const program = opts.program ?? portEchoMain;
  const argv = opts.argv ?? ['port-echo', AGENT_PORT_PATH];
  let guest: GuestOs | undefined;
  const machine = new Machine(cfg, {
    chardevs,
    guest: (env) =>
      (guest = new GuestOs(env, {
        drivers: [virtioConsoleDriver],
        userspace: (os) => void os.kernel.spawn(program, argv, { stdout: 'console', stderr: 'console' }),
      })),
  });
  machine.boot();
  if (!guest) throw new Error('guest did not boot');
  const os = guest;
  const dev = machine.devices.find((d) => d.pci instanceof VirtioSerialPci)?.pci;
  if (!(dev instanceof VirtioSerialPci)) throw new Error('no virtio-serial-pci');
  const pacer = new MachineRunner(machine, 'virtual');
  machine.on('wake', () => pacer.wake());
  pacer.start();
  return {
    machine,
    guest: os,
    pacer,
    chardev,
    socketPath,
    pipe,
    guestPort: () => virtioConsoles(os.kernel)[0]?.portByName(AGENT_PORT_NAME),
    devicePort: () => {
      const p = dev.serial.ports.find((x) => x.name === AGENT_PORT_NAME);
      if (!p) throw new Error('no agent port');
      return p;
    },
    close: async () => {
      pacer.stop();
      await chardevs.closeAll();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
