/**
 * Notification suppression in both directions (VIRTIO 1.2 §2.7.7 and §2.7.10) as QEMU's
 * device side implements it, including EVENT_IDX bookkeeping and legacy NOTIFY_ON_EMPTY.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_PCI_ISR_QUEUE,
  VIRTIO_RING_F_EVENT_IDX,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_USED_F_NO_NOTIFY,
  featureBit,
  vringNeedEvent,
} from '../../src/abi/virtio.js';
import { MockSplitQueue, createTestMemory } from '../../src/testkit/index.js';
import { StandaloneQueueHost } from '../../devices/virtio/queue-host.js';
import { SplitQueue } from '../../devices/virtio/split-queue.js';
import { bringUp } from './helpers.js';

const V1 = featureBit(VIRTIO_F_VERSION_1);
const EVENT = V1 | featureBit(VIRTIO_RING_F_EVENT_IDX);

function setup(features: bigint, size = 8) {
  const mem = createTestMemory();
  const host = new StandaloneQueueHost(mem, features);
  const q = new SplitQueue(host, 0, size);
  const drv = new MockSplitQueue(mem, { size });
  q.setRings(drv.layout.desc, drv.layout.avail, drv.layout.used);
  /** One buffer through the ring: add, pop, push. */
  const cycle = (): void => {
    drv.addChain([{ len: 4 }], [0]);
    q.push(q.pop()!, 0);
  };
  return { q, drv, cycle };
}

describe('vring_need_event (shared by 2.7.7 and 2.7.10)', () => {
  it.each([
    // event, new, old, expected
    [0, 1, 0, true], // 1.2 §2.7.7.2 note: used_event 0 → notify after the first buffer
    [0, 2, 1, false],
    [1, 2, 1, true],
    [5, 5, 0, false], // idx has reached event but the entry at event not written yet
    [5, 6, 0, true],
    [5, 10, 6, false], // already passed before old
    [0xffff, 0, 0xfffe, true], // wraps
    [0xffff, 1, 0xffff, true], // entry 0xffff written while idx wrapped to 1
    [0xffff, 2, 0, false], // entry 0xffff was written before old
    [0, 0, 0, false], // nothing new
  ])('event %i, new %i, old %i → %s', (event, now, old, want) => {
    expect(vringNeedEvent(event, now, old)).toBe(want);
  });

  it('with used_event 0 the next notification is after the 65536th buffer', () => {
    let fired = 0;
    for (let n = 1; n <= 65537; n++) if (vringNeedEvent(0, n & 0xffff, (n - 1) & 0xffff)) fired++;
    expect(fired).toBe(2);
  });
});

describe('2.7.7 Used Buffer Notification Suppression (device side)', () => {
  it('2.7.7.2 without EVENT_IDX and flags 0 the device MUST notify after every used entry', () => {
    const { q, cycle } = setup(V1);
    for (let i = 0; i < 5; i++) {
      cycle();
      expect(q.shouldNotify()).toBe(true);
    }
  });

  it('2.7.7.2 without EVENT_IDX and NO_INTERRUPT the device does not notify', () => {
    const { q, drv, cycle } = setup(V1);
    drv.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    cycle();
    expect(q.shouldNotify()).toBe(false);
    drv.setAvailFlags(0);
    expect(q.shouldNotify()).toBe(true);
  });

  it('2.7.7.2 without EVENT_IDX the device ignores used_event', () => {
    const { q, drv, cycle } = setup(V1);
    drv.setUsedEvent(40);
    cycle();
    expect(q.shouldNotify()).toBe(true);
  });

  it('2.7.7.2 with EVENT_IDX the device ignores the NO_INTERRUPT flag', () => {
    const { q, drv, cycle } = setup(EVENT);
    drv.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    cycle();
    expect(q.shouldNotify()).toBe(true);
  });

  it('2.7.7.2 with EVENT_IDX the device notifies when it writes the entry at used_event', () => {
    const { q, drv, cycle } = setup(EVENT);
    cycle();
    expect(q.shouldNotify()).toBe(true); // first decision always notifies (nothing signalled yet)
    drv.setUsedEvent(2); // "tell me when entry 2 is written" = when used idx reaches 3
    cycle(); // used idx 2
    expect(q.shouldNotify()).toBe(false);
    cycle(); // used idx 3
    expect(q.shouldNotify()).toBe(true);
    cycle();
    expect(q.shouldNotify()).toBe(false);
  });

  it('a batch that steps over used_event notifies once', () => {
    const { q, drv, cycle } = setup(EVENT);
    cycle();
    q.shouldNotify();
    drv.setUsedEvent(2);
    drv.addChain([{ len: 4 }], [0]);
    drv.addChain([{ len: 4 }], [1]);
    drv.addChain([{ len: 4 }], [2]);
    const chains = [q.pop()!, q.pop()!, q.pop()!];
    for (const c of chains) q.fill(c, 0);
    q.flush(); // used idx 1 → 4
    expect(q.shouldNotify()).toBe(true);
    expect(q.shouldNotify()).toBe(false);
  });

  it('QEMU forgets signalled_used when used idx laps it, so the next decision notifies', () => {
    const { q, drv, cycle } = setup(EVENT);
    cycle();
    expect(q.shouldNotify()).toBe(true);
    drv.setUsedEvent(0x4000);
    q.usedIdx = 0x8000; // the device ran half the index space without deciding
    cycle();
    expect(q.signalledUsedValid).toBe(false);
    expect(q.shouldNotify()).toBe(true);
  });
});

