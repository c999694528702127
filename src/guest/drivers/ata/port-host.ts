/**
 * One ATA port as libata presents it: an `ataN` device in sysfs under the controller's PCI
 * function (numbered across the kernel in probe order), a SCSI host whose targets are the
 * port's devices, and the device probe that runs once the controller has reset the port
 * and found who is there: IDENTIFY DEVICE, then SET FEATURES to the port's transfer mode.
 * SCSI commands that arrive while the probe runs wait for it, as libata's scan waits for
 * EH; afterwards targets without a disk answer "no connect".
 */
import { ATA_CMD_ID_ATA, ATA_CMD_SET_FEATURES, ATA_ERR, ATA_SECTOR_SIZE, SETFEATURES_XFER, XFER_MW_DMA_0, XFER_UDMA_0 } from '../../../abi/ata.js';
import type { GuestPlatform } from '../../platform/platform.js';
import { KernelCounters } from '../disk-names.js';
import type { ScsiCommand, ScsiHostTemplate } from '../scsi/types.js';
import { parseIdentify, type AtaDeviceInfo } from './identify.js';
import { AtaScsiDevice, NO_CONNECT } from './translate.js';
import type { AtaPortOps } from './types.js';

/** What the midlayer hands back for a host: enough to know when its scan is over. */
export interface AddedScsiHost {
  /** Runs `cb` once the host's scan (and sd's attach) is finished. */
  whenScanned?(cb: () => void): void;
}

/** Adds a SCSI host to the midlayer (the SCSI core's scsiAddHost). */
export type AddScsiHost = (platform: GuestPlatform, template: ScsiHostTemplate) => AddedScsiHost | void;

/** Commands held while a port probes: more than this and the midlayer is misbehaving. */
export const ATA_PENDING_LIMIT = 256;

const counters = new KernelCounters();
/** The last port created per kernel: each port's disks reach sd after the previous port's. */
const lastPort = new WeakMap<object, AtaPortHost>();

/** How a port host is set up. */
export interface AtaPortHostOptions {
  /** The kernel's platform. */
  platform: GuestPlatform;
  /** Sysfs directory of the controller's PCI function. */
  pciPath: string;
  /** Driver name for the SCSI host ("ata_piix", "ahci"). */
  procName: string;
  /** The port's command execution. */
  port: AtaPortOps;
  /** Device positions (2 on a PATA channel, 1 on a SATA port). */
  devices: number;
  /** The SCSI midlayer's entry. */
  addHost: AddScsiHost;
}

/** A transfer mode's name as libata logs it. */
function xferName(mode: number): string {
  if (mode >= XFER_UDMA_0) return `UDMA/${[16, 25, 33, 44, 66, 100, 133][mode - XFER_UDMA_0] ?? '?'}`;
  if (mode >= XFER_MW_DMA_0) return `MWDMA${mode - XFER_MW_DMA_0}`;
  return `PIO${Math.max(0, mode - 8)}`;
}

/** One libata port. */
export class AtaPortHost {
  /** The port's number ("ata1" is 1). */
  readonly printId: number;
  /** Its sysfs directory. */
  readonly sysfsPath: string;
  /** Disks found, by device number. */
  readonly disks: (AtaScsiDevice | undefined)[];
  private probing = true;
  private readonly pending: ScsiCommand[] = [];
  private readonly previous: AtaPortHost | undefined;
  private scsiHost: AddedScsiHost | void = undefined;
  private scanned = false;
  private readonly scanWaiters: (() => void)[] = [];

  /** Numbers the port, creates its sysfs entries and registers its SCSI host. */
  private readonly releaseProbe: () => void;

  constructor(private readonly opts: AtaPortHostOptions) {
    const { platform } = opts;
    this.printId = counters.next(platform.kernel, 'ata') + 1;
    const name = `ata${this.printId}`;
    this.sysfsPath = `${opts.pciPath}/${name}`;
    // The block layer is not settled until this port's reset, IDENTIFY and SCSI scan are over.
    this.releaseProbe = platform.kernel.block.beginProbe();
    this.disks = new Array<AtaScsiDevice | undefined>(opts.devices).fill(undefined);
    const sysfs = platform.kernel.sysfs;
    const portDir = `${this.sysfsPath}/ata_port/${name}`;
    sysfs.dir(portDir);
    sysfs.value(`${portDir}/port_no`, () => this.printId);
    sysfs.value(`${portDir}/nr_pmp_links`, () => 0);
    sysfs.value(`${portDir}/idle_irq`, () => 0);
    sysfs.link(`/class/ata_port/${name}`, portDir);
    sysfs.dir(`${this.sysfsPath}/link${this.printId}`);
    this.previous = lastPort.get(platform.kernel);
    lastPort.set(platform.kernel, this);
    this.scsiHost = opts.addHost(platform, {
      procName: opts.procName,
      sysfsParent: this.sysfsPath,
      maxChannel: 0,
      maxId: opts.devices - 1,
      maxLun: 0,
      maxTransferBytes: opts.port.maxSectors * ATA_SECTOR_SIZE,
      queueCommand: (cmd) => this.queueCommand(cmd),
    });
  }

