/**
 * The SCSI midlayer's host side (Linux's scsi_host): host drivers register with
 * scsiAddHost(platform, template) and get a host number (host0, host1, ... per kernel), the
 * /sys/<parent>/hostN directory with its scsi_host class device, and a scan of every channel,
 * target and LUN the template allows; disks found are handed to sd. Commands go through
 * `execute`, which retries the ones a unit answers with UNIT ATTENTION, as Linux's scan and
 * sd do. Completion is always asynchronous: callbacks, never promises, so everything stays
 * on the kernel's scheduler.
 *
 * API for host drivers (virtio_scsi, ata_piix, ahci): call scsiAddHost once the adapter can
 * take commands; queueCommand(cmd) must complete every command exactly once through
 * cmd.done, later than the call — with hostError 'no-connect' when the target does not
 * exist (the scan relies on it), 'error' for transport failures.
 */
import { SAM_STAT_CHECK_CONDITION, UNIT_ATTENTION } from '../../../abi/scsi.js';
import type { Kernel } from '../../kernel/index.js';
import type { GuestPlatform } from '../../platform/platform.js';
import { KernelCounters } from '../disk-names.js';
import type { ScsiCommand, ScsiDataDirection, ScsiHostTemplate, ScsiResult } from './types.js';

/** Retries of a command answered with UNIT ATTENTION. */
export const SCSI_UA_RETRIES = 3;
/** Default largest data phase per command when the template does not say. */
export const SCSI_DEFAULT_MAX_TRANSFER_BYTES = 256 * 1024;

/** (channel, target, LUN) on a host. */
export interface ScsiAddress {
  /** Channel. */
  channel: number;
  /** Target id. */
  id: number;
  /** LUN. */
  lun: number;
}

/** A logical unit the scan found. */
export interface ScsiDeviceInfo extends ScsiAddress {
  /** Host number. */
  readonly host: number;
  /** Peripheral device type. */
  readonly type: number;
  /** INQUIRY vendor (8 chars, space padded, as sysfs shows it). */
  readonly vendor: string;
  /** INQUIRY product (16 chars). */
  readonly model: string;
  /** INQUIRY revision (4 chars). */
  readonly rev: string;
  /** Linux's scsi_level (INQUIRY version + 1). */
  readonly scsiLevel: number;
  /** Its /sys directory (.../hostH/targetH:C:T/H:C:T:L). */
  readonly sysfsDir: string;
  /** The sd disk name once sd attached ("sda"). */
  disk?: string;
  /** Unit serial from VPD page 0x80, when the unit has one. */
  serial?: string;
}

const hostCounters = new KernelCounters();
const hostsByKernel = new WeakMap<Kernel, ScsiHost[]>();

/** The SCSI hosts of a kernel, in registration order. */
export function scsiHosts(kernel: Kernel): readonly ScsiHost[] {
  return hostsByKernel.get(kernel) ?? [];
}

/** The sense key of fixed or descriptor sense data (undefined when there is none). */
export function senseKey(sense: Uint8Array | undefined): number | undefined {
  if (!sense || sense.length < 3) return undefined;
  const fmt = sense[0]! & 0x7f;
  return fmt === 0x72 || fmt === 0x73 ? sense[1]! & 0x0f : sense[2]! & 0x0f;
}

/** One registered SCSI host. */
export class ScsiHost {
  /** hostN's N. */
  readonly hostNo: number;
  /** /sys directory of the host (`${template.sysfsParent}/hostN`). */
  readonly sysfsDir: string;
  /** Logical units found, in scan order. */
  readonly devices: ScsiDeviceInfo[] = [];
  /** The kernel. */
  readonly kernel: Kernel;
  /** Largest data phase per command. */
  readonly maxTransferBytes: number;
  /** Set when the scan has finished (and sd has attached its disks). */
  scanned = false;
  private readonly waiters: (() => void)[] = [];

  /** Registers the host in sysfs; scsiAddHost then scans it. */
  constructor(
    readonly platform: GuestPlatform,
    readonly template: ScsiHostTemplate,
  ) {
    this.kernel = platform.kernel;
    this.hostNo = hostCounters.next(this.kernel, 'scsi_host');
    this.maxTransferBytes = template.maxTransferBytes ?? SCSI_DEFAULT_MAX_TRANSFER_BYTES;
    const name = `host${this.hostNo}`;
    this.sysfsDir = `${template.sysfsParent}/${name}`;
    const sysfs = this.kernel.sysfs;
    sysfs.dir(this.sysfsDir);
    sysfs.link(`${this.sysfsDir}/subsystem`, '/bus/scsi');
    sysfs.link(`/bus/scsi/devices/${name}`, this.sysfsDir);
    const cls = `${this.sysfsDir}/scsi_host/${name}`;
    sysfs.value(`${cls}/proc_name`, () => template.procName);
    sysfs.value(`${cls}/unique_id`, () => this.hostNo);
    sysfs.value(`${cls}/state`, () => 'running');
    sysfs.value(`${cls}/host_busy`, () => 0);
    sysfs.link(`${cls}/subsystem`, '/class/scsi_host');
    sysfs.link(`${cls}/device`, this.sysfsDir);
    sysfs.link(`/class/scsi_host/${name}`, cls);
    const list = hostsByKernel.get(this.kernel) ?? [];
    list.push(this);
    hostsByKernel.set(this.kernel, list);
    this.log(`scsi ${name}: ${template.procName}`);
  }

  /** Sends one command; UNIT ATTENTION answers are retried up to SCSI_UA_RETRIES times. */
  execute(addr: ScsiAddress, cdb: Uint8Array, direction: ScsiDataDirection, data: Uint8Array | undefined, done: (r: ScsiResult) => void, retries = SCSI_UA_RETRIES): void {
    const cmd: ScsiCommand = {
      channel: addr.channel,
      id: addr.id,
      lun: addr.lun,
      cdb,
      direction,
      data,
      done: (r) => {
        if (retries > 0 && r.hostError === undefined && r.status === SAM_STAT_CHECK_CONDITION && senseKey(r.sense) === UNIT_ATTENTION) {
          this.execute(addr, cdb, direction, data, done, retries - 1);
          return;
        }
        done(r);
      },
    };
    this.template.queueCommand(cmd);
  }

  /** Runs `cb` once the scan is over (at once if it is). */
  whenScanned(cb: () => void): void {
    if (this.scanned) cb();
    else this.waiters.push(cb);
  }

  /** Marks the scan finished and wakes waiters. */
  scanFinished(): void {
    this.scanned = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** A kernel log line. */
  log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', line);
  }
}
