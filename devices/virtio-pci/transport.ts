/**
 * The virtio-pci transport (VIRTIO 1.2 §4.1, QEMU's VirtIOPCIProxy): a PCI function that
 * wraps any VirtioDevice. It owns the BARs (legacy I/O BAR0, MSI-X BAR1, modern BAR4 with the
 * common/ISR/device/notify windows), the virtio capabilities, the queue selector and
 * per-queue latches, and interrupt delivery: the vector a queue or config change names when
 * MSI-X is enabled, otherwise INTx at the level of ISR bit 0, dropped again by an ISR read.
 */
import {
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_MSIX_ENTRY_SIZE,
} from '../../src/abi/pci.js';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_F_BAD_FEATURE,
  VIRTIO_F_VERSION_1,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_ISR_QUEUE,
  featureBit,
} from '../../src/abi/virtio.js';
import type { AccessSize, IoRegionOps } from '../../src/memory/region.js';
import { MSIX_EXCLUSIVE_BAR_SIZE, initMsix, initMsixExclusiveBar, msixEnabled as msixEnabledOf, msixNotify } from '../pci/msix.js';
import { PciFunction } from '../pci/pci-function.js';
import { BarRegionSet } from '../pci/region-set.js';
import type { VirtioDevice, VirtioTransport } from '../virtio/virtio-device.js';
import { PciCfgWindow, addVirtioCapabilities, type VirtioCapabilityOffsets } from './capabilities.js';
import { CommonConfig } from './common-cfg.js';
import { hx, type VirtioPciCore } from './core.js';
import {
  VIRTIO_PCI_COMMON_OFFSET,
  VIRTIO_PCI_DEVICE_OFFSET,
  VIRTIO_PCI_ISR_OFFSET,
  VIRTIO_PCI_LEGACY_BAR,
  VIRTIO_PCI_MODERN_BAR,
  VIRTIO_PCI_MODERN_BAR_SIZE,
  VIRTIO_PCI_MSIX_BAR,
  VIRTIO_PCI_NOTIFY_MULTIPLIER,
  VIRTIO_PCI_NOTIFY_OFFSET,
  VIRTIO_PCI_NOTIFY_SIZE,
  VIRTIO_PCI_REGION_SIZE,
  VIRTIO_QUEUE_MAX,
  legacyBarSize,
  pow2ceil,
} from './layout.js';
import { LegacyRegisters } from './legacy.js';
import { VIRTIO_PCI_DEFAULT_VECTORS, VIRTIO_PCI_MAX_VECTORS, VirtioPciError, resolveVirtioPciMode, virtioPciIdentity, type VirtioPciMode, type VirtioPciOptions } from './options.js';
import { ProxyQueues } from './queue-state.js';

/** A virtio device behind a PCI function. */
export class VirtioPciTransport extends PciFunction implements VirtioTransport, VirtioPciCore {
  /** The wrapped device. */
  readonly device: VirtioDevice;
  /** Legacy and/or modern interface. */
  readonly mode: VirtioPciMode;
  /** MSI-X table size (0: the function has no MSI-X). */
  readonly msixVectors: number;
  /** Config-space offsets of the virtio capabilities (modern only). */
  readonly capabilities: VirtioCapabilityOffsets | undefined;
  /** Modern per-queue latches. */
  readonly proxyQueues = new ProxyQueues();
  /** Queue selector shared by both register front ends. */
  queueSel = 0;
  private readonly common: CommonConfig | undefined;
  private readonly legacy: LegacyRegisters | undefined;
  private readonly window: PciCfgWindow | undefined;
  private readonly realizeWarnings: string[] = [];

