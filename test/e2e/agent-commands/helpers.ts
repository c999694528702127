/**
 * The whole default machine on host sockets, as `qga-sim` with no options runs it: the
 * agent and QMP on unix sockets, the virtual clock, the Debian image with qemu-ga 7.2. Each
 * command goes the full way (socket chardev → virtio-serial → guest driver → agent →
 * kernel model → device models), and tests check its effect on the hardware below.
 */
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchMachine, type LaunchedMachine } from '../../../src/host/launch.js';
import { defaultMachineConfig, type MachineConfig } from '../../../src/machine/config.js';
import { addDefaults } from '../../../src/machine/defaults.js';
import { guestLoaderFor } from '../../../src/guest/loader.js';
import { connectQga, type QgaClient } from '../../../src/client/index.js';
import { QmpClient, type QmpClientEvent } from '../../../src/qmp/client.js';
import { closeMachineDrives, machineDrives } from '../../../src/machine/drives.js';
import type { DiskImage } from '../../../devices/block/disk-image.js';
import type { GuestExecStatus } from '../../../src/agent/schema/types.js';
import type { GuestOs } from '../../../src/guest/boot.js';

/** Drive ids of the default machine, by what they hold. */
export const DRIVES = {
  root: 'drive-virtio-disk0',
  sata: 'drive-sata0-0-0',
  ide: 'drive-ide0-0-0',
  scsiA: 'drive-scsi0-0-0-0',
  scsiB: 'drive-scsi0-0-1-0',
} as const;

/** A running default machine with its host clients. */
export interface Vm {
  /** The launched machine. */
  vm: LaunchedMachine;
  /** Temporary directory with the sockets (and disk files). */
  dir: string;
  /** Agent socket path. */
  qgaPath: string;
  /** Typed agent client (QMP events wired in); replaced by raw(). */
  readonly qga: QgaClient;
  /** QMP client. */
  qmp: QmpClient;
  /** The guest now running (for diagnostics only; assertions look at hardware and replies). */
  os(): GuestOs;
  /**
   * Sends raw bytes on the agent socket and collects the reply until `done` says so. The
   * socket chardev serves one client at a time, so the typed client hangs up first and a
   * new one connects afterwards.
   */
  raw(send: (Buffer | string)[], done: (got: Buffer) => boolean): Promise<Buffer>;
  /** The image behind a drive. */
  image(id: string): DiskImage;
  /** Stops the machine, closes clients and removes the directory. */
  close(): Promise<void>;
}

/** Options of startVm. */
export interface StartOptions {
  /** Changes the configuration after the defaults are added (e.g. file-backed drives). */
  configure?: (cfg: MachineConfig, dir: string) => void;
  /** Reuse this directory (a second machine on the same disk files). */
  dir?: string;
  /** Seed of the agent client's sync ids. */
  seed?: number;
  /** Leave the directory behind on close (its disk files are used again). */
  keepDir?: boolean;
}

/** Launches the full default machine with `--clock virtual` and connects both clients. */
export async function startVm(opts: StartOptions = {}): Promise<Vm> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'qga-sim-cmds-'));
  const qgaPath = join(dir, 'qga.sock');
  const cfg = defaultMachineConfig();
  addDefaults(cfg, { qgaPath, qmpPath: join(dir, 'qmp.sock') });
  opts.configure?.(cfg, dir);
  const vm = await launchMachine(cfg, { clock: 'virtual', guest: guestLoaderFor(cfg) });
  const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
  let qga = await connectQga(qgaPath, { seed: opts.seed ?? 7, qmp });
  return {
    vm,
    dir,
    qgaPath,
    get qga() {
      return qga;
    },
    qmp,
    raw: async (send, done) => {
      qga.close();
      try {
        return await exchange(qgaPath, send, done);
      } finally {
        qga = await connectQga(qgaPath, { seed: (opts.seed ?? 7) + 1, qmp });
      }
    },
    os: () => vm.machine.guest as GuestOs,
    image: (id) => {
      const img = machineDrives(vm.machine).get(id)?.backend.image;
      if (img === null || img === undefined) throw new Error(`no image behind ${id}`);
      return img;
    },
    close: async () => {
      qga.close();
      qmp.close();
      await vm.close();
      closeMachineDrives(vm.machine);
      if (opts.dir === undefined && opts.keepDir !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sizes for file-backed default drives: the default layout, smaller, because a host file
 * cannot drop blocks from Node and FileDiskImage zero-fills discarded ranges (mkfs discards
 * each filesystem when the drive is provisioned).
 */
export const FILE_DRIVE_BYTES: Readonly<Record<string, number>> = {
  [DRIVES.root]: 256 * 1024 * 1024,
  [DRIVES.sata]: 64 * 1024 * 1024,
  [DRIVES.ide]: 32 * 1024 * 1024,
  [DRIVES.scsiA]: 32 * 1024 * 1024,
  [DRIVES.scsiB]: 32 * 1024 * 1024,
};

/** Puts every default drive on a sparse raw file in `dir` (created blank once, reused after). */
export function fileBackedDrives(cfg: MachineConfig, dir: string): void {
  for (const d of cfg.drives) {
    if (d.size === undefined || d.provision === undefined) continue;
    const path = join(dir, `${d.id}.img`);
    if (!existsSync(path)) {
      writeFileSync(path, new Uint8Array(0));
      truncateSync(path, FILE_DRIVE_BYTES[d.id] ?? d.size);
    }
    d.file = path;
    d.size = undefined;
  }
}

/** Sends raw bytes on a fresh agent connection and collects what comes back until `done` says so. */
export function exchange(path: string, send: (Buffer | string)[], done: (got: Buffer) => boolean, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const s = connect(path);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      fail(new Error(`timed out; got ${JSON.stringify(got.toString('latin1'))}`));
    }, timeoutMs);
    s.on('connect', () => send.forEach((b) => s.write(b)));
    s.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (done(got)) {
        clearTimeout(timer);
        s.end();
        ok(got);
      }
    });
  });
}

