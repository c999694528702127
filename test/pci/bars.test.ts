import { describe, expect, it } from 'vitest';
import { PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, pciBarOffset } from '../../src/abi/pci.js';
import type { IoRegionOps } from '../../src/memory/region.js';
import { PciFunction } from '../../devices/pci/pci-function.js';
import { PCI_BAR_UNMAPPED } from '../../devices/pci/bars.js';
import { PciTestdev } from '../../devices/misc/pci-testdev.js';
import { makePc } from './harness.js';

const nullOps: IoRegionOps = { read: () => 0x5a5a5a5a, write: () => undefined };

function sizeBar(read: () => number, write: (v: number) => void): number {
  const saved = read();
  write(0xffffffff);
  const v = read();
  write(saved);
  return v >>> 0;
}

describe('PCI 3.0 §6.2.5.1: BAR sizing by writing all ones', () => {
  it('I/O BAR reads back ~(size-1) with bit 0 set; memory BARs keep their type bits', () => {
    const pc = makePc();
    const f = new PciFunction('sizing', { vendorId: 0x1234, deviceId: 1, classCode: 0xff });
    f.defineBar(0, { kind: 'io', size: 32, ops: nullOps });
    f.defineBar(1, { kind: 'mem32', size: 0x1000, ops: nullOps });
    f.defineBar(2, { kind: 'mem32', size: 0x100000, prefetchable: true, ops: nullOps });
    f.defineBar(4, { kind: 'mem64', size: 0x4000, prefetchable: true, ops: nullOps });
    pc.host.rootBus.attach(f, 4, 0);
    const probe = (bar: number) =>
      sizeBar(
        () => pc.cfgRead(0, 4, 0, pciBarOffset(bar), 4),
        (v) => pc.cfgWrite(0, 4, 0, pciBarOffset(bar), 4, v),
      );
    expect(probe(0)).toBe(0xffffffe1);
    expect(probe(1)).toBe(0xfffff000);
    expect(probe(2)).toBe(0xfff00008);
    expect(probe(4)).toBe(0xffffc00c);
    // Upper half of a 64-bit BAR: all 32 bits are address bits.
    expect(probe(5)).toBe(0xffffffff);
    // Unimplemented BAR reads 0 and stays 0.
    expect(probe(3)).toBe(0);
    // Sizing restored the original (zero-address) values.
    expect(pc.cfgRead(0, 4, 0, pciBarOffset(0), 4)).toBe(1);
    expect(pc.cfgRead(0, 4, 0, pciBarOffset(4), 4)).toBe(0x0c);
  });

  it('64-bit BARs larger than 4 GiB size through the upper dword', () => {
    const f = new PciFunction('big', { vendorId: 1, deviceId: 1, classCode: 0xff });
    f.defineBar(2, { kind: 'mem64', size: 2 ** 34, prefetchable: true, ops: nullOps });
    f.configWrite(pciBarOffset(2), 4, 0xffffffff);
    f.configWrite(pciBarOffset(3), 4, 0xffffffff);
    expect(f.config.get32(pciBarOffset(2))).toBe(0x0000000c);
    expect(f.config.get32(pciBarOffset(3))).toBe(0xfffffffc);
  });

  it('rejects BARs that are not powers of two, too small, or that collide with another BAR slot', () => {
    const f = new PciFunction('bad', { vendorId: 1, deviceId: 1, classCode: 0xff });
    expect(() => f.defineBar(0, { kind: 'mem32', size: 3000, ops: nullOps })).toThrow(/power of two/);
    expect(() => f.defineBar(0, { kind: 'io', size: 2, ops: nullOps })).toThrow(/I\/O BAR size/);
    expect(() => f.defineBar(5, { kind: 'mem64', size: 4096, ops: nullOps })).toThrow(/does not exist/);
    f.defineBar(0, { kind: 'mem64', size: 4096, ops: nullOps });
    expect(() => f.defineBar(1, { kind: 'mem32', size: 4096, ops: nullOps })).toThrow(/already defined/);
  });
});

