/** The shared virtio ABI numbers and layout arithmetic (VIRTIO 1.2 §2.7, §4.1, §5.3). */
import { describe, expect, it } from 'vitest';
import {
  PCI_DEVICE_ID_VIRTIO_CONSOLE,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_BAD_FEATURE,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_ID_CONSOLE,
  VIRTIO_LEGACY_FEATURES,
  VIRTIO_PCI_COMMON_CFG_SIZE,
  VIRTIO_PCI_COMMON_Q_USEDHI,
  featureBit,
  hasFeature,
  legacyRingBytes,
  legacyRingLayout,
  splitRingLayout,
  virtioPciLegacyConfigOffset,
  virtioPciModernDeviceId,
  vringAvailEventOffset,
  vringAvailSize,
  vringDescTableSize,
  vringUsedEventOffset,
  vringUsedSize,
} from '../../src/abi/virtio.js';
import {
  VIRTIO_CONSOLE_BAD_ID,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_PORT_NAME,
  decodeConsoleControl,
  encodeConsoleControl,
} from '../../src/abi/virtio-console.js';

describe('2.7 Split Virtqueues: sizes and alignment', () => {
  it('matches the size table: 16·n, 6 + 2·n, 6 + 8·n', () => {
    expect(vringDescTableSize(256)).toBe(4096);
    expect(vringAvailSize(256)).toBe(518);
    expect(vringUsedSize(256)).toBe(2054);
  });

  it('places used_event after the avail ring and avail_event after the used ring', () => {
    expect(vringUsedEventOffset(8)).toBe(4 + 16);
    expect(vringAvailEventOffset(8)).toBe(4 + 64);
  });

  it('2.7.1 packs a modern queue at the minimum alignments (16, 2, 4)', () => {
    const l = splitRingLayout(0x10003, 3);
    expect(l).toEqual({ size: 3, desc: 0x10010, avail: 0x10040, used: 0x1004c });
    expect(l.desc % 16).toBe(0);
    expect(l.used % 4).toBe(0);
  });

  it('2.7.2 legacy layout puts the used ring on the next 4096 boundary', () => {
    const l = legacyRingLayout(0x20000, 128);
    expect(l).toEqual({ size: 128, desc: 0x20000, avail: 0x20800, used: 0x21000 });
    expect(legacyRingBytes(128)).toBe(8192);
    expect(legacyRingBytes(256)).toBe(12288);
  });
});

describe('feature bits', () => {
  it('are 64-bit masks built from bit numbers', () => {
    const f = featureBit(VIRTIO_F_VERSION_1) | featureBit(0);
    expect(f).toBe(0x1_0000_0001n);
    expect(hasFeature(f, VIRTIO_F_VERSION_1)).toBe(true);
    expect(hasFeature(f, 1)).toBe(false);
  });

  it('QEMU hides BAD_FEATURE, NOTIFY_ON_EMPTY and ANY_LAYOUT from modern drivers', () => {
    expect(VIRTIO_LEGACY_FEATURES).toBe(featureBit(VIRTIO_F_BAD_FEATURE) | featureBit(VIRTIO_F_NOTIFY_ON_EMPTY) | featureBit(VIRTIO_F_ANY_LAYOUT));
    expect(VIRTIO_LEGACY_FEATURES).toBe(0x4900_0000n);
  });
});

describe('4.1 virtio-pci numbers', () => {
  it('4.1.2 modern device id is 0x1040 + virtio id; console is transitional 0x1003', () => {
    expect(virtioPciModernDeviceId(VIRTIO_ID_CONSOLE)).toBe(0x1043);
    expect(PCI_DEVICE_ID_VIRTIO_CONSOLE).toBe(0x1003);
  });

  it('4.1.4.3 common config ends after queue_device (56 bytes in 1.0 / QEMU 6.1)', () => {
    expect(VIRTIO_PCI_COMMON_Q_USEDHI + 4).toBe(VIRTIO_PCI_COMMON_CFG_SIZE);
  });

  it('4.1.4.10 legacy device config moves from 20 to 24 with MSI-X', () => {
    expect(virtioPciLegacyConfigOffset(false)).toBe(20);
    expect(virtioPciLegacyConfigOffset(true)).toBe(24);
  });
});

describe('5.3 console control messages', () => {
  it('encodes DEVICE_READY as 8 little-endian bytes', () => {
    const b = encodeConsoleControl({ id: VIRTIO_CONSOLE_BAD_ID, event: VIRTIO_CONSOLE_DEVICE_READY, value: 1 });
    expect([...b]).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0]);
    expect(decodeConsoleControl(b)).toEqual({ id: VIRTIO_CONSOLE_BAD_ID, event: 0, value: 1 });
  });

  it('appends a payload (PORT_NAME + NUL) and ignores short packets', () => {
    const b = encodeConsoleControl({ id: 1, event: VIRTIO_CONSOLE_PORT_NAME, value: 1 }, new TextEncoder().encode('a\0'));
    expect(b.length).toBe(10);
    expect(decodeConsoleControl(b)).toEqual({ id: 1, event: 7, value: 1 });
    expect(decodeConsoleControl(b.subarray(0, 7))).toBeNull();
  });
});
