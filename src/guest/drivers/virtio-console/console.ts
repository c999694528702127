/**
 * One virtio-console device as Linux's virtio_console drives it: probe negotiates MULTIPORT,
 * reads max_nr_ports, sets up 2·(n+1) queues, fills the control receiveq and sends
 * DEVICE_READY; the device's control messages then create, name, connect and remove ports,
 * each of which becomes /dev/vport<d>p<id> (plus the /dev/virtio-ports/<name> link udev would
 * make). A device that reports NEEDS_RESET is reset and brought up again with its ports kept.
 */
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBit, hasFeature } from '../../../abi/virtio.js';
import {
  VIRTIO_CONSOLE_BAD_ID,
  VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_F_SIZE,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VIRTIO_CONSOLE_PORT_REMOVE,
  VIRTIO_CONSOLE_RESIZE,
} from '../../../abi/virtio-console.js';
import type { Kernel } from '../../kernel/index.js';
import type { GuestPlatform } from '../../platform/platform.js';
import { platformVirtioDriver, type VirtioPciDriver, type VirtioPciDriverView } from '../virtio-pci/index.js';
import { CONTROL_RX_QUEUE, CONTROL_TX_QUEUE, ConsoleContext } from './context.js';
import { ControlQueues, type ControlStats, type ReceivedControl } from './control.js';
import type { DmaBuffer } from './dma.js';
import { VirtioConsoleEmitter } from './events.js';
import { ConsolePort } from './port.js';
import { PortQueues } from './port-queues.js';

/** Linux's feature table for virtio_console, plus the ring features its virtio core accepts. */
export const VIRTIO_CONSOLE_DRIVER_FEATURES =
  featureBit(VIRTIO_CONSOLE_F_SIZE) | featureBit(VIRTIO_CONSOLE_F_MULTIPORT) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);

/** Name of the character major every device registers (as in /proc/devices). */
export const VIRTIO_PORTS_MAJOR_NAME = 'virtio-portsdev';
/** Where udev puts the by-name links. */
export const VIRTIO_PORTS_DIR = '/dev/virtio-ports';

/** Device-wide counters. */
export interface VirtioConsoleStats {
  /** Control queue counters (zero without MULTIPORT). */
  control: ControlStats;
  /** Resets done to recover the device. */
  resets: number;
  /** Warnings logged. */
  warnings: number;
}

const consolesByKernel = new WeakMap<Kernel, VirtioConsole[]>();

/** The virtio-console devices a kernel has bound, in probe order (index = vport<index>). */
export function virtioConsoles(kernel: Kernel): readonly VirtioConsole[] {
  return consolesByKernel.get(kernel) ?? [];
}

/** A bound virtio-console device. */
export class VirtioConsole {
  /** The transport driver. */
  readonly drv: VirtioPciDriver<DmaBuffer>;
  /** Typed events. */
  readonly events = new VirtioConsoleEmitter();
  /** Linux's virtio device index (the d of vport<d>p<id>). */
  readonly index: number;
  /** This device's character major. */
  readonly major: number;
  /** Live ports by id. */
  readonly ports = new Map<number, ConsolePort>();
  /** MULTIPORT was negotiated. */
  multiport = false;
  /** max_nr_ports (1 without MULTIPORT). */
  maxPorts = 1;
  /** The PCI function it is bound to. */
  readonly fn: HandoffPciFunction;
  private readonly ctx: ConsoleContext;
  private readonly control: ControlQueues;
  private readonly queues = new Map<number, PortQueues>();
  private readonly kernel: Kernel;
  private resetPending = false;
  private controlWorkPending = false;
  private resets = 0;
  private warnings = 0;

  /** Finds the interface (throws when there is none); call start() to bring it up. */
  constructor(platform: GuestPlatform, fn: HandoffPciFunction) {
    this.kernel = platform.kernel;
    this.fn = fn;
    const list = consolesByKernel.get(this.kernel) ?? [];
    this.index = list.length;
    this.drv = platformVirtioDriver<DmaBuffer>(platform, fn, VIRTIO_CONSOLE_DRIVER_FEATURES, (d) => queueCount(d), `guest virtio${this.index}`);
    this.major = this.kernel.allocCharMajor(VIRTIO_PORTS_MAJOR_NAME);
    this.ctx = new ConsoleContext(this.drv, platform.mem, platform.alloc, this.kernel, this.events, this.index);
    this.ctx.hooks = {
      sendControl: (id, event, value) => {
        if (this.multiport) this.control.send(id, event, value);
      },
      ringBroken: (queue, reason) => this.scheduleReset(`vq${queue} broken: ${reason}`),
    };
    this.control = new ControlQueues(this.ctx, (msg) => this.handleControl(msg));
    this.drv.onNeedsReset(() => this.scheduleReset('device needs reset'));
    list.push(this);
    consolesByKernel.set(this.kernel, list);
  }

