import { describe, expect, it } from 'vitest';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_BAD_FEATURE,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_COMMON_CFGGENERATION,
  VIRTIO_PCI_COMMON_DF,
  VIRTIO_PCI_COMMON_DFSELECT,
  VIRTIO_PCI_COMMON_GF,
  VIRTIO_PCI_COMMON_GFSELECT,
  VIRTIO_PCI_COMMON_MSIX,
  VIRTIO_PCI_COMMON_NUMQ,
  VIRTIO_PCI_COMMON_Q_AVAILHI,
  VIRTIO_PCI_COMMON_Q_AVAILLO,
  VIRTIO_PCI_COMMON_Q_DESCHI,
  VIRTIO_PCI_COMMON_Q_DESCLO,
  VIRTIO_PCI_COMMON_Q_ENABLE,
  VIRTIO_PCI_COMMON_Q_MSIX,
  VIRTIO_PCI_COMMON_Q_NOFF,
  VIRTIO_PCI_COMMON_Q_SELECT,
  VIRTIO_PCI_COMMON_Q_SIZE,
  VIRTIO_PCI_COMMON_Q_USEDHI,
  VIRTIO_PCI_COMMON_Q_USEDLO,
  VIRTIO_PCI_COMMON_STATUS,
  VIRTIO_PCI_HOST_FEATURES,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  splitRingLayout,
} from '../../src/abi/virtio.js';
import { VIRTIO_CONSOLE_F_EMERG_WRITE, VIRTIO_CONSOLE_F_MULTIPORT } from '../../src/abi/virtio-console.js';
import { bootRig, type Rig } from './helpers.js';

const bit = (n: number) => 2 ** n;

function features(rig: Rig, sel: number): number {
  rig.mmioWrite(VIRTIO_PCI_COMMON_DFSELECT, 4, sel);
  return rig.mmio(VIRTIO_PCI_COMMON_DF, 4);
}

function status(rig: Rig, value: number): void {
  rig.mmioWrite(VIRTIO_PCI_COMMON_STATUS, 1, value);
}

/** ACKNOWLEDGE, DRIVER, features (low word `lo`, VERSION_1), FEATURES_OK. */
function negotiate(rig: Rig, lo = 0): void {
  status(rig, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  status(rig, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  rig.mmioWrite(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
  rig.mmioWrite(VIRTIO_PCI_COMMON_GF, 4, lo);
  rig.mmioWrite(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
  rig.mmioWrite(VIRTIO_PCI_COMMON_GF, 4, 1);
  status(rig, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
}

function select(rig: Rig, q: number): void {
  rig.mmioWrite(VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
}

describe('virtio 1.2 §4.1.4.3 common configuration: feature bits', () => {
  it('device_feature word 1 offers VERSION_1; word 0 hides QEMU\'s legacy-only bits', () => {
    const rig = bootRig();
    const lo = features(rig, 0);
    expect(features(rig, 1)).toBe(bit(VIRTIO_F_VERSION_1 - 32));
    for (const b of [VIRTIO_F_NOTIFY_ON_EMPTY, VIRTIO_F_ANY_LAYOUT, VIRTIO_F_BAD_FEATURE]) expect(lo & bit(b)).toBe(0);
    for (const b of [VIRTIO_CONSOLE_F_MULTIPORT, VIRTIO_CONSOLE_F_EMERG_WRITE, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX]) expect(lo & bit(b)).not.toBe(0);
    expect(features(rig, 2)).toBe(0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_DFSELECT, 4)).toBe(2);
  });

  it('the legacy HOST_FEATURES register of the same function still shows them (bits 24, 27, 30)', () => {
    const rig = bootRig();
    const legacy = rig.pio(VIRTIO_PCI_HOST_FEATURES, 4);
    for (const b of [VIRTIO_F_NOTIFY_ON_EMPTY, VIRTIO_F_ANY_LAYOUT, VIRTIO_F_BAD_FEATURE]) expect(legacy & bit(b)).not.toBe(0);
  });

  it('driver_feature words are latched per select and handed to the device as one 64-bit set', () => {
    const rig = bootRig();
    negotiate(rig, bit(VIRTIO_CONSOLE_F_MULTIPORT) | bit(VIRTIO_RING_F_EVENT_IDX));
    rig.mmioWrite(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_GF, 4)).toBe(bit(VIRTIO_CONSOLE_F_MULTIPORT) | bit(VIRTIO_RING_F_EVENT_IDX));
    expect(rig.dev.serial.guestFeatures).toBe((1n << 32n) | (1n << 29n) | (1n << 1n));
    expect(rig.mmio(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK).toBeTruthy();
    expect(rig.lines).toContain('driver_feature[1] = 0x1');
  });

  it('features written after FEATURES_OK do not change what was negotiated', () => {
    const rig = bootRig();
    negotiate(rig, bit(VIRTIO_CONSOLE_F_MULTIPORT));
    rig.mmioWrite(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    rig.mmioWrite(VIRTIO_PCI_COMMON_GF, 4, 0);
    expect(rig.dev.serial.guestFeatures).toBe((1n << 32n) | (1n << 1n));
  });
});

describe('virtio 1.2 §4.1.4.3 common configuration: queues', () => {
  it('num_queues is 2 × (max_ports + 1)', () => {
    expect(bootRig().mmio(VIRTIO_PCI_COMMON_NUMQ, 2)).toBe(64);
    expect(bootRig('virtio-serial-pci', [['max_ports', '4']]).mmio(VIRTIO_PCI_COMMON_NUMQ, 2)).toBe(10);
  });

  it('queue_select of 1024 or more is ignored; selecting a queue the device lacks shows size 0', () => {
    const rig = bootRig();
    select(rig, 5);
    select(rig, 1024);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SELECT, 2)).toBe(5);
    select(rig, 1023);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SELECT, 2)).toBe(1023);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(0);
  });

  it('queue_size starts at the device default and takes smaller sizes, not 0 or more than 1024', () => {
    const rig = bootRig();
    select(rig, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(128);
    select(rig, 2);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(32);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(16);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_SIZE, 2, 2048);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_SIZE, 2, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(16);
  });

  it('queue_notify_off is the queue index', () => {
    const rig = bootRig();
    for (const q of [0, 3, 63, 700]) {
      select(rig, q);
      expect(rig.mmio(VIRTIO_PCI_COMMON_Q_NOFF, 2)).toBe(q);
    }
  });

  it('ring address halves read back as written; queue_enable = 1 hands them to the queue', () => {
    const rig = bootRig();
    negotiate(rig);
    const l = splitRingLayout(rig.alloc.alloc(0x1000, 0x1000), 32);
    select(rig, 3);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_DESCLO, 4, l.desc);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, l.avail);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_USEDLO, 4, l.used);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_AVAILLO, 4)).toBe(l.avail);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(0);
    expect(rig.dev.serial.queues[3]!.descAddr).toBe(0);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(1);
    const q = rig.dev.serial.queues[3]!;
    expect([q.descAddr, q.availAddr, q.usedAddr, q.ready]).toEqual([l.desc, l.avail, l.used, true]);
    expect(rig.lines.some((s) => s.startsWith(`vq3: enabled, size 32, desc 0x${l.desc.toString(16)}`))).toBe(true);
  });

  it('a high address half is kept and makes the rings unmappable when enabled (Cannot map desc)', () => {
    const rig = bootRig();
    negotiate(rig);
    select(rig, 2);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x10000);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0x40);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x11000);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x12000);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_DESCHI, 4)).toBe(0x40);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    expect(rig.dev.serial.broken).toBe(true);
    expect(rig.dev.serial.lastError).toBe('Cannot map desc');
  });

  it('queue_enable written with anything but 1 breaks the device: "wrong value for queue_enable 0" and NEEDS_RESET', () => {
    const rig = bootRig();
    negotiate(rig);
    status(rig, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    select(rig, 4);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
    expect(rig.dev.serial.broken).toBe(true);
    expect(rig.dev.serial.lastError).toBe('wrong value for queue_enable 0');
    expect(rig.mmio(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET).toBeTruthy();
    expect(rig.m.runState).toBe('running');
  });
});

