/**
 * The guest's power management core (Linux's kernel/power plus the ACPI glue): /sys/power,
 * the reboot(2) back end, the power button, suspend to idle, suspend to RAM (S3) and
 * hibernation. A sleeping system is a stopped kernel clock: no process, timer or deferred
 * work runs until the resume path starts it again, which is what freezing tasks amounts to.
 * Across a suspend the wall clock is advanced by what the RTC says passed, as Linux's
 * timekeeping_resume does with the persistent clock; CLOCK_MONOTONIC does not count the sleep.
 */
import { LINUX_REBOOT_CMD_POWER_OFF } from '../../abi/linux-reboot.js';
import { Errno, WaitQueue, WouldBlock, timespecFromNs, type ErrnoCode, type FsCaller, type Kernel, type Program, type SysCall, type Syscalls } from '../kernel/index.js';
import { setKernelPowerOps, type RebootAction, type RebootContext } from '../kernel/reboot.js';
import type { TaskFreezer } from '../kernel/freezer.js';
import type { BlockNode } from '../kernel/block/node.js';
import { activeSwapDevice, restoreSignature, writeImage } from './swsusp.js';
import type { GuestCpu } from '../cpu.js';
import type { GuestPlatform } from '../platform/platform.js';
import type { AcpiFixedHardware } from './acpi.js';
import { GuestLapic } from '../drivers/cpu/lapic.js';
import { systemDevicesOf } from '../drivers/system.js';
import { HIBERNATION_MODES, showDisk, showMemSleep, showState, sysfsWord, type HibernationMode, type MemSleep } from './sysfs.js';

/** Where the system is. */
export type PmState = 'running' | 'suspending' | 's2idle' | 'suspended' | 'hibernating' | 'halted' | 'off';

/** A device's sleep callbacks. */
export interface DevicePm {
  /** Name for the log. */
  name: string;
  /** Quiesce before the system sleeps. */
  suspend?(): void;
  /** Bring the device back (after S3 firmware has reset it). */
  resume?(): void;
}

/** What hibernation needs from the guest around the PM core. */
export interface ImageHost {
  /** Parks this kernel for a later boot; returns the id the image names. */
  park(): string;
  /** Forgets a parked kernel (the cycle was aborted or resumed in place). */
  discard(id: string): void;
}

/** How a PowerManager is wired. */
export interface PowerManagerDeps {
  /** The kernel. */
  kernel: Kernel;
  /** Platform resources. */
  platform: GuestPlatform;
  /** The CPU (clock and interrupt gate). */
  cpu: GuestCpu;
  /** ACPI fixed hardware. */
  acpi: AcpiFixedHardware;
  /** The process freezer the kernel schedules processes through. */
  freezer: TaskFreezer;
  /** Brings every bound PCI function back after firmware reset it. */
  pciResume: () => void;
}

/** The value firmware finds in the FACS waking vector (any non-zero value means "resume"). */
export const GUEST_WAKING_VECTOR = 0x0009_a000;
/** The program the power button runs (systemd-logind's HandlePowerKey=poweroff). */
export const POWER_KEY_COMMAND: readonly string[] = ['/sbin/shutdown', '-P', 'now'];

interface PendingWrite {
  done: boolean;
  error: ErrnoCode | undefined;
}

/** The PM core of one guest. */
export class PowerManager {
  /** Current state. */
  state: PmState = 'running';
  /** Completed sleep cycles (suspend or hibernation), for tests and diagnostics. */
  cycles = 0;
  private readonly devices: DevicePm[] = [];
  private persistentClock: (() => number | undefined) | undefined;
  private memSleep: MemSleep;
  private diskMode: HibernationMode;
  private imageHost: ImageHost | undefined;
  private image: { id: string; node: BlockNode } | undefined;
  private readonly doneWq = new WaitQueue('pm-transition');
  private readonly writes = new WeakMap<FsCaller, PendingWrite>();
  private readonly waiting: PendingWrite[] = [];
  private record: { realtimeNs: bigint; rtc: number | undefined } | undefined;

  private readonly kernel: Kernel;
  private readonly platform: GuestPlatform;
  private readonly cpu: GuestCpu;
  private readonly acpi: AcpiFixedHardware;
  private readonly freezer: TaskFreezer;
  private readonly pciResume: () => void;

