import { describe, expect, it } from 'vitest';
import {
  PCI_CACHE_LINE_SIZE,
  PCI_CAPABILITY_LIST,
  PCI_CAP_ID_MSIX,
  PCI_CAP_ID_PM,
  PCI_CAP_ID_VNDR,
  PCI_CLASS_DEVICE,
  PCI_COMMAND,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_DETECTED_PARITY,
  PCI_STATUS_REC_MASTER_ABORT,
  PCI_STATUS_SIG_SYSTEM_ERROR,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from '../../src/abi/pci.js';
import { CapabilityPlacementError, ConfigSpace } from '../../devices/pci/config-space.js';
import { PciFunction } from '../../devices/pci/pci-function.js';
import { makePc } from './harness.js';

function testFunction(): PciFunction {
  return new PciFunction('test-fn', { vendorId: 0x1234, deviceId: 0x5678, classCode: 0x0780, revision: 7, progIf: 1, interruptPin: 1 });
}

describe('PCI 3.0 §6.2.1: identity registers are read-only', () => {
  it('vendor, device, revision, class, header type and interrupt pin ignore writes', () => {
    const f = testFunction();
    for (const [reg, size] of [[PCI_VENDOR_ID, 2], [PCI_DEVICE_ID, 2], [PCI_REVISION_ID, 1], [PCI_CLASS_DEVICE, 2], [PCI_HEADER_TYPE, 1], [PCI_INTERRUPT_PIN, 1]] as const) {
      const before = f.config.read(reg, size);
      f.configWrite(reg, size, 0xffff);
      expect(f.config.read(reg, size)).toBe(before);
    }
    expect(f.config.read(0, 4)).toBe(0x5678_1234);
    expect(f.config.read(8, 4)).toBe(0x0780_0107);
  });

  it('type 0 functions get QEMU default subsystem 1af4:1100 unless the model sets one', () => {
    const f = testFunction();
    expect(f.config.get16(PCI_SUBSYSTEM_VENDOR_ID)).toBe(0x1af4);
    expect(f.config.get16(PCI_SUBSYSTEM_ID)).toBe(0x1100);
    const g = new PciFunction('t', { vendorId: 1, deviceId: 2, classCode: 0, subsystemVendorId: 0x1af4, subsystemId: 3 });
    expect(g.config.get16(PCI_SUBSYSTEM_ID)).toBe(3);
    f.configWrite(PCI_SUBSYSTEM_VENDOR_ID, 4, 0);
    expect(f.config.get16(PCI_SUBSYSTEM_VENDOR_ID)).toBe(0x1af4);
  });
});

describe('QEMU pci_init_wmask: what a guest may write', () => {
  it('COMMAND accepts only IO, MEMORY, MASTER, SERR and INTX_DISABLE', () => {
    const f = testFunction();
    f.configWrite(PCI_COMMAND, 2, 0xffff);
    expect(f.config.get16(PCI_COMMAND)).toBe(0x0507);
  });

  it('cache line size and interrupt line are writable; device-specific bytes at 0x40+ are scratch', () => {
    const f = testFunction();
    f.configWrite(PCI_CACHE_LINE_SIZE, 1, 0x10);
    f.configWrite(PCI_INTERRUPT_LINE, 1, 11);
    f.configWrite(0x40, 4, 0xdeadbeef);
    f.configWrite(0xfc, 4, 0x01020304);
    expect(f.config.get8(PCI_CACHE_LINE_SIZE)).toBe(0x10);
    expect(f.config.get8(PCI_INTERRUPT_LINE)).toBe(11);
    expect(f.config.get32(0x40)).toBe(0xdeadbeef);
    expect(f.config.get32(0xfc)).toBe(0x01020304);
  });

  it('reserved header bytes (0x28 cardbus CIS, 0x0f BIST) ignore writes', () => {
    const f = testFunction();
    f.configWrite(0x28, 4, 0xffffffff);
    f.configWrite(0x0f, 1, 0xff);
    expect(f.config.get32(0x28)).toBe(0);
    expect(f.config.get8(0x0f)).toBe(0);
  });

  it('reads are little-endian at any width and do not cross the end of config space', () => {
    const c = new ConfigSpace();
    c.set32(0xfc, 0xaabbccdd);
    expect(c.read(0xfd, 2)).toBe(0xbbcc);
    expect(c.read(0xfe, 4)).toBe(0xaabb);
  });
});

describe('PCI 3.0 §6.2.3: STATUS error bits are write-1-to-clear', () => {
  it('writing 1 clears the bit, writing 0 keeps it, other bits are unaffected', () => {
    const f = testFunction();
    const errs = PCI_STATUS_DETECTED_PARITY | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_REC_MASTER_ABORT;
    f.config.set16(PCI_STATUS, errs | PCI_STATUS_CAP_LIST);
    f.configWrite(PCI_STATUS, 2, PCI_STATUS_SIG_SYSTEM_ERROR);
    expect(f.config.get16(PCI_STATUS)).toBe(PCI_STATUS_DETECTED_PARITY | PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST);
    f.configWrite(PCI_STATUS, 2, 0);
    expect(f.config.get16(PCI_STATUS)).toBe(PCI_STATUS_DETECTED_PARITY | PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST);
    f.configWrite(PCI_STATUS, 2, 0xffff);
    expect(f.config.get16(PCI_STATUS)).toBe(PCI_STATUS_CAP_LIST);
  });

  it('a dword write to COMMAND carries W1C clears into STATUS in the same access', () => {
    const f = testFunction();
    f.config.set16(PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT);
    f.configWrite(PCI_COMMAND, 4, (PCI_STATUS_REC_MASTER_ABORT << 16) | 0x0006);
    expect(f.config.get32(PCI_COMMAND)).toBe(0x0006);
  });
});

describe('QEMU pci_add_capability: placement and list order', () => {
  it('places each capability at the first free dword at or after 0x40 and prepends it', () => {
    const c = new ConfigSpace();
    expect(c.get16(PCI_STATUS) & PCI_STATUS_CAP_LIST).toBe(0);
    const sizes = [16, 16, 16, 20, 20, 12];
    const ids = [PCI_CAP_ID_VNDR, PCI_CAP_ID_VNDR, PCI_CAP_ID_VNDR, PCI_CAP_ID_VNDR, PCI_CAP_ID_VNDR, PCI_CAP_ID_MSIX];
    const offs = sizes.map((s, i) => c.addCapability(ids[i]!, s));
    // The layout a transitional virtio-serial on conventional PCI gets.
    expect(offs).toEqual([0x40, 0x50, 0x60, 0x70, 0x84, 0x98]);
    expect(c.get8(PCI_CAPABILITY_LIST)).toBe(0x98);
    expect(c.get16(PCI_STATUS) & PCI_STATUS_CAP_LIST).toBe(PCI_STATUS_CAP_LIST);
    expect(c.capabilities().map((x) => x.offset)).toEqual([0x98, 0x84, 0x70, 0x60, 0x50, 0x40]);
    expect(c.get8(0x40 + 1)).toBe(0);
    expect(c.findCapability(PCI_CAP_ID_MSIX)).toBe(0x98);
    expect(c.findCapability(PCI_CAP_ID_VNDR)).toBe(0x84);
    expect(c.findCapability(PCI_CAP_ID_PM)).toBe(0);
  });

  it('capability bytes are read-only unless a field is opened, and the rest stays scratch', () => {
    const c = new ConfigSpace();
    const off = c.addCapability(PCI_CAP_ID_VNDR, 6);
    c.write(off, 4, 0xffffffff);
    expect(c.get32(off)).toBe(PCI_CAP_ID_VNDR);
    c.setWmask(off + 4, 1, 0xff);
    c.write(off + 4, 1, 0x5a);
    expect(c.get8(off + 4)).toBe(0x5a);
    // Rounded-up tail of the capability (offset+6..+7) is claimed but still writable scratch.
    const next = c.addCapability(PCI_CAP_ID_PM, 8);
    expect(next).toBe(off + 8);
  });

  it('explicit offsets that overlap an existing capability are refused; full space is reported', () => {
    const c = new ConfigSpace();
    c.addCapability(PCI_CAP_ID_VNDR, 16);
    expect(() => c.addCapability(PCI_CAP_ID_PM, 8, 0x48)).toThrow(CapabilityPlacementError);
    expect(() => c.addCapability(PCI_CAP_ID_PM, 8, 0x48)).toThrow('Attempt to add PCI capability 1 at offset 48 overlaps existing capability 40 at offset 48');
    expect(c.addCapability(PCI_CAP_ID_PM, 8, 0x50)).toBe(0x50);
    expect(() => c.addCapability(PCI_CAP_ID_VNDR, 200)).toThrow('out of PCI config space');
  });

  it('the capability walk through CF8/CFC matches what the model built', () => {
    const pc = makePc();
    const f = testFunction();
    f.config.addCapability(PCI_CAP_ID_VNDR, 16);
    f.config.addCapability(PCI_CAP_ID_MSIX, 12);
    pc.host.rootBus.attach(f, 3, 0);
    expect(pc.cfgRead(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST).toBe(PCI_STATUS_CAP_LIST);
    const walk: number[] = [];
    for (let p = pc.cfgRead(0, 3, 0, PCI_CAPABILITY_LIST, 1); p !== 0; p = pc.cfgRead(0, 3, 0, p + 1, 1)) walk.push(pc.cfgRead(0, 3, 0, p, 1));
    expect(walk).toEqual([PCI_CAP_ID_MSIX, PCI_CAP_ID_VNDR]);
  });
});