  /** Wraps `device` as PCI type `typeName`; throws VirtioPciError with QEMU's texts. */
  constructor(typeName: string, device: VirtioDevice, opts: VirtioPciOptions) {
    const mode = resolveVirtioPciMode(opts);
    super(typeName, virtioPciIdentity(device.deviceId, mode, opts.classCode), opts);
    this.device = device;
    this.mode = mode;
    // BAD_FEATURE is offered to catch legacy drivers that ack everything; modern reads hide it.
    device.offerFeatures(featureBit(VIRTIO_F_BAD_FEATURE) | (mode.modern ? featureBit(VIRTIO_F_VERSION_1) : 0n));

    if (mode.modern) {
      this.common = new CommonConfig(this);
      const bar = new BarRegionSet(VIRTIO_PCI_MODERN_BAR_SIZE);
      bar.add('virtio-pci-common', VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_REGION_SIZE, this.common);
      bar.add('virtio-pci-isr', VIRTIO_PCI_ISR_OFFSET, VIRTIO_PCI_REGION_SIZE, this.isrOps());
      bar.add('virtio-pci-device', VIRTIO_PCI_DEVICE_OFFSET, VIRTIO_PCI_REGION_SIZE, this.deviceConfigOps());
      bar.add('virtio-pci-notify', VIRTIO_PCI_NOTIFY_OFFSET, VIRTIO_PCI_NOTIFY_SIZE, this.notifyOps());
      this.defineBar(VIRTIO_PCI_MODERN_BAR, { kind: 'mem64', prefetchable: true, size: VIRTIO_PCI_MODERN_BAR_SIZE, ops: bar });
      this.capabilities = addVirtioCapabilities(this.config, VIRTIO_PCI_MODERN_BAR);
      this.window = new PciCfgWindow(this.config, this.capabilities.pciCfg, bar, (line) => this.trace(line));
    }

    this.msixVectors = this.initVectors(opts.vectors ?? VIRTIO_PCI_DEFAULT_VECTORS);

    if (mode.legacy) {
      this.legacy = new LegacyRegisters(this);
      this.defineBar(VIRTIO_PCI_LEGACY_BAR, { kind: 'io', size: legacyBarSize(this.msixVectors > 0, device.configSize), ops: this.legacy });
    }
    device.attachTransport(this);
  }

  /** Where the legacy device config starts right now (20, or 24 with MSI-X enabled); undefined without legacy. */
  legacyConfigOffset(): number | undefined {
    return this.legacy?.configOffset();
  }

  // ---- VirtioTransport ------------------------------------------------------------------

  /** Used-buffer notification for queue `index`. */
  notifyQueue(index: number): void {
    this.deliver(this.device.queues[index]?.vector ?? VIRTIO_MSI_NO_VECTOR, `vq${index}`);
  }

  /** Configuration-change notification. */
  notifyConfig(): void {
    this.deliver(this.device.configVector, 'config');
  }

  // ---- VirtioPciCore --------------------------------------------------------------------

  /** Whether MSI-X is enabled in the capability. */
  msixEnabled(): boolean {
    return msixEnabledOf(this);
  }

  /** ISR read: returns and clears the byte and drops INTx. */
  takeIsr(): number {
    const was = this.irqLevel;
    const v = this.device.takeIsr();
    this.setIrq(false);
    if (v !== 0 || was) this.trace(`ISR read ${hx(v)}${was ? ', INTx deasserted' : ''}`);
    return v;
  }

  /** Status write: 0 (or a write that leaves status 0) resets device and transport. */
  writeStatus(value: number): void {
    this.device.setStatus(value);
    if (value === 0) this.resetTransportState();
    else if (this.device.status === 0) this.resetTransport();
  }

  /** Device reset plus transport state (QEMU's virtio_pci_reset). */
  resetTransport(): void {
    this.device.reset();
    this.resetTransportState();
  }

  /** The driver notified queue `index`. */
  kick(index: number): void {
    this.trace(`kick vq${index}`);
    this.device.handleKick(index);
  }

  /** Vector of queue `index`. */
  queueVector(index: number): number {
    return this.device.queues[index]?.vector ?? this.proxyQueues.peek(index)?.orphanVector ?? VIRTIO_MSI_NO_VECTOR;
  }

  /** Sets the vector of queue `index`; a vector the table does not have reads back as NO_VECTOR. */
  setQueueVector(index: number, vector: number): number {
    const v = this.usableVector(vector);
    const q = this.device.queues[index];
    if (q) q.vector = v;
    else if (index < VIRTIO_QUEUE_MAX) this.proxyQueues.get(index).orphanVector = v;
    return v;
  }

  /** Sets the config vector; a vector the table does not have reads back as NO_VECTOR. */
  setConfigVector(vector: number): number {
    const v = this.usableVector(vector);
    this.device.configVector = v;
    return v;
  }

  /** Sets COMMAND.MASTER as a 1-byte config write would. */
  forceBusMaster(): void {
    if (this.busMasterEnabled()) return;
    this.trace('legacy status ACKNOWLEDGE|DRIVER: enabling bus mastering for the driver');
    this.configWrite(PCI_COMMAND, 1, this.config.get8(PCI_COMMAND) | PCI_COMMAND_MASTER);
  }

  /** Emits a 'virtio' trace line with this function's address as source. */
  trace(line: string): void {
    const ctx = this.context();
    if (ctx) ctx.trace.emit(ctx.sched.now(), 'virtio', this.traceSource(), line);
  }

