/**
 * virtio-serial (QEMU's virtio-serial-device, behind -device virtio-serial-pci): a virtio
 * console device with up to 511 ports. Transport-independent: virtio-pci wraps it and adds
 * VERSION_1. Queue layout (VIRTIO 1.2 §5.3.2): q0/q1 = port 0 receiveq/transmitq, q2/q3 =
 * control receiveq/transmitq, then q(2n+2)/q(2n+3) for port n ≥ 1.
 */
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_ID_CONSOLE,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  featureBit,
} from '../../src/abi/virtio.js';
import {
  VIRTIO_CONSOLE_BAD_ID,
  VIRTIO_CONSOLE_CFG_COLS,
  VIRTIO_CONSOLE_CFG_EMERG_WR,
  VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
  VIRTIO_CONSOLE_CFG_ROWS,
  VIRTIO_CONSOLE_CONFIG_SIZE,
  VIRTIO_CONSOLE_CONFIG_SIZE_NO_EMERG,
  VIRTIO_CONSOLE_F_EMERG_WRITE,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_REMOVE,
} from '../../src/abi/virtio-console.js';
import type { Scheduler } from '../../src/core/scheduler.js';
import type { Trace } from '../../src/core/trace.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import { VirtioDevice, type VirtioDeviceOptions } from '../virtio/virtio-device.js';
import { ControlChannel, type VirtioSerialControlStats } from './control.js';
import { VIRTIO_SERIAL_MAX_SUPPORTED_PORTS, VSER_ERR, VirtioSerialError } from './errors.js';
import { VirtioSerialEmitter, type PortStateKind } from './events.js';
import { VirtioSerialPort, type PortOwner, type VirtioSerialPortOptions } from './port.js';

/** QEMU's default max_ports. */
export const VIRTIO_SERIAL_DEFAULT_MAX_PORTS = 31;
/** Size of every port queue. */
export const VIRTIO_SERIAL_PORT_QUEUE_SIZE = 128;
/** Size of the two control queues. */
export const VIRTIO_SERIAL_CONTROL_QUEUE_SIZE = 32;
/** Bus name QEMU gives the first virtio-serial bus of a device without an id. */
export const VIRTIO_SERIAL_DEFAULT_BUS_NAME = 'virtio-serial-bus.0';

/** Ring features QEMU's virtio core offers for every device (VERSION_1 comes from the transport). */
const RING_FEATURES =
  featureBit(VIRTIO_RING_F_INDIRECT_DESC) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_F_NOTIFY_ON_EMPTY) | featureBit(VIRTIO_F_ANY_LAYOUT);

/** Properties of the device, as `-device virtio-serial-pci,...` gives them. */
export interface VirtioSerialOptions {
  /** Guest memory. */
  mem: AddressSpace;
  /** `max_ports` (default 31, 1..511). */
  maxPorts?: number;
  /** `emergency-write` (default on; off for machine types ≤ 2.7). */
  emergencyWrite?: boolean;
  /** The bus name in QEMU's messages: `<id>.0` for a device with an id. */
  busName?: string;
  /** Port names are unique across all virtio-serial devices of a machine; share one registry per machine. */
  registry?: VirtioSerialRegistry;
  /** Readable trace sink (see virtioTraceSink). */
  trace?: (line: string) => void;
}

/** Device-level counters. */
export interface VirtioSerialStats {
  /** Control queues. */
  control: VirtioSerialControlStats;
  /** Emergency-write bytes handed to a console. */
  emergencyBytes: number;
  /** Emergency-write bytes dropped: no host-connected console (QEMU drops them too). */
  emergencyDropped: number;
  /** Guest bytes discarded from transmitqs of ids that have no port. */
  orphanDiscarded: number;
}

/** The virtio-serial devices of one machine, for QEMU's machine-wide port name check. */
export class VirtioSerialRegistry {
  private readonly devices = new Set<VirtioSerial>();

  /** Registers a device (done by its constructor). */
  add(dev: VirtioSerial): void {
    this.devices.add(dev);
  }

  /** Forgets a device. */
  remove(dev: VirtioSerial): void {
    this.devices.delete(dev);
  }

  /** The port named `name` on any registered device. */
  findPortByName(name: string): VirtioSerialPort | undefined {
    for (const d of this.devices) {
      const p = d.ports.find((port) => port.name === name);
      if (p) return p;
    }
    return undefined;
  }
}

