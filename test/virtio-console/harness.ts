/**
 * A machine with virtio-serial-pci and a guest booted with the virtio-console driver, its
 * ports' host ends on in-memory pipes. The test plays the host through the pipes and looks at
 * the guest only through its kernel (files, processes) and the driver's counters.
 */
import { ChardevRegistry, createChardevPipe, type ChardevPipeHost } from '../../src/chardev/index.js';
import type { TraceRecord } from '../../src/core/trace.js';
import { NS_PER_MS } from '../../src/core/scheduler.js';
import { defaultMachineConfig, type DeviceSpec } from '../../src/machine/config.js';
import { Machine } from '../../src/machine/machine.js';
import { GuestOs } from '../../src/guest/boot.js';
import { Errno, type Program, type SysCall, type Syscalls } from '../../src/guest/kernel/index.js';
import { virtioConsoleDriver, virtioConsoles, type ConsolePort, type VirtioConsole } from '../../src/guest/drivers/virtio-console/index.js';
import { VirtioSerialPci } from '../../devices/virtio-pci/virtio-serial-pci.js';

/** The agent port's name. */
export const AGENT_PORT = 'org.qemu.guest_agent.0';

/** What to build. */
export interface RigOptions {
  /** Ports: chardev ids get pipes; default one port `qga0` named AGENT_PORT. */
  ports?: { chardev?: string; name?: string; type?: 'virtserialport' | 'virtconsole'; nr?: number }[];
  /** Extra -device properties of virtio-serial-pci. */
  serialProps?: [string, string][];
  /** Devices added after the ports (a second virtio-serial-pci and its ports). */
  extraDevices?: DeviceSpec[];
  /** Runs after drivers bound (start programs). */
  userspace?: (os: GuestOs) => void;
  /** Machine seed. */
  seed?: number;
}

/** A booted rig. */
export interface Rig {
  /** The machine. */
  m: Machine;
  /** The guest. */
  os: GuestOs;
  /** Host ends by chardev id. */
  hosts: Map<string, ChardevPipeHost>;
  /** Every trace record since the machine was built. */
  records: TraceRecord[];
  /** The device model (assertions on what the guest cannot see). */
  dev: VirtioSerialPci;
  /** The guest's first virtio-console device. */
  console(): VirtioConsole;
  /** The guest's live port `id` (throws if absent). */
  port(id: number): ConsolePort;
  /** Lets host-side microtasks run, then runs `ms` of virtual time. */
  step(ms?: number): Promise<void>;
  /** Steps until `cond` holds (throws after `maxSteps`). */
  until(cond: () => boolean, what: string, maxSteps?: number): Promise<void>;
  /** 'virtio' and 'guest' trace lines as `category source: message`. */
  lines(): string[];
}

/** Builds and boots a rig. */
export async function bootConsoleRig(opts: RigOptions = {}): Promise<Rig> {
  const ports = opts.ports ?? [{ chardev: 'qga0', name: AGENT_PORT }];
  const chardevs = new ChardevRegistry();
  const hosts = new Map<string, ChardevPipeHost>();
  const extraChardevs = (opts.extraDevices ?? []).flatMap((d) => d.props.filter(([k]) => k === 'chardev').map(([, v]) => ({ chardev: v })));
  for (const p of [...ports, ...extraChardevs]) {
    if (p.chardev === undefined || hosts.has(p.chardev)) continue;
    const { chardev, host } = createChardevPipe(p.chardev);
    await chardev.open();
    chardevs.add(chardev);
    hosts.set(p.chardev, host);
  }
  const cfg = defaultMachineConfig();
  if (opts.seed !== undefined) cfg.seed = opts.seed;
  const devs: DeviceSpec[] = [{ driver: 'virtio-serial-pci', props: [['id', 'vser0'], ...(opts.serialProps ?? [])] }];
  for (const p of ports) {
    const props: [string, string][] = [];
    if (p.chardev !== undefined) props.push(['chardev', p.chardev]);
    if (p.name !== undefined) props.push(['name', p.name]);
    if (p.nr !== undefined) props.push(['nr', String(p.nr)]);
    devs.push({ driver: p.type ?? 'virtserialport', props });
  }
  cfg.devices.push(...devs, ...(opts.extraDevices ?? []));
  const records: TraceRecord[] = [];
  let os: GuestOs | undefined;
  const m = new Machine(cfg, {
    chardevs,
    trace: { categories: ['virtio', 'guest'], sink: (rec) => records.push(rec) },
    guest: (env) => (os = new GuestOs(env, { drivers: [virtioConsoleDriver], userspace: opts.userspace })),
  });
  m.boot();
  if (!os) throw new Error('guest did not boot');
  const guest = os;
  const dev = m.devices.find((d) => d.pci instanceof VirtioSerialPci)?.pci;
  if (!(dev instanceof VirtioSerialPci)) throw new Error('no virtio-serial-pci');
  const step = async (ms = 1): Promise<void> => {
    await new Promise<void>((r) => setImmediate(r));
    m.sched.run(m.sched.now() + ms * NS_PER_MS);
  };
  const rig: Rig = {
    m,
    os: guest,
    hosts,
    records,
    dev,
    console: () => {
      const c = virtioConsoles(guest.kernel)[0];
      if (!c) throw new Error('no virtio-console bound');
      return c;
    },
    port: (id) => {
      const p = rig.console().port(id);
      if (!p) throw new Error(`no port ${id}`);
      return p;
    },
    step,
    until: async (cond, what, maxSteps = 2000) => {
      for (let i = 0; i < maxSteps; i++) {
        if (cond()) return;
        await step();
      }
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    },
    lines: () => records.map((r) => `${r.category} ${r.source}: ${r.message}`),
  };
  await step();
  return rig;
}

/** The host end of chardev `id` (throws if absent). */
export function hostOf(rig: Rig, id = 'qga0'): ChardevPipeHost {
  const h = rig.hosts.get(id);
  if (!h) throw new Error(`no host end ${id}`);
  return h;
}

/** Encodes text. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Decodes text. */
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A guest program written inline by a test; `error` is whatever it threw. */
export interface Script {
  /** Its pid. */
  pid: number;
  /** Set when the body returned or threw. */
  done: boolean;
  /** What the body threw, if anything. */
  error: unknown;
}

/** Starts `body` as a guest process (as root). */
export function spawnScript(rig: Rig, name: string, body: (sys: Syscalls) => SysCall<void>): Script {
  const s: Script = { pid: 0, done: false, error: undefined };
  const main = function* (sys: Syscalls): Program {
    try {
      yield* body(sys);
    } catch (e) {
      s.error = e;
    }
    s.done = true;
    return 0;
  };
  s.pid = rig.os.kernel.spawn(main, [name]).pid;
  return s;
}

/** The errno name of an Errno, or the value itself. */
export function errCode(e: unknown): unknown {
  return e instanceof Errno ? e.code : e;
}