  /** Counters. */
  stats(): VirtioConsoleStats {
    return { control: this.control.stats(), resets: this.resets, warnings: this.warnings };
  }

  /** The live port `id`. */
  port(id: number): ConsolePort | undefined {
    return this.ports.get(id);
  }

  /** The live port named `name`. */
  portByName(name: string): ConsolePort | undefined {
    for (const p of this.ports.values()) if (p.name === name) return p;
    return undefined;
  }

  /**
   * Probe: device up, queue callbacks, control queues filled, DEVICE_READY (or port 0 without
   * MULTIPORT). On failure the device is left FAILED and forgotten, and the error rethrown.
   */
  start(): void {
    try {
      this.drv.init();
    } catch (e) {
      const list = consolesByKernel.get(this.kernel) ?? [];
      list.splice(list.indexOf(this), 1);
      throw e;
    }
    this.multiport = hasFeature(this.drv.features, VIRTIO_CONSOLE_F_MULTIPORT);
    this.maxPorts = this.multiport ? this.drv.readConfig(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4) : 1;
    this.ctx.log(`${this.multiport ? `multiport, max_nr_ports ${this.maxPorts}` : 'single port'}, ${this.drv.queueCount} virtqueues`);
    for (let q = 0; q < this.drv.queueCount; q++) this.drv.onQueue(q, (i) => this.queueInterrupt(i));
    this.announce();
  }

  /**
   * The device was reset behind the driver's back (firmware, on resume from S3 or from a
   * hibernation image): bring it up again with every port and open file kept, as the
   * NEEDS_RESET recovery does (Linux's virtcons_restore).
   */
  restore(): void {
    this.recover('system resume');
  }

  // --- bring-up and recovery ---------------------------------------------------------------

