import { describe, expect, it } from 'vitest';
import {
  PCI_CAP_ID_MSIX,
  PCI_CAP_ID_VNDR,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_DEVICE,
  PCI_DEVICE_ID,
  PCI_INTERRUPT_PIN,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
  pciBarOffset,
} from '../../src/abi/pci.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_PCI_CAP_BAR,
  VIRTIO_PCI_CAP_CFG_TYPE,
  VIRTIO_PCI_CAP_LEN,
  VIRTIO_PCI_CAP_LENGTH,
  VIRTIO_PCI_CAP_OFFSET,
  VIRTIO_PCI_CFG_CAP_DATA,
  VIRTIO_PCI_COMMON_STATUS,
  VIRTIO_PCI_NOTIFY_CAP_MULT,
} from '../../src/abi/virtio.js';
import { listVirtioCapabilities } from '../../src/guest/drivers/virtio-pci/caps.js';
import { bootRig, type Rig } from './helpers.js';

/** (cap id, offset) pairs in list order. */
function chain(rig: Rig): [number, number][] {
  return rig.cfg.capabilities().map((c) => [c.id, c.offset]);
}

describe('virtio 1.2 §4.1.2 PCI device discovery: ids as QEMU gives them', () => {
  it('virtio-serial-pci on conventional PCI is transitional: 1af4:1003 rev 0, subsystem 1af4:0003, class 0x0780, INTA', () => {
    const { cfg, fn } = bootRig();
    expect(cfg.read(PCI_VENDOR_ID, 2)).toBe(0x1af4);
    expect(cfg.read(PCI_DEVICE_ID, 2)).toBe(0x1003);
    expect(cfg.read(PCI_REVISION_ID, 1)).toBe(0);
    expect(cfg.read(PCI_SUBSYSTEM_VENDOR_ID, 2)).toBe(0x1af4);
    expect(cfg.read(PCI_SUBSYSTEM_ID, 2)).toBe(3);
    expect(cfg.read(PCI_CLASS_DEVICE, 2)).toBe(0x0780);
    expect(cfg.read(PCI_INTERRUPT_PIN, 1)).toBe(1);
    expect(fn.classCode).toBe(0x078000);
  });

  it('virtio-serial-pci-non-transitional is 1af4:1043 rev 1 with QEMU\'s default subsystem 1af4:1100', () => {
    const { cfg } = bootRig('virtio-serial-pci-non-transitional');
    expect(cfg.read(PCI_DEVICE_ID, 2)).toBe(0x1043);
    expect(cfg.read(PCI_REVISION_ID, 1)).toBe(1);
    expect(cfg.read(PCI_SUBSYSTEM_VENDOR_ID, 2)).toBe(0x1af4);
    expect(cfg.read(PCI_SUBSYSTEM_ID, 2)).toBe(0x1100);
  });

  it('disable-legacy=on gives the modern id too; the -transitional type keeps 0x1003', () => {
    expect(bootRig('virtio-serial-pci', [['disable-legacy', 'on']]).cfg.read(PCI_DEVICE_ID, 2)).toBe(0x1043);
    expect(bootRig('virtio-serial-pci-transitional').cfg.read(PCI_DEVICE_ID, 2)).toBe(0x1003);
  });

  it('the class property honours only 0x0780, 0x0380 and 0x00ff', () => {
    expect(bootRig('virtio-serial-pci', [['class', '0x0380']]).cfg.read(PCI_CLASS_DEVICE, 2)).toBe(0x0380);
    expect(bootRig('virtio-serial-pci', [['class', '0x00ff']]).cfg.read(PCI_CLASS_DEVICE, 2)).toBe(0x00ff);
    expect(bootRig('virtio-serial-pci', [['class', '0x0c03']]).cfg.read(PCI_CLASS_DEVICE, 2)).toBe(0x0780);
  });
});