  /** Takes ACPI, registers /sys/power and the reboot back end. */
  constructor(deps: PowerManagerDeps) {
    const { kernel, platform, acpi } = deps;
    this.kernel = kernel;
    this.platform = platform;
    this.cpu = deps.cpu;
    this.acpi = acpi;
    this.freezer = deps.freezer;
    this.pciResume = deps.pciResume;
    this.memSleep = acpi.state('S3') ? 'deep' : 's2idle';
    this.diskMode = acpi.state('S4') ? 'platform' : 'shutdown';
    if (acpi.present) {
      acpi.enable();
      platform.interrupts.requestGsi(acpi.sciGsi, () => this.sci());
    }
    setKernelPowerOps(kernel, { canPowerOff: () => acpi.present, perform: (a, _arg, ctx) => this.perform(a, ctx) });
    this.addSysfs();
  }

  /** Registers a device's sleep callbacks (resumed in reverse order). */
  registerDevice(dev: DevicePm): void {
    this.devices.push(dev);
  }

  /** The clock read across a sleep (the RTC). */
  setPersistentClock(read: () => number | undefined): void {
    this.persistentClock = read;
  }

  /** Enables hibernation: what parks this kernel when its image is written. */
  setImageHost(h: ImageHost | undefined): void {
    this.imageHost = h;
  }

  /** Whether S3 can be entered. */
  get deepAvailable(): boolean {
    return this.acpi.state('S3') !== undefined;
  }

  private log(line: string): void {
    this.platform.log(line);
  }

  // --- /sys/power -----------------------------------------------------------------------

  private addSysfs(): void {
    const sysfs = this.kernel.sysfs;
    sysfs.attr('/power/state', { mode: 0o644, show: () => showState(), store: (d, c) => this.storeState(sysfsWord(d), c) });
    sysfs.attr('/power/mem_sleep', {
      mode: 0o644,
      show: () => showMemSleep(this.memSleep, this.deepAvailable),
      store: (d) => {
        const w = sysfsWord(d);
        if (w !== 's2idle' && !(w === 'deep' && this.deepAvailable)) throw new Errno('EINVAL');
        this.memSleep = w;
      },
    });
    sysfs.attr('/power/disk', {
      mode: 0o644,
      show: () => showDisk(this.diskMode, this.acpi.state('S4') !== undefined),
      store: (d) => {
        const w = sysfsWord(d);
        const mode = HIBERNATION_MODES.find((m) => m === w);
        if (mode === undefined || (mode === 'platform' && !this.acpi.state('S4'))) throw new Errno('EINVAL');
        this.diskMode = mode;
      },
    });
  }

  // A write to /sys/power/state returns only when the system is back: the first call starts
  // the transition and blocks; the retry after the wake-up reports how it went.
  private storeState(word: string, caller: FsCaller): void {
    const w = this.writes.get(caller);
    if (w?.done) {
      this.writes.delete(caller);
      if (w.error) throw new Errno(w.error);
      return;
    }
    if (w) throw new WouldBlock(this.doneWq);
    if (word !== 'freeze' && word !== 'mem' && word !== 'disk') throw new Errno('EINVAL');
    if (this.state !== 'running') throw new Errno('EBUSY');
    if (word === 'disk') this.hibernationTarget();
    const pending: PendingWrite = { done: false, error: undefined };
    this.writes.set(caller, pending);
    this.waiting.push(pending);
    this.state = word === 'disk' ? 'hibernating' : 'suspending';
    if (word === 'disk') {
      // Linux's hibernate() syncs in process context first; a kernel task does it here.
      this.spawnKernelTask('kworker/pm', (sys) => this.syncThenHibernate(sys));
    } else {
      const kind: MemSleep = word === 'freeze' ? 's2idle' : this.memSleep;
      this.kernel.sched.after(0, 'pm suspend', () => this.enterSuspend(kind));
    }
    throw new WouldBlock(this.doneWq);
  }

  private complete(error?: ErrnoCode): void {
    for (const p of this.waiting.splice(0)) {
      p.done = true;
      p.error = error;
    }
    this.doneWq.wakeAll();
  }

  // --- reboot(2) ----------------------------------------------------------------------------

  private *perform(action: RebootAction, ctx: RebootContext): SysCall<void> {
    if (action === 'hibernate') {
      if (this.state !== 'running') throw new Errno('EBUSY');
      const node = this.hibernationTarget();
      const pending: PendingWrite = { done: false, error: undefined };
      this.waiting.push(pending);
      this.state = 'hibernating';
      this.beginHibernation(node);
      while (!pending.done) yield* ctx.wait(this.doneWq);
      if (pending.error) throw new Errno(pending.error);
      return;
    }
    if (action === 'halt') {
      this.log('reboot: System halted');
      this.stopCpu('halted');
      // Every CPU ends in HLT with interrupts masked (Linux's stop_this_cpu); the VMM sees them stop.
      const lapic = new GuestLapic(this.platform.env.cpu);
      const online = systemDevicesOf(this.kernel)?.cpus.onlineCpus() ?? [0];
      for (const cpu of [...online].reverse()) lapic.halt(cpu, false);
      return;
    }
    if (action === 'restart') return this.restart();
    this.powerOff('S5');
  }

