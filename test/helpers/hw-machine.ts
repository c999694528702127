/**
 * A whole machine for the vCPU, memory-hotplug and virtio-net tests: the default devices, a
 * guest with the Debian userland (sh, coreutils, ping) instead of qemu-ga, helpers to run a
 * shell command in the guest to completion on the virtual clock, and a QMP client on an
 * in-memory chardev.
 */
import { createDefaultMachine } from '../../src/default-machine.js';
import { createChardevPipe } from '../../src/chardev/index.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import { guestLoader } from '../../src/guest/loader.js';
import type { GuestOs } from '../../src/guest/boot.js';
import type { MachineConfig } from '../../src/machine/config.js';
import type { Machine } from '../../src/machine/machine.js';
import { installCoreutils } from '../../src/guest/programs/index.js';
import { pingMain } from '../../src/guest/programs/ping.js';
import { WEXITSTATUS, type ProgramMain } from '../../src/guest/kernel/index.js';

/** 1 ms of virtual time. */
export const MS = 1_000_000;

/** A booted machine and its guest. */
export interface HwMachine {
  m: Machine;
  os: GuestOs;
  /** Reads a guest file as root. */
  read(path: string): string;
  /** Runs `sh -c script` (as `uid`, default root) and lets the clock run `runMs` after it is started. */
  sh(script: string, opts?: { uid?: number; runMs?: number }): { out: string; err: string; code: number };
  /** Runs a program function as root to completion; returns its exit code. */
  run(main: ProgramMain, runMs?: number): number;
  /** Advances virtual time. */
  advance(ms: number): void;
}

/** Builds and boots a machine configured by `configure`, then runs 100 ms of virtual time. */
export async function bootHwMachine(configure: (c: MachineConfig) => void = () => undefined): Promise<HwMachine> {
  const guest = guestLoader({
    userspace: (os) => {
      installCoreutils(os.kernel);
      os.kernel.installProgram('/bin/ping', pingMain, 'ping');
    },
  });
  const { machine: m } = await createDefaultMachine({ configure, host: { guest }, devices: 'agent-only' });
  m.boot();
  m.runUntilIdle(m.sched.now() + 100 * MS);
  const os = m.guest as GuestOs;
  const advance = (ms: number) => void m.runUntilIdle(m.sched.now() + ms * MS);
  return {
    m,
    os,
    read: (path) => new TextDecoder().decode((m.guest as GuestOs).kernel.readFile(path)),
    sh: (script, opts = {}) => {
      const k = (m.guest as GuestOs).kernel;
      const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
      const p = k.spawn('/bin/sh', ['sh', '-c', script], { env, ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }) });
      advance(opts.runMs ?? 10);
      if (p.status === undefined) throw new Error(`'${script}' did not finish`);
      return { out: p.stdout?.text() ?? '', err: p.stderr?.text() ?? '', code: WEXITSTATUS(p.status) };
    },
    run: (main, runMs = 10) => {
      const p = (m.guest as GuestOs).kernel.spawn(main, ['test']);
      advance(runMs);
      if (p.status === undefined) throw new Error('program did not finish');
      return WEXITSTATUS(p.status);
    },
    advance,
  };
}

/** 5 ms polls for a QMP reply before giving up (a loaded test runner can be slow). */
const QMP_REPLY_POLLS = 1000;

/** A negotiated QMP session; `exec` returns every line written since the request (events first). */
export async function qmpSession(m: Machine): Promise<(execute: string, args?: Record<string, unknown>) => Promise<unknown[]>> {
  const { chardev, host } = createChardevPipe('qmp-test');
  await chardev.open();
  new QmpMonitor(m, chardev);
  host.connect();
  await host.readLine();
  const lines: string[] = [];
  host.on('data', (d: Uint8Array) => lines.push(...Buffer.from(d).toString().split('\r\n').filter(Boolean)));
  const exec = async (execute: string, args?: Record<string, unknown>) => {
    host.write(JSON.stringify(args ? { execute, arguments: args } : { execute }));
    // Wait (in real time, bounded) for the reply line; events written before it come along.
    const answered = () => lines.some((l) => l.startsWith('{"return"') || l.startsWith('{"error"'));
    for (let i = 0; i < QMP_REPLY_POLLS && !answered(); i++) await new Promise((r) => setTimeout(r, 5));
    return lines.splice(0).map((l) => JSON.parse(l) as unknown);
  };
  await exec('qmp_capabilities');
  return exec;
}
