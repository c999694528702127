/**
 * ata_piix: the guest driver of the PIIX3 IDE function (8086:7010). Both channels are in
 * compatibility mode (programming interface 0x80), so each is driven at its legacy ports
 * and ISA IRQ, with bus-master DMA through BAR4 when firmware assigned it. Each channel is
 * a libata port (ata1, ata2 in probe order) with its own SCSI host; the channel is reset,
 * its devices classified, and the disks identified before the SCSI scan proceeds.
 */
import {
  ATA_PRIMARY_CMD,
  ATA_PRIMARY_CTL,
  ATA_PRIMARY_IRQ,
  ATA_SECONDARY_CMD,
  ATA_SECONDARY_CTL,
  ATA_SECONDARY_IRQ,
  BMDMA_SECONDARY,
} from '../../../abi/ata.js';
import { PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_DEVICE_ID_INTEL_82371SB_1, PCI_VENDOR_ID_INTEL } from '../../../abi/pci.js';
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import type { GuestPlatform } from '../../platform/platform.js';
import type { GuestPciDriver } from '../registry.js';
import { GuestPciConfig } from '../pci/config.js';
import { AtaPortHost, type AddScsiHost } from '../ata/port-host.js';
import { scsiAddHost } from '../scsi/index.js';
import { SffChannel } from './sff.js';

/** Driver name (/sys/bus/pci/drivers/ata_piix, SCSI host proc_name). */
export const ATA_PIIX_NAME = 'ata_piix';
/** BAR of the bus-master block. */
const BMDMA_BAR = 4;

/** Legacy placement of the two channels. */
const CHANNELS = [
  { cmd: ATA_PRIMARY_CMD, ctl: ATA_PRIMARY_CTL, gsi: ATA_PRIMARY_IRQ },
  { cmd: ATA_SECONDARY_CMD, ctl: ATA_SECONDARY_CTL, gsi: ATA_SECONDARY_IRQ },
] as const;

/** What the driver was built with. */
export interface AtaPiixOptions {
  /** The SCSI midlayer's scsiAddHost. */
  addHost: AddScsiHost;
  /** Use bus-master DMA (Linux's libata.dma; default true). */
  dma?: boolean;
}

/** A bound controller: its channels and their ports. */
export interface AtaPiixController {
  /** The function it drives. */
  fn: HandoffPciFunction;
  /** Whether bus-master DMA is in use. */
  dma: boolean;
  /** The channels (primary, secondary). */
  channels: SffChannel[];
  /** The libata ports. */
  ports: AtaPortHost[];
}

const controllers = new WeakMap<object, AtaPiixController[]>();

/** The ata_piix controllers bound in `kernel` (tests, diagnostics). */
export function ataPiixControllers(kernel: object): readonly AtaPiixController[] {
  return controllers.get(kernel) ?? [];
}

/** Builds the driver. */
export function createAtaPiixDriver(opts: AtaPiixOptions): GuestPciDriver {
  return {
    name: ATA_PIIX_NAME,
    matches: (fn) => fn.vendor === PCI_VENDOR_ID_INTEL && fn.device === PCI_DEVICE_ID_INTEL_82371SB_1,
    probe(platform: GuestPlatform, fn) {
      const cfg = new GuestPciConfig(platform.env.cpu, platform.handoff.pciRoots, fn);
      const bar = fn.bars.find((b) => b.index === BMDMA_BAR && b.kind === 'io');
      const dma = (opts.dma ?? true) && bar !== undefined;
      cfg.setCommand(PCI_COMMAND_IO | (dma ? PCI_COMMAND_MASTER : 0));
      const pciPath = platform.sysfsPath(fn);
      const ctl: AtaPiixController = { fn, dma, channels: [], ports: [] };
      CHANNELS.forEach((place, i) => {
        const ch = new SffChannel({
          name: `ata?`,
          bus: platform.env.cpu,
          mem: platform.mem,
          alloc: platform.alloc,
          sched: platform.env.sched,
          interrupts: platform.interrupts,
          cmdBase: place.cmd,
          ctlPort: place.ctl,
          gsi: place.gsi,
          bmBase: dma ? bar!.base + i * BMDMA_SECONDARY : undefined,
          log: (l) => platform.log(l),
        });
        const port = new AtaPortHost({ platform, pciPath, procName: ATA_PIIX_NAME, port: ch, devices: 2, addHost: opts.addHost });
        ch.rename(port.name);
        ctl.channels.push(ch);
        ctl.ports.push(port);
      });
      const list = controllers.get(platform.kernel) ?? [];
      list.push(ctl);
      controllers.set(platform.kernel, list);
      ctl.channels.forEach((ch, i) => ch.resetAndClassify((present) => ctl.ports[i]!.probe(present)));
    },
    resume(platform: GuestPlatform, fn) {
      const ctl = ataPiixControllers(platform.kernel).find((c) => c.fn === fn);
      if (!ctl) return;
      const cfg = new GuestPciConfig(platform.env.cpu, platform.handoff.pciRoots, fn);
      cfg.setCommand(PCI_COMMAND_IO | (ctl.dma ? PCI_COMMAND_MASTER : 0));
      ctl.channels.forEach((ch, i) => ch.restore(() => ctl.ports[i]!.reconfigure()));
      platform.log(`${ATA_PIIX_NAME} ${platform.pciName(fn)}: channels reset after system resume`);
    },
  };
}

/** ata_piix as the default kernel is built with it (DMA on, the kernel's SCSI midlayer). */
export const ataPiixDriver: GuestPciDriver = createAtaPiixDriver({ addHost: scsiAddHost });
