import { describe, expect, it } from 'vitest';
import { PCI_STATUS, PCI_STATUS_INTERRUPT } from '../../src/abi/pci.js';
import { VIRTIO_MSI_NO_VECTOR, VIRTIO_PCI_COMMON_MSIX, VIRTIO_PCI_ISR_CONFIG, VIRTIO_PCI_ISR_QUEUE } from '../../src/abi/virtio.js';
import { GSI_VECTOR_BASE } from '../../src/machine/interrupts.js';
import { VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, encodeConsoleControl } from '../../src/abi/virtio-console.js';
import type { VirtioPciDriver } from '../../src/guest/drivers/virtio-pci/index.js';
import { bootRig, makeDriver, type Rig } from './helpers.js';

const ISR = 0x1000;
const NOTIFY = 0x3000;
const C_IVQ = 2;
const C_OVQ = 3;

/** Brings the device up with the guest driver, then takes the CPU's vectors away from it. */
function upWithoutHandlers(rig: Rig, msix: boolean): { drv: VirtioPciDriver<number>; taken: number[] } {
  const drv = makeDriver(rig, { msix });
  drv.init();
  const taken: number[] = [];
  rig.m.irq.setVectorHandler((v) => taken.push(v));
  return { drv, taken };
}

/** Posts a receive buffer on c_ivq and sends DEVICE_READY on c_ovq: two used buffers, no config change. */
function deviceReady(rig: Rig, drv: VirtioPciDriver<number>): void {
  const buf = rig.alloc.alloc(4096, 16);
  drv.queue(C_IVQ).addBuffer([{ addr: buf, len: 4096, dir: 'in' }], buf);
  drv.kick(C_IVQ);
  const msg = rig.alloc.alloc(8, 8);
  rig.m.mem.writeBytes(msg, encodeConsoleControl({ id: VIRTIO_CONSOLE_BAD_ID, event: VIRTIO_CONSOLE_DEVICE_READY, value: 1 }));
  drv.queue(C_OVQ).addBuffer([{ addr: msg, len: 8, dir: 'out' }], msg);
  drv.kick(C_OVQ);
}

describe('virtio 1.2 §4.1.4.4 notification structure', () => {
  it('a write at notify + index × 4 kicks that queue; the value written does not matter', () => {
    const rig = bootRig();
    rig.mmioWrite(NOTIFY + 3 * 4, 2, 0xdead);
    rig.mmioWrite(NOTIFY + 63 * 4, 4, 0);
    expect(rig.lines).toContain('kick vq3');
    expect(rig.lines).toContain('kick vq63');
  });

  it('kicks of queues the device lacks, and reads of the area, do nothing', () => {
    const rig = bootRig();
    rig.mmioWrite(NOTIFY + 1023 * 4, 2, 1023);
    expect(rig.mmio(NOTIFY + 8, 4)).toBe(0);
    expect(rig.dev.serial.broken).toBe(false);
  });
});

describe('virtio 1.2 §4.1.4.5 ISR status: INTx level follows ISR bit 0, a read returns and clears it', () => {
  it('a used buffer raises INTx (PCI status INTERRUPT set); the ISR read returns 1 and deasserts it', () => {
    const rig = bootRig('virtio-serial-pci', [], [{ driver: 'virtserialport', props: [] }]);
    const { drv, taken } = upWithoutHandlers(rig, false);
    deviceReady(rig, drv);
    rig.settle();
    const gsi = rig.fn.irqLine;
    expect(rig.m.irq.level(gsi)).toBe(true);
    expect(rig.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBeTruthy();
    expect(taken).toContain(GSI_VECTOR_BASE + gsi);
    expect(rig.mmio(ISR, 1)).toBe(VIRTIO_PCI_ISR_QUEUE);
    expect(rig.m.irq.level(gsi)).toBe(false);
    expect(rig.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
    expect(rig.mmio(ISR, 1)).toBe(0);
    expect(rig.lines).toContain('ISR read 0x1, INTx deasserted');
  });

  it('the legacy ISR register (BAR0 + 19) is the same byte with the same read-to-clear', () => {
    const rig = bootRig('virtio-serial-pci', [['vectors', '0']]);
    upWithoutHandlers(rig, false);
    // A hot-plugged port is a config change: ISR bits 0 and 1.
    rig.dev.serial.addPort({ name: 'x' });
    expect(rig.m.irq.level(rig.fn.irqLine)).toBe(true);
    expect(rig.pio(19, 1)).toBe(3);
    expect(rig.m.irq.level(rig.fn.irqLine)).toBe(false);
    expect(rig.pio(19, 1)).toBe(0);
  });

  it('with MSI-X enabled INTx never asserts, though ISR bits still accumulate', () => {
    const rig = bootRig('virtio-serial-pci', [], [{ driver: 'virtserialport', props: [] }]);
    const { drv, taken } = upWithoutHandlers(rig, true);
    deviceReady(rig, drv);
    rig.settle();
    expect(taken).toEqual([0x51, 0x51]);
    expect(rig.m.irq.level(rig.fn.irqLine)).toBe(false);
    expect(rig.cfg.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
    expect(rig.mmio(ISR, 1)).toBe(VIRTIO_PCI_ISR_QUEUE);
  });
});

describe('virtio 1.2 §4.1.5.4 notification of device configuration changes', () => {
  it('with MSI-X the config change goes to the config vector', () => {
    const rig = bootRig();
    const { taken } = upWithoutHandlers(rig, true);
    rig.dev.serial.addPort({ name: 'x' });
    rig.settle();
    // The driver asked for its config vector first, so it is the first MSI vector (0x50).
    expect(taken).toEqual([0x50]);
    expect(rig.lines).toContain('config interrupt: MSI-X vector 0');
  });

  it('a config vector of NO_VECTOR means no interrupt at all (not even INTx)', () => {
    const rig = bootRig();
    const { taken } = upWithoutHandlers(rig, true);
    rig.mmioWrite(VIRTIO_PCI_COMMON_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
    rig.dev.serial.addPort({ name: 'x' });
    rig.settle();
    expect(taken).toEqual([]);
    expect(rig.m.irq.level(rig.fn.irqLine)).toBe(false);
    expect(rig.lines).toContain('config interrupt: no MSI-X vector, not delivered');
  });

  it('with INTx the config change sets ISR bit 1 (and bit 0) and raises the line', () => {
    const rig = bootRig();
    const { taken } = upWithoutHandlers(rig, false);
    rig.dev.serial.addPort({ name: 'x' });
    rig.settle();
    // Level-triggered: the line is taken again and again while nobody reads the ISR.
    expect(new Set(taken)).toEqual(new Set([GSI_VECTOR_BASE + rig.fn.irqLine]));
    expect(taken.length).toBeGreaterThan(1);
    expect(rig.mmio(ISR, 1)).toBe(VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG);
    const after = taken.length;
    rig.settle();
    expect(taken.length).toBe(after);
  });
});
