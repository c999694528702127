import { describe, expect, it } from 'vitest';
import { PCI_COMMAND, PCI_COMMAND_MASTER } from '../../src/abi/pci.js';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VRING_AVAIL_IDX,
  hasFeature,
} from '../../src/abi/virtio.js';
import { VIRTIO_CONSOLE_CONSOLE_PORT, VIRTIO_CONSOLE_F_MULTIPORT, VIRTIO_CONSOLE_PORT_ADD, VIRTIO_CONSOLE_PORT_NAME } from '../../src/abi/virtio-console.js';
import { GSI_VECTOR_BASE } from '../../src/machine/interrupts.js';
import { VirtioDriverError } from '../../src/guest/drivers/virtio-pci/index.js';
import { C_OVQ, ConsoleGuest } from './console-guest.js';
import { bootRig, makeDriver, type Rig } from './helpers.js';

const AGENT = { driver: 'virtserialport', props: [['name', 'org.qemu.guest_agent.0']] as [string, string][] };

function rigWithAgent(driver = 'virtio-serial-pci', props: [string, string][] = []): Rig {
  return bootRig(driver, props, [AGENT]);
}

/** PORT_ADD(1) and the answers to PORT_READY: the guest agent port is announced and named. */
function expectAgentAnnounced(guest: ConsoleGuest): void {
  expect(guest.received).toEqual([
    { id: 1, event: VIRTIO_CONSOLE_PORT_ADD, value: 1 },
    { id: 1, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, name: 'org.qemu.guest_agent.0' },
  ]);
}

