/**
 * One port on a virtio-serial bus: QEMU's `virtserialport` and `virtconsole` (the same device
 * with is_console set). The port owns its identity (nr, name, qdev id), its host side (the
 * chardev and host_connected) and its guest side (guest_connected); the bytes themselves move
 * in data-path.ts and the control messages are built in control.ts.
 */
import { VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_PORT_OPEN } from '../../src/abi/virtio-console.js';
import type { Chardev } from '../../src/chardev/chardev.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { SplitQueue } from '../virtio/split-queue.js';
import { PortDataPath, type VirtioSerialPortStats } from './data-path.js';
import type { PortStateKind } from './events.js';

/** The qdev type of a port. */
export type VirtioSerialPortType = 'virtserialport' | 'virtconsole';

/** Properties of a port, as `-device virtserialport,...` gives them. */
export interface VirtioSerialPortOptions {
  /** virtserialport (default) or virtconsole. */
  type?: VirtioSerialPortType;
  /** `nr`: the port id; absent or VIRTIO_CONSOLE_BAD_ID picks one (QEMU's default). */
  nr?: number;
  /** `name`, sent to the guest in PORT_NAME (e.g. org.qemu.guest_agent.0). */
  name?: string;
  /** `chardev`: the host side, or none. */
  chardev?: Chardev | null;
  /** The qdev `id`; VSERPORT_CHANGE is only emitted for ports that have one. */
  id?: string;
}

/** What a plugged port needs from its device. */
export interface PortOwner {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** Whether the driver has set DRIVER_OK. */
  driverOk(): boolean;
  /** Interrupt the driver for a queue. */
  notify(queue: SplitQueue): void;
  /** Send a control event to the driver. */
  sendControl(id: number, event: number, value: number): void;
  /** Report a port state change. */
  portState(port: VirtioSerialPort, kind: PortStateKind): void;
  /** The guest side opened or closed (QEMU's set_guest_connected). */
  guestConnectedChanged(port: VirtioSerialPort, open: boolean): void;
  /** A trace line about this port. */
  trace(port: VirtioSerialPort, line: string): void;
}

/** A virtserialport or virtconsole. */
export class VirtioSerialPort {
  /** qdev type. */
  readonly type: VirtioSerialPortType;
  /** QEMU's is_console. */
  readonly isConsole: boolean;
  /** Port name, if any. */
  readonly name: string | undefined;
  /** qdev id, if any. */
  readonly qdevId: string | undefined;
  /** Host side, if any. */
  readonly chardev: Chardev | null;
  /** The `nr` asked for (VIRTIO_CONSOLE_BAD_ID = automatic). */
  readonly requestedNr: number;
  private portNr = VIRTIO_CONSOLE_BAD_ID;
  private hostOpen = false;
  private guestOpen = false;
  private ready = false;
  private owner: PortOwner | null = null;
  private wasRemoved = false;
  private readonly data: PortDataPath;
  private readonly onOpen = (): void => this.hostConnectedEvent();
  private readonly onClose = (): void => this.hostClosedEvent();
  private readonly onData = (bytes: Uint8Array): void => this.data.hostData(bytes);
  private readonly onDrain = (): void => this.data.drained();

