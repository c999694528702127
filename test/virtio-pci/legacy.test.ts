import { describe, expect, it } from 'vitest';
import { PCI_CAP_ID_MSIX, PCI_COMMAND, PCI_COMMAND_MASTER, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE } from '../../src/abi/pci.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_BAD_FEATURE,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_MSI_CONFIG_VECTOR,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_MSI_QUEUE_VECTOR,
  VIRTIO_PCI_GUEST_FEATURES,
  VIRTIO_PCI_HOST_FEATURES,
  VIRTIO_PCI_QUEUE_NUM,
  VIRTIO_PCI_QUEUE_PFN,
  VIRTIO_PCI_QUEUE_SEL,
  VIRTIO_PCI_STATUS,
  legacyRingBytes,
  legacyRingLayout,
} from '../../src/abi/virtio.js';
import { VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, VIRTIO_CONSOLE_F_MULTIPORT } from '../../src/abi/virtio-console.js';
import { ConsoleGuest } from './console-guest.js';
import { bootRig, makeDriver, type Rig } from './helpers.js';

const bit = (n: number) => 2 ** n;

function enableMsix(rig: Rig, on: boolean): void {
  const cap = rig.cfg.findCapabilities(PCI_CAP_ID_MSIX)[0]!;
  rig.cfg.write(cap + PCI_MSIX_FLAGS, 2, on ? PCI_MSIX_FLAGS_ENABLE : 0);
}

