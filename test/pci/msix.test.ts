import { describe, expect, it } from 'vitest';
import {
  PCI_CAP_ID_MSIX,
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_PBA,
  PCI_MSIX_TABLE,
  pciBarOffset,
} from '../../src/abi/pci.js';
import { MSI_ADDRESS_BASE } from '../../src/machine/interrupts.js';
import { PciFunction } from '../../devices/pci/pci-function.js';
import { BarRegionSet } from '../../devices/pci/region-set.js';
import { initMsix, initMsixExclusiveBar, msixEnabled, msixNotify, msixOf } from '../../devices/pci/msix.js';
import { makePc, type PcHarness } from './harness.js';

const BAR1 = 0xfebf1000;

function msixDevice(pc: PcHarness, vectors = 4): PciFunction {
  const f = new PciFunction('msix-dev', { vendorId: 0x1af4, deviceId: 0x1003, classCode: 0x0780, interruptPin: 1 });
  initMsixExclusiveBar(f, vectors, 1);
  pc.host.rootBus.attach(f, 3, 0);
  pc.cfgWrite(0, 3, 0, pciBarOffset(1), 4, BAR1);
  pc.cfgWrite(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  return f;
}

/** Programs table entry `v` the way a driver does: address, data, then unmask. */
function program(pc: PcHarness, v: number, vector: number, unmask = true): void {
  const e = BAR1 + v * 16;
  pc.mem.write(e, 4, MSI_ADDRESS_BASE);
  pc.mem.write(e + 4, 4, 0);
  pc.mem.write(e + 8, 4, vector);
  if (unmask) pc.mem.write(e + 12, 4, 0);
}

function setFlags(pc: PcHarness, f: PciFunction, flags: number): void {
  pc.cfgWrite(0, 3, 0, msixOf(f)!.capOffset + PCI_MSIX_FLAGS, 2, flags);
}

function deliveredNow(pc: PcHarness): number[] {
  pc.sched.run(pc.sched.now());
  return pc.vectors.splice(0);
}

describe('PCI 3.0 §6.8.2: MSI-X capability structure', () => {
  it('table size is N-1, table/PBA dwords hold offset|BIR, only enable and function mask are writable', () => {
    const pc = makePc();
    const f = msixDevice(pc, 3);
    const cap = f.config.findCapability(PCI_CAP_ID_MSIX);
    expect(cap).toBe(0x40);
    expect(pc.cfgRead(0, 3, 0, cap + PCI_MSIX_FLAGS, 2)).toBe(2);
    expect(pc.cfgRead(0, 3, 0, cap + PCI_MSIX_TABLE, 4)).toBe(0x0000_0001);
    expect(pc.cfgRead(0, 3, 0, cap + PCI_MSIX_PBA, 4)).toBe(0x0000_0801);
    pc.cfgWrite(0, 3, 0, cap + PCI_MSIX_FLAGS, 2, 0xffff);
    expect(pc.cfgRead(0, 3, 0, cap + PCI_MSIX_FLAGS, 2)).toBe(0xc002);
    pc.cfgWrite(0, 3, 0, cap + PCI_MSIX_TABLE, 4, 0xffffffff);
    expect(pc.cfgRead(0, 3, 0, cap + PCI_MSIX_TABLE, 4)).toBe(1);
    expect(f.bar(1)).toMatchObject({ kind: 'mem32', size: 4096 });
  });

  it('every table entry starts masked with a zero message', () => {
    const pc = makePc();
    msixDevice(pc, 4);
    for (let v = 0; v < 4; v++) {
      expect(pc.mem.read(BAR1 + v * 16 + 12, 4)).toBe(1);
      expect(pc.mem.read(BAR1 + v * 16 + 8, 4)).toBe(0);
    }
  });
});

describe('MSI-X delivery through the MSI window', () => {
  it('an enabled, unmasked vector writes its data to its address and the CPU takes that vector', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    program(pc, 2, 0x41);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    expect(msixEnabled(f)).toBe(true);
    msixNotify(f, 2);
    expect(deliveredNow(pc)).toEqual([0x41]);
    expect(pc.intc.delivered.get(0x41)).toBe(1);
    // Out-of-range vectors are ignored.
    msixNotify(f, 9);
    expect(deliveredNow(pc)).toEqual([]);
  });

  it('a masked entry latches its pending bit; unmasking delivers once and clears it', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    program(pc, 1, 0x42, false);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    msixNotify(f, 1);
    msixNotify(f, 1);
    expect(deliveredNow(pc)).toEqual([]);
    expect(pc.mem.read(BAR1 + 2048, 4)).toBe(0b10);
    pc.mem.write(BAR1 + 16 + 12, 4, 0);
    expect(deliveredNow(pc)).toEqual([0x42]);
    expect(pc.mem.read(BAR1 + 2048, 4)).toBe(0);
  });

  it('the function mask holds every vector pending until it is cleared', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    program(pc, 0, 0x40);
    program(pc, 3, 0x43);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    msixNotify(f, 3);
    msixNotify(f, 0);
    expect(deliveredNow(pc)).toEqual([]);
    expect(msixOf(f)!.isPending(0)).toBe(true);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    expect(deliveredNow(pc)).toEqual([0x40, 0x43]);
  });

  it('while MSI-X is disabled a notify only latches pending (QEMU msix_notify); enabling delivers it', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    program(pc, 0, 0x44);
    msixNotify(f, 0);
    expect(deliveredNow(pc)).toEqual([]);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    expect(deliveredNow(pc)).toEqual([0x44]);
  });

  it('with bus mastering off the message is lost, not latched', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    program(pc, 0, 0x45);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    pc.cfgWrite(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    msixNotify(f, 0);
    expect(deliveredNow(pc)).toEqual([]);
    expect(msixOf(f)!.isPending(0)).toBe(false);
    expect(pc.traceLines.some((l) => l.includes('MSI-X vector 0 dropped: bus mastering disabled'))).toBe(true);
    pc.cfgWrite(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    expect(deliveredNow(pc)).toEqual([]);
  });

  it('a message to an address nothing decodes is traced, not thrown', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    pc.mem.write(BAR1, 4, 0xe0000000);
    pc.mem.write(BAR1 + 12, 4, 0);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    expect(() => msixNotify(f, 0)).not.toThrow();
    expect(pc.traceLines.some((l) => l.includes('went nowhere'))).toBe(true);
  });
});

