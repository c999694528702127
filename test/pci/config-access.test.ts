import { describe, expect, it } from 'vitest';
import {
  PCI_CLASS_DEVICE,
  PCI_CONFIG_ADDRESS_PORT,
  PCI_CONFIG_DATA_PORT,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_VENDOR_ID,
  pciConfigAddress,
} from '../../src/abi/pci.js';
import { PciFunction } from '../../devices/pci/pci-function.js';
import { PciError, formatDevfn, parsePciDevfn } from '../../devices/pci/options.js';
import { PciTestdev } from '../../devices/misc/pci-testdev.js';
import { Piix3 } from '../../devices/chipset/piix3.js';
import { makePc } from './harness.js';

function fn(typeName: string, opts: ConstructorParameters<typeof PciFunction>[2] = {}, configSize?: 256 | 4096): PciFunction {
  return new PciFunction(typeName, { vendorId: 0x1af4, deviceId: 0x1003, classCode: 0x0780, ...(configSize ? { configSize } : {}) }, opts);
}

describe('PCI 3.0 §3.2.2.3.2 / QEMU pci_data_read: nothing there reads as all ones', () => {
  it('absent slots, functions and buses read 0xFFFFFFFF through CF8/CFC, masked to the access size', () => {
    const pc = makePc();
    expect(pc.cfgRead(0, 9, 0, 0, 4)).toBe(0xffffffff);
    expect(pc.cfgRead(0, 9, 0, 2, 2)).toBe(0xffff);
    expect(pc.cfgRead(0, 9, 0, 3, 1)).toBe(0xff);
    expect(pc.cfgRead(0, 0, 5, 0, 4)).toBe(0xffffffff);
    expect(pc.cfgRead(7, 0, 0, 0, 4)).toBe(0xffffffff);
  });

  it('the same through ECAM, including every byte of an absent bus', () => {
    const pc = makePc();
    expect(pc.ecamRead(0, 9, 0, 0, 4)).toBe(0xffffffff);
    expect(pc.ecamRead(0, 9, 0, 0x40, 2)).toBe(0xffff);
    expect(pc.ecamRead(255, 31, 7, 0xffc, 4)).toBe(0xffffffff);
  });

  it('writes to absent functions are dropped without effect', () => {
    const pc = makePc();
    pc.cfgWrite(0, 9, 0, 4, 2, 0x7);
    pc.ecamWrite(3, 0, 0, 4, 2, 0x7);
    expect(pc.cfgRead(0, 9, 0, 4, 2)).toBe(0xffff);
  });

  it('present functions read the same through both mechanisms', () => {
    const pc = makePc();
    expect(pc.cfgRead(0, 0, 0, PCI_VENDOR_ID, 4)).toBe(0x1237_8086);
    expect(pc.ecamRead(0, 0, 0, PCI_VENDOR_ID, 4)).toBe(0x1237_8086);
    expect(pc.cfgRead(0, 1, 0, PCI_CLASS_DEVICE, 2)).toBe(0x0601);
    expect(pc.ecamRead(0, 1, 3, PCI_VENDOR_ID, 4)).toBe(0x7113_8086);
  });
});

describe('ECAM extended config space (PCIe 3.0 §7.2.2)', () => {
  it('a conventional function reads all ones above 0x100 and ignores writes there (QEMU pcie_mmcfg_data_read)', () => {
    const pc = makePc();
    expect(pc.ecamRead(0, 0, 0, 0x100, 4)).toBe(0xffffffff);
    pc.ecamWrite(0, 0, 0, 0x100, 4, 0x12345678);
    expect(pc.ecamRead(0, 0, 0, 0x100, 4)).toBe(0xffffffff);
  });

  it('a 4 KiB function exposes 0x100-0xfff through ECAM only; CF8 reaches the first 256 bytes', () => {
    const pc = makePc();
    const f = fn('pcie-fn', {}, 4096);
    pc.host.rootBus.attach(f, 7, 0);
    pc.ecamWrite(0, 7, 0, 0x400, 4, 0xa5a5a5a5);
    expect(pc.ecamRead(0, 7, 0, 0x400, 4)).toBe(0xa5a5a5a5);
    expect(pc.cfgRead(0, 7, 0, 0x00, 4)).toBe(pc.ecamRead(0, 7, 0, 0, 4));
  });
});