/** A trace sink that records device lines as 'virtio' trace records at the current virtual time. */
export function virtioTraceSink(trace: Trace, sched: Scheduler, source: string): (line: string) => void {
  return (line) => trace.emit(sched.now(), 'virtio', source, line);
}

/** The virtio-serial device. */
export class VirtioSerial extends VirtioDevice {
  /** max_ports. */
  readonly maxPorts: number;
  /** emergency-write. */
  readonly emergencyWrite: boolean;
  /** Bus name used in QEMU's messages. */
  readonly busName: string;
  /** Typed events: control traffic, port state, VSERPORT_CHANGE, warnings. */
  readonly events = new VirtioSerialEmitter();
  private readonly portList: VirtioSerialPort[] = [];
  private readonly portsMap: Uint32Array;
  private readonly control: ControlChannel;
  private readonly owner: PortOwner;
  private readonly registry: VirtioSerialRegistry;
  private emergencyBytes = 0;
  private emergencyDropped = 0;
  private orphanDiscarded = 0;

  /** Realizes the device; throws VirtioSerialError with QEMU's text for a bad max_ports. */
  constructor(opts: VirtioSerialOptions) {
    super(VirtioSerial.coreOptions(opts));
    this.maxPorts = opts.maxPorts ?? VIRTIO_SERIAL_DEFAULT_MAX_PORTS;
    this.emergencyWrite = opts.emergencyWrite ?? true;
    this.busName = opts.busName ?? VIRTIO_SERIAL_DEFAULT_BUS_NAME;
    this.registry = opts.registry ?? new VirtioSerialRegistry();
    this.addQueue(VIRTIO_SERIAL_PORT_QUEUE_SIZE, () => this.portKick(0, 'rx'));
    this.addQueue(VIRTIO_SERIAL_PORT_QUEUE_SIZE, () => this.portKick(0, 'tx'));
    this.addQueue(VIRTIO_SERIAL_CONTROL_QUEUE_SIZE, () => this.control.flush());
    this.addQueue(VIRTIO_SERIAL_CONTROL_QUEUE_SIZE, (q) => this.control.handleOut(q));
    for (let nr = 1; nr < this.maxPorts; nr++) {
      this.addQueue(VIRTIO_SERIAL_PORT_QUEUE_SIZE, () => this.portKick(nr, 'rx'));
      this.addQueue(VIRTIO_SERIAL_PORT_QUEUE_SIZE, () => this.portKick(nr, 'tx'));
    }
    this.portsMap = new Uint32Array(Math.ceil(this.maxPorts / 32));
    // Id 0 stays reserved for a console even when none is plugged (old guests expect one there).
    this.portsMap[0]! |= 1;
    this.owner = this.makeOwner();
    this.control = new ControlChannel({
      mem: this.mem,
      busName: this.busName,
      controlIn: this.queues[2]!,
      driverListening: () => this.driverOk() && this.hasGuestFeature(VIRTIO_CONSOLE_F_MULTIPORT),
      notify: (q) => this.notify(q),
      ports: () => this.portList,
      findPort: (nr) => this.findPort(nr),
      sent: (msg) => this.events.emit('control-sent', msg),
      received: (msg) => this.events.emit('control-received', msg),
      warn: (m) => this.warn(m),
      trace: (line) => this.trace(line),
    });
    this.refreshConfig();
    this.registry.add(this);
  }

  private static coreOptions(opts: VirtioSerialOptions): VirtioDeviceOptions {
    const max = opts.maxPorts ?? VIRTIO_SERIAL_DEFAULT_MAX_PORTS;
    if (!Number.isInteger(max) || max < 0 || max > 0xffff_ffff) throw new RangeError(`max_ports ${max} is not a uint32`);
    if (max === 0) throw new VirtioSerialError(VSER_ERR.noPorts());
    if (max > VIRTIO_SERIAL_MAX_SUPPORTED_PORTS) throw new VirtioSerialError(VSER_ERR.tooManyPorts());
    const emerg = opts.emergencyWrite ?? true;
    let features = RING_FEATURES;
    if (emerg) features |= featureBit(VIRTIO_CONSOLE_F_EMERG_WRITE);
    if (max > 1) features |= featureBit(VIRTIO_CONSOLE_F_MULTIPORT);
    return {
      name: 'virtio-serial',
      deviceId: VIRTIO_ID_CONSOLE,
      mem: opts.mem,
      hostFeatures: features,
      configSize: emerg ? VIRTIO_CONSOLE_CONFIG_SIZE : VIRTIO_CONSOLE_CONFIG_SIZE_NO_EMERG,
      trace: opts.trace,
    };
  }