describe('MSI-X replaces INTx (PCI 3.0 §6.8.3.3)', () => {
  it('enabling MSI-X deasserts INTx and later setIrq(true) is ignored', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    pc.cfgWrite(0, 1, 0, 0x62, 1, 11);
    f.setIrq(true);
    expect(pc.intc.level(11)).toBe(true);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    expect(pc.intc.level(11)).toBe(false);
    f.setIrq(true);
    expect(pc.intc.level(11)).toBe(false);
    setFlags(pc, f, 0);
    f.setIrq(true);
    expect(pc.intc.level(11)).toBe(true);
  });

  it('reset disables MSI-X, zeroes and masks the table and clears pending bits', () => {
    const pc = makePc();
    const f = msixDevice(pc);
    program(pc, 0, 0x46, false);
    setFlags(pc, f, PCI_MSIX_FLAGS_ENABLE);
    msixNotify(f, 0);
    f.reset();
    const m = msixOf(f)!;
    expect(m.enabled()).toBe(false);
    expect(m.isPending(0)).toBe(false);
    expect(m.message(0)).toEqual({ address: 0, data: 0 });
    expect(m.tableOps.read(12, 4)).toBe(1);
  });
});

describe('MSI-X blocks share a BAR with other register blocks', () => {
  it('table and PBA become sub-regions of a BarRegionSet beside the device registers', () => {
    const pc = makePc();
    const f = new PciFunction('modern', { vendorId: 0x1af4, deviceId: 0x1043, classCode: 0x0780 });
    const set = new BarRegionSet(0x4000);
    let common = 0;
    set.add('common', 0, 0x1000, { read: () => common, write: (_o, _s, v) => void (common = v) });
    f.defineBar(4, { kind: 'mem64', prefetchable: true, size: 0x4000, ops: set });
    initMsix(f, { vectors: 2, tableBar: 4, tableOffset: 0x2000, pbaBar: 4, pbaOffset: 0x3000 });
    expect(set.list().map((b) => [b.name, b.offset, b.size])).toEqual([
      ['common', 0, 0x1000],
      ['msix-table', 0x2000, 32],
      ['msix-pba', 0x3000, 8],
    ]);
    pc.host.rootBus.attach(f, 3, 0);
    pc.cfgWrite(0, 3, 0, pciBarOffset(4), 4, 0xfe000000);
    pc.cfgWrite(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pc.mem.write(0xfe000000, 4, 7);
    expect(common).toBe(7);
    pc.mem.write(0xfe002000, 4, MSI_ADDRESS_BASE);
    pc.mem.write(0xfe002008, 4, 0x51);
    pc.mem.write(0xfe00200c, 4, 0);
    pc.cfgWrite(0, 3, 0, msixOf(f)!.capOffset + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    msixNotify(f, 0);
    expect(deliveredNow(pc)).toEqual([0x51]);
    expect(pc.mem.read(0xfe001000, 4)).toBe(0);
    expect(pc.cfgRead(0, 3, 0, msixOf(f)!.capOffset + PCI_MSIX_TABLE, 4)).toBe(0x2004);
  });

  it('rejects overlapping table/PBA, misaligned offsets and BARs that cannot be composed', () => {
    const f = new PciFunction('bad', { vendorId: 1, deviceId: 1, classCode: 0xff });
    expect(() => initMsix(f, { vectors: 8, tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: 64 })).toThrow(/overlap/);
    expect(() => initMsix(f, { vectors: 1, tableBar: 0, tableOffset: 4, pbaBar: 0, pbaOffset: 2048 })).toThrow(/aligned/);
    f.defineBar(2, { kind: 'mem32', size: 4096, ops: { read: () => 0, write: () => undefined } });
    expect(() => initMsix(f, { vectors: 1, tableBar: 2, tableOffset: 0, pbaBar: 2, pbaOffset: 2048 })).toThrow(/BarRegionSet/);
  });
});
