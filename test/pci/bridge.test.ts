import { describe, expect, it } from 'vitest';
import {
  PCI_BRIDGE_CONTROL,
  PCI_BRIDGE_CTL_BUS_RESET,
  PCI_CAPABILITY_LIST,
  PCI_CAP_ID_SLOTID,
  PCI_COMMAND,
  PCI_COMMAND_MEMORY,
  PCI_HEADER_TYPE,
  PCI_IO_BASE,
  PCI_IO_LIMIT,
  PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT,
  PCI_PREF_MEMORY_BASE,
  PCI_PRIMARY_BUS,
  PCI_SEC_STATUS,
  PCI_SUBORDINATE_BUS,
  PCI_VENDOR_ID,
  pciBarOffset,
} from '../../src/abi/pci.js';
import { PciBridgeDevice } from '../../devices/pci/bridge.js';
import { PciTestdev } from '../../devices/misc/pci-testdev.js';
import { makePc, type PcHarness } from './harness.js';

type Cfg = PcHarness['cfgWrite'];

/** Programs bus numbers the way firmware does during enumeration. */
function setBusNumbers(w: Cfg, bus: number, slot: number, primary: number, secondary: number, subordinate: number): void {
  w(bus, slot, 0, PCI_PRIMARY_BUS, 4, primary | (secondary << 8) | (subordinate << 16));
}

/** root 00:05.0 br0 -> bus 1: 01:03.0 br1 -> bus 2: 02:02.0 br2 -> bus 3: 03:04.0 pci-testdev. */
function threeLevels(pc: PcHarness) {
  const br0 = new PciBridgeDevice({ id: 'br0', chassis_nr: 1, addr: '5' });
  pc.host.plug(br0);
  const br1 = new PciBridgeDevice({ id: 'br1', chassis_nr: 2, bus: 'br0', addr: '3' });
  pc.host.plug(br1);
  const br2 = new PciBridgeDevice({ chassis_nr: 3, bus: 'br1', addr: '2' });
  pc.host.plug(br2);
  const dev = new PciTestdev({ id: 'deep', bus: br2.secondary.name, addr: '4' });
  pc.host.plug(dev);
  return { br0, br1, br2, dev };
}

function numberAll(pc: PcHarness): void {
  setBusNumbers(pc.cfgWrite, 0, 5, 0, 1, 3);
  setBusNumbers(pc.cfgWrite, 1, 3, 1, 2, 3);
  setBusNumbers(pc.cfgWrite, 2, 2, 2, 3, 3);
}