  /** "ata1" */
  get name(): string {
    return `ata${this.printId}`;
  }

  /** The controller reset the port and found devices at these positions: identify and configure them. */
  probe(present: readonly boolean[]): void {
    const todo = present.map((p, i) => (p ? i : -1)).filter((i) => i >= 0 && i < this.opts.devices);
    const next = (): void => {
      const devno = todo.shift();
      if (devno === undefined) return this.probeDone();
      this.identify(devno, next);
    };
    next();
  }

  private identify(devno: number, then: () => void): void {
    const { port, platform } = this.opts;
    const buf = new Uint8Array(ATA_SECTOR_SIZE);
    const dev = `${this.name}.${String(devno).padStart(2, '0')}`;
    port.issue(devno, {
      tf: { command: ATA_CMD_ID_ATA, features: 0, count: 0, lba: 0, device: 0 },
      lba48: false,
      protocol: 'pio-in',
      data: buf,
      done: (r) => {
        const info = r.failed || r.status & ATA_ERR ? undefined : parseIdentify(buf);
        if (!info) {
          platform.log(`${dev}: IDENTIFY failed (status 0x${r.status.toString(16)} error 0x${r.error.toString(16)})`);
          return then();
        }
        this.configure(devno, dev, info, then);
      },
    });
  }

  private configure(devno: number, dev: string, info: AtaDeviceInfo, then: () => void): void {
    const { port, platform } = this.opts;
    platform.log(`${dev}: ATA: ${info.model}, ${info.firmware}, max ${xferName(port.xferMode)}`);
    platform.log(`${dev}: ${info.sectors} sectors, ${info.lba48 ? 'LBA48' : 'LBA'}${info.trim ? ', TRIM' : ''}`);
    port.issue(devno, {
      tf: { command: ATA_CMD_SET_FEATURES, features: SETFEATURES_XFER, count: port.xferMode, lba: 0, device: 0 },
      lba48: false,
      protocol: 'non-data',
      done: (r) => {
        if (r.failed || r.status & ATA_ERR) platform.log(`${dev}: SET FEATURES XFER failed, staying at the power-on mode`);
        else platform.log(`${dev}: configured for ${xferName(port.xferMode)}`);
        this.disks[devno] = new AtaScsiDevice(info, port, devno, (fn) => this.defer(fn));
        then();
      },
    });
  }

  /**
   * The probe is over. As Linux's ordered async SCSI scan does, the port's disks are only
   * released to the scan once every earlier ATA port's scan is finished, so sd names disks
   * in port order (ata1.00 sda, ata1.01 sdb, ata2.00 sdc, ...) whatever the timing.
   */
  /** After a controller reset (resume): sets each disk's transfer mode again, as libata's revalidation does. */
  reconfigure(): void {
    const { port, platform } = this.opts;
    this.disks.forEach((d, devno) => {
      if (!d) return;
      port.issue(devno, {
        tf: { command: ATA_CMD_SET_FEATURES, features: SETFEATURES_XFER, count: port.xferMode, lba: 0, device: 0 },
        lba48: false,
        protocol: 'non-data',
        done: (r) => platform.log(`${this.name}.${String(devno).padStart(2, '0')}: ${r.failed || r.status & ATA_ERR ? 'revalidation failed' : `configured for ${xferName(port.xferMode)}`}`),
      });
    });
  }

  private probeDone(): void {
    const release = () => {
      this.probing = false;
      for (const cmd of this.pending.splice(0)) this.queueCommand(cmd);
      const host = this.scsiHost;
      if (host && host.whenScanned) host.whenScanned(() => this.markScanned());
      else this.markScanned();
    };
    if (this.previous) this.previous.whenScanned(release);
    else release();
  }

  /** Runs `cb` once this port's SCSI scan is over. */
  whenScanned(cb: () => void): void {
    if (this.scanned) cb();
    else this.scanWaiters.push(cb);
  }

  private markScanned(): void {
    this.scanned = true;
    this.releaseProbe();
    for (const w of this.scanWaiters.splice(0)) w();
  }

  private queueCommand(cmd: ScsiCommand): void {
    if (cmd.channel !== 0 || cmd.lun !== 0 || cmd.id < 0 || cmd.id >= this.opts.devices) {
      this.defer(() => cmd.done(NO_CONNECT));
      return;
    }
    if (this.probing) {
      if (this.pending.length >= ATA_PENDING_LIMIT) this.defer(() => cmd.done({ ...NO_CONNECT, hostError: 'error' }));
      else this.pending.push(cmd);
      return;
    }
    const d = this.disks[cmd.id];
    if (!d) {
      this.defer(() => cmd.done(NO_CONNECT));
      return;
    }
    d.queue(cmd);
  }

  private defer(fn: () => void): void {
    this.opts.platform.env.sched.after(0, `${this.name} scsi`, fn);
  }
}
