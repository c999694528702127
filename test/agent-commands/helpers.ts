/**
 * A guest with the Debian userland and qemu-ga (a chosen build, all commands) running on
 * an in-memory port at its virtio path, so tests talk to the agent program exactly as
 * the host would, one request at a time, with the scheduler run to idle in between.
 */
import { Buffer } from 'node:buffer';
import { Errno, FITRIM, POLLIN, POLLOUT, Tmpfs, WaitQueue, WouldBlock, makedev, type DeviceOps, type ErrnoCode, type FileSystem, type IoctlArg, type OpenFile, type PollTable, type SpawnedProcess } from '../../src/guest/kernel/index.js';
import { RTC_RD_TIME, RTC_SET_TIME, decodeRtcTime, encodeRtcTime, epochFromRtcTime, rtcTimeFromEpoch } from '../../src/guest/programs/index.js';
import { qemuGaProgram } from '../../src/agent/program/main.js';
import type { QgaProfileName } from '../../src/agent/schema/index.js';
import { bootDebian, type Booted } from '../guest-programs/helpers.js';

/** The port's character device number (a free dynamic major). */
const PORT_MAJOR = 240;
/** Where qemu-ga looks for its port. */
export const PORT_PATH = '/dev/virtio-ports/org.qemu.guest_agent.0';

/** An always-connected port: host bytes in, agent bytes out. */
export class TestPort {
  private readonly wq = new WaitQueue('test-qga-port');
  private rx: Uint8Array[] = [];
  private tx: Uint8Array[] = [];
  /** The device's operations. */
  readonly ops: DeviceOps = {
    stream: true,
    read: (_f: OpenFile, count: number) => {
      const head = this.rx[0];
      if (head === undefined) throw new WouldBlock(this.wq);
      const n = Math.min(count, head.length);
      if (n === head.length) this.rx.shift();
      else this.rx[0] = head.subarray(n);
      return head.slice(0, n);
    },
    write: (_f: OpenFile, d: Uint8Array) => {
      this.tx.push(d.slice());
      return d.length;
    },
    poll: (_f: OpenFile, pt: PollTable) => {
      pt.wait(this.wq);
      return (this.rx.length > 0 ? POLLIN : 0) | POLLOUT;
    },
  };

  /** The host sends bytes. */
  send(data: string | Uint8Array): void {
    this.rx.push(typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'utf8')) : data);
    this.wq.wakeAll();
  }

  /** What the agent wrote since the last call, as latin1 text. */
  take(): string {
    const s = Buffer.concat(this.tx).toString('latin1');
    this.tx = [];
    return s;
  }
}

/** A running agent. */
export interface AgentRig extends Booted {
  /** The port. */
  port: TestPort;
  /** qemu-ga's pid. */
  pid: number;
  /** The agent process as the host started it (exit status, stderr). */
  proc: SpawnedProcess;
  /** Sends one request, runs the guest to idle (or for `ns` of virtual time) and returns the raw reply text ('' if none). */
  ask(request: string | object, ns?: number): string;
  /** ask() and JSON.parse of the reply. */
  call(execute: string, args?: object): { return?: unknown; error?: { class: string; desc: string } };
  /** Runs the guest until idle (or `ns` of virtual time). */
  run(ns?: number): void;
}

/** Options of startAgent. */
export interface AgentRigOptions {
  /** Which qemu-ga build (default 7.2). */
  profile?: QgaProfileName;
  /** Extra command-line arguments. */
  args?: string[];
  /** Prepares the guest before the agent starts. */
  setup?: (b: Booted) => void;
  /** Start the agent at all (default true). */
  start?: boolean;
}