describe('PCI-to-PCI Bridge 1.2 §3.2.5: type 1 header registers', () => {
  it('pci-bridge identity, 16-bit I/O and 64-bit prefetchable decode, secondary status 66MHz|FastB2B', () => {
    const pc = makePc();
    pc.host.rootBus.attach(new PciBridgeDevice({ chassis_nr: 1 }), 5, 0);
    expect(pc.cfgRead(0, 5, 0, PCI_VENDOR_ID, 4)).toBe(0x0001_1b36);
    expect(pc.cfgRead(0, 5, 0, 0x08, 4)).toBe(0x0604_0000);
    expect(pc.cfgRead(0, 5, 0, PCI_HEADER_TYPE, 1)).toBe(1);
    expect(pc.cfgRead(0, 5, 0, PCI_IO_BASE, 2)).toBe(0x0000);
    expect(pc.cfgRead(0, 5, 0, PCI_PREF_MEMORY_BASE, 4)).toBe(0x0001_0001);
    expect(pc.cfgRead(0, 5, 0, PCI_SEC_STATUS, 2)).toBe(0x00a0);
    pc.cfgWrite(0, 5, 0, PCI_IO_BASE, 2, 0xffff);
    expect(pc.cfgRead(0, 5, 0, PCI_IO_BASE, 2)).toBe(0xf0f0);
    pc.cfgWrite(0, 5, 0, PCI_SEC_STATUS, 2, 0xffff);
    expect(pc.cfgRead(0, 5, 0, PCI_SEC_STATUS, 2)).toBe(0x00a0);
    // No SHPC: BAR0/BAR1 are unimplemented.
    pc.cfgWrite(0, 5, 0, pciBarOffset(0), 4, 0xffffffff);
    expect(pc.cfgRead(0, 5, 0, pciBarOffset(0), 4)).toBe(0);
  });

  it('bus numbers and latency are writable and reset to 0: the VMM never numbers buses', () => {
    const pc = makePc();
    const br = new PciBridgeDevice({ chassis_nr: 1 });
    pc.host.rootBus.attach(br, 5, 0);
    expect(pc.cfgRead(0, 5, 0, PCI_PRIMARY_BUS, 4)).toBe(0);
    pc.cfgWrite(0, 5, 0, PCI_PRIMARY_BUS, 4, 0x40030100);
    expect(pc.cfgRead(0, 5, 0, PCI_PRIMARY_BUS, 4)).toBe(0x40030100);
    expect(br.secondary.number).toBe(1);
    pc.host.reset();
    expect(pc.cfgRead(0, 5, 0, PCI_PRIMARY_BUS, 4)).toBe(0);
  });

  it('slot-id capability carries chassis_nr; QEMU refuses a bridge without one', () => {
    const pc = makePc();
    pc.host.rootBus.attach(new PciBridgeDevice({ chassis_nr: 7 }), 5, 0);
    const cap = pc.cfgRead(0, 5, 0, PCI_CAPABILITY_LIST, 1);
    expect(cap).toBe(0x40);
    expect(pc.cfgRead(0, 5, 0, cap, 4)).toBe(0x0720_0004);
    expect(pc.cfgRead(0, 5, 0, cap, 1)).toBe(PCI_CAP_ID_SLOTID);
    expect(() => new PciBridgeDevice()).toThrow('Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.');
  });

  it('a bridge must be plugged in before devices go behind it; unplugging it takes them along', () => {
    const pc = makePc();
    const br = new PciBridgeDevice({ id: 'late', chassis_nr: 1 });
    expect(() => br.secondary.attach(new PciTestdev(), 1, 0)).toThrow("PCI: bus '' is not connected to a host bridge");
    pc.host.rootBus.attach(br, 5, 0);
    const dev = new PciTestdev();
    br.secondary.attach(dev, 1, 0);
    setBusNumbers(pc.cfgWrite, 0, 5, 0, 1, 1);
    pc.cfgWrite(0, 5, 0, PCI_MEMORY_BASE, 4, 0xfe90fe90);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    pc.cfgWrite(1, 1, 0, pciBarOffset(0), 4, 0xfe900000);
    pc.cfgWrite(1, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(dev.bar(0)!.mapped).toBe(true);
    pc.host.rootBus.detach(br);
    expect(dev.bus).toBeUndefined();
    expect(pc.mem.mmioRegions().some((r) => r.base === 0xfe900000)).toBe(false);
  });

  it('secondary buses are named after the bridge id, else pci.N', () => {
    const pc = makePc();
    const { br0, br1, br2 } = threeLevels(pc);
    expect([br0.secondary.name, br1.secondary.name, br2.secondary.name]).toEqual(['br0', 'br1', 'pci.1']);
    expect(pc.host.rootBus.name).toBe('pci.0');
  });
});

describe('QEMU pci_find_bus_nr: config cycles cross bridges by secondary/subordinate', () => {
  it('nothing below a bridge is reachable before firmware numbers it', () => {
    const pc = makePc();
    threeLevels(pc);
    for (let b = 1; b <= 3; b++) expect(pc.cfgRead(b, 0, 0, 0, 4)).toBe(0xffffffff);
    expect(pc.cfgRead(3, 4, 0, PCI_VENDOR_ID, 4)).toBe(0xffffffff);
  });

  it('three nested bridges: type 0 cycles at the secondary bus, forwarded beyond it', () => {
    const pc = makePc();
    threeLevels(pc);
    numberAll(pc);
    expect(pc.cfgRead(1, 3, 0, PCI_VENDOR_ID, 4)).toBe(0x0001_1b36);
    expect(pc.cfgRead(2, 2, 0, PCI_VENDOR_ID, 4)).toBe(0x0001_1b36);
    expect(pc.cfgRead(3, 4, 0, PCI_VENDOR_ID, 4)).toBe(0x0005_1b36);
    expect(pc.ecamRead(3, 4, 0, PCI_VENDOR_ID, 4)).toBe(0x0005_1b36);
    expect(pc.cfgRead(4, 4, 0, PCI_VENDOR_ID, 4)).toBe(0xffffffff);
    // Same slot numbers on other buses are empty.
    expect(pc.cfgRead(2, 4, 0, PCI_VENDOR_ID, 4)).toBe(0xffffffff);
  });

  it('a bus number above subordinate is not forwarded even if a deeper bridge would claim it', () => {
    const pc = makePc();
    threeLevels(pc);
    numberAll(pc);
    pc.cfgWrite(0, 5, 0, PCI_SUBORDINATE_BUS, 1, 2);
    expect(pc.cfgRead(3, 4, 0, PCI_VENDOR_ID, 4)).toBe(0xffffffff);
    expect(pc.cfgRead(2, 2, 0, PCI_VENDOR_ID, 4)).toBe(0x0001_1b36);
  });

  it('secondary bus reset blocks forwarding and resets everything behind on the 0->1 edge', () => {
    const pc = makePc();
    const { br1 } = threeLevels(pc);
    numberAll(pc);
    pc.cfgWrite(0, 5, 0, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET);
    expect(pc.cfgRead(1, 3, 0, PCI_VENDOR_ID, 4)).toBe(0xffffffff);
    expect(br1.busNumbers()).toEqual({ primary: 0, secondary: 0, subordinate: 0 });
    pc.cfgWrite(0, 5, 0, PCI_BRIDGE_CONTROL, 2, 0);
    expect(pc.cfgRead(1, 3, 0, PCI_VENDOR_ID, 4)).toBe(0x0001_1b36);
    expect(pc.cfgRead(3, 4, 0, PCI_VENDOR_ID, 4)).toBe(0xffffffff);
    expect(pc.traceLines.some((l) => l.includes('0000:00:05.0: secondary bus br0 reset'))).toBe(true);
  });
});

describe('PCI-to-PCI Bridge 1.2 §4: BARs behind a bridge decode only inside its windows', () => {
  it('the device is mapped once every bridge on the path forwards its range', () => {
    const pc = makePc();
    const { dev } = threeLevels(pc);
    numberAll(pc);
    pc.cfgWrite(3, 4, 0, pciBarOffset(0), 4, 0xfe800000);
    pc.cfgWrite(3, 4, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(dev.bar(0)!.address).toBe(0xfe800000);
    expect(dev.bar(0)!.mapped).toBe(false);
    for (const [bus, slot] of [[0, 5], [1, 3], [2, 2]] as const) {
      pc.cfgWrite(bus, slot, 0, PCI_MEMORY_BASE, 2, 0xfe80);
      pc.cfgWrite(bus, slot, 0, PCI_MEMORY_LIMIT, 2, 0xfe80);
    }
    expect(dev.bar(0)!.mapped).toBe(false);
    for (const [bus, slot] of [[2, 2], [1, 3], [0, 5]] as const) pc.cfgWrite(bus, slot, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(dev.bar(0)!.mapped).toBe(true);
    pc.mem.write(0xfe800020, 4, 77);
    expect(dev.mmio.read(0x20, 4)).toBe(77);
    // Narrowing the top bridge's window cuts it off again.
    pc.cfgWrite(0, 5, 0, PCI_MEMORY_LIMIT, 2, 0x0000);
    expect(dev.bar(0)!.mapped).toBe(false);
  });

  it('I/O window: base/limit in 4 KiB units with 16-bit decode', () => {
    const pc = makePc();
    const br = new PciBridgeDevice({ id: 'b', chassis_nr: 1 });
    pc.host.rootBus.attach(br, 5, 0);
    pc.cfgWrite(0, 5, 0, PCI_IO_BASE, 1, 0xc0);
    pc.cfgWrite(0, 5, 0, PCI_IO_LIMIT, 1, 0xd0);
    expect(br.ioWindow()).toEqual({ base: 0xc000, limit: 0xdfff });
    expect(br.forwardsDownstream('io', 0xd000, 0x100)).toBe(false);
    pc.cfgWrite(0, 5, 0, PCI_COMMAND, 2, 1);
    expect(br.forwardsDownstream('io', 0xd000, 0x100)).toBe(true);
    expect(br.forwardsDownstream('io', 0xdf80, 0x100)).toBe(false);
  });
});

describe('query-pci nests devices behind bridges (qapi PciBridgeInfo)', () => {
  it('reports bus numbers and windows, and devices only once the secondary number resolves', () => {
    const pc = makePc();
    threeLevels(pc);
    let top = pc.host.queryPci().devices.find((d) => d.slot === 5)!;
    expect(top.pci_bridge).toEqual({
      bus: { number: 0, secondary: 0, subordinate: 0, io_range: { base: 0, limit: 0xfff }, memory_range: { base: 0, limit: 0xfffff }, prefetchable_range: { base: 0, limit: 0xfffff } },
    });
    expect(top.id).toEqual({ device: 1, vendor: 0x1b36 });
    expect(Object.keys(top)).toEqual(['bus', 'slot', 'function', 'class_info', 'id', 'irq', 'irq_pin', 'qdev_id', 'pci_bridge', 'regions']);
    numberAll(pc);
    top = pc.host.queryPci().devices.find((d) => d.slot === 5)!;
    const l1 = top.pci_bridge!.devices!;
    expect(l1.map((d) => [d.bus, d.slot, d.qdev_id])).toEqual([[1, 3, 'br1']]);
    const l2 = l1[0]!.pci_bridge!.devices!;
    const l3 = l2[0]!.pci_bridge!.devices!;
    expect(l3.map((d) => [d.bus, d.slot, d.qdev_id, d.class_info.class])).toEqual([[3, 4, 'deep', 0xff]]);
    expect(l2[0]!.pci_bridge!.bus).toMatchObject({ number: 2, secondary: 3, subordinate: 3 });
  });

  it('allFunctions walks every bridge', () => {
    const pc = makePc();
    threeLevels(pc);
    numberAll(pc);
    expect(pc.host.allFunctions().map((l) => `${l.busNumber}:${l.fn.slot}.${l.fn.fn} ${l.fn.typeName}`)).toEqual([
      '0:0.0 i440FX',
      '0:1.0 PIIX3',
      '0:1.3 PIIX4_PM',
      '0:5.0 pci-bridge',
      '1:3.0 pci-bridge',
      '2:2.0 pci-bridge',
      '3:4.0 pci-testdev',
    ]);
    expect(pc.host.findFunction(3, 4, 0)?.pciAddress()).toBe('0000:03:04.0');
  });
});