  private restart(): void {
    this.log('reboot: Restarting system');
    this.stopCpu('off');
    this.acpi.reset();
  }

  private powerOff(sleep: 'S4' | 'S5'): void {
    this.log('reboot: Power down');
    this.stopCpu('off');
    this.acpi.enterSleep(sleep);
  }

  private stopCpu(state: PmState): void {
    this.state = state;
    this.cpu.timebase.stop();
    this.cpu.setInterruptMode('off');
  }

  // --- power button ---------------------------------------------------------------------------

  private sci(): void {
    if (!this.acpi.takeEvents().powerButton) return;
    if (this.state === 's2idle') {
      this.log('ACPI: button: wake-up from suspend-to-idle');
      this.resumeFromIdle();
      return;
    }
    if (this.state !== 'running') return;
    this.log('ACPI: button: power button pressed');
    try {
      this.kernel.spawn(POWER_KEY_COMMAND[0]!, ['shutdown', ...POWER_KEY_COMMAND.slice(1)], { stdin: 'null', stdout: 'console', stderr: 'console' });
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      // No userspace handler: power off in order from the kernel (Linux's orderly_poweroff with force).
      this.log(`ACPI: ${POWER_KEY_COMMAND[0]!}: ${e.code}; powering off`);
      this.spawnKernelTask('poweroff', function* (sys) {
        yield* sys.reboot(LINUX_REBOOT_CMD_POWER_OFF);
        return 0;
      });
    }
  }

  private spawnKernelTask(name: string, main: (sys: Syscalls) => Program): void {
    this.kernel.spawn(main, [name], { stdin: 'null', stdout: 'null', stderr: 'console' });
  }

  // --- suspend ---------------------------------------------------------------------------------

  private freeze(label: string): void {
    this.log(`PM: suspend entry (${label})`);
    this.log('Freezing user space processes');
    this.record = { realtimeNs: this.kernel.clock.realtimeNs(), rtc: this.persistentClock?.() };
    this.cpu.timebase.stop();
    for (const d of this.devices) d.suspend?.();
  }

  private enterSuspend(kind: MemSleep): void {
    this.freeze(kind);
    if (kind === 's2idle') {
      this.state = 's2idle';
      this.cpu.setInterruptMode('wake-only', [this.acpi.sciVector]);
      return;
    }
    this.state = 'suspended';
    this.acpi.setWakingVector(GUEST_WAKING_VECTOR);
    this.platform.env.setWakeEntry(() => this.resumeFromS3());
    this.cpu.setInterruptMode('off');
    this.log('ACPI: PM: Preparing to enter system sleep state S3');
    this.acpi.enterSleep('S3');
  }

  /** Firmware jumped to the waking vector: the machine was reset, memory (this kernel) kept. */
  private resumeFromS3(): void {
    this.platform.env.setWakeEntry(undefined);
    this.acpi.setWakingVector(0);
    this.acpi.enable();
    this.log('ACPI: PM: Waking up from system sleep state S3');
    this.thaw(true);
  }

  private resumeFromIdle(): void {
    this.thaw(false);
  }

  private thaw(devicesWereReset: boolean): void {
    const img = this.image;
    if (img) {
      // Back from suspend-to-both: the image on swap is no longer needed.
      this.image = undefined;
      this.imageHost?.discard(img.id);
      restoreSignature(img.node, () => undefined);
      this.freezer.thaw();
    }
    this.cpu.timebase.start();
    this.cpu.setInterruptMode('deliver');
    this.resumeTimekeeping();
    for (const d of [...this.devices].reverse()) d.resume?.();
    if (devicesWereReset) this.pciResume();
    this.log('Restarting tasks ... done.');
    this.log('PM: suspend exit');
    this.state = 'running';
    this.cycles++;
    this.complete();
  }

  /** Steps the wall clock by the sleep the persistent clock measured. */
  private resumeTimekeeping(): void {
    const rec = this.record;
    this.record = undefined;
    const now = this.persistentClock?.();
    if (rec === undefined || rec.rtc === undefined || now === undefined) return;
    const slept = Math.max(0, now - rec.rtc);
    this.kernel.setRealtime(timespecFromNs(rec.realtimeNs + BigInt(slept) * 1_000_000_000n));
    this.log(`PM: Timekeeping suspended for ${slept} seconds`);
  }

