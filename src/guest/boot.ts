/**
 * Guest boot: the kernel starts on the CPU the VMM hands it, reads firmware's hand-off,
 * binds drivers to PCI functions, installs the userland and starts programs.
 */
import { Kernel } from './kernel/index.js';
import { GuestPlatform } from './platform/platform.js';
import type { GuestBootEnv } from '../machine/guest-loader.js';
import { probePciDrivers, type GuestPciDriver } from './drivers/registry.js';
import { probeSystemDevices } from './drivers/system.js';
import { installMinimalPrograms } from './programs/index.js';
import { registerSimplefs } from './fs/simplefs/mount.js';
import { parseRootOptions, startBootMounts } from './fs/boot-mounts.js';
import type { HandoffPciFunction } from '../abi/handoff.js';
import { GuestCpu } from './cpu.js';
import { PowerManager } from './power/pm.js';
import { AcpiFixedHardware } from './power/acpi.js';
import { probeRtcCmos, type RtcCmos } from './drivers/rtc-cmos/index.js';
import { secondaryCpusPm } from './power/cpus.js';
import { TaskFreezer } from './kernel/freezer.js';
import { checkImage, resolveResumeDevice } from './power/swsusp.js';
import { discardParkedImage, parkImage, takeParkedImage, type HibernationImage } from './hibernate.js';

/** The device `resume=` names on the command line (none with `noresume`). */
export function parseResumeOption(cmdline: string): string | undefined {
  const words = cmdline.split(/\s+/);
  if (words.includes('noresume')) return undefined;
  const w = words.filter((x) => x.startsWith('resume=')).pop();
  return w === undefined || w === 'resume=' ? undefined : w.slice('resume='.length);
}

/** What to boot. */
export interface GuestBootOptions {
  /** PCI drivers, tried in order. */
  drivers: readonly GuestPciDriver[];
  /** Host name. */
  hostname?: string;
  /** Runs after drivers are bound: start services (the agent), install extra programs. */
  userspace?: (os: GuestOs) => void;
  /** Populates the initial rootfs (the image's userland and /etc) before any disk is mounted. */
  rootfs?: (kernel: Kernel) => void;
  /** Rootfs trees copied onto a disk root where missing (first boot of a blank root). */
  seedMissing?: readonly string[];
}

/**
 * A booted guest. When the boot finds a hibernation image, the kernel, platform, CPU and
 * drivers below are replaced by those of the resumed kernel (see src/guest/hibernate.ts).
 */
export class GuestOs implements HibernationImage {
  /** The kernel. */
  kernel: Kernel;
  /** Platform resources shared by drivers. */
  platform: GuestPlatform;
  /** Which driver took which function. */
  bound: Map<string, string>;
  /** The CPU this guest runs on (bus, clock and interrupt entry, re-attachable). */
  cpu: GuestCpu;
  /** Power management: /sys/power, reboot(2), ACPI sleep states, the power button. */
  power: PowerManager;
  /** The RTC driver, when firmware found the clock. */
  rtc: RtcCmos | undefined;
  private readonly pciBindings = new Map<HandoffPciFunction, GuestPciDriver>();
  private readonly host: GuestBootEnv;

  /** Boots: kernel, platform, drivers, programs, userspace. */
  constructor(host: GuestBootEnv, opts: GuestBootOptions) {
    this.host = host;
    this.cpu = new GuestCpu(host);
    const env = this.cpu.env;
    const freezer = new TaskFreezer(env.sched);
    // The VMM's wall clock is only the fallback: with an RTC the clock is set from it below.
    const sec = Math.floor(env.realtimeNs / 1e9);
    this.kernel = new Kernel({ sched: env.sched, taskSched: freezer, trace: env.trace, hostname: opts.hostname, realtime: { sec, nsec: env.realtimeNs - sec * 1e9 }, seed: env.seed });
    this.platform = new GuestPlatform(env, this.kernel);
    this.kernel.cmdline = this.platform.handoff.cmdline;
    registerSimplefs(this.kernel);
    installMinimalPrograms(this.kernel);
    opts.rootfs?.(this.kernel);
    this.power = new PowerManager({
      kernel: this.kernel,
      platform: this.platform,
      cpu: this.cpu,
      acpi: new AcpiFixedHardware(env.cpu, this.platform.handoff),
      freezer,
      pciResume: () => this.resumePciDevices(),
    });
    this.power.setImageHost({ park: () => parkImage(this), discard: (id) => discardParkedImage(id) });
    this.rtc = probeRtcCmos(this.platform);
    this.rtc?.attachPm(this.power);
    const system = probeSystemDevices(this.platform);
    this.power.registerDevice(secondaryCpusPm(system.cpus, (l) => this.platform.log(l)));
    const bound = probePciDrivers(this.platform, opts.drivers);
    for (const [fn, name] of bound) {
      const drv = opts.drivers.find((d) => d.name === name);
      if (drv) this.pciBindings.set(fn, drv);
    }
    this.bound = new Map([...bound].map(([fn, name]) => [this.platform.pciName(fn), name]));
    // With root= on the command line, userspace starts once the disk root and fstab are mounted
    // (waiting for the device, as Debian's initramfs does).
    const boot = (): void => {
      const root = parseRootOptions(this.kernel.cmdline);
      if (root.root === undefined) opts.userspace?.(this);
      else startBootMounts(this.kernel, { ...root, rootwait: true, seedMissing: opts.seedMissing, onDone: () => opts.userspace?.(this) });
    };
    // With resume= the kernel looks for a hibernation image before anything else (Linux's software_resume).
    const resume = parseResumeOption(this.kernel.cmdline);
    if (resume === undefined) boot();
    else this.checkResume(resume, boot);
  }

  /** Tag of a parked image: the host name. */
  get tag(): string {
    return this.kernel.hostname;
  }

  private checkResume(spec: string, boot: () => void): void {
    const kernel = this.kernel;
    const log = (l: string): void => this.platform.log(l);
    kernel.block.whenSettled(() => {
      const node = resolveResumeDevice(kernel, spec);
      if (node === undefined) {
        log(`PM: hibernation: resume device ${spec} not found`);
        return boot();
      }
      log(`PM: hibernation: Checking hibernation image partition ${spec}`);
      checkImage(node, log, (id) => {
        const image = id === undefined ? undefined : takeParkedImage(id);
        if (image instanceof GuestOs) return this.adopt(image);
        if (id !== undefined) log(`PM: hibernation: image ${id} is not held by this host process; discarded`);
        boot();
      });
    });
  }

  // The boot kernel steps aside and the image kernel moves onto this machine's CPU.
  private adopt(image: GuestOs): void {
    this.platform.log(`PM: hibernation: restoring image of ${image.tag}`);
    this.power.quiesceForRestore();
    this.kernel = image.kernel;
    this.platform = image.platform;
    this.bound = image.bound;
    this.cpu = image.cpu;
    this.power = image.power;
    this.rtc = image.rtc;
    this.cpu.attach(this.host);
    this.power.resumeFromImage();
  }

  // Firmware reset every PCI function (S3 resume, hibernation restore): each driver brings its device back.
  private resumePciDevices(): void {
    for (const [fn, drv] of this.pciBindings) {
      if (drv.resume === undefined) {
        this.platform.log(`${drv.name}: ${this.platform.pciName(fn)}: no resume method; device left reset`);
        continue;
      }
      try {
        drv.resume(this.platform, fn);
      } catch (e) {
        this.platform.log(`${drv.name}: resume of ${this.platform.pciName(fn)} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