  /** Plugged ports in plug order (the order DEVICE_READY announces them in). */
  get ports(): readonly VirtioSerialPort[] {
    return this.portList;
  }

  /** The port with id `nr`. */
  findPort(nr: number): VirtioSerialPort | undefined {
    if (nr === VIRTIO_CONSOLE_BAD_ID) return undefined;
    return this.portList.find((p) => p.nr === nr);
  }

  /** Counters of the device (per-port counters are on each port). */
  stats(): VirtioSerialStats {
    return {
      control: this.control.stats(),
      emergencyBytes: this.emergencyBytes,
      emergencyDropped: this.emergencyDropped,
      orphanDiscarded: this.orphanDiscarded,
    };
  }

  /**
   * Realizes and plugs a port (cold plug at machine creation, hot plug with device_add): picks
   * its id as QEMU does, sends PORT_ADD and a config interrupt to a running driver. Throws
   * VirtioSerialError with QEMU's text when the id or name cannot be had.
   */
  addPort(opts: VirtioSerialPortOptions | VirtioSerialPort): VirtioSerialPort {
    const port = opts instanceof VirtioSerialPort ? opts : new VirtioSerialPort(opts);
    if (port.plugged || port.removed) throw new Error('virtio-serial port already used');
    const nr = this.realizeId(port);
    this.portList.push(port);
    this.markPort(nr, true);
    const rx = nr === 0 ? 0 : 2 * nr + 2;
    port.attach(this.owner, nr, this.queues[rx]!, this.queues[rx + 1]!);
    this.trace(`port ${nr}: added (${port.type}${port.name === undefined ? '' : ` "${port.name}"`}${port.hostConnected ? ', host connected' : ''})`);
    this.events.emit('port-state', { port, id: nr, state: 'added' });
    this.control.send(nr, VIRTIO_CONSOLE_PORT_ADD, 1);
    this.notifyConfig();
    return port;
  }

  /** Unplugs a port (device_del): returns its unsent guest output, sends PORT_REMOVE, frees its id. */
  removePort(port: VirtioSerialPort): void {
    const i = this.portList.indexOf(port);
    if (i < 0) throw new Error(`virtio-serial port ${port.nr} is not plugged into this device`);
    const nr = port.nr;
    // Id 0 is never given back: it stays reserved for a console.
    if (nr !== 0) this.markPort(nr, false);
    port.detach();
    this.control.send(nr, VIRTIO_CONSOLE_PORT_REMOVE, 1);
    this.portList.splice(i, 1);
    this.trace(`port ${nr}: removed`);
    this.events.emit('port-state', { port, id: nr, state: 'removed' });
  }

  /** Unplugs every port and leaves the machine's name registry (device teardown). */
  unrealize(): void {
    for (const p of [...this.portList]) this.removePort(p);
    this.registry.remove(this);
  }

  /** Also lets ports deliver once the driver is up (QEMU's chardevs poll can_read again). */
  override setStatus(value: number): boolean {
    const ok = super.setStatus(value);
    if (ok && this.driverOk()) {
      for (const p of this.portList) p.deliverPending();
      this.control.flush();
    }
    return ok;
  }

  protected override onStatusChange(_old: number, val: number): void {
    const port0 = this.findPort(0);
    if (port0 && !this.hasGuestFeature(VIRTIO_CONSOLE_F_MULTIPORT) && val & VIRTIO_CONFIG_S_DRIVER_OK) {
      port0.assumeGuestConnected();
    }
    if (!(val & VIRTIO_CONFIG_S_DRIVER_OK)) this.guestReset();
  }

  protected override onReset(): void {
    this.guestReset();
  }

  protected override refreshConfig(): void {
    this.configView.setUint16(VIRTIO_CONSOLE_CFG_COLS, 0, true);
    this.configView.setUint16(VIRTIO_CONSOLE_CFG_ROWS, 0, true);
    this.configView.setUint32(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, this.maxPorts, true);
  }

