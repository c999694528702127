/**
 * The machine: one clock, one scheduler, RAM, buses, chipset, the devices from the
 * configuration, and the firmware run that brings them up. Host-facing control (the QMP
 * commands stop/cont/system_reset/...) lives here too; everything it does is traced.
 */
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { GatedScheduler, Scheduler } from '../core/scheduler.js';
import { Prng } from '../core/prng.js';
import { Trace, type TraceCategory, type TraceSink } from '../core/trace.js';
import { GuestRam } from '../memory/guest-ram.js';
import { AddressSpace } from '../memory/address-space.js';
import { IoPortSpace } from '../memory/io-ports.js';
import { InterruptController } from './interrupts.js';
import { createCpuBus, type CpuBus } from './cpu-bus.js';
import { globalFor, type MachineConfig } from './config.js';
import { ECAM0_BASE, ECAM0_BUSES, HIGHMEM_BASE, hostBridgeTable, ramLayout, type RamLayout } from './memory-map.js';
import { publishPlatform } from './platform.js';
import { clockRunsIn, isRunningState, needsReset, type MachineEvent, type RunState, type ShutdownCause } from './run-state.js';
import { plugConfiguredDevices, type PluggedDevice } from './device-registry.js';
import { attachIdeDrives } from './device-types/storage-ata.js';
import { FwCfg } from '../../devices/chipset/fw-cfg.js';
import { DebugCon } from '../../devices/chipset/debugcon.js';
import { I440fxHost } from '../../devices/chipset/i440fx.js';
import { Piix3 } from '../../devices/chipset/piix3.js';
import { Piix4Pm } from '../../devices/chipset/piix4-pm.js';
import { PiixIde } from '../../devices/ide/piix-ide.js';
import { Mc146818Rtc } from '../../devices/rtc/mc146818.js';
import { RTC_ISA_IRQ } from '../abi/rtc.js';
import { boardCmosBytes, rtcStartSec } from './rtc-setup.js';
import type { PciContext } from '../../devices/pci/context.js';
import type { PciHost } from '../../devices/pci/host.js';
import type { PciInfo } from '../../devices/pci/query.js';
import { runFirmware, type FirmwareReport } from '../../firmware/bios.js';
import { ChardevRegistry } from '../chardev/index.js';
import type { GuestLoader } from './guest-loader.js';
import { Vcpus } from './vcpus.js';
import { VCPU_EXIT_PORT, VCPU_EXIT_PORT_SIZE } from '../abi/apic.js';
import { attachMemoryDevices, type MemoryDevices } from './memory-devices.js';
import { publishUserFwCfgFiles } from './fw-cfg-files.js';

/** Wall-clock time at virtual time zero when the caller gives none: fixed, so runs repeat. */
export const DEFAULT_EPOCH_NS = Date.UTC(2026, 0, 1) * 1e6;

/** Typed machine events. */
export type MachineEvents = {
  /** A QMP event (STOP, RESUME, RESET, SHUTDOWN, POWERDOWN, SUSPEND, WAKEUP, ...). */
  event: (ev: MachineEvent) => void;
  /** Run state changed. */
  runstate: (state: RunState) => void;
  /** Work was queued from the host side: a paced runner should look at the scheduler again. */
  wake: () => void;
  /** The machine wants the process to end (QMP quit, or a guest power-off without -no-shutdown). */
  quit: () => void;
};

/** Options only the embedding program (CLI, library user) knows. */
export interface MachineHostOptions {
  /** Wall-clock nanoseconds at virtual time 0 (the CLI passes host time; default fixed). */
  epochNs?: number;
  /** Chardevs already opened by the host side (the CLI opens sockets before boot). */
  chardevs?: ChardevRegistry;
  /** A trace sink subscribed before the first event, so nothing of the build is missed. */
  trace?: { categories: TraceCategory[]; sink: TraceSink };
  /** Starts the guest kernel after firmware (none: the machine runs firmware only). */
  guest?: GuestLoader;
  /** The host's UTC offset in seconds, for `-rtc base=localtime` (measured once by the caller; default 0). */
  rtcLocalOffsetSec?: number;
}

