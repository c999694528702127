/**
 * rtc_cmos: the guest driver for the PC's MC146818 (found by firmware, PNP0b00). It registers
 * /dev/rtc0 (dynamic "rtc" major, /dev/rtc linked to it) with Linux's ioctls (RTC_RD_TIME,
 * RTC_SET_TIME, update and alarm interrupts, the daily alarm) and read()/poll() of interrupt
 * events, publishes rtc0 in /sys, sets the system clock from the chip at boot (hctosys), and
 * serves as the persistent clock the power code reads across suspend.
 */
import type { HandoffRtc } from '../../../abi/handoff.js';
import {
  RTC_AIE_OFF,
  RTC_AIE_ON,
  RTC_ALM_READ,
  RTC_ALM_SET,
  RTC_IRQF,
  RTC_RD_TIME,
  RTC_READ_SIZE,
  RTC_SET_TIME,
  RTC_TIME_SIZE,
  RTC_UIE_OFF,
  RTC_UIE_ON,
  decodeRtcTime,
  encodeRtcTime,
  epochFromRtcTime,
  isValidRtcTime,
  rtcTimeFromEpoch,
} from '../../../abi/linux-rtc.js';
import { RTC_B_AIE, RTC_B_PIE, RTC_B_UIE, RTC_REG_B, RTC_C_AF, RTC_C_IRQF, RTC_C_PF, RTC_C_UF, RTC_UIP_HOLD_NS } from '../../../abi/rtc.js';
import { isoDateTime, gmtime } from '../../../core/calendar.js';
import { Errno, POLLIN, POLLRDNORM, WaitQueue, WouldBlock, isRoot, type DeviceOps, type IoctlArg, type Kernel, type OpenFile } from '../../kernel/index.js';
import type { GuestPlatform } from '../../platform/platform.js';
import { CmosClock } from './cmos.js';
import { RTC_PNP_DEVICE, addRtcSysfs } from './sysfs.js';

/** Name of the character major (as /proc/devices lists it). */
export const RTC_MAJOR_NAME = 'rtc';

/** What the power code needs from a driver across a sleep. */
export interface RtcPmHooks {
  /** Registers suspend/resume callbacks. */
  registerDevice(dev: { name: string; suspend(): void; resume(): void }): void;
  /** Makes this clock the one read across suspend. */
  setPersistentClock(read: () => number | undefined): void;
}

/** The bound RTC. */
export class RtcCmos {
  /** Register access. */
  readonly clock: CmosClock;
  /** Character major of /dev/rtc0. */
  readonly major: number;
  private readonly kernel: Kernel;
  private readonly irqWq = new WaitQueue('rtc0');
  private readonly uipWq = new WaitQueue('rtc0-uip');
  private uipWake = false;
  private irqData = 0;
  private opened = false;
  private savedEnables = 0;
  /** Interrupts taken. */
  irqs = 0;

  /** Binds to the clock firmware found; registers the device node and sysfs entries. */
  constructor(
    private readonly platform: GuestPlatform,
    res: HandoffRtc,
  ) {
    this.kernel = platform.kernel;
    this.clock = new CmosClock(platform.env.cpu, res.ioBase);
    this.major = this.kernel.allocCharMajor(RTC_MAJOR_NAME);
    this.kernel.registerCharDevice(this.major, 0, this.ops(), RTC_MAJOR_NAME);
    this.kernel.createDeviceNode('/dev/rtc0', this.major, 0, { mode: 0o600 });
    this.kernel.createSymlink('/dev/rtc', 'rtc0');
    platform.interrupts.requestGsi(res.irq, () => this.interrupt());
    addRtcSysfs(this.kernel.sysfs, { now: () => this.now(), major: this.major, hctosys: true });
    this.log(`registered as rtc0`);
    this.log('alarms up to one day, y3k, 114 bytes nvram');
  }

  /** The time now, read through an update cycle if one is under way (for callers that cannot wait). */
  now(): number {
    return this.clock.readTime(true) ?? 0;
  }

  /** Sets the system clock from the RTC, as Linux's rtc_hctosys does (half a second in, to halve the average error). */
  hctosys(): void {
    const sec = this.now();
    this.kernel.setRealtime({ sec, nsec: 500_000_000 });
    this.log(`setting system clock to ${isoDateTime(gmtime(sec)).replace(' ', 'T')} UTC (${sec})`);
  }

  /** Hooks into suspend/resume: interrupts masked while asleep, restored after. */
  attachPm(pm: RtcPmHooks): void {
    pm.setPersistentClock(() => this.now());
    pm.registerDevice({
      name: 'rtc_cmos',
      suspend: () => {
        this.savedEnables = this.clock.read(RTC_REG_B) & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
        this.clock.setIrqEnables(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE, false);
        this.clock.ackIrq();
      },
      resume: () => {
        this.clock.ackIrq();
        if (this.savedEnables) this.clock.setIrqEnables(this.savedEnables, true);
      },
    });
  }

