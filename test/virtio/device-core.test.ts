/**
 * The transport-independent device core: status (1.2 §2.1), features (§2.2), reset (§2.4),
 * configuration space (§2.5), ISR (§4.1.4.5) and QEMU's broken-device handling, driven through
 * the same calls a transport makes, with a fake transport recording interrupts.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_VERSION_1,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_RING_F_EVENT_IDX,
  featureBit,
  legacyRingLayout,
  vringUsedElemOffset,
} from '../../src/abi/virtio.js';
import { MockSplitQueue, createTestMemory } from '../../src/testkit/index.js';
import { DEFAULT_HOST_FEATURES, FakeTransport, TestDevice, bringUp } from './helpers.js';

const ACK_DRIVER = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
const V1 = featureBit(VIRTIO_F_VERSION_1);
const EVENT = featureBit(VIRTIO_RING_F_EVENT_IDX);

function device(hostFeatures = DEFAULT_HOST_FEATURES, sizes = [8, 4]) {
  const mem = createTestMemory();
  const lines: string[] = [];
  const dev = new TestDevice(mem, hostFeatures, sizes, (l) => lines.push(l));
  const transport = new FakeTransport();
  dev.attachTransport(transport);
  return { mem, dev, transport, lines };
}

describe('2.1 Device Status Field', () => {
  it('starts at 0 and keeps what the driver writes', () => {
    const { dev } = device();
    expect(dev.status).toBe(0);
    expect(dev.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE)).toBe(true);
    expect(dev.setStatus(ACK_DRIVER)).toBe(true);
    expect(dev.status).toBe(ACK_DRIVER);
  });

  it('2.1.2 a broken ring sets NEEDS_RESET and, with DRIVER_OK, sends a config notification', () => {
    const rig = bringUp();
    const gen = rig.dev.configGeneration;
    rig.drv.setAvailIdx(100);
    rig.kick();
    expect(rig.dev.status).toBe(ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(rig.transport.events).toEqual(['config']);
    expect(rig.dev.configGeneration).toBe((gen + 1) & 0xff);
    expect(rig.dev.takeIsr()).toBe(0x3);
  });

  it('2.1.2 before DRIVER_OK NEEDS_RESET is set but no notification is sent', () => {
    const { dev, transport } = device();
    dev.setStatus(ACK_DRIVER);
    dev.setGuestFeatures(V1);
    dev.setStatus(ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    dev.queues[0]!.setRings(0x8000_0000, 0x8000_1000, 0x8000_2000);
    expect(dev.lastError).toBe('Cannot map desc');
    expect(dev.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(transport.events).toEqual([]);
    expect(dev.isr).toBe(0);
  });

  it('QEMU: a legacy driver (no VERSION_1) gets a broken device without NEEDS_RESET', () => {
    const rig = bringUp({ features: EVENT });
    rig.drv.setAvailRing(0, 77);
    rig.drv.setAvailIdx(1);
    rig.kick();
    expect(rig.dev.broken).toBe(true);
    expect(rig.dev.lastError).toBe('Guest says index 77 is available');
    expect(rig.dev.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(0);
    expect(rig.transport.events).toEqual([]);
  });

  it('while broken: kicks, pops, pushes and interrupts are all ignored until reset', () => {
    const rig = bringUp();
    const good = rig.drv.buildChain([{ len: 8 }]);
    rig.dev.mode = 'hold';
    rig.drv.publish(good.head);
    rig.kick();
    const held = rig.dev.popped[0]!;
    rig.dev.markBroken('test breakage');
    rig.transport.events.length = 0;
    rig.q.push(held, 3);
    rig.dev.notify(rig.q);
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    expect(rig.drv.usedIdx()).toBe(0);
    expect(rig.q.inUse).toBe(0); // QEMU's flush still drops the in-flight count
    expect(rig.dev.popped).toHaveLength(1);
    expect(rig.q.pop()).toBeNull();
    expect(rig.q.isEmpty()).toBe(true);
    expect(rig.transport.events).toEqual([]);
    rig.reinit();
    rig.dev.mode = 'push';
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    expect(rig.drv.takeUsed()).toHaveLength(1);
  });
});

describe('2.2 Feature Bits', () => {
  it('2.2.2 the device keeps only offered bits and reports the others', () => {
    const { dev } = device(V1 | EVENT);
    expect(dev.setGuestFeatures(V1 | EVENT | featureBit(5))).toBe(false);
    expect(dev.guestFeatures).toBe(V1 | EVENT);
    expect(dev.setGuestFeatures(V1)).toBe(true);
    expect(dev.guestFeatures).toBe(V1);
  });

  it('2.2 renegotiation needs a reset: features are refused after FEATURES_OK', () => {
    const { dev } = device();
    dev.setStatus(ACK_DRIVER);
    dev.setGuestFeatures(V1);
    dev.setStatus(ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    expect(dev.setGuestFeatures(V1 | EVENT)).toBe(false);
    expect(dev.guestFeatures).toBe(V1);
    dev.setStatus(0);
    expect(dev.setGuestFeatures(V1 | EVENT)).toBe(true);
  });

  it('2.2.2 a device that cannot accept the subset fails FEATURES_OK (reads back clear)', () => {
    const { dev } = device();
    dev.acceptFeatures = (f) => (f & EVENT) !== 0n;
    dev.setStatus(ACK_DRIVER);
    dev.setGuestFeatures(V1);
    expect(dev.setStatus(ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK)).toBe(false);
    expect(dev.status).toBe(ACK_DRIVER);
    dev.setGuestFeatures(V1 | EVENT);
    expect(dev.setStatus(ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK)).toBe(true);
  });

  it('QEMU: ACCESS_PLATFORM offered but not accepted fails FEATURES_OK', () => {
    const { dev } = device(V1 | featureBit(VIRTIO_F_ACCESS_PLATFORM));
    dev.setGuestFeatures(V1);
    expect(dev.setStatus(VIRTIO_CONFIG_S_FEATURES_OK)).toBe(false);
    dev.setGuestFeatures(V1 | featureBit(VIRTIO_F_ACCESS_PLATFORM));
    expect(dev.setStatus(VIRTIO_CONFIG_S_FEATURES_OK)).toBe(true);
  });

  it('2.2.3 legacy drivers (no VERSION_1) are not validated at FEATURES_OK', () => {
    const { dev } = device();
    dev.acceptFeatures = () => false;
    dev.setGuestFeatures(EVENT);
    expect(dev.setStatus(VIRTIO_CONFIG_S_FEATURES_OK)).toBe(true);
  });

  it('transports can add to the offer (virtio-pci adds VERSION_1)', () => {
    const { dev } = device(EVENT);
    dev.offerFeatures(V1);
    expect(dev.hostFeatures).toBe(V1 | EVENT);
  });

  it('QEMU: accepting EVENT_IDX rechecks rings already set, which grow by the event fields', () => {
    const { dev, mem } = device();
    const q = dev.queues[0]!;
    const used = mem.ram.size - vringUsedElemOffset(q.size); // ends exactly at the end of RAM
    expect(q.setRings(0x10000, 0x11000, used)).toBe(true);
    dev.setGuestFeatures(V1 | EVENT);
    expect(dev.lastError).toBe('Cannot map used');
  });
});

describe('2.4 Device Reset', () => {
  it('2.4.1 writing status 0 reinitializes status, features, ISR and every queue', () => {
    const rig = bringUp({ features: V1 | EVENT });
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    rig.q.vector = 3;
    rig.dev.configVector = 1;
    expect(rig.q.usedIdx).toBe(1);
    const resets = rig.dev.resets;
    expect(rig.dev.setStatus(0)).toBe(true);
    expect(rig.dev.resets).toBe(resets + 1);
    expect(rig.dev.status).toBe(0);
    expect(rig.dev.guestFeatures).toBe(0n);
    expect(rig.dev.isr).toBe(0);
    expect(rig.dev.configVector).toBe(VIRTIO_MSI_NO_VECTOR);
    const q = rig.q;
    expect([q.descAddr, q.availAddr, q.usedAddr, q.lastAvailIdx, q.usedIdx, q.inUse]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([q.ready, q.enabled, q.signalledUsedValid, q.notification, q.vector]).toEqual([false, false, false, true, VIRTIO_MSI_NO_VECTOR]);
  });

  it('2.4.1 after reset the device does not touch the queues: kicks are dropped', () => {
    const rig = bringUp();
    rig.dev.setStatus(0);
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    expect(rig.dev.kicks).toEqual([]);
    expect(rig.drv.usedIdx()).toBe(0);
  });

  it('queue size follows QEMU: not above 1024, never between 0 and non-0, back to default on reset', () => {
    const { dev } = device();
    const q = dev.queues[0]!;
    expect(q.setSize(1025)).toBe(false);
    expect(q.setSize(0)).toBe(false);
    expect(q.setSize(1024)).toBe(true);
    expect(q.setSize(3)).toBe(true);
    dev.setStatus(0);
    expect(q.size).toBe(8);
  });
});

describe('2.5 Device Configuration Space', () => {
  it('reads refresh the config first (get_config) and are little-endian', () => {
    const { dev } = device();
    dev.setConfigU32(4, 0x1234_5678);
    expect(dev.readConfig(4, 4)).toBe(0x1234_5678);
    expect(dev.readConfig(4, 2)).toBe(0x5678);
    expect(dev.readConfig(7, 1)).toBe(0x12);
    expect(dev.refreshes).toBe(3);
    expect(dev.peekConfig(4, 1)).toBe(0x78);
    expect(dev.refreshes).toBe(3);
  });

  it('QEMU: reads past the end return all ones; writes past the end are dropped', () => {
    const { dev } = device();
    expect(dev.readConfig(12, 1)).toBe(0xff);
    expect(dev.readConfig(10, 4)).toBe(0xffff_ffff);
    dev.writeConfig(10, 4, 0);
    expect(dev.configWrites).toEqual([]);
    dev.writeConfig(8, 4, 0x41);
    expect(dev.configWrites).toEqual([[8, 4]]);
    expect(dev.readConfig(8, 4)).toBe(0x41);
  });

  it('config notifications bump the generation and set ISR 0x3, but only after DRIVER_OK', () => {
    const { dev, transport } = device();
    dev.notifyConfig();
    expect(transport.events).toEqual([]);
    expect(dev.configGeneration).toBe(0);
    dev.setStatus(VIRTIO_CONFIG_S_DRIVER_OK);
    dev.notifyConfig();
    dev.notifyConfig();
    expect(transport.events).toEqual(['config', 'config']);
    expect(dev.configGeneration).toBe(2);
    expect(dev.takeIsr()).toBe(0x3);
  });
});

describe('4.1.4.5 ISR status and kick dispatch', () => {
  it('4.1.4.5.1 the ISR byte resets to 0 when read', () => {
    const rig = bringUp();
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    expect(rig.dev.takeIsr()).toBe(0x1);
    expect(rig.dev.takeIsr()).toBe(0);
  });

  it('kicks reach the right queue handler; unknown queues and queues without rings are ignored', () => {
    const { dev } = device();
    dev.handleKick(1);
    dev.handleKick(9);
    expect(dev.kicks).toEqual([]);
    dev.queues[1]!.setRings(0x10000, 0x11000, 0x12000);
    dev.handleKick(1);
    expect(dev.kicks).toEqual([1]);
  });

  it('4.1.4.10 legacy PFN-style setup drives the same queue', () => {
    const { dev, mem } = device(DEFAULT_HOST_FEATURES, [128]);
    const drv = new MockSplitQueue(mem, { size: 128, layout: legacyRingLayout(0x40000, 128) });
    dev.setStatus(VIRTIO_CONFIG_S_DRIVER_OK);
    expect(dev.queues[0]!.setLegacyAddress(0x40000)).toBe(true);
    const c = drv.addChain([{ len: 8 }, { len: 8, write: true }]);
    dev.handleKick(0);
    expect(drv.takeUsed()).toEqual([{ id: c.head, len: 0 }]);
    expect(dev.queues[0]!.setLegacyAddress(0)).toBe(true);
    expect(dev.queues[0]!.ready).toBe(false);
  });
});

describe('trace', () => {
  it('prints status changes, kicks, interrupts and errors as readable lines', () => {
    const { dev, lines } = device(DEFAULT_HOST_FEATURES, [4]);
    const drv = new MockSplitQueue(dev.mem, { size: 4 });
    dev.setGuestFeatures(V1);
    dev.setStatus(VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    dev.queues[0]!.setRings(drv.layout.desc, drv.layout.avail, drv.layout.used);
    drv.addChain([{ len: 2, addr: 0x300000 }]);
    dev.handleKick(0);
    drv.setAvailIdx(9);
    dev.handleKick(0);
    expect(lines).toEqual([
      'guest features 0x100000000',
      'status 0x0 -> 0xc',
      'vq0: pop avail[0] head 0: d0 0x300000+2 R (out 2 in 0)',
      'vq0: used[0] = {id 0, len 0}',
      'vq0: used idx 0 -> 1',
      'vq0: interrupt',
      'vq0: error: Guest moved used index from 1 to 9',
      'config interrupt (generation 1)',
    ]);
  });
});