describe('virtio 1.2 §3.1.1 driver initialization over virtio-pci', () => {
  it('status goes 0 → ACKNOWLEDGE → DRIVER → FEATURES_OK → DRIVER_OK, with VERSION_1 negotiated', () => {
    const rig = rigWithAgent();
    const drv = makeDriver(rig);
    drv.init();
    const steps = rig.lines.filter((l) => l.startsWith('status '));
    expect(steps).toEqual(['status 0x0 -> 0x0', 'status 0x0 -> 0x1', 'status 0x1 -> 0x3', 'status 0x3 -> 0xb', 'status 0xb -> 0xf']);
    expect(drv.status()).toBe(0xf);
    expect(drv.regs.kind).toBe('modern');
    expect(hasFeature(drv.features, VIRTIO_F_VERSION_1)).toBe(true);
    expect(drv.features).toBe(rig.dev.serial.guestFeatures);
    expect(drv.queueCount).toBe(64);
  });

  it('features are the intersection of what the driver wants and what the device offers', () => {
    const rig = bootRig('virtio-serial-pci', [['max_ports', '1']]);
    const drv = makeDriver(rig, { queues: 2 });
    drv.init();
    // max_ports=1 means no MULTIPORT on offer, even though the driver asked for it.
    expect(hasFeature(drv.features, VIRTIO_CONSOLE_F_MULTIPORT)).toBe(false);
    expect(hasFeature(drv.features, VIRTIO_RING_F_EVENT_IDX)).toBe(true);
  });

  it('asking for more queues than num_queues fails the device (FAILED set)', () => {
    const rig = rigWithAgent('virtio-serial-pci', [['max_ports', '2']]);
    const drv = makeDriver(rig, { queues: 7 });
    expect(() => drv.init()).toThrow(VirtioDriverError);
    expect(drv.status() & 0x80).toBeTruthy();
  });

  it('config reads are consistent snapshots: cols, rows, max_nr_ports, emerg_wr', () => {
    const rig = rigWithAgent('virtio-serial-pci', [['max_ports', '5']]);
    const drv = makeDriver(rig);
    drv.init();
    expect([...drv.readConfigBytes(0, 12)]).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('virtio 1.2 §4.1.5.1.3 virtqueue configuration and a full round trip', () => {
  it('MSI-X: DEVICE_READY on the control transmitq brings PORT_ADD for the virtserialport, through the queue vector', () => {
    const rig = rigWithAgent();
    const drv = makeDriver(rig);
    const guest = new ConsoleGuest(rig, drv);
    guest.probe();
    rig.settle();
    expect(drv.interruptMode).toBe('msix');
    expectAgentAnnounced(guest);
    expect(rig.m.irq.delivered.get(0x51)).toBeGreaterThan(0);
    expect(rig.m.irq.delivered.get(GSI_VECTOR_BASE + rig.fn.irqLine)).toBeUndefined();
    expect(drv.stats.queueInterrupts).toBeGreaterThan(0);
    expect(rig.dev.serial.ports[0]!.guestReady).toBe(true);
  });

  it('INTx when MSI-X is off: the same exchange arrives on the GSI firmware routed, the ISR read quiets it', () => {
    const rig = rigWithAgent();
    const drv = makeDriver(rig, { msix: false });
    const guest = new ConsoleGuest(rig, drv);
    guest.probe();
    rig.settle();
    expect(drv.interruptMode).toBe('intx');
    expectAgentAnnounced(guest);
    expect(rig.m.irq.delivered.get(GSI_VECTOR_BASE + rig.fn.irqLine)).toBeGreaterThan(0);
    expect(rig.m.irq.delivered.get(0x51)).toBeUndefined();
    expect(drv.stats.intxInterrupts).toBeGreaterThan(0);
    expect(rig.m.irq.level(rig.fn.irqLine)).toBe(false);
  });

  it('INTx when the function has no MSI-X at all (vectors=0)', () => {
    const rig = rigWithAgent('virtio-serial-pci', [['vectors', '0']]);
    const drv = makeDriver(rig);
    const guest = new ConsoleGuest(rig, drv);
    guest.probe();
    rig.settle();
    expect(drv.interruptMode).toBe('intx');
    expectAgentAnnounced(guest);
  });

  it('a modern-only function (non-transitional) works the same', () => {
    const rig = rigWithAgent('virtio-serial-pci-non-transitional');
    const drv = makeDriver(rig);
    const guest = new ConsoleGuest(rig, drv);
    guest.probe();
    rig.settle();
    expectAgentAnnounced(guest);
  });

  it('a virtconsole is announced as port 0 with CONSOLE_PORT', () => {
    const rig = bootRig('virtio-serial-pci', [], [{ driver: 'virtconsole', props: [] }]);
    const guest = new ConsoleGuest(rig, makeDriver(rig));
    guest.probe();
    rig.settle();
    expect(guest.received).toEqual([
      { id: 0, event: VIRTIO_CONSOLE_PORT_ADD, value: 1 },
      { id: 0, event: VIRTIO_CONSOLE_CONSOLE_PORT, value: 1 },
    ]);
  });
});

describe('virtio 1.2 §2.1.2 device status NEEDS_RESET: a malformed ring, then driver reset', () => {
  /** Moves c_ovq's avail idx 100 ahead of what was really posted and notifies. */
  function jumpAvailIdx(rig: Rig, guest: ConsoleGuest): void {
    const ring = guest.drv.queue(C_OVQ);
    const at = ring.layout.avail + VRING_AVAIL_IDX;
    rig.m.mem.write(at, 2, (rig.m.mem.read(at, 2) + 100) & 0xffff);
    guest.drv.notify(C_OVQ);
  }

  for (const msix of [true, false]) {
    it(`${msix ? 'MSI-X' : 'INTx'}: the device goes broken with NEEDS_RESET and a config interrupt, the VM keeps running, a reset recovers it`, () => {
      const rig = rigWithAgent();
      const drv = makeDriver(rig, { msix });
      const guest = new ConsoleGuest(rig, drv);
      let noticed = 0;
      drv.onNeedsReset(() => noticed++);
      guest.probe();
      rig.settle();
      expectAgentAnnounced(guest);

      jumpAvailIdx(rig, guest);
      rig.settle();
      expect(rig.dev.serial.broken).toBe(true);
      expect(rig.dev.serial.lastError).toMatch(/^Guest moved used index from \d+ to \d+$/);
      expect(drv.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBeTruthy();
      expect(drv.needsReset).toBe(true);
      expect(noticed).toBe(1);
      expect(drv.stats.configInterrupts).toBe(1);
      expect(rig.m.runState).toBe('running');

      // Broken: further kicks are ignored rather than processed.
      guest.received.length = 0;
      guest.send(0xffff_ffff, 0, 1);
      rig.settle();
      expect(guest.received).toEqual([]);

      drv.reinitialize();
      expect(drv.needsReset).toBe(false);
      expect(rig.dev.serial.broken).toBe(false);
      expect(drv.status()).toBe(0xf);
      guest.start();
      rig.settle();
      expectAgentAnnounced(guest);
    });
  }

  it('a legacy driver gets no NEEDS_RESET (no VERSION_1) but the device is broken all the same; reset still recovers', () => {
    const rig = rigWithAgent();
    const drv = makeDriver(rig, { legacy: true });
    const guest = new ConsoleGuest(rig, drv);
    guest.probe();
    rig.settle();
    jumpAvailIdx(rig, guest);
    rig.settle();
    expect(rig.dev.serial.broken).toBe(true);
    expect(drv.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(0);
    expect(drv.needsReset).toBe(false);
    guest.received.length = 0;
    drv.reinitialize();
    guest.start();
    rig.settle();
    expectAgentAnnounced(guest);
  });
});

describe('guest PCI config access and determinism', () => {
  for (const msix of [true, false]) {
    it(`a function in PCI domain 1 is reached through ECAM (${msix ? 'MSI-X' : 'INTx'})`, () => {
      const rig = bootRig('virtio-serial-pci', [['bus', 'rc1']], [AGENT], { before: [{ driver: 'pci-root-complex', props: [['id', 'rc1']] }] });
      expect(rig.fn.domain).toBe(1);
      const drv = makeDriver(rig, { msix });
      const guest = new ConsoleGuest(rig, drv);
      guest.probe();
      rig.settle();
      expect(drv.interruptMode).toBe(msix ? 'msix' : 'intx');
      expectAgentAnnounced(guest);
    });
  }

  it('the same bring-up and exchange give the same trace hash twice', () => {
    const run = () => {
      const rig = rigWithAgent();
      const guest = new ConsoleGuest(rig, makeDriver(rig));
      guest.probe();
      rig.settle();
      return rig.m.trace.digest();
    };
    expect(run()).toBe(run());
  });
});

describe('QEMU: bus mastering and DRIVER_OK', () => {
  it('clearing COMMAND.MASTER on a running device clears DRIVER_OK', () => {
    const rig = rigWithAgent();
    const drv = makeDriver(rig);
    drv.init();
    rig.cfg.write(PCI_COMMAND, 2, rig.cfg.read(PCI_COMMAND, 2) & ~PCI_COMMAND_MASTER);
    expect(drv.status() & VIRTIO_CONFIG_S_DRIVER_OK).toBe(0);
    expect(rig.lines).toContain('bus mastering disabled: DRIVER_OK cleared');
  });

  it('system_reset puts the device back to power-on state (status 0, no MSI-X)', () => {
    const rig = rigWithAgent();
    const drv = makeDriver(rig);
    drv.init();
    rig.m.systemReset();
    expect(rig.dev.serial.status).toBe(0);
    expect(rig.dev.msixEnabled()).toBe(false);
    expect(rig.dev.serial.queues[2]!.descAddr).toBe(0);
  });
});