describe('virtio 1.2 §4.1.4.8 legacy interfaces: the I/O BAR of a transitional device', () => {
  it('HOST_FEATURES offers the legacy-only bits (NOTIFY_ON_EMPTY, ANY_LAYOUT, BAD_FEATURE)', () => {
    const rig = bootRig();
    const f = rig.pio(VIRTIO_PCI_HOST_FEATURES, 4);
    for (const b of [VIRTIO_F_NOTIFY_ON_EMPTY, VIRTIO_F_ANY_LAYOUT, VIRTIO_F_BAD_FEATURE, VIRTIO_CONSOLE_F_MULTIPORT]) expect(f & bit(b)).not.toBe(0);
  });

  it('GUEST_FEATURES takes bits 0-31; acking BAD_FEATURE gets the device\'s (empty) bad-feature set instead', () => {
    const rig = bootRig();
    rig.pioWrite(VIRTIO_PCI_GUEST_FEATURES, 4, bit(VIRTIO_CONSOLE_F_MULTIPORT));
    expect(rig.pio(VIRTIO_PCI_GUEST_FEATURES, 4)).toBe(bit(VIRTIO_CONSOLE_F_MULTIPORT));
    rig.pioWrite(VIRTIO_PCI_GUEST_FEATURES, 4, rig.pio(VIRTIO_PCI_HOST_FEATURES, 4));
    expect(rig.dev.serial.guestFeatures).toBe(0n);
    expect(rig.lines.some((l) => l.endsWith('(BAD_FEATURE acked: using none)'))).toBe(true);
  });

  it('QUEUE_NUM is read-only; QUEUE_PFN places the legacy layout at pfn × 4096 and reads back', () => {
    const rig = bootRig();
    rig.pioWrite(VIRTIO_PCI_QUEUE_SEL, 2, 2);
    expect(rig.pio(VIRTIO_PCI_QUEUE_NUM, 2)).toBe(32);
    rig.pioWrite(VIRTIO_PCI_QUEUE_NUM, 2, 8);
    expect(rig.pio(VIRTIO_PCI_QUEUE_NUM, 2)).toBe(32);
    const base = rig.alloc.alloc(legacyRingBytes(32), 4096);
    rig.pioWrite(VIRTIO_PCI_QUEUE_PFN, 4, base / 4096);
    const q = rig.dev.serial.queues[2]!;
    const want = legacyRingLayout(base, 32);
    expect([q.descAddr, q.availAddr, q.usedAddr]).toEqual([want.desc, want.avail, want.used]);
    expect(q.usedAddr % 4096).toBe(0);
    expect(rig.pio(VIRTIO_PCI_QUEUE_PFN, 4)).toBe(base / 4096);
  });

  it('QUEUE_PFN = 0 resets the whole device, as QEMU does for legacy drivers tearing down', () => {
    const rig = bootRig();
    rig.pioWrite(VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    rig.pioWrite(VIRTIO_PCI_GUEST_FEATURES, 4, bit(VIRTIO_CONSOLE_F_MULTIPORT));
    rig.pioWrite(VIRTIO_PCI_QUEUE_SEL, 2, 3);
    rig.pioWrite(VIRTIO_PCI_QUEUE_PFN, 4, rig.alloc.alloc(legacyRingBytes(32), 4096) / 4096);
    rig.pioWrite(VIRTIO_PCI_QUEUE_PFN, 4, 0);
    expect(rig.pio(VIRTIO_PCI_STATUS, 1)).toBe(0);
    expect(rig.dev.serial.guestFeatures).toBe(0n);
    expect(rig.dev.serial.queues[3]!.descAddr).toBe(0);
    expect(rig.pio(VIRTIO_PCI_QUEUE_SEL, 2)).toBe(0);
  });

  it('device config starts at 20 without MSI-X and at 24 once MSI-X is enabled', () => {
    const rig = bootRig('virtio-serial-pci', [['max_ports', '9']]);
    expect(rig.pio(20 + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4)).toBe(9);
    enableMsix(rig, true);
    expect(rig.pio(24 + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4)).toBe(9);
    expect(rig.dev.legacyConfigOffset()).toBe(24);
    enableMsix(rig, false);
    expect(rig.dev.legacyConfigOffset()).toBe(20);
  });

  it('the MSI vector registers exist only while MSI-X is enabled; vectors the table lacks read NO_VECTOR', () => {
    const rig = bootRig();
    enableMsix(rig, true);
    expect(rig.pio(VIRTIO_MSI_CONFIG_VECTOR, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    rig.pioWrite(VIRTIO_MSI_CONFIG_VECTOR, 2, 0);
    expect(rig.pio(VIRTIO_MSI_CONFIG_VECTOR, 2)).toBe(0);
    rig.pioWrite(VIRTIO_PCI_QUEUE_SEL, 2, 4);
    rig.pioWrite(VIRTIO_MSI_QUEUE_VECTOR, 2, 2);
    expect(rig.pio(VIRTIO_MSI_QUEUE_VECTOR, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    rig.pioWrite(VIRTIO_MSI_QUEUE_VECTOR, 2, 1);
    expect(rig.pio(VIRTIO_MSI_QUEUE_VECTOR, 2)).toBe(1);
    expect(rig.dev.serial.queues[4]!.vector).toBe(1);
  });

  it('status ACKNOWLEDGE|DRIVER turns on bus mastering for drivers that forget (pre-2.6.34 Linux)', () => {
    const rig = bootRig();
    rig.cfg.clearCommand(PCI_COMMAND_MASTER);
    rig.pioWrite(VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(rig.cfg.read(PCI_COMMAND, 2) & PCI_COMMAND_MASTER).toBe(0);
    rig.pioWrite(VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    expect(rig.cfg.read(PCI_COMMAND, 2) & PCI_COMMAND_MASTER).toBe(PCI_COMMAND_MASTER);
  });
});

describe('virtio 1.2 §4.1.4.8 legacy interfaces: a legacy driver end to end', () => {
  for (const msix of [true, false]) {
    it(`legacy driver with ${msix ? 'MSI-X' : 'INTx'}: PORT_ADD arrives for the virtserialport`, () => {
      const rig = bootRig('virtio-serial-pci', [], [{ driver: 'virtserialport', props: [['name', 'org.qemu.guest_agent.0']] }]);
      const drv = makeDriver(rig, { legacy: true, msix });
      const guest = new ConsoleGuest(rig, drv);
      guest.probe();
      rig.settle();
      expect(drv.regs.kind).toBe('legacy');
      expect(drv.interruptMode).toBe(msix ? 'msix' : 'intx');
      expect(drv.features >> 32n).toBe(0n);
      expect(guest.received.map((m) => m.event)).toEqual([1, 7]);
      expect(guest.received[1]!.name).toBe('org.qemu.guest_agent.0');
    });
  }

  it('a legacy-only function (disable-modern=on) is found through BAR0 when no capabilities exist', () => {
    const rig = bootRig('virtio-serial-pci', [['disable-modern', 'on']], [{ driver: 'virtserialport', props: [] }]);
    const drv = makeDriver(rig);
    const guest = new ConsoleGuest(rig, drv);
    guest.probe();
    rig.settle();
    expect(drv.structures).toBeUndefined();
    expect(drv.regs.kind).toBe('legacy');
    expect(guest.received[0]).toEqual({ id: 1, event: 1, value: 1 });
  });
});