/** Polls guest-exec-status until the process exited (bounded in host time). */
export async function execWait(qga: QgaClient, pid: number, limitMs = 10_000): Promise<GuestExecStatus> {
  const end = Date.now() + limitMs;
  for (;;) {
    const st = await qga.guestExecStatus({ pid });
    if (st.exited) return st;
    if (Date.now() > end) throw new Error(`pid ${pid} still running after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Runs `sh -c script` in the guest through guest-exec and returns its status with decoded output. */
export async function sh(qga: QgaClient, script: string): Promise<{ code: number | undefined; out: string; err: string }> {
  const { pid } = await qga.guestExec({ path: '/bin/sh', arg: ['-c', script], 'capture-output': true });
  const st = await execWait(qga, pid);
  return { code: st.exitcode, out: Buffer.from(st['out-data'] ?? '', 'base64').toString(), err: Buffer.from(st['err-data'] ?? '', 'base64').toString() };
}

/** The next QMP event of that name (or one already received), bounded in host time. */
export async function qmpEvent(qmp: QmpClient, name: string, limitMs = 10_000): Promise<QmpClientEvent> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      qmp.waitEvent(name),
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`no ${name} event within ${limitMs} ms; saw ${qmp.events.map((e) => e.event).join(',')}`)), limitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits in host time until `cond` holds. */
export async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** base64 of text. */
export const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** Text of base64. */
export const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

/** The signature at the end of the first page of the default root disk's swap partition (vda2, MBR entry 2). */
export function rootSwapSignature(img: DiskImage): string {
  const mbr = img.read(0, 1);
  const start = new DataView(mbr.buffer, mbr.byteOffset, mbr.byteLength).getUint32(446 + 16 + 8, true);
  const page = img.read(start, 8);
  return Buffer.from(page.subarray(4086, 4096)).toString('latin1').replace(/\0+$/, '');
}

/** Records the data of every write that reaches `img` from now on (the medium's view). */
export function spyWrites(img: DiskImage): { text(): string; stop(): void } {
  const chunks: Buffer[] = [];
  const orig = img.write.bind(img);
  img.write = (sector: number, data: Uint8Array): void => {
    chunks.push(Buffer.from(data));
    orig(sector, data);
  };
  return { text: () => Buffer.concat(chunks).toString('latin1'), stop: () => void (img.write = orig) };
}

/** One function of QMP query-pci. */
export interface QmpPciDevice {
  bus: number;
  slot: number;
  function: number;
  class_info: { class: number };
  qdev_id: string;
  pci_bridge?: { bus: { secondary: number }; devices?: QmpPciDevice[] };
}

/** Every PCI function the VMM reports (query-pci), bridges' secondary buses included. */
export async function queryPci(qmp: QmpClient): Promise<QmpPciDevice[]> {
  const buses = (await qmp.execute('query-pci')) as { devices: QmpPciDevice[] }[];
  const out: QmpPciDevice[] = [];
  const walk = (list: readonly QmpPciDevice[]): void => {
    for (const d of list) {
      out.push(d);
      if (d.pci_bridge?.devices) walk(d.pci_bridge.devices);
    }
  };
  for (const b of buses) walk(b.devices);
  return out;
}

/** The guest-get-fsinfo form of a PCI function's address. */
export function pciController(d: QmpPciDevice): { domain: number; bus: number; slot: number; function: number } {
  return { domain: 0, bus: d.bus, slot: d.slot, function: d.function };
}