describe('configuration mechanism #1 details (QEMU pci_host.c)', () => {
  it('only a dword write to 0xCF8 loads the address; reads return the latch; data reads need the enable bit', () => {
    const pc = makePc();
    pc.io.write(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(0, 0, 0, 0));
    pc.io.write(PCI_CONFIG_ADDRESS_PORT, 2, 0x0800);
    expect(pc.io.read(PCI_CONFIG_ADDRESS_PORT, 4)).toBe(0x80000000);
    expect(pc.io.read(PCI_CONFIG_DATA_PORT, 4)).toBe(0x1237_8086);
    pc.io.write(PCI_CONFIG_ADDRESS_PORT, 4, 0x0000_0000);
    expect(pc.io.read(PCI_CONFIG_DATA_PORT, 4)).toBe(0xffffffff);
  });

  it('byte and word data accesses select the register with the port offset', () => {
    const pc = makePc();
    pc.io.write(PCI_CONFIG_ADDRESS_PORT, 4, pciConfigAddress(0, 0, 0, 0x08));
    expect(pc.io.read(PCI_CONFIG_DATA_PORT + 0, 1)).toBe(0x02);
    expect(pc.io.read(PCI_CONFIG_DATA_PORT + 2, 2)).toBe(0x0600);
    expect(pc.io.read(PCI_CONFIG_DATA_PORT + 3, 1)).toBe(0x06);
  });

  it('a byte write to 0xCF9 goes to PIIX3 reset control; RST_CPU requests a machine reset', () => {
    let resets = 0;
    const pc = makePc();
    pc.host.rootBus.detach(pc.piix3);
    pc.host.rootBus.detach(pc.pm);
    const piix3 = new Piix3({ onSystemReset: () => resets++ });
    pc.host.rootBus.attach(piix3, 1, 0);
    pc.io.write(0xcf9, 1, 0x02);
    expect(pc.io.read(0xcf9, 1)).toBe(0x02);
    expect(pc.host.configAddressLatch).toBe(0);
    pc.io.write(0xcf9, 1, 0x06);
    expect(resets).toBe(1);
  });
});

describe('slot assignment and QEMU placement errors (hw/pci/pci.c do_pci_register_device)', () => {
  it('automatic placement takes the first slot whose function 0 is free', () => {
    const pc = makePc();
    const a = fn('virtio-serial-pci');
    expect(pc.host.rootBus.attach(a)).toEqual({ slot: 2, fn: 0 });
    const b = new PciTestdev({ addr: '0x5' });
    expect(pc.host.plug(b)).toEqual({ slot: 5, fn: 0 });
    expect(pc.host.plug(new PciTestdev())).toEqual({ slot: 3, fn: 0 });
  });

  it('an occupied slot reports the occupant with its id', () => {
    const pc = makePc();
    pc.host.rootBus.attach(new PciTestdev(), 3, 0);
    expect(() => pc.host.rootBus.attach(fn('virtio-serial-pci'), 3, 0)).toThrow(
      new PciError('PCI: slot 3 function 0 not available for virtio-serial-pci, in use by pci-testdev,id=(null)'),
    );
    pc.host.rootBus.attach(new PciTestdev({ id: 'td1' }), 4, 0);
    expect(() => pc.host.plug(fn('virtio-serial-pci', { addr: '04.0' }))).toThrow(
      'PCI: slot 4 function 0 not available for virtio-serial-pci, in use by pci-testdev,id=td1',
    );
  });

  it('a full bus reports no slot available', () => {
    const pc = makePc();
    for (let s = 2; s < 32; s++) pc.host.rootBus.attach(new PciTestdev(), s, 0);
    expect(() => pc.host.rootBus.attach(new PciTestdev())).toThrow('PCI: no slot/function available for pci-testdev, all in use or reserved');
  });

  it('an unknown bus= is QEMU\'s "Bus not found"', () => {
    const pc = makePc();
    expect(() => pc.host.plug(new PciTestdev({ bus: 'pci.7' }))).toThrow("Bus 'pci.7' not found");
  });

  it('addr= parses QEMU forms and rejects bad ones with QEMU\'s message', () => {
    expect(parsePciDevfn('x', '5')).toEqual({ slot: 5, fn: 0 });
    expect(parsePciDevfn('x', '0x1f')).toEqual({ slot: 31, fn: 0 });
    expect(parsePciDevfn('x', '05.1')).toEqual({ slot: 5, fn: 1 });
    expect(parsePciDevfn('x', 'a.7')).toEqual({ slot: 10, fn: 7 });
    expect(formatDevfn({ slot: 5, fn: 1 })).toBe('05.1');
    for (const bad of ['20', '3.8', 'zz', '3.', '', '3.1x']) {
      expect(() => parsePciDevfn('virtio-serial-pci', bad)).toThrow(`Property 'virtio-serial-pci.addr' doesn't take value '${bad}'`);
    }
  });
});