  private announce(): void {
    if (this.multiport) {
      this.control.start();
      this.control.send(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    } else {
      // Without MULTIPORT the one port is id 0 and can only be a console (Linux's probe does the same).
      const port = this.addPort(0);
      this.makeConsole(port);
    }
  }

  private scheduleReset(reason: string): void {
    if (this.resetPending) return;
    this.resetPending = true;
    this.ctx.log(`${reason}: resetting`);
    // Like Linux's config-change work item: the reset runs outside the interrupt handler.
    this.kernel.sched.after(0, 'virtio-console reset', () => this.recover(reason));
  }

  private recover(reason: string): void {
    this.resetPending = false;
    this.control.detach();
    for (const q of this.queues.values()) {
      const lost = q.detach();
      this.ports.get(q.id)?.resetRings(lost);
    }
    try {
      this.drv.reinitialize();
    } catch (e) {
      this.warn(`re-initialisation failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.resets++;
    this.ctx.trace(this.ctx.source, `re-initialised after reset (${reason}); ${this.ports.size} port(s) kept`);
    this.events.emit('reset', reason);
    if (this.multiport) {
      this.announce();
      return;
    }
    const port0 = this.ports.get(0);
    if (port0) this.reattach(port0);
  }

  // --- control messages ------------------------------------------------------------------

  private handleControl(msg: ReceivedControl): void {
    const port = this.ports.get(msg.id);
    if (msg.event === VIRTIO_CONSOLE_PORT_ADD) {
      if (port) {
        this.reattach(port);
        return;
      }
      if (msg.id >= this.maxPorts) {
        this.warn(`Request for adding port with out-of-bound id ${msg.id}, max. supported id: ${this.maxPorts - 1}`);
        return;
      }
      this.addPort(msg.id);
      return;
    }
    if (!port) {
      this.ctx.trace(this.ctx.source, `control message for unknown port ${msg.id} ignored`);
      return;
    }
    switch (msg.event) {
      case VIRTIO_CONSOLE_PORT_REMOVE:
        this.removePort(port);
        break;
      case VIRTIO_CONSOLE_CONSOLE_PORT:
        if (msg.value !== 0 && !port.isConsole) this.makeConsole(port);
        break;
      case VIRTIO_CONSOLE_RESIZE:
        this.ctx.trace(port.source, `console resize ignored (no tty layer)`);
        break;
      case VIRTIO_CONSOLE_PORT_OPEN:
        port.setHostConnected(msg.value !== 0);
        break;
      case VIRTIO_CONSOLE_PORT_NAME:
        this.nameport(port, msg.name ?? '');
        break;
      default:
        this.ctx.trace(this.ctx.source, `control event ${msg.event} for port ${msg.id} ignored`);
    }
  }

  private addPort(id: number): ConsolePort {
    let queues = this.queues.get(id);
    if (!queues) {
      queues = new PortQueues(this.ctx, id, `guest vport${this.index}p${id}`);
      this.queues.set(id, queues);
    }
    const port = new ConsolePort(this.ctx, queues, id);
    queues.sink = port;
    this.ports.set(id, port);
    port.state('added');
    queues.fill();
    this.kernel.registerCharDevice(this.major, id, port.ops, VIRTIO_PORTS_MAJOR_NAME);
    this.kernel.createDeviceNode(port.path, this.major, id, { mode: 0o600 });
    this.ctx.hooks.sendControl(id, VIRTIO_CONSOLE_PORT_READY, 1);
    return port;
  }

  /** A PORT_ADD for a port we have: after a reset its rings need filling and the host must hear it is open again. */
  private reattach(port: ConsolePort): void {
    port.queues.fill();
    this.ctx.hooks.sendControl(port.id, VIRTIO_CONSOLE_PORT_READY, 1);
    if (port.afterReset && port.guestConnected) this.ctx.hooks.sendControl(port.id, VIRTIO_CONSOLE_PORT_OPEN, 1);
    port.afterReset = false;
  }

  private makeConsole(port: ConsolePort): void {
    port.isConsole = true;
    // hvc holds a console open for as long as it exists, so the host hears it is open.
    port.guestConnected = true;
    port.state('console');
    this.ctx.hooks.sendControl(port.id, VIRTIO_CONSOLE_PORT_OPEN, 1);
  }

  private nameport(port: ConsolePort, name: string): void {
    // Linux keeps the first name a port was given.
    if (port.name !== undefined) return;
    port.name = name;
    port.state('named', ` "${name}"`);
    if (name === '' || name.includes('/') || name === '.' || name === '..') {
      this.warn(`port ${port.id}: name ${JSON.stringify(name)} cannot be a link in ${VIRTIO_PORTS_DIR}`);
      return;
    }
    this.kernel.createSymlink(`${VIRTIO_PORTS_DIR}/${name}`, `../${port.node}`);
    this.ctx.trace(port.source, `udev: ${VIRTIO_PORTS_DIR}/${name} -> ../${port.node}`);
  }

  private removePort(port: ConsolePort): void {
    this.ports.delete(port.id);
    port.queues.sink = undefined;
    port.unplug();
    this.kernel.removeNode(port.path);
    if (port.name !== undefined && port.name !== '' && !port.name.includes('/')) this.kernel.removeNode(`${VIRTIO_PORTS_DIR}/${port.name}`);
    this.kernel.unregisterCharDevice(this.major, port.id);
  }

  // --- interrupts --------------------------------------------------------------------------

  private queueInterrupt(q: number): void {
    if (q === CONTROL_RX_QUEUE && this.multiport) return this.scheduleControlWork();
    if (q === CONTROL_TX_QUEUE && this.multiport) return this.control.reclaim();
    const id = q < 2 ? 0 : (q - 2) >> 1;
    const queues = this.queues.get(id);
    if (!queues) return;
    if (q === queues.rxQueue) queues.collectReceived();
    else queues.collectTransmitted();
  }

  /**
   * Control messages create and remove device nodes, which is more than an interrupt handler
   * should do: like Linux's control_work, they are handled in a work item after the interrupt.
   */
  private scheduleControlWork(): void {
    if (this.controlWorkPending) return;
    this.controlWorkPending = true;
    this.kernel.sched.after(0, 'virtio-console control', () => {
      this.controlWorkPending = false;
      this.control.receive();
    });
  }

  private warn(message: string): void {
    this.warnings++;
    this.ctx.log(message);
    this.ctx.trace(this.ctx.source, `warning: ${message}`);
    this.events.emit('warning', message);
  }
}

/** 2·(max_nr_ports+1) queues with MULTIPORT, else the one port's pair. */
function queueCount(d: VirtioPciDriverView): number {
  if (!hasFeature(d.features, VIRTIO_CONSOLE_F_MULTIPORT)) return 2;
  return 2 * (d.readConfig(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4) + 1);
}