describe('virtio 1.2 §4.1.4 Virtio Structure PCI Capabilities: layout exactly as QEMU places it', () => {
  it('transitional: common 0x40, isr 0x50, device 0x60, notify 0x70, pci-cfg 0x84, MSI-X 0x98; list head is the newest', () => {
    const rig = bootRig();
    expect(rig.cfg.read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST).toBeTruthy();
    expect(rig.cfg.read(PCI_CAPABILITY_LIST, 1)).toBe(0x98);
    expect(chain(rig)).toEqual([
      [PCI_CAP_ID_MSIX, 0x98],
      [PCI_CAP_ID_VNDR, 0x84],
      [PCI_CAP_ID_VNDR, 0x70],
      [PCI_CAP_ID_VNDR, 0x60],
      [PCI_CAP_ID_VNDR, 0x50],
      [PCI_CAP_ID_VNDR, 0x40],
    ]);
  });

  it('each structure names BAR4 with QEMU\'s offsets and lengths; notify is 20 bytes with multiplier 4', () => {
    const rig = bootRig();
    const caps = listVirtioCapabilities(rig.cfg).map(({ capOffset, cfgType, bar, offset, length, capLen }) => ({ capOffset, cfgType, bar, offset, length, capLen }));
    expect(caps).toEqual([
      { capOffset: 0x84, cfgType: 5, bar: 0, offset: 0, length: 0, capLen: 20 },
      { capOffset: 0x70, cfgType: 2, bar: 4, offset: 0x3000, length: 0x1000, capLen: 20 },
      { capOffset: 0x60, cfgType: 4, bar: 4, offset: 0x2000, length: 0x1000, capLen: 16 },
      { capOffset: 0x50, cfgType: 3, bar: 4, offset: 0x1000, length: 0x1000, capLen: 16 },
      { capOffset: 0x40, cfgType: 1, bar: 4, offset: 0x0000, length: 0x1000, capLen: 16 },
    ]);
    expect(rig.cfg.read(0x70 + VIRTIO_PCI_NOTIFY_CAP_MULT, 4)).toBe(4);
  });

  it('the structure capabilities are read-only; only the pci-cfg window fields are writable', () => {
    const rig = bootRig();
    rig.cfg.write(0x40 + VIRTIO_PCI_CAP_OFFSET, 4, 0x1234);
    rig.cfg.write(0x40 + VIRTIO_PCI_CAP_CFG_TYPE, 1, 9);
    expect(rig.cfg.read(0x40 + VIRTIO_PCI_CAP_OFFSET, 4)).toBe(0);
    expect(rig.cfg.read(0x40 + VIRTIO_PCI_CAP_CFG_TYPE, 1)).toBe(1);
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_BAR, 1, 4);
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_OFFSET, 4, 0x2004);
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_LENGTH, 4, 4);
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_LEN, 1, 99);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CAP_BAR, 1)).toBe(4);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CAP_OFFSET, 4)).toBe(0x2004);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CAP_LENGTH, 4)).toBe(4);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CAP_LEN, 1)).toBe(20);
  });

  it('non-transitional: the same chain; legacy-only (disable-modern=on): just MSI-X at 0x40', () => {
    expect(chain(bootRig('virtio-serial-pci-non-transitional')).map(([, o]) => o)).toEqual([0x98, 0x84, 0x70, 0x60, 0x50, 0x40]);
    expect(chain(bootRig('virtio-serial-pci', [['disable-modern', 'on']]))).toEqual([[PCI_CAP_ID_MSIX, 0x40]]);
  });

  it('vectors=0: no MSI-X capability, the pci-cfg capability heads the list', () => {
    const rig = bootRig('virtio-serial-pci', [['vectors', '0']]);
    expect(rig.cfg.read(PCI_CAPABILITY_LIST, 1)).toBe(0x84);
    expect(rig.cfg.findCapabilities(PCI_CAP_ID_MSIX)).toEqual([]);
  });
});