describe('virtio 1.2 §4.1.4.3 common configuration: MSI-X vectors', () => {
  it('config and queue vectors the table has are kept; others read back as NO_VECTOR (0xffff)', () => {
    const rig = bootRig();
    rig.mmioWrite(VIRTIO_PCI_COMMON_MSIX, 2, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_MSIX, 2)).toBe(0);
    rig.mmioWrite(VIRTIO_PCI_COMMON_MSIX, 2, 2);
    expect(rig.mmio(VIRTIO_PCI_COMMON_MSIX, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    select(rig, 5);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(1);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_MSIX, 2, 7);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(rig.lines).toContain('vq5: queue_msix_vector = 0x7 (refused: reads 0xffff)');
  });

  it('without MSI-X (vectors=0) every vector is refused', () => {
    const rig = bootRig('virtio-serial-pci', [['vectors', '0']]);
    rig.mmioWrite(VIRTIO_PCI_COMMON_MSIX, 2, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_MSIX, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
  });
});

describe('virtio 1.2 §4.1.4.3 common configuration: device_status, generation, unknown offsets', () => {
  it('writing 0 to device_status resets the device and every queue latch', () => {
    const rig = bootRig();
    negotiate(rig, bit(VIRTIO_CONSOLE_F_MULTIPORT));
    select(rig, 2);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x20000);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x20200);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x20400);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
    rig.mmioWrite(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    status(rig, 0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_STATUS, 1)).toBe(0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_SELECT, 2)).toBe(0);
    select(rig, 2);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_DESCLO, 4)).toBe(0);
    expect(rig.mmio(VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(rig.dev.serial.guestFeatures).toBe(0n);
    expect(rig.dev.serial.queues[2]!.descAddr).toBe(0);
  });

  it('config_generation moves when the device changes its configuration (a port hot-plugged after DRIVER_OK)', () => {
    const rig = bootRig();
    negotiate(rig, bit(VIRTIO_CONSOLE_F_MULTIPORT));
    status(rig, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    const before = rig.mmio(VIRTIO_PCI_COMMON_CFGGENERATION, 1);
    rig.dev.serial.addPort({ name: 'late' });
    expect(rig.mmio(VIRTIO_PCI_COMMON_CFGGENERATION, 1)).toBe((before + 1) & 0xff);
  });

  it('offsets past the 1.0 structure read 0 and ignore writes', () => {
    const rig = bootRig();
    for (const off of [56, 58, 60, 0x100, 0xffc]) {
      rig.mmioWrite(off, 4, 0xffff_ffff);
      expect(rig.mmio(off, 4)).toBe(0);
    }
  });
});