describe('multifunction devices (QEMU pci_init_multifunction)', () => {
  it('PIIX3 at 00:01.0 is multifunction, so PIIX4_PM at 00:01.3 shares its slot', () => {
    const pc = makePc();
    expect(pc.cfgRead(0, 1, 0, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTI_FUNCTION).toBe(PCI_HEADER_TYPE_MULTI_FUNCTION);
    expect(pc.cfgRead(0, 1, 3, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTI_FUNCTION).toBe(0);
    expect(pc.cfgRead(0, 0, 0, PCI_HEADER_TYPE, 1)).toBe(0);
  });

  it('a function > 0 is refused when function 0 is single-function, and vice versa', () => {
    const pc = makePc();
    pc.host.rootBus.attach(fn('a'), 6, 0);
    expect(() => pc.host.rootBus.attach(fn('b'), 6, 1)).toThrow("PCI: single function device can't be populated in function 6.1");
    pc.host.rootBus.attach(fn('c'), 0xa, 2);
    expect(() => pc.host.rootBus.attach(fn('d'), 0xa, 0)).toThrow('PCI: a.0 indicates single function, but a.2 is already populated.');
    expect(() => pc.host.rootBus.attach(fn('e', { multifunction: true }), 0xa, 0)).not.toThrow();
  });

  it('a non-zero function is invisible to config cycles until function 0 exists', () => {
    const pc = makePc();
    pc.host.rootBus.attach(fn('late'), 8, 2);
    expect(pc.cfgRead(0, 8, 2, PCI_VENDOR_ID, 2)).toBe(0xffff);
    expect(pc.ecamRead(0, 8, 2, PCI_VENDOR_ID, 2)).toBe(0xffff);
    pc.host.rootBus.attach(fn('first', { multifunction: true }), 8, 0);
    expect(pc.cfgRead(0, 8, 2, PCI_VENDOR_ID, 2)).toBe(0x1af4);
    expect(pc.cfgRead(0, 8, 0, PCI_HEADER_TYPE, 1)).toBe(0x80);
  });
});

describe('query-pci of the bare pc chipset (qapi/pci.json example)', () => {
  it('lists host bridge, ISA bridge and PM function with QEMU descriptions and ids', () => {
    const pc = makePc();
    const q = pc.host.queryPci();
    expect(q.bus).toBe(0);
    expect(q.devices.map((d) => [d.slot, d.function, d.class_info.desc, d.id.vendor, d.id.device])).toEqual([
      [0, 0, 'Host bridge', 0x8086, 0x1237],
      [1, 0, 'ISA bridge', 0x8086, 0x7000],
      [1, 3, 'Bridge', 0x8086, 0x7113],
    ]);
    const pm = q.devices[2]!;
    expect(pm.irq).toBe(0);
    expect(pm.irq_pin).toBe(1);
    expect(Object.keys(pm)).toEqual(['bus', 'slot', 'function', 'class_info', 'id', 'irq', 'irq_pin', 'qdev_id', 'regions']);
    expect(q.devices[0]!.class_info).toEqual({ desc: 'Host bridge', class: 0x0600 });
  });
});
