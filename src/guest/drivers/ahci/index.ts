/**
 * ahci: the guest driver of AHCI SATA controllers (class 0x010601, ich9-ahci here). It maps
 * the ABAR (BAR5), resets the HBA (GHC.HR) and turns AHCI mode on, picks MSI when the
 * function has it (INTx otherwise), then brings every implemented port up as a libata port
 * with its own SCSI host (ataN numbered after whatever the kernel probed before), and
 * finally enables HBA interrupts. The interrupt handler walks IS and hands each flagged
 * port its PxIS.
 */
import {
  AHCI_ABAR_BAR,
  HOST_CAP,
  HOST_CAP_NCS_SHIFT,
  HOST_CAP_NP_MASK,
  HOST_CTL,
  HOST_CTL_AHCI_EN,
  HOST_CTL_IRQ_EN,
  HOST_CTL_RESET,
  HOST_IRQ_STAT,
  HOST_PORTS_IMPL,
  HOST_VERSION,
} from '../../../abi/ahci.js';
import { PCI_CAP_ID_MSI, PCI_CLASS_STORAGE_SATA, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from '../../../abi/pci.js';
import { PCI_MSI_ADDRESS_HI, PCI_MSI_ADDRESS_LO, PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_ENABLE, PCI_MSI_FLAGS_QSIZE, pciMsiDataOffset } from '../../../abi/pci-msi.js';
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import type { GuestPlatform } from '../../platform/platform.js';
import type { GuestPciDriver } from '../registry.js';
import { GuestPciConfig } from '../pci/config.js';
import { AtaPortHost, type AddScsiHost } from '../ata/port-host.js';
import { scsiAddHost } from '../scsi/index.js';
import { AhciPortDriver } from './port.js';

/** Driver name. */
export const AHCI_NAME = 'ahci';
/** Programming interface of an AHCI 1.0 controller. */
const PROGIF_AHCI = 0x01;
/** Reads of GHC.HR before the reset is declared stuck. */
export const AHCI_RESET_POLL_LIMIT = 1000;

/** What the driver was built with. */
export interface AhciDriverOptions {
  /** The SCSI midlayer's scsiAddHost. */
  addHost: AddScsiHost;
  /** Use MSI when the function offers it (default true; false forces INTx). */
  msi?: boolean;
}

/** A bound HBA. */
export interface AhciController {
  /** The function it drives. */
  fn: HandoffPciFunction;
  /** ABAR address. */
  abar: number;
  /** Interrupt mode in use. */
  irq: 'msi' | 'intx';
  /** The CPU vector of the MSI, once allocated. */
  msiVector?: number;
  /** Port drivers by port number (implemented ports only). */
  ports: Map<number, AhciPortDriver>;
  /** libata ports by port number. */
  hosts: Map<number, AtaPortHost>;
}

const controllers = new WeakMap<object, AhciController[]>();

/** The AHCI controllers bound in `kernel`. */
export function ahciControllers(kernel: object): readonly AhciController[] {
  return controllers.get(kernel) ?? [];
}

/** Builds the driver. */
export function createAhciDriver(opts: AhciDriverOptions): GuestPciDriver {
  return {
    name: AHCI_NAME,
    matches: (fn) => fn.classCode === ((PCI_CLASS_STORAGE_SATA << 8) | PROGIF_AHCI),
    probe(platform, fn) {
      const ctl = probeHba(platform, fn, opts);
      const list = controllers.get(platform.kernel) ?? [];
      list.push(ctl);
      controllers.set(platform.kernel, list);
    },
    resume(platform, fn) {
      const ctl = ahciControllers(platform.kernel).find((c) => c.fn === fn);
      if (!ctl) return;
      resetHba(platform, ctl, opts);
      for (const [i, port] of ctl.ports) port.restore(() => ctl.hosts.get(i)!.reconfigure());
      enableHbaIrq(platform, ctl);
      platform.log(`ahci ${platform.pciName(fn)}: HBA reset after system resume`);
    },
  };
}

function regs(platform: GuestPlatform, abar: number): { rd: (r: number) => number; wr: (r: number, v: number) => void } {
  const bus = platform.env.cpu;
  return { rd: (r) => bus.load(abar + r, 4) >>> 0, wr: (r, v) => bus.store(abar + r, 4, v >>> 0) };
}

/** ahci_reset_controller plus interrupt set-up: AHCI mode on, HBA reset, AHCI mode on again, MSI or INTx. */
function resetHba(platform: GuestPlatform, ctl: AhciController, opts: AhciDriverOptions): void {
  const { rd, wr } = regs(platform, ctl.abar);
  const fn = ctl.fn;
  const cfg = new GuestPciConfig(platform.env.cpu, platform.handoff.pciRoots, fn);
  cfg.setCommand(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  wr(HOST_CTL, rd(HOST_CTL) | HOST_CTL_AHCI_EN);
  wr(HOST_CTL, rd(HOST_CTL) | HOST_CTL_RESET);
  let tries = 0;
  while (rd(HOST_CTL) & HOST_CTL_RESET && tries++ < AHCI_RESET_POLL_LIMIT);
  if (rd(HOST_CTL) & HOST_CTL_RESET) throw new Error('HBA reset did not complete');
  wr(HOST_CTL, rd(HOST_CTL) | HOST_CTL_AHCI_EN);
  const handler = () => {
    const is = rd(HOST_IRQ_STAT);
    if (!is) return;
    for (const [i, p] of ctl.ports) if (is & (1 << i)) p.interrupt();
    wr(HOST_IRQ_STAT, is);
  };
  const msiCap = opts.msi === false ? undefined : cfg.findCapabilities(PCI_CAP_ID_MSI)[0];
  if (msiCap !== undefined) {
    ctl.msiVector ??= platform.interrupts.requestVector(handler);
    const msg = platform.interrupts.msiMessage(ctl.msiVector);
    const flags = cfg.read(msiCap + PCI_MSI_FLAGS, 2);
    cfg.write(msiCap + PCI_MSI_ADDRESS_LO, 4, msg.address);
    if (flags & PCI_MSI_FLAGS_64BIT) cfg.write(msiCap + PCI_MSI_ADDRESS_HI, 4, 0);
    cfg.write(msiCap + pciMsiDataOffset(flags), 2, msg.data);
    cfg.write(msiCap + PCI_MSI_FLAGS, 2, (flags & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE);
    cfg.setCommand(PCI_COMMAND_INTX_DISABLE);
    ctl.irq = 'msi';
  } else {
    if (fn.irqLine === 255) throw new Error('no MSI and no INTx line routed');
    // The GSI handler is installed once; a resume finds it in place.
    if (!intxHooked.has(ctl)) platform.interrupts.requestGsi(fn.irqLine, handler);
    intxHooked.add(ctl);
    ctl.irq = 'intx';
  }
}

const intxHooked = new WeakSet<AhciController>();

/** Clears what the resets left pending, then lets the HBA interrupt. */
function enableHbaIrq(platform: GuestPlatform, ctl: AhciController): void {
  const { rd, wr } = regs(platform, ctl.abar);
  wr(HOST_IRQ_STAT, 0xffff_ffff);
  wr(HOST_CTL, rd(HOST_CTL) | HOST_CTL_IRQ_EN);
}

function probeHba(platform: GuestPlatform, fn: HandoffPciFunction, opts: AhciDriverOptions): AhciController {
  const bar = fn.bars.find((b) => b.index === AHCI_ABAR_BAR && b.kind !== 'io');
  if (!bar) throw new Error('no ABAR (BAR5) assigned');
  const ctl: AhciController = { fn, abar: bar.base, irq: 'intx', ports: new Map(), hosts: new Map() };
  resetHba(platform, ctl, opts);
  const { rd } = regs(platform, ctl.abar);
  const cap = rd(HOST_CAP);
  const pi = rd(HOST_PORTS_IMPL);
  const vs = rd(HOST_VERSION);
  const nports = (cap & HOST_CAP_NP_MASK) + 1;
  const slots = ((cap >> HOST_CAP_NCS_SHIFT) & 0x1f) + 1;
  const ver = `${(vs >>> 16).toString(16).padStart(4, '0')}.${(vs & 0xffff).toString(16).padStart(4, '0')}`;
  platform.log(`ahci ${platform.pciName(fn)}: AHCI ${ver} ${slots} slots ${nports} ports 1.5 Gbps 0x${pi.toString(16)} impl SATA mode`);
  const pciPath = platform.sysfsPath(fn);
  for (let i = 0; i < 32; i++) {
    if (!(pi & (1 << i))) continue;
    const port = new AhciPortDriver({ name: '?', index: i, abar: ctl.abar, bus: platform.env.cpu, mem: platform.mem, alloc: platform.alloc, sched: platform.env.sched, log: (l) => platform.log(l) });
    const host = new AtaPortHost({ platform, pciPath, procName: AHCI_NAME, port, devices: 1, addHost: opts.addHost });
    port.rename(host.name);
    ctl.ports.set(i, port);
    ctl.hosts.set(i, host);
  }
  enableHbaIrq(platform, ctl);
  for (const [i, port] of ctl.ports) port.start((present) => ctl.hosts.get(i)!.probe([present]));
  return ctl;
}

/** ahci as the default kernel is built with it (MSI when offered, the kernel's SCSI midlayer). */
export const ahciDriver: GuestPciDriver = createAhciDriver({ addHost: scsiAddHost });