describe('BAR decoding follows COMMAND and the programmed address (QEMU pci_update_mappings)', () => {
  it('maps on COMMAND.MEMORY/IO enable, unmaps on disable, moves when reprogrammed', () => {
    const pc = makePc();
    const dev = new PciTestdev({ id: 'td' });
    pc.host.rootBus.attach(dev, 5, 0);
    pc.cfgWrite(0, 5, 0, pciBarOffset(0), 4, 0xfebf0000);
    pc.cfgWrite(0, 5, 0, pciBarOffset(1), 4, 0xc000);
    expect(dev.bar(0)!.mapped).toBe(false);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(dev.bar(0)!.mapped).toBe(true);
    expect(dev.bar(1)!.mapped).toBe(false);
    pc.mem.write(0xfebf0010, 4, 0xcafef00d);
    expect(dev.mmio.read(0x10, 4)).toBe(0xcafef00d);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    pc.io.write(0xc004, 2, 0xbeef);
    expect(dev.portio.read(4, 2)).toBe(0xbeef);
    // Move BAR0: old range goes away, new range shows the same registers.
    pc.cfgWrite(0, 5, 0, pciBarOffset(0), 4, 0xfebe0000);
    expect(() => pc.mem.read(0xfebf0010, 4)).toThrow();
    expect(pc.mem.read(0xfebe0010, 4)).toBe(0xcafef00d);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, 0);
    expect(pc.mem.mmioRegions().some((r) => r.name.includes('BAR0'))).toBe(false);
    expect(pc.io.read(0xc004, 2)).toBe(0xffff);
    expect(pc.traceLines.some((l) => l.includes('0000:00:05.0: BAR0 mem32 mapped at 0xfebf0000 size 0x1000'))).toBe(true);
  });

  it('address 0, a 32-bit BAR reaching 4 GiB, and the sizing pattern are not decoded', () => {
    const pc = makePc();
    const dev = new PciTestdev();
    pc.host.rootBus.attach(dev, 5, 0);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    expect(dev.bar(0)!.address).toBe(PCI_BAR_UNMAPPED);
    pc.cfgWrite(0, 5, 0, pciBarOffset(0), 4, 0xffffffff);
    expect(dev.bar(0)!.address).toBe(PCI_BAR_UNMAPPED);
    expect(dev.bar(0)!.mapped).toBe(false);
    pc.cfgWrite(0, 5, 0, pciBarOffset(1), 4, 0xffffffff);
    expect(dev.bar(1)!.mapped).toBe(false);
  });

  it('a 64-bit prefetchable membar above 4 GiB maps through both dwords', () => {
    const pc = makePc();
    const dev = new PciTestdev({ membar: '2M' });
    pc.host.rootBus.attach(dev, 6, 0);
    expect(dev.bar(2)).toMatchObject({ kind: 'mem64', prefetchable: true, size: 2 * 1024 * 1024 });
    pc.cfgWrite(0, 6, 0, pciBarOffset(2), 4, 0x0020000c);
    pc.cfgWrite(0, 6, 0, pciBarOffset(3), 4, 0x1);
    pc.cfgWrite(0, 6, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(dev.bar(2)!.address).toBe(0x1_0020_0000);
    pc.mem.write(0x1_0020_0100, 4, 0x12345678);
    expect(dev.membar!.read(0x100, 4)).toBe(0x12345678);
  });

  it('a BAR programmed over RAM or another BAR is left unmapped and traced, not thrown', () => {
    const pc = makePc();
    const a = new PciTestdev({ id: 'a' });
    const b = new PciTestdev({ id: 'b' });
    pc.host.rootBus.attach(a, 5, 0);
    pc.host.rootBus.attach(b, 6, 0);
    pc.cfgWrite(0, 5, 0, pciBarOffset(0), 4, 0xfebf0000);
    pc.cfgWrite(0, 6, 0, pciBarOffset(0), 4, 0xfebf0000);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(() => pc.cfgWrite(0, 6, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY)).not.toThrow();
    expect(a.bar(0)!.mapped).toBe(true);
    expect(b.bar(0)!.mapped).toBe(false);
    expect(b.bar(0)!.address).toBe(0xfebf0000);
    expect(pc.traceLines.some((l) => l.includes('0000:00:06.0: BAR0 mem32 at 0xfebf0000 left unmapped'))).toBe(true);
    // Over RAM.
    pc.cfgWrite(0, 6, 0, pciBarOffset(0), 4, 0x100000);
    expect(b.bar(0)!.mapped).toBe(false);
    // Moving to a free address recovers.
    pc.cfgWrite(0, 6, 0, pciBarOffset(0), 4, 0xfeb00000);
    expect(b.bar(0)!.mapped).toBe(true);
  });

  it('an I/O BAR above port 0xffff is decoded but cannot be mapped', () => {
    const pc = makePc();
    const dev = new PciTestdev();
    pc.host.rootBus.attach(dev, 5, 0);
    pc.cfgWrite(0, 5, 0, pciBarOffset(1), 4, 0x10000);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
    expect(dev.bar(1)!.address).toBe(0x10000);
    expect(dev.bar(1)!.mapped).toBe(false);
  });

  it('reset returns BARs to their type bits and unmaps them', () => {
    const pc = makePc();
    const dev = new PciTestdev();
    pc.host.rootBus.attach(dev, 5, 0);
    pc.cfgWrite(0, 5, 0, pciBarOffset(0), 4, 0xfebf0000);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    pc.host.reset();
    expect(pc.cfgRead(0, 5, 0, pciBarOffset(0), 4)).toBe(0);
    expect(pc.cfgRead(0, 5, 0, pciBarOffset(1), 4)).toBe(1);
    expect(pc.cfgRead(0, 5, 0, PCI_COMMAND, 2)).toBe(0);
    expect(dev.bar(0)!.mapped).toBe(false);
  });
});

describe('query-pci regions (qapi PciMemoryRegion)', () => {
  it('reports every BAR with address -1 until decoded; memory BARs carry prefetch and mem_type_64', () => {
    const pc = makePc();
    const dev = new PciTestdev({ id: 'td', membar: 4096 });
    pc.host.rootBus.attach(dev, 5, 0);
    pc.cfgWrite(0, 5, 0, pciBarOffset(1), 4, 0xc000);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
    const info = pc.host.queryPci().devices.find((d) => d.slot === 5)!;
    expect(info).toEqual({
      bus: 0,
      slot: 5,
      function: 0,
      class_info: { class: 0x00ff },
      id: { device: 5, vendor: 0x1b36, subsystem: 0x1100, 'subsystem-vendor': 0x1af4 },
      irq_pin: 0,
      qdev_id: 'td',
      regions: [
        { bar: 0, type: 'memory', address: -1, size: 4096, prefetch: false, mem_type_64: false },
        { bar: 1, type: 'io', address: 0xc000, size: 256 },
        { bar: 2, type: 'memory', address: -1, size: 4096, prefetch: true, mem_type_64: true },
      ],
    });
    expect(Object.keys(info)).toEqual(['bus', 'slot', 'function', 'class_info', 'id', 'irq_pin', 'qdev_id', 'regions']);
  });
});
