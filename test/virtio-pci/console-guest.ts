/**
 * A minimal virtio-console driver on top of the guest's virtio-pci driver, doing what Linux's
 * virtio_console does at probe: fill the control receiveq with page-sized buffers, send
 * DEVICE_READY, answer PORT_ADD with PORT_READY, and collect the device's control messages.
 */
import {
  VIRTIO_CONSOLE_BAD_ID,
  VIRTIO_CONSOLE_CONTROL_SIZE,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_READY,
  decodeConsoleControl,
  encodeConsoleControl,
  type VirtioConsoleControl,
} from '../../src/abi/virtio-console.js';
import type { VirtioPciDriver } from '../../src/guest/drivers/virtio-pci/index.js';
import type { Rig } from './helpers.js';

/** Control receiveq. */
export const C_IVQ = 2;
/** Control transmitq. */
export const C_OVQ = 3;
/** Linux's receive buffer size (PAGE_SIZE). */
export const CONTROL_BUF = 4096;

/** A control message as the guest received it (PORT_NAME with its name). */
export interface ReceivedControl extends VirtioConsoleControl {
  /** The port name of PORT_NAME. */
  name?: string;
}

/** The guest's console driver. */
export class ConsoleGuest {
  /** Control messages received, in order. */
  readonly received: ReceivedControl[] = [];
  /** Whether to answer PORT_ADD with PORT_READY (as Linux does). */
  answerPortAdd = true;

  /** Drives `drv` on `rig`; installs the queue callbacks once (they survive re-initialisation). */
  constructor(
    private readonly rig: Rig,
    readonly drv: VirtioPciDriver<number>,
  ) {
    drv.onQueue(C_IVQ, () => this.drainControl());
    drv.onQueue(C_OVQ, () => this.reclaim(C_OVQ));
  }

  /** Probe: init the device, fill c_ivq, DEVICE_READY(1). */
  probe(buffers = 8): void {
    this.drv.init();
    this.start(buffers);
  }

  /** After a (re-)init: fill c_ivq and announce readiness. */
  start(buffers = 8): void {
    for (let i = 0; i < buffers; i++) this.post();
    this.drv.kick(C_IVQ);
    this.send(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
  }

  /** Sends one 8-byte control message on c_ovq and kicks. */
  send(id: number, event: number, value: number): void {
    const at = this.rig.alloc.alloc(VIRTIO_CONSOLE_CONTROL_SIZE, 8);
    this.rig.m.mem.writeBytes(at, encodeConsoleControl({ id, event, value }));
    this.drv.queue(C_OVQ).addBuffer([{ addr: at, len: VIRTIO_CONSOLE_CONTROL_SIZE, dir: 'out' }], at);
    this.drv.kick(C_OVQ);
  }

  private post(): void {
    const at = this.rig.alloc.alloc(CONTROL_BUF, 16);
    this.drv.queue(C_IVQ).addBuffer([{ addr: at, len: CONTROL_BUF, dir: 'in' }], at);
  }

  private drainControl(): void {
    const q = this.drv.queue(C_IVQ);
    let reposted = false;
    for (let u = q.getUsed(); u; u = q.getUsed()) {
      const bytes = this.rig.m.mem.readBytes(u.token, u.len);
      const msg = decodeConsoleControl(bytes);
      if (msg) {
        const rec: ReceivedControl = { ...msg };
        if (msg.event === VIRTIO_CONSOLE_PORT_NAME) rec.name = new TextDecoder().decode(bytes.subarray(VIRTIO_CONSOLE_CONTROL_SIZE, u.len - 1));
        this.received.push(rec);
        if (msg.event === VIRTIO_CONSOLE_PORT_ADD && this.answerPortAdd) this.send(msg.id, VIRTIO_CONSOLE_PORT_READY, 1);
      }
      this.drv.queue(C_IVQ).addBuffer([{ addr: u.token, len: CONTROL_BUF, dir: 'in' }], u.token);
      reposted = true;
    }
    if (reposted) this.drv.kick(C_IVQ);
  }

  private reclaim(index: number): void {
    const q = this.drv.queue(index);
    while (q.getUsed());
  }
}