describe('QEMU virtio-pci BARs: sizes and types', () => {
  it('transitional: BAR0 64 B I/O (24 + 12 config), BAR1 4 KiB MSI-X, BAR4 16 KiB 64-bit prefetchable', () => {
    const { fn, cfg } = bootRig();
    expect(fn.bars.map(({ index, kind, prefetchable, size }) => ({ index, kind, prefetchable, size }))).toEqual([
      { index: 0, kind: 'io', prefetchable: false, size: 64 },
      { index: 1, kind: 'mem32', prefetchable: false, size: 4096 },
      { index: 4, kind: 'mem64', prefetchable: true, size: 16384 },
    ]);
    expect(cfg.read(pciBarOffset(0), 4) & 0x3).toBe(0x1);
    expect(cfg.read(pciBarOffset(4), 4) & 0xf).toBe(0xc);
  });

  it('sizing BAR4 by writing all ones reads back the 16 KiB mask with the type bits', () => {
    const { cfg } = bootRig();
    const lo = cfg.read(pciBarOffset(4), 4);
    const hi = cfg.read(pciBarOffset(5), 4);
    cfg.write(pciBarOffset(4), 4, 0xffff_ffff);
    cfg.write(pciBarOffset(5), 4, 0xffff_ffff);
    expect(cfg.read(pciBarOffset(4), 4)).toBe(0xffff_c00c);
    expect(cfg.read(pciBarOffset(5), 4)).toBe(0xffff_ffff);
    cfg.write(pciBarOffset(4), 4, lo);
    cfg.write(pciBarOffset(5), 4, hi);
  });

  it('BAR0 is pow2ceil(header + config): 32 B without MSI-X or without emergency-write', () => {
    expect(bootRig('virtio-serial-pci', [['vectors', '0']]).fn.bars.find((b) => b.index === 0)?.size).toBe(32);
    expect(bootRig('virtio-serial-pci', [['emergency-write', 'off']]).fn.bars.find((b) => b.index === 0)?.size).toBe(32);
  });

  it('non-transitional has no I/O BAR; legacy-only has no memory BAR 4', () => {
    expect(bootRig('virtio-serial-pci-non-transitional').fn.bars.map((b) => b.index)).toEqual([1, 4]);
    expect(bootRig('virtio-serial-pci', [['disable-modern', 'on']]).fn.bars.map((b) => b.index)).toEqual([0, 1]);
  });

  it('more than 2048 vectors cannot be had: QEMU warns and the function has no MSI-X', () => {
    const rig = bootRig('virtio-serial-pci', [['vectors', '3000']]);
    expect(rig.cfg.findCapabilities(PCI_CAP_ID_MSIX)).toEqual([]);
    expect(rig.fn.bars.find((b) => b.index === 0)?.size).toBe(32);
  });

  it('past 128 vectors the PBA follows the table, and the MSI-X BAR grows once they pass 4 KiB', () => {
    const rig = bootRig('virtio-serial-pci', [['vectors', '200']]);
    const cap = rig.cfg.findCapabilities(PCI_CAP_ID_MSIX)[0]!;
    expect(rig.cfg.read(cap + 2, 2) & 0x7ff).toBe(199);
    expect(rig.cfg.read(cap + 8, 4)).toBe(200 * 16 + 1);
    expect(rig.fn.bars.find((b) => b.index === 1)?.size).toBe(4096);
    expect(bootRig('virtio-serial-pci', [['vectors', '300']]).fn.bars.find((b) => b.index === 1)?.size).toBe(8192);
  });
});

describe('virtio 1.2 §4.1.4.9 PCI configuration access capability', () => {
  function window(rig: Rig, offset: number, length: number): void {
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_BAR, 1, 4);
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_OFFSET, 4, offset);
    rig.cfg.write(0x84 + VIRTIO_PCI_CAP_LENGTH, 4, length);
  }

  it('a pci_cfg_data write reaches the common configuration (device_status) and a read comes back through it', () => {
    const rig = bootRig();
    window(rig, VIRTIO_PCI_COMMON_STATUS, 1);
    rig.cfg.write(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(rig.dev.serial.status).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 1)).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(rig.lines).toContain('pci-cfg window: write 1 bytes at BAR offset 0x14 = 0x1');
  });

  it('reads the device config through the window (max_nr_ports at device + 4)', () => {
    const rig = bootRig('virtio-serial-pci', [['max_ports', '7']]);
    window(rig, 0x2004, 4);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 4)).toBe(7);
  });

  it('an ISR read through the window clears it, as a BAR read would', () => {
    const rig = bootRig('virtio-serial-pci', [['vectors', '0']]);
    rig.dev.serial.isr = 1;
    window(rig, 0x1000, 1);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 1)).toBe(1);
    expect(rig.dev.serial.isr).toBe(0);
  });

  it('a length other than 1, 2 or 4, or an offset outside every region, does nothing', () => {
    const rig = bootRig();
    window(rig, VIRTIO_PCI_COMMON_STATUS, 3);
    rig.cfg.write(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(rig.dev.serial.status).toBe(0);
    window(rig, 0x4000, 4);
    rig.cfg.write(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 4, 0x1234);
    expect(rig.cfg.read(0x84 + VIRTIO_PCI_CFG_CAP_DATA, 4)).toBe(0x1234);
  });
});
