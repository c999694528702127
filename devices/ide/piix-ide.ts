/**
 * The `pc` machine's PIIX3 IDE function (QEMU `piix3-ide`, 8086:7010 at 00:01.1): class
 * 0x0101 with programming interface 0x80, i.e. both channels fixed in compatibility mode at
 * the ISA addresses (0x1f0-0x1f7/0x3f6 on IRQ 14, 0x170-0x177/0x376 on IRQ 15) and the
 * bus-master DMA block in BAR4. No INTx pin: the channels drive ISA IRQs 14 and 15, which
 * are GSIs 14 and 15 here. The legacy ports decode whatever the PCI command register says,
 * as QEMU's do. Without drives the function costs two channels of idle registers.
 */
import type { AccessSize, IoRegionOps, MappedRegion } from '../../src/memory/region.js';
import {
  PCI_CLASS_STORAGE_IDE,
  PCI_DEVICE_ID_INTEL_82371SB_1,
  PCI_STATUS,
  PCI_STATUS_DEVSEL_MEDIUM,
  PCI_STATUS_FAST_BACK,
  PCI_VENDOR_ID_INTEL,
} from '../../src/abi/pci.js';
import {
  ATA_CMD_BLOCK_SIZE,
  ATA_PRIMARY_CMD,
  ATA_PRIMARY_CTL,
  ATA_PRIMARY_IRQ,
  ATA_SECONDARY_CMD,
  ATA_SECONDARY_CTL,
  ATA_SECONDARY_IRQ,
  BMDMA_BAR_SIZE,
  BMDMA_SECONDARY,
  PIIX_IDE_PROGIF,
} from '../../src/abi/ata.js';
import type { PciDeviceOptions } from '../pci/options.js';
import { PciFunction } from '../pci/pci-function.js';
import { IdeChannel } from './channel.js';

/** BAR holding the bus-master registers. */
export const PIIX_IDE_BMDMA_BAR = 4;
/** Legacy placement of each channel. */
const CHANNELS = [
  { cmd: ATA_PRIMARY_CMD, ctl: ATA_PRIMARY_CTL, gsi: ATA_PRIMARY_IRQ },
  { cmd: ATA_SECONDARY_CMD, ctl: ATA_SECONDARY_CTL, gsi: ATA_SECONDARY_IRQ },
] as const;

/** PIIX3 IDE. */
export class PiixIde extends PciFunction {
  /** QEMU type name. */
  static readonly typeName = 'piix3-ide';
  /** Channels: `ide.0` (primary) and `ide.1` (secondary). */
  readonly channels: readonly [IdeChannel, IdeChannel] = [new IdeChannel('ide.0'), new IdeChannel('ide.1')];
  private ports: MappedRegion[] = [];

  /** Creates the function (the `pc` board puts it at 01.1). */
  constructor(opts: PciDeviceOptions = {}) {
    super(PiixIde.typeName, { vendorId: PCI_VENDOR_ID_INTEL, deviceId: PCI_DEVICE_ID_INTEL_82371SB_1, classCode: PCI_CLASS_STORAGE_IDE, progIf: PIIX_IDE_PROGIF }, opts);
    this.config.set16(PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    const bm: IoRegionOps = {
      read: (off, size) => this.bmChannel(off).bm.read(off % BMDMA_SECONDARY, size),
      peek: (off, size) => this.bmChannel(off).bm.read(off % BMDMA_SECONDARY, size),
      write: (off, size, value) => this.bmChannel(off).bm.write(off % BMDMA_SECONDARY, size, value),
    };
    this.defineBar(PIIX_IDE_BMDMA_BAR, { kind: 'io', size: BMDMA_BAR_SIZE, ops: bm });
  }

  /** The channel named `ide.N`, if it is one of ours. */
  channelByName(name: string): IdeChannel | undefined {
    return this.channels.find((c) => c.name === name);
  }

  /** Maps the legacy ports and wires the channels to GSIs 14 and 15. */
  protected override realize(): void {
    const ctx = this.ctx;
    CHANNELS.forEach((place, i) => {
      const ch = this.channels[i]!;
      this.ports.push(
        ctx.io.map(`${ch.name} cmd`, place.cmd, ATA_CMD_BLOCK_SIZE, {
          read: (off, size) => ch.readCommandBlock(off, size),
          peek: (off) => ch.peekCommandBlock(off),
          write: (off, size, value) => ch.writeCommandBlock(off, size, value),
        }),
        ctx.io.map(`${ch.name} ctl`, place.ctl, 1, {
          read: () => ch.readAltStatus(),
          peek: () => ch.readAltStatus(),
          write: (_off: number, _size: AccessSize, value: number) => ch.writeDeviceControl(value),
        }),
      );
      ch.connect({ sched: ctx.sched, trace: ctx.trace, mem: ctx.mem, irq: ctx.interrupts.line(place.gsi), busMaster: () => this.busMasterEnabled(), source: this.traceSource() });
    });
  }

  /** Unmaps the legacy ports. */
  protected override unrealize(): void {
    const ctx = this.context();
    for (const p of this.ports) ctx?.io.unmap(p);
    this.ports = [];
    for (const ch of this.channels) ch.connect(undefined);
  }

  /** PCI reset: status bits back, channels and drives reset. */
  protected override onReset(): void {
    this.config.set16(PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    for (const ch of this.channels) ch.hardReset();
  }

  private bmChannel(off: number): IdeChannel {
    return this.channels[off >= BMDMA_SECONDARY ? 1 : 0];
  }
}