/** Boots a Debian guest with the test port and qemu-ga on it. */
export function startAgent(opts: AgentRigOptions = {}): AgentRig {
  const b = bootDebian({ realtime: { sec: 1_700_000_000, nsec: 0 } });
  const port = new TestPort();
  b.kernel.registerCharDevice(PORT_MAJOR, 0, port.ops, 'test-port');
  b.kernel.createDeviceNode(PORT_PATH, PORT_MAJOR, 0, { mode: 0o600 });
  b.kernel.mkdirp('/var/run', 0o755);
  opts.setup?.(b);
  b.kernel.installProgram('/usr/sbin/qemu-ga', qemuGaProgram(opts.profile ?? '7.2'), 'qemu-ga');
  const p = b.kernel.spawn('/usr/sbin/qemu-ga', ['qemu-ga', '-m', 'virtio-serial', '-p', PORT_PATH, '-t', '/var/run', ...(opts.args ?? [])], {
    stdin: 'null',
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  const run = (ns?: number): void => {
    if (ns === undefined) b.sched.run();
    else b.sched.run(b.sched.now() + ns);
  };
  run();
  const ask = (request: string | object, ns?: number): string => {
    port.send(typeof request === 'string' ? request : JSON.stringify(request));
    run(ns);
    return port.take();
  };
  return {
    ...b,
    port,
    pid: p.pid,
    proc: p,
    run,
    ask,
    call: (execute, args) => {
      const raw = ask(args === undefined ? { execute } : { execute, arguments: args });
      if (raw === '') throw new Error(`no reply to ${execute}`);
      return JSON.parse(raw) as { return?: unknown; error?: { class: string; desc: string } };
    },
  };
}

/** The error desc of a reply (throws if it was not an error). */
export function errorOf(r: { error?: { desc: string } }): string {
  if (r.error === undefined) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error.desc;
}

/** base64 of text. */
export const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
/** text of base64. */
export const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('latin1');

/** A bare RTC at /dev/rtc0 (no update interrupts): whole seconds that tick with virtual time. */
export class TestRtc {
  private base: number;
  private since: number;

  constructor(
    private readonly b: Booted,
    epoch: number,
  ) {
    this.base = epoch;
    this.since = b.sched.now();
    b.kernel.registerCharDevice(252, 0, { ioctl: (_f, req: number, arg: IoctlArg) => this.ioctl(req, arg) }, 'rtc');
    b.kernel.createDeviceNode('/dev/rtc0', 252, 0, { mode: 0o600 });
  }

  /** The RTC reading. */
  now(): number {
    return this.base + Math.floor((this.b.sched.now() - this.since) / 1e9);
  }

  private ioctl(req: number, arg: IoctlArg): number {
    if (!(arg instanceof Uint8Array)) throw new Errno('ENOTTY');
    if (req === RTC_RD_TIME) {
      encodeRtcTime(rtcTimeFromEpoch(this.now()), arg);
      return 0;
    }
    if (req === RTC_SET_TIME) {
      this.base = epochFromRtcTime(decodeRtcTime(arg));
      this.since = this.b.sched.now();
      return 0;
    }
    throw new Errno('ENOTTY');
  }
}

/** How a FakeDiskFs answers FIFREEZE/FITHAW/FITRIM. */
export interface FakeDiskFsOptions {
  /** Type name in the mount table (default ext4). */
  type?: string;
  /** No freeze support at all (FIFREEZE gives EOPNOTSUPP). */
  noFreeze?: boolean;
  /** FIFREEZE fails with this errno. */
  freezeError?: ErrnoCode;
  /** No FITRIM (ENOTTY), or FITRIM failing with this errno. */
  trim?: 'none' | ErrnoCode;
  /** Bytes FITRIM reports trimmed (default 1 MiB). */
  trimmed?: bigint;
}

/** A block-backed filesystem stand-in: a tmpfs with a disk's device number and the freeze ioctls. */
export class FakeDiskFs {
  /** FIFREEZE depth, as the kernel keeps it (one level here: a second freeze is EBUSY). */
  frozen = false;
  /** What was done to it, in order, shared between all fakes of a test. */
  readonly fs: FileSystem;

  constructor(
    b: Booted,
    readonly mountpoint: string,
    major: number,
    minor: number,
    log: string[],
    opts: FakeDiskFsOptions = {},
  ) {
    const fs: FileSystem = new Tmpfs({ dev: makedev(major, minor), now: () => b.kernel.clock.realtime(), type: opts.type ?? 'ext4', source: `/dev/fake${minor}` });
    if (opts.noFreeze !== true) {
      fs.freeze = () => {
        log.push(`freeze ${mountpoint}`);
        if (opts.freezeError !== undefined) throw new Errno(opts.freezeError);
        if (this.frozen) throw new Errno('EBUSY');
        this.frozen = true;
      };
      fs.thaw = () => {
        if (!this.frozen) throw new Errno('EINVAL');
        log.push(`thaw ${mountpoint}`);
        this.frozen = false;
      };
    }
    const trim = opts.trim;
    if (trim !== 'none') {
      fs.ioctl = (_f: OpenFile, request: number, arg: IoctlArg) => {
        if (request !== FITRIM || !(arg instanceof Uint8Array)) throw new Errno('ENOTTY');
        if (trim !== undefined) throw new Errno(trim);
        const v = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
        log.push(`trim ${mountpoint} start=${v.getBigUint64(0, true)} len=${v.getBigUint64(8, true)} minlen=${v.getBigUint64(16, true)}`);
        v.setBigUint64(8, opts.trimmed ?? 1048576n, true);
        v.setBigUint64(16, v.getBigUint64(16, true) < 4096n ? 4096n : v.getBigUint64(16, true), true);
        return 0;
      };
    }
    fs.statfs = () => ({ type: 0xef53, bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 100, ffree: 50, namelen: 255, frsize: 4096, flags: 0 });
    this.fs = fs;
    b.kernel.mkdirp(mountpoint);
    b.kernel.mount(fs, mountpoint);
  }
}

/**
 * A block device in /sys as Linux shows it: its directory (absolute /sys path, e.g.
 * "/devices/pci0000:00/0000:00:05.0/virtio2/block/vda/vda1") with a uevent, and the
 * /sys/dev/block/MAJ:MIN link to it.
 */
export function sysBlockDevice(b: Booted, syspath: string, major: number, minor: number, devname?: string): void {
  b.kernel.sysfs.dir(syspath);
  const name = devname ?? syspath.split('/').pop()!;
  b.kernel.sysfs.attr(`${syspath}/uevent`, { mode: 0o644, show: () => `MAJOR=${major}\nMINOR=${minor}\nDEVNAME=${name}\nDEVTYPE=disk\n` });
  b.kernel.sysfs.link(`/dev/block/${major}:${minor}`, syspath);
}

/** A PCI function's sysfs directory bound to `driver`. */
export function sysPciFunction(b: Booted, path: string, driver: string): void {
  b.kernel.sysfs.dir(path);
  b.kernel.sysfs.dir(`/bus/pci/drivers/${driver}`);
  b.kernel.sysfs.link(`${path}/driver`, `/bus/pci/drivers/${driver}`);
}