/** A simulated `pc` machine. */
export class Machine extends (EventEmitter as new () => TypedEmitter<MachineEvents>) {
  /** Configuration it was built from. */
  readonly config: MachineConfig;
  /** The one scheduler and clock. */
  readonly sched = new Scheduler();
  /** The trace of everything observable. */
  readonly trace = new Trace();
  /** The machine's seeded PRNG. */
  readonly prng: Prng;
  /** Guest RAM. */
  readonly ram: GuestRam;
  /** Guest-physical address space. */
  readonly mem: AddressSpace;
  /** Port I/O space. */
  readonly io = new IoPortSpace();
  /** Interrupt controller. */
  readonly irq: InterruptController;
  /** What the CPU reaches (firmware and the guest kernel use only this and interrupts). */
  readonly cpuBus: CpuBus;
  /** The vCPUs (running / halted / offline) and the BSP's local APIC. */
  readonly vcpus: Vcpus;
  /** RAM backends, DIMMs and the ACPI memory hotplug controller. */
  readonly memoryDevices: MemoryDevices;
  /** RAM placement. */
  readonly layout: RamLayout;
  /** fw_cfg. */
  readonly fwCfg = new FwCfg();
  /** Firmware's debug console. */
  readonly debugCon: DebugCon;
  /** PCI context shared by all functions. */
  readonly pciCtx: PciContext;
  /** Domain 0 host. */
  readonly i440fx: I440fxHost;
  /** Every root complex, domain 0 first. */
  readonly hosts: PciHost[] = [];
  /** PIIX3 ISA bridge. */
  readonly piix3: Piix3;
  /** PIIX4 ACPI PM. */
  readonly pm: Piix4Pm;
  /** PIIX3 IDE (00:01.1), always present as on QEMU's pc; its channels are ide.0 and ide.1. */
  readonly ide: PiixIde;
  /** The MC146818 RTC and CMOS (ports 0x70-0x71, IRQ 8). */
  readonly rtc: Mc146818Rtc;
  /** Devices created from -device, in order. */
  readonly devices: PluggedDevice[] = [];
  /** Host chardevs by id. */
  readonly chardevs: ChardevRegistry;
  /** Wall-clock ns at virtual 0. */
  readonly epochNs: number;
  /** Last firmware run. */
  firmware: FirmwareReport | undefined;
  /** The running guest (whatever the loader returned), after boot. */
  guest: unknown;
  private readonly guestLoader: GuestLoader | undefined;
  private guestClock: GatedScheduler | undefined;
  private state: RunState = 'prelaunch';
  private inputHook: (() => void) | undefined;
  private wakeEntry: (() => void) | undefined;

  /** Builds the machine (devices realized, nothing run yet); throws on configuration errors. */
  constructor(config: MachineConfig, host: MachineHostOptions = {}) {
    super();
    this.config = config;
    this.epochNs = host.epochNs ?? DEFAULT_EPOCH_NS;
    this.chardevs = host.chardevs ?? new ChardevRegistry();
    this.guestLoader = host.guest;
    if (host.trace) this.trace.subscribe(host.trace.categories, host.trace.sink);
    this.prng = new Prng(config.seed);
    this.ram = new GuestRam(config.ramSize, config.memoryBlockSize);
    this.mem = new AddressSpace(this.ram);
    this.layout = ramLayout(config.ramSize, config.maxMem);
    this.mem.mapRam(0, this.layout.below4g, 0);
    if (this.layout.above4g > 0) this.mem.mapRam(HIGHMEM_BASE, this.layout.above4g, this.layout.below4g);
    this.irq = new InterruptController(this.sched, this.trace);
    this.irq.mapMsiWindow(this.mem);
    this.vcpus = new Vcpus(config.cpus, this.sched, this.trace);
    this.io.map('vcpu-exit', VCPU_EXIT_PORT, VCPU_EXIT_PORT_SIZE, this.vcpus.exitPort);
    this.cpuBus = createCpuBus(this.io, this.mem, this.vcpus.lapic);
    this.fwCfg.attach(this.io);
    this.debugCon = new DebugCon(this.io, (line) => this.trace.emit(this.sched.now(), 'firmware', 'bios', line));
    this.pciCtx = { mem: this.mem, io: this.io, sched: this.sched, trace: this.trace, interrupts: this.irq };

    this.i440fx = new I440fxHost({ ctx: this.pciCtx, ramSize: config.ramSize, ecamBase: ECAM0_BASE, ecamBuses: ECAM0_BUSES });
    this.hosts.push(this.i440fx);
    this.rtc = new Mc146818Rtc({
      io: this.io,
      sched: this.sched,
      irq: this.irq.line(RTC_ISA_IRQ),
      trace: this.trace,
      startSec: rtcStartSec(config.rtc.base, this.epochNs, host.rtcLocalOffsetSec),
      initialCmos: boardCmosBytes(this.layout, config.cpus),
      onTimeSet: (offset) => this.emitEvent('RTC_CHANGE', { offset }),
    });
    this.piix3 = new Piix3({ addr: '01.0', onSystemReset: () => this.requestReset('guest-reset') });
    this.i440fx.plug(this.piix3);
    this.ide = new PiixIde({ addr: '01.1' });
    this.i440fx.plug(this.ide);
    const num = (prop: string, dflt: number) => {
      const v = globalFor(config, 'PIIX4_PM', prop);
      return v === undefined ? dflt : Number(v);
    };
    this.pm = new Piix4Pm({ addr: '01.3', disable_s3: num('disable_s3', 0), disable_s4: num('disable_s4', 0), s4_val: num('s4_val', 2) });
    this.pm.setSleepHandler((typ) => this.onGuestSleep(typ));
    this.i440fx.plug(this.pm);

    this.memoryDevices = attachMemoryDevices(this);
    attachIdeDrives(this);
    plugConfiguredDevices(this, config.devices);
    this.memoryDevices.coldplugDone = true;
    publishUserFwCfgFiles(this.fwCfg, config.fwCfgFiles);
    this.watchHostInput();
    publishPlatform(this.fwCfg, {
      cpus: config.cpus,
      maxCpus: config.maxCpus,
      ramSize: config.ramSize,
      layout: this.layout,
      hostBridges: hostBridgeTable(this.layout, this.hosts.slice(1).map((h) => ({ segment: h.domain }))),
      sleep: { s3: !this.pm.disableS3, s4: !this.pm.disableS4, s4Val: this.pm.s4Val },
      cmdline: config.append,
    });
    this.trace.emit(0, 'machine', config.name, `pc machine: ${config.cpus} vCPUs, ${config.ramSize} bytes RAM, ${this.hosts.length} PCI domain(s), seed ${config.seed}`);
  }

