import { describe, expect, it } from 'vitest';
import { PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_INTERRUPT_PIN, PCI_STATUS, PCI_STATUS_INTERRUPT, PIIX_PIRQCA, pciSwizzle } from '../../src/abi/pci.js';
import { GSI_VECTOR_BASE } from '../../src/machine/interrupts.js';
import { PciFunction } from '../../devices/pci/pci-function.js';
import { PciBridgeDevice } from '../../devices/pci/bridge.js';
import { piixPirqForSlot } from '../../devices/chipset/piix3.js';
import { makePc, type PcHarness } from './harness.js';

function intxDevice(pin = 1, id = ''): PciFunction {
  return new PciFunction('intx-dev', { vendorId: 0x1af4, deviceId: 0x1003, classCode: 0x0780, interruptPin: pin }, { id });
}

function route(pc: PcHarness, pirq: number, irq: number): void {
  pc.cfgWrite(0, 1, 0, PIIX_PIRQCA + pirq, 1, irq);
}

describe('i440FX board wiring: root-bus INTx reaches PIRQ[(slot - 1 + pin) & 3]', () => {
  it('matches QEMU pc_pci_slot_get_pirq for every slot and pin', () => {
    expect(piixPirqForSlot(1, 0)).toBe(0);
    expect(piixPirqForSlot(3, 0)).toBe(2);
    expect(piixPirqForSlot(4, 1)).toBe(0);
    expect(piixPirqForSlot(0, 0)).toBe(3);
  });

  it('PIRQ route registers reset to 0x80 (disabled): an asserted INTx reaches nothing', () => {
    const pc = makePc();
    expect(pc.cfgRead(0, 1, 0, PIIX_PIRQCA, 4)).toBe(0x80808080);
    const dev = intxDevice();
    pc.host.rootBus.attach(dev, 3, 0);
    dev.setIrq(true);
    for (let g = 0; g < 16; g++) expect(pc.intc.level(g)).toBe(false);
    expect(pc.host.rootIntxLevel(3, 0)).toBe(true);
  });

  it('firmware programming the route moves a live level onto the ISA IRQ, and re-routing moves it again', () => {
    const pc = makePc();
    const dev = intxDevice();
    pc.host.rootBus.attach(dev, 3, 0);
    dev.setIrq(true);
    route(pc, 2, 11);
    expect(pc.intc.level(11)).toBe(true);
    // Only the events due now: a still-asserted level would be redelivered forever.
    pc.sched.run(pc.sched.now());
    expect(pc.vectors).toContain(GSI_VECTOR_BASE + 11);
    route(pc, 2, 10);
    expect(pc.intc.level(11)).toBe(false);
    expect(pc.intc.level(10)).toBe(true);
    route(pc, 2, 0x80);
    expect(pc.intc.level(10)).toBe(false);
    expect(pc.piix3.gsiFor(3, 0)).toBeUndefined();
    route(pc, 2, 0x20);
    expect(pc.piix3.pirqRoute(2)).toBeUndefined();
    dev.setIrq(false);
    route(pc, 2, 11);
    expect(pc.intc.level(11)).toBe(false);
  });

  it('INTB of a slot uses the next PIRQ', () => {
    const pc = makePc();
    const dev = intxDevice(2);
    pc.host.rootBus.attach(dev, 3, 0);
    route(pc, 3, 5);
    dev.setIrq(true);
    expect(pc.intc.level(5)).toBe(true);
  });
});

describe('PCI 3.0 §2.2.6: INTx is level-triggered and wire-ORed', () => {
  it('two devices sharing an IRQ keep it high until both deassert', () => {
    const pc = makePc();
    const a = intxDevice(1, 'a');
    const b = intxDevice(1, 'b');
    pc.host.rootBus.attach(a, 3, 0); // PIRQC
    pc.host.rootBus.attach(b, 4, 0); // PIRQD
    route(pc, 2, 11);
    route(pc, 3, 11);
    a.setIrq(true);
    b.setIrq(true);
    a.setIrq(false);
    expect(pc.intc.level(11)).toBe(true);
    b.setIrq(false);
    expect(pc.intc.level(11)).toBe(false);
  });

  it('two functions on one root input (same slot and pin) share the input count', () => {
    const pc = makePc();
    const a = new PciFunction('mf', { vendorId: 1, deviceId: 1, classCode: 0xff, interruptPin: 1 }, { multifunction: true });
    const b = intxDevice(1);
    pc.host.rootBus.attach(a, 6, 0);
    pc.host.rootBus.attach(b, 6, 1);
    route(pc, piixPirqForSlot(6, 0), 9);
    a.setIrq(true);
    b.setIrq(true);
    a.setIrq(false);
    expect(pc.intc.level(9)).toBe(true);
    b.setIrq(false);
    expect(pc.intc.level(9)).toBe(false);
  });
});