describe('VIRTIO_F_NOTIFY_ON_EMPTY (legacy, QEMU)', () => {
  const LEGACY = featureBit(VIRTIO_F_NOTIFY_ON_EMPTY);

  it('notifies despite NO_INTERRUPT once the ring is empty and nothing is in flight', () => {
    const { q, drv, cycle } = setup(LEGACY);
    drv.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    cycle();
    expect(q.shouldNotify()).toBe(true);
  });

  it('stays quiet while buffers are still available or in flight', () => {
    const { q, drv } = setup(LEGACY);
    drv.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    drv.addChain([{ len: 4 }], [0]);
    drv.addChain([{ len: 4 }], [1]);
    drv.addChain([{ len: 4 }], [2]);
    const a = q.pop()!;
    const b = q.pop()!;
    q.push(a, 0);
    expect(q.shouldNotify()).toBe(false); // one still available, one in flight
    q.pop();
    q.push(b, 0);
    expect(q.shouldNotify()).toBe(false); // ring empty, one still in flight
  });

  it('is ignored when not negotiated', () => {
    const { q, drv, cycle } = setup(V1);
    drv.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    cycle();
    expect(q.shouldNotify()).toBe(false);
  });
});

describe('2.7.10 Available Buffer Notification Suppression (device side)', () => {
  it('2.7.10.2 without EVENT_IDX the device suppresses kicks with used flags NO_NOTIFY', () => {
    const { q, drv } = setup(V1);
    expect(drv.usedFlags()).toBe(0);
    q.setNotification(false);
    expect(drv.usedFlags()).toBe(VRING_USED_F_NO_NOTIFY);
    q.setNotification(true);
    expect(drv.usedFlags()).toBe(0);
  });

  it('2.7.10.2 with EVENT_IDX the device keeps flags 0 and publishes avail_event on every pop', () => {
    const { q, drv } = setup(EVENT);
    drv.addChain([{ len: 4 }], [0]);
    drv.addChain([{ len: 4 }], [1]);
    q.pop();
    expect(drv.availEvent()).toBe(1);
    q.pop();
    expect(drv.availEvent()).toBe(2);
    q.setNotification(false);
    expect(drv.usedFlags()).toBe(0);
  });

  it('with notifications disabled QEMU leaves avail_event alone on pop; enabling sets it to avail idx', () => {
    const { q, drv } = setup(EVENT);
    q.setNotification(false);
    drv.addChain([{ len: 4 }], [0]);
    drv.addChain([{ len: 4 }], [1]);
    drv.addChain([{ len: 4 }], [2]);
    q.pop();
    expect(drv.availEvent()).toBe(0);
    q.setNotification(true);
    expect(drv.availEvent()).toBe(3);
  });
});

describe('device core: used-buffer interrupts', () => {
  it('notify sets ISR bit 0 and asks the transport for the queue interrupt', () => {
    const rig = bringUp();
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    expect(rig.transport.events).toEqual(['queue 0']);
    expect(rig.dev.isr).toBe(VIRTIO_PCI_ISR_QUEUE);
    expect(rig.dev.takeIsr()).toBe(VIRTIO_PCI_ISR_QUEUE);
    expect(rig.dev.isr).toBe(0);
  });

  it('a suppressed notification neither sets ISR nor reaches the transport', () => {
    const rig = bringUp();
    rig.drv.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    rig.drv.addChain([{ len: 8 }]);
    rig.kick();
    expect(rig.drv.takeUsed()).toHaveLength(1);
    expect(rig.transport.events).toEqual([]);
    expect(rig.dev.isr).toBe(0);
  });
});