  /** Current run state. */
  get runState(): RunState {
    return this.state;
  }

  /** True while virtual time advances. */
  isRunning(): boolean {
    return isRunningState(this.state);
  }

  /** Powers on: runs firmware, then runs (or stays in prelaunch with -S). */
  boot(): this {
    this.pm.machineReady();
    this.firmware = runFirmware(this.cpuBus);
    this.trace.emit(this.sched.now(), 'machine', this.config.name, `firmware done: ${this.firmware.handoff.pci.length} PCI functions`);
    this.startGuest();
    this.setState(this.config.startPaused ? 'prelaunch' : 'running');
    return this;
  }

  private startGuest(): void {
    // A reset ends the old guest: none of its timers or wake-ups may run on the new one.
    this.guestClock?.close();
    this.irq.setVectorHandler(undefined);
    this.wakeEntry = undefined;
    this.guest = undefined;
    if (!this.guestLoader) return;
    this.guestClock = new GatedScheduler(this.sched);
    this.guest = this.guestLoader({
      cpu: this.cpuBus,
      sched: this.guestClock,
      trace: this.trace,
      setVectorHandler: (h) => this.irq.setVectorHandler(h),
      setWakeEntry: (entry) => {
        this.wakeEntry = entry;
      },
      realtimeNs: this.epochNs,
      seed: this.config.seed,
    });
  }

  /**
   * True while virtual time advances: running, and also suspended to RAM (as in QEMU, S3
   * pauses the vCPUs but not the clock, so the RTC keeps time and the guest finds it moved on).
   */
  clockRunning(): boolean {
    return clockRunsIn(this.state);
  }

  /** Runs until nothing is pending (or a virtual deadline); returns false if the clock is stopped. */
  runUntilIdle(deadlineNs?: number): boolean {
    if (!this.clockRunning()) return false;
    this.sched.run(deadlineNs);
    return true;
  }

  /** Lets the paced runner bring the clock up to date before host input is stamped. */
  setInputHook(hook: (() => void) | undefined): void {
    this.inputHook = hook;
  }

  /** Queues host-side work at the current virtual time (chardev input, QMP-driven actions). */
  inject(label: string, fn: () => void): void {
    this.inputHook?.();
    this.sched.after(0, label, fn);
    this.emit('wake');
  }

  /** Emits a QMP event stamped with the virtual wall clock. */
  emitEvent(event: string, data?: Record<string, unknown>): void {
    const ns = this.epochNs + this.sched.now();
    const timestamp = { seconds: Math.floor(ns / 1e9), microseconds: Math.floor((ns % 1e9) / 1e3) };
    this.trace.emit(this.sched.now(), 'qmp', 'event', data ? `${event} ${JSON.stringify(data)}` : event);
    this.emit('event', data ? { event, data, timestamp } : { event, timestamp });
  }

  /** QMP stop. */
  stop(): void {
    if (this.state !== 'running') return;
    this.setState('paused');
    this.emitEvent('STOP');
  }