describe('PCI 3.0 §6.2.2 COMMAND.INTX_DISABLE and STATUS.INTERRUPT', () => {
  it('disabling INTx drops the line but STATUS still shows the pending interrupt; enabling restores it', () => {
    const pc = makePc();
    const dev = intxDevice();
    pc.host.rootBus.attach(dev, 3, 0);
    route(pc, 2, 11);
    dev.setIrq(true);
    expect(pc.cfgRead(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(PCI_STATUS_INTERRUPT);
    pc.cfgWrite(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    expect(pc.intc.level(11)).toBe(false);
    expect(pc.cfgRead(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(PCI_STATUS_INTERRUPT);
    pc.cfgWrite(0, 3, 0, PCI_COMMAND, 2, 0);
    expect(pc.intc.level(11)).toBe(true);
    dev.setIrq(false);
    expect(pc.cfgRead(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
    // STATUS.INTERRUPT is read-only to the guest.
    pc.cfgWrite(0, 3, 0, PCI_STATUS, 2, PCI_STATUS_INTERRUPT);
    expect(pc.cfgRead(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
  });

  it('a function without an interrupt pin ignores setIrq', () => {
    const pc = makePc();
    const dev = intxDevice(0);
    pc.host.rootBus.attach(dev, 3, 0);
    dev.setIrq(true);
    expect(dev.irqLevel).toBe(false);
    expect(pc.cfgRead(0, 3, 0, PCI_INTERRUPT_PIN, 1)).toBe(0);
  });

  it('reset and unplug deassert', () => {
    const pc = makePc();
    const dev = intxDevice();
    pc.host.rootBus.attach(dev, 3, 0);
    route(pc, 2, 11);
    dev.setIrq(true);
    dev.reset();
    expect(pc.intc.level(11)).toBe(false);
    dev.setIrq(true);
    pc.host.rootBus.detach(dev);
    expect(pc.intc.level(11)).toBe(false);
  });
});

describe('PCI-to-PCI Bridge 1.2 §9.1: INTx swizzling across bridges', () => {
  it('a device behind one bridge arrives at the root as (bridge slot, (dev slot + pin) & 3)', () => {
    const pc = makePc();
    const br = new PciBridgeDevice({ id: 'br', chassis_nr: 1 });
    pc.host.rootBus.attach(br, 5, 0);
    const dev = intxDevice(2);
    br.secondary.attach(dev, 7, 0);
    dev.setIrq(true);
    const pin0AtRoot = pciSwizzle(7, 1);
    expect(pin0AtRoot).toBe(0);
    expect(pc.host.rootIntxLevel(5, pin0AtRoot)).toBe(true);
    route(pc, piixPirqForSlot(5, pin0AtRoot), 10);
    expect(pc.intc.level(10)).toBe(true);
    dev.setIrq(false);
    expect(pc.intc.level(10)).toBe(false);
  });

  it('swizzles at every level of nested bridges, independently of bus numbering', () => {
    const pc = makePc();
    const br0 = new PciBridgeDevice({ chassis_nr: 1 });
    const br1 = new PciBridgeDevice({ chassis_nr: 2 });
    const br2 = new PciBridgeDevice({ chassis_nr: 3 });
    pc.host.rootBus.attach(br0, 5, 0);
    br0.secondary.attach(br1, 3, 0);
    br1.secondary.attach(br2, 2, 0);
    const dev = intxDevice(3);
    br2.secondary.attach(dev, 6, 0);
    const atBr1 = pciSwizzle(6, 2);
    const atBr0 = pciSwizzle(2, atBr1);
    const atRoot = pciSwizzle(3, atBr0);
    dev.setIrq(true);
    expect(pc.host.rootIntxLevel(5, atRoot)).toBe(true);
    for (let p = 0; p < 4; p++) if (p !== atRoot) expect(pc.host.rootIntxLevel(5, p)).toBe(false);
    route(pc, piixPirqForSlot(5, atRoot), 11);
    expect(pc.intc.level(11)).toBe(true);
  });
});