  /** Takes the properties; the port does nothing until a VirtioSerial plugs it. */
  constructor(opts: VirtioSerialPortOptions = {}) {
    const nr = opts.nr ?? VIRTIO_CONSOLE_BAD_ID;
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffff_ffff) throw new RangeError(`port nr ${nr} is not a uint32`);
    this.type = opts.type ?? 'virtserialport';
    this.isConsole = this.type === 'virtconsole';
    this.name = opts.name;
    this.qdevId = opts.id;
    this.chardev = opts.chardev ?? null;
    this.requestedNr = nr;
    const self = this;
    this.data = new PortDataPath({
      get mem(): AddressSpace {
        return self.plugOwner().mem;
      },
      chardev: this.chardev,
      isConsole: this.isConsole,
      hostConnected: () => this.hostOpen,
      canDeliver: () => this.canDeliver(),
      notify: (q) => this.owner?.notify(q),
      state: (kind) => this.owner?.portState(this, kind),
      trace: (line) => this.owner?.trace(this, line),
    });
  }

  /** The port id on its bus (VIRTIO_CONSOLE_BAD_ID until plugged). */
  get nr(): number {
    return this.portNr;
  }

  /** QEMU's host_connected: a host is attached (always true for a console with a chardev). */
  get hostConnected(): boolean {
    return this.hostOpen;
  }

  /** QEMU's guest_connected: a guest process has the port open. */
  get guestConnected(): boolean {
    return this.guestOpen;
  }

  /** The driver answered PORT_READY(1) since the last reset. */
  get guestReady(): boolean {
    return this.ready;
  }

  /** Guest output is held until the host drains. */
  get throttled(): boolean {
    return this.data.throttled;
  }

  /** Plugged into a device now. */
  get plugged(): boolean {
    return this.owner !== null;
  }

  /** Unplugged after having been plugged (a removed port cannot come back). */
  get removed(): boolean {
    return this.wasRemoved;
  }

  /** Traffic and loss counters. */
  stats(): VirtioSerialPortStats {
    return this.data.stats();
  }

  // --- device side (called by VirtioSerial and the control channel) ----------------------

  /**
   * Plugs the port at `nr` with its queues and binds the chardev (QEMU's realize + plug).
   * A host that is already there makes the port host-connected without a PORT_OPEN: the
   * guest cannot know the port yet and hears about the host at PORT_READY.
   */
  attach(owner: PortOwner, nr: number, rxq: SplitQueue, txq: SplitQueue): void {
    this.owner = owner;
    this.portNr = nr;
    this.data.rxq = rxq;
    this.data.txq = txq;
    const chr = this.chardev;
    if (!chr) return;
    chr.on('data', this.onData);
    chr.on('drain', this.onDrain);
    if (!this.isConsole) {
      chr.on('open', this.onOpen);
      chr.on('close', this.onClose);
    }
    if (chr.paused) chr.resume();
    // Consoles are opened at realize and never follow the chardev's connection (QEMU).
    this.hostOpen = this.isConsole || chr.connected;
  }

  /** Unplugs: returns unsent guest output, drops host bytes, unbinds the chardev (paused, so
   * whatever the host sends meanwhile waits in the chardev instead of vanishing). */
  detach(): void {
    this.data.unplug();
    const chr = this.chardev;
    if (chr) {
      chr.off('data', this.onData);
      chr.off('drain', this.onDrain);
      chr.off('open', this.onOpen);
      chr.off('close', this.onClose);
      if (!chr.closed) chr.pause();
    }
    this.owner = null;
    this.ready = false;
    this.guestOpen = false;
    this.hostOpen = false;
    this.wasRemoved = true;
  }

  /** The driver kicked this port's receiveq: more room for host bytes (QEMU's handle_input). */
  receiveKick(): void {
    this.data.deliver();
  }

  /** The driver kicked this port's transmitq (QEMU's handle_output). */
  transmitKick(): void {
    this.data.guestKick();
  }

  /** Tries to deliver waiting host bytes (after DRIVER_OK, guest open, ...). */
  deliverPending(): void {
    this.data.deliver();
  }

  /** PORT_READY(1) arrived for this port. */
  markGuestReady(): void {
    this.ready = true;
    this.owner?.portState(this, 'ready');
  }

  /**
   * The guest sent PORT_OPEN: QEMU stores the value and calls set_guest_connected every time,
   * so a repeated PORT_OPEN repeats VSERPORT_CHANGE too.
   */
  setGuestConnected(open: boolean): void {
    const was = this.guestOpen;
    this.guestOpen = open;
    if (was !== open) this.owner?.portState(this, open ? 'guest-open' : 'guest-close');
    this.owner?.guestConnectedChanged(this, open);
    if (open) this.data.deliver();
  }

  /** A driver without MULTIPORT cannot say it opened port 0, so DRIVER_OK counts as open (no event to QMP, as QEMU). */
  assumeGuestConnected(): void {
    if (this.guestOpen) return;
    this.guestOpen = true;
    this.owner?.portState(this, 'guest-open');
  }

  /** Status without DRIVER_OK or device reset (QEMU's guest_reset). */
  guestReset(): void {
    this.data.guestReset();
    this.ready = false;
    if (this.guestOpen) {
      this.guestOpen = false;
      this.owner?.portState(this, 'guest-close');
      this.owner?.guestConnectedChanged(this, false);
    }
  }

  /** One emergency byte from the config space (consoles only). */
  emergencyWrite(byte: number): void {
    this.data.emergencyWrite(Uint8Array.of(byte & 0xff));
  }

  private canDeliver(): boolean {
    const o = this.owner;
    return o !== null && this.hostOpen && this.guestOpen && o.driverOk() && (this.data.rxq?.ready ?? false);
  }

  /** Host attached (QEMU's virtio_serial_open); a second open is a no-op. */
  private hostConnectedEvent(): void {
    if (this.hostOpen || !this.owner) return;
    this.hostOpen = true;
    this.owner.portState(this, 'host-open');
    this.owner.sendControl(this.portNr, VIRTIO_CONSOLE_PORT_OPEN, 1);
    this.data.deliver();
  }

  /** Host went away (QEMU's virtio_serial_close): always tells the guest, even if already closed. */
  private hostClosedEvent(): void {
    if (!this.owner) return;
    const was = this.hostOpen;
    this.hostOpen = false;
    this.data.hostClosed();
    if (was) this.owner.portState(this, 'host-close');
    this.owner.sendControl(this.portNr, VIRTIO_CONSOLE_PORT_OPEN, 0);
  }

  // The data path only touches memory for queues, which exist only while plugged.
  private plugOwner(): PortOwner {
    if (!this.owner) throw new Error(`virtio-serial port ${this.portNr} is not plugged`);
    return this.owner;
  }
}