  private log(line: string): void {
    this.platform.log(`rtc_cmos ${RTC_PNP_DEVICE}: ${line}`);
  }

  private interrupt(): void {
    const c = this.clock.ackIrq();
    if (!(c & RTC_C_IRQF)) return;
    this.irqs++;
    const events = RTC_IRQF | (c & (RTC_C_UF | RTC_C_AF | RTC_C_PF));
    this.irqData = (this.irqData + 0x100) | events;
    this.irqWq.wakeAll();
  }

  // Waits out an update cycle: the caller retries once it is over.
  private waitForUpdate(): never {
    if (!this.uipWake) {
      this.uipWake = true;
      this.kernel.sched.after(RTC_UIP_HOLD_NS, 'rtc0 uip', () => {
        this.uipWake = false;
        this.uipWq.wakeAll();
      });
    }
    throw new WouldBlock(this.uipWq);
  }

  private ops(): DeviceOps {
    return {
      stream: true,
      open: () => {
        // One opener at a time, as rtc-dev allows.
        if (this.opened) throw new Errno('EBUSY');
        this.opened = true;
      },
      release: () => {
        this.clock.setIrqEnables(RTC_B_UIE, false);
        this.opened = false;
      },
      read: (_file, count) => {
        if (count < 4) throw new Errno('EINVAL');
        if (this.irqData === 0) throw new WouldBlock(this.irqWq);
        const v = this.irqData;
        this.irqData = 0;
        const out = new Uint8Array(count >= RTC_READ_SIZE ? RTC_READ_SIZE : 4);
        new DataView(out.buffer).setUint32(0, v >>> 0, true);
        return out;
      },
      poll: (_file, pt) => {
        pt.wait(this.irqWq);
        return this.irqData !== 0 ? POLLIN | POLLRDNORM : 0;
      },
      ioctl: (file, request, arg) => this.ioctl(file, request, arg),
    };
  }

  private ioctl(file: OpenFile, request: number, arg: IoctlArg): number {
    const buf = (): Uint8Array => {
      if (!(arg instanceof Uint8Array) || arg.length < RTC_TIME_SIZE) throw new Errno('EFAULT');
      return arg;
    };
    switch (request >>> 0) {
      case RTC_RD_TIME: {
        const out = buf();
        const sec = this.clock.readTime();
        if (sec === undefined) this.waitForUpdate();
        encodeRtcTime(rtcTimeFromEpoch(sec), out);
        return 0;
      }
      case RTC_SET_TIME: {
        // Setting the hardware clock needs CAP_SYS_TIME (checked against whoever opened it).
        if (!isRoot(file.opener.cred)) throw new Errno('EACCES');
        const t = decodeRtcTime(buf());
        if (!isValidRtcTime(t)) throw new Errno('EINVAL');
        const sec = epochFromRtcTime(t);
        this.clock.setTime(sec);
        this.log(`time set to ${isoDateTime(gmtime(sec))} UTC`);
        return 0;
      }
      case RTC_UIE_ON:
      case RTC_UIE_OFF:
        this.clock.setIrqEnables(RTC_B_UIE, request === RTC_UIE_ON);
        return 0;
      case RTC_AIE_ON:
      case RTC_AIE_OFF:
        this.clock.setIrqEnables(RTC_B_AIE, request === RTC_AIE_ON);
        return 0;
      case RTC_ALM_READ: {
        const a = this.clock.readAlarm();
        encodeRtcTime({ sec: a.sec ?? -1, min: a.min ?? -1, hour: a.hour ?? -1, mday: -1, mon: -1, year: -1, wday: -1, yday: -1, isdst: 0 }, buf());
        return 0;
      }
      case RTC_ALM_SET: {
        if (!isRoot(file.opener.cred)) throw new Errno('EACCES');
        const t = decodeRtcTime(buf());
        const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v < max;
        if (!ok(t.hour, 24) || !ok(t.min, 60) || !ok(t.sec, 60)) throw new Errno('EINVAL');
        this.clock.setAlarm({ hour: t.hour, min: t.min, sec: t.sec });
        return 0;
      }
      default:
        throw new Errno('ENOTTY');
    }
  }
}

/** Binds the RTC if firmware found one; sets the system clock from it. */
export function probeRtcCmos(platform: GuestPlatform): RtcCmos | undefined {
  const res = platform.handoff.rtc;
  if (res === undefined) return undefined;
  const rtc = new RtcCmos(platform, res);
  rtc.hctosys();
  return rtc;
}