  // ---- PciFunction hooks ----------------------------------------------------------------

  /** Config read; a read of pci_cfg_data first performs the windowed BAR read. */
  override configRead(reg: number, size: AccessSize): number {
    if (this.window?.touchesData(reg, size)) this.window.beforeRead();
    return super.configRead(reg, size);
  }

  protected override onConfigWritten(reg: number, size: number): void {
    // Turning bus mastering off stops a running driver: QEMU clears DRIVER_OK.
    if (reg <= PCI_COMMAND && PCI_COMMAND < reg + size && !this.busMasterEnabled() && this.device.status & VIRTIO_CONFIG_S_DRIVER_OK) {
      this.trace('bus mastering disabled: DRIVER_OK cleared');
      this.device.setStatus(this.device.status & ~VIRTIO_CONFIG_S_DRIVER_OK);
    }
    if (this.window?.touchesData(reg, size)) this.window.afterWrite();
  }

  protected override onReset(): void {
    this.resetTransport();
  }

  protected override realize(): void {
    for (const w of this.realizeWarnings) this.trace(`warning: ${w}`);
  }

  // ---- internals ------------------------------------------------------------------------

  private resetTransportState(): void {
    this.proxyQueues.reset();
    this.common?.reset();
    this.queueSel = 0;
    // ISR is 0 after reset, so the INTx level it drives is low.
    this.setIrq(false);
  }

  private usableVector(vector: number): number {
    return vector < this.msixVectors ? vector : VIRTIO_MSI_NO_VECTOR;
  }

  private deliver(vector: number, what: string): void {
    if (this.msixEnabled()) {
      if (vector === VIRTIO_MSI_NO_VECTOR) {
        this.trace(`${what} interrupt: no MSI-X vector, not delivered`);
        return;
      }
      this.trace(`${what} interrupt: MSI-X vector ${vector}`);
      msixNotify(this, vector);
      return;
    }
    const level = (this.device.isr & VIRTIO_PCI_ISR_QUEUE) !== 0;
    this.trace(`${what} interrupt: INTx ${level ? 'asserted' : 'stays low'} (ISR ${hx(this.device.isr)})`);
    this.setIrq(level);
  }

  /** MSI-X in BAR1 as QEMU's exclusive-BAR layout; an unusable count means no MSI-X, with a warning. */
  private initVectors(vectors: number): number {
    if (!Number.isInteger(vectors) || vectors < 0 || vectors > 0xffff_ffff) throw new VirtioPciError(`Parameter 'vectors' expects uint32`);
    if (vectors === 0) return 0;
    if (vectors > VIRTIO_PCI_MAX_VECTORS) {
      this.realizeWarnings.push(`unable to init msix vectors to ${vectors}`);
      return 0;
    }
    const tableSize = vectors * PCI_MSIX_ENTRY_SIZE;
    if (tableSize <= MSIX_EXCLUSIVE_BAR_SIZE / 2) {
      initMsixExclusiveBar(this, vectors, VIRTIO_PCI_MSIX_BAR);
    } else {
      // Past 128 vectors the PBA follows the table and the BAR grows to a power of two.
      const pbaSize = Math.ceil(vectors / 64) * 8;
      const size = pow2ceil(tableSize + pbaSize);
      this.defineBar(VIRTIO_PCI_MSIX_BAR, { kind: 'mem32', size, ops: new BarRegionSet(size) });
      initMsix(this, { vectors, tableBar: VIRTIO_PCI_MSIX_BAR, tableOffset: 0, pbaBar: VIRTIO_PCI_MSIX_BAR, pbaOffset: tableSize });
    }
    return vectors;
  }

  private isrOps(): IoRegionOps {
    return {
      read: () => this.takeIsr(),
      peek: () => this.device.isr,
      write: () => undefined,
    };
  }

  private deviceConfigOps(): IoRegionOps {
    return {
      read: (off, size) => this.device.readConfig(off, size),
      peek: (off, size) => this.device.peekConfig(off, size),
      write: (off, size, value) => this.device.writeConfig(off, size, value),
    };
  }

  private notifyOps(): IoRegionOps {
    return {
      // The written value is ignored: the address alone names the queue (memory notify).
      write: (off) => {
        const q = Math.floor(off / VIRTIO_PCI_NOTIFY_MULTIPLIER);
        if (q < VIRTIO_QUEUE_MAX) this.kick(q);
      },
      read: () => 0,
      peek: () => 0,
    };
  }
}