  /** QMP cont; throws with QEMU's text when a reset is needed first. */
  cont(): void {
    if (needsReset(this.state)) throw new Error('Resetting the Virtual Machine is required');
    if (this.state === 'running' || this.state === 'suspended') return;
    this.setState('running');
    this.emitEvent('RESUME');
  }

  /** QMP system_reset, or a guest-initiated reset. */
  systemReset(cause: ShutdownCause = 'host-qmp-system-reset'): void {
    this.emitEvent('RESET', { guest: cause === 'guest-reset', reason: cause });
    for (const h of this.hosts) h.reset();
    this.vcpus.reset();
    this.rtc.reset();
    this.bootAfterReset();
    if (this.state !== 'running') this.setState('prelaunch');
    if (cause === 'guest-reset' || this.state === 'prelaunch') this.emit('wake');
  }

  /** QMP system_powerdown: press the ACPI power button. */
  systemPowerdown(): void {
    this.emitEvent('POWERDOWN');
    this.pm.powerButton();
  }

  /**
   * QMP system_wakeup; throws QEMU's texts when the guest cannot be woken. As on a PC the
   * wake-up is a reset: devices reset, firmware finds the resume request in CMOS and jumps
   * to the OS waking vector; PM1 status then says the system woke.
   */
  systemWakeup(): void {
    if (this.pm.disableS3) throw new Error('wake-up from suspend is not supported by this guest');
    if (this.state !== 'suspended') throw new Error('Unable to wake up: guest is not in suspended state');
    this.setState('running');
    this.sched.after(0, 'system-wakeup', () => {
      for (const h of this.hosts) h.reset();
      this.vcpus.reset();
      this.rtc.reset();
      this.bootAfterReset(() => this.pm.resume('other'));
      this.emitEvent('WAKEUP');
    });
    this.emit('wake');
  }

  /** A reset the guest asked for (port 0xCF9): carried out after the current instruction, like QEMU's reset request. */
  requestReset(cause: ShutdownCause): void {
    this.sched.after(0, 'system-reset-request', () => this.systemReset(cause));
    this.emit('wake');
  }

  /**
   * Firmware after a reset: a resume from S3 continues the suspended guest at its waking
   * entry; anything else boots a new guest. `beforeGuest` runs between the two (wake-up
   * status bits are set once the chipset is out of reset).
   */
  private bootAfterReset(beforeGuest?: () => void): void {
    this.firmware = runFirmware(this.cpuBus);
    beforeGuest?.();
    const entry = this.wakeEntry;
    if (this.firmware.wakingVector !== undefined && entry) {
      this.trace.emit(this.sched.now(), 'machine', this.config.name, 'resuming the guest through its waking vector');
      entry();
      return;
    }
    this.startGuest();
  }

  /** QMP quit: SHUTDOWN event, then ask the host program to exit. */
  quit(): void {
    this.emitEvent('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    this.setState('shutdown');
    this.emit('quit');
  }

  /** The PCI topology as firmware left it, one entry per root bus. */
  queryPci(): PciInfo[] {
    return this.hosts.flatMap((h) => h.queryPci());
  }

  /**
   * Chardev events are host input: before a device sees one, bring virtual time up to date
   * (paced mode); after, wake the runner so whatever the device scheduled gets to run.
   */
  private watchHostInput(): void {
    for (const cd of this.chardevs.list()) {
      for (const ev of ['open', 'close', 'data', 'drain'] as const) {
        cd.prependListener(ev, () => this.inputHook?.());
        cd.on(ev, () => this.emit('wake'));
      }
    }
  }

  private onGuestSleep(slpTyp: number): void {
    const s = this.pm.sleepStateFor(slpTyp);
    if (s === 'S3') {
      this.rtc.notifySuspend();
      this.emitEvent('SUSPEND');
      this.setState('suspended');
    } else if (s === 'S4') {
      this.emitEvent('SUSPEND_DISK');
      this.guestPowerOff();
    } else if (s === 'S5') {
      this.guestPowerOff();
    }
  }

  private guestPowerOff(): void {
    this.emitEvent('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
    if (this.config.noShutdown) {
      this.emitEvent('STOP');
      this.setState('shutdown');
    } else {
      this.setState('shutdown');
      this.emit('quit');
    }
  }

  private setState(s: RunState): void {
    if (s === this.state) return;
    this.state = s;
    this.trace.emit(this.sched.now(), 'machine', this.config.name, `run state ${s}`);
    this.emit('runstate', s);
    this.emit('wake');
  }
}