  // --- hibernation -----------------------------------------------------------------------------

  // The swap area the image goes to; ENODEV without one (or without hibernation support).
  private hibernationTarget(): BlockNode {
    if (this.imageHost === undefined) throw new Errno('ENODEV');
    try {
      return activeSwapDevice(this.kernel);
    } catch (e) {
      if (Errno.is(e, 'ENODEV')) this.log('PM: hibernation: Cannot find swap device, try swapon -a');
      throw e;
    }
  }

  private *syncThenHibernate(sys: Syscalls): Program {
    yield* sys.sync();
    let node: BlockNode;
    try {
      node = this.hibernationTarget();
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      this.state = 'running';
      this.complete(e.code);
      return 1;
    }
    this.beginHibernation(node);
    return 0;
  }

  /**
   * Freezes user space, parks this kernel and writes the image; the machine then powers off
   * (or resets) per /sys/power/disk. The cycle ends in resumeFromImage() on whatever
   * machine boots with this swap area next, or in abortHibernation() on an I/O error.
   */
  private beginHibernation(node: BlockNode): void {
    const host = this.imageHost;
    if (host === undefined) throw new Errno('ENODEV');
    this.log('PM: hibernation: hibernation entry');
    this.log('Freezing user space processes');
    this.freezer.freeze();
    this.log('PM: hibernation: Creating image:');
    const id = host.park();
    this.image = { id, node };
    writeImage(node, id, (l) => this.log(l), (err) => (err ? this.abortHibernation(err) : this.powerDownAfterImage()));
  }

  private abortHibernation(err: ErrnoCode): void {
    const img = this.image;
    this.image = undefined;
    if (img) this.imageHost?.discard(img.id);
    this.log(`PM: hibernation: Error ${err} creating image`);
    this.freezer.thaw();
    this.log('Restarting tasks ... done.');
    this.state = 'running';
    this.complete(err);
  }

  private powerDownAfterImage(): void {
    this.record = { realtimeNs: this.kernel.clock.realtimeNs(), rtc: this.persistentClock?.() };
    for (const d of this.devices) d.suspend?.();
    const mode = this.diskMode;
    if (mode === 'test_resume' || (mode === 'suspend' && !this.deepAvailable)) {
      // Resume straight from the image just written: the same as a boot that finds it.
      this.log('PM: hibernation: test_resume: resuming from the image at once');
      const img = this.image;
      if (img) this.imageHost?.discard(img.id);
      this.kernel.sched.after(0, 'pm test_resume', () => this.finishImageResume(false));
      return;
    }
    if (mode === 'suspend') {
      // Suspend to both: S3 now, the image stays in case power is lost.
      this.state = 'suspended';
      this.cpu.timebase.stop();
      this.acpi.setWakingVector(GUEST_WAKING_VECTOR);
      this.platform.env.setWakeEntry(() => this.resumeFromS3());
      this.cpu.setInterruptMode('off');
      this.acpi.enterSleep('S3');
      return;
    }
    if (mode === 'reboot') return this.restart();
    this.powerOff(mode === 'platform' ? 'S4' : 'S5');
  }

  /** Before the boot kernel hands over to a resumed image: devices quiet, CPUs parked. */
  quiesceForRestore(): void {
    for (const d of this.devices) d.suspend?.();
    this.stopCpu('off');
  }

  /**
   * This kernel's image was found by the boot on a (new) machine and its CPU moved there:
   * devices were reset by firmware, the clock runs again. Finish the cycle as Linux's image
   * kernel does: ACPI back on, devices restored, user space thawed, writers woken.
   */
  resumeFromImage(): void {
    this.finishImageResume(true);
  }

  private finishImageResume(devicesWereReset: boolean): void {
    const img = this.image;
    this.image = undefined;
    if (devicesWereReset) this.acpi.enable();
    this.cpu.setInterruptMode('deliver');
    this.resumeTimekeeping();
    for (const d of [...this.devices].reverse()) d.resume?.();
    if (devicesWereReset) this.pciResume();
    if (!devicesWereReset && img) restoreSignature(img.node, () => undefined);
    this.freezer.thaw();
    this.log('Restarting tasks ... done.');
    this.log('PM: hibernation: hibernation exit');
    this.state = 'running';
    this.cycles++;
    this.complete();
  }
}