  /**
   * QEMU's set_config: any write that leaves emerg_wr non-zero sends its low byte to the first
   * host-connected console, then clears emerg_wr so a later short write is not mistaken for
   * another emergency write.
   */
  protected override configWritten(_offset: number, _size: number): void {
    if (this.config.length < VIRTIO_CONSOLE_CONFIG_SIZE) return;
    const v = this.configView.getUint32(VIRTIO_CONSOLE_CFG_EMERG_WR, true);
    if (v === 0) return;
    this.configView.setUint32(VIRTIO_CONSOLE_CFG_EMERG_WR, 0, true);
    const byte = v & 0xff;
    const port = this.portList.find((p) => p.isConsole && p.hostConnected);
    if (!port) {
      this.emergencyDropped++;
      this.trace(`emergency write 0x${byte.toString(16)} dropped: no host-connected console`);
      return;
    }
    this.emergencyBytes++;
    this.trace(`port ${port.nr}: emergency write 0x${byte.toString(16)}`);
    port.emergencyWrite(byte);
  }

  private driverOk(): boolean {
    return (this.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0;
  }

  /** QEMU's guest_reset: ports closed from the guest side, and our queued control messages dropped. */
  private guestReset(): void {
    for (const p of this.portList) p.guestReset();
    this.control.reset();
  }

  /** QEMU's realize-time id choice and checks, in QEMU's order. */
  private realizeId(port: VirtioSerialPort): number {
    const pluggingPort0 = port.isConsole && !this.findPort(0);
    const asked = port.requestedNr;
    if (this.findPort(asked)) throw new VirtioSerialError(VSER_ERR.idInUse(asked));
    if (port.name !== undefined && this.registry.findPortByName(port.name)) throw new VirtioSerialError(VSER_ERR.nameInUse(port.name));
    let nr = asked;
    if (nr === VIRTIO_CONSOLE_BAD_ID) {
      nr = pluggingPort0 ? 0 : this.findFreeId();
      if (nr === VIRTIO_CONSOLE_BAD_ID) throw new VirtioSerialError(VSER_ERR.portLimit());
    }
    if (nr >= this.maxPorts) throw new VirtioSerialError(VSER_ERR.outOfRange(this.maxPorts - 1));
    if (nr === 0 && !port.isConsole) throw new VirtioSerialError(VSER_ERR.port0Reserved());
    return nr;
  }

  /** First clear bit of the ports map, word by word; like QEMU it may land past max_ports. */
  private findFreeId(): number {
    for (let i = 0; i < this.portsMap.length; i++) {
      const free = ~this.portsMap[i]! >>> 0;
      if (free !== 0) return i * 32 + (31 - Math.clz32(free & -free));
    }
    return VIRTIO_CONSOLE_BAD_ID;
  }

  private markPort(nr: number, used: boolean): void {
    const w = nr >>> 5;
    const bit = 1 << (nr & 31);
    this.portsMap[w] = used ? this.portsMap[w]! | bit : this.portsMap[w]! & ~bit;
  }

  private portKick(nr: number, dir: 'rx' | 'tx'): void {
    const port = this.findPort(nr);
    if (port) {
      if (dir === 'rx') port.receiveKick();
      else port.transmitKick();
      return;
    }
    if (dir === 'tx') this.discardOrphan(this.queues[nr === 0 ? 1 : 2 * nr + 3]!, nr);
  }

  /** Output on the queues of an id without a port is returned unread (QEMU's discard_vq_data). */
  private discardOrphan(q: SplitQueue, nr: number): void {
    let bytes = 0;
    let returned = false;
    for (let c = q.pop(); c; c = q.pop()) {
      for (const s of c.readable) bytes += s.len;
      q.push(c, 0);
      returned = true;
    }
    if (!returned) return;
    this.orphanDiscarded += bytes;
    this.trace(`port ${nr}: ${bytes} guest bytes discarded (no such port)`);
    this.notify(q);
  }

  private warn(message: string): void {
    this.trace(`warning: ${message}`);
    this.events.emit('warning', message);
  }

  private makeOwner(): PortOwner {
    return {
      mem: this.mem,
      driverOk: () => this.driverOk(),
      notify: (q) => this.notify(q),
      sendControl: (id, event, value) => this.control.send(id, event, value),
      portState: (port, kind: PortStateKind) => {
        this.trace(`port ${port.nr}: ${kind.replace('-', ' ')}`);
        this.events.emit('port-state', { port, id: port.nr, state: kind });
      },
      guestConnectedChanged: (port, open) => {
        if (port.qdevId !== undefined) this.events.emit('vserport-change', { id: port.qdevId, open });
      },
      trace: (port, line) => this.trace(`port ${port.nr}: ${line}`),
    };
  }
}
