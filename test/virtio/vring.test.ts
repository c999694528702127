/** The guest driver's split ring (VIRTIO 1.2 §2.7.13-2.7.14, driver requirements). */
import { describe, expect, it } from 'vitest';
import {
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_AVAIL_FLAGS,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_USED_F_NO_NOTIFY,
  VRING_USED_FLAGS,
  VRING_USED_IDX,
  splitRingLayout,
  vringAvailEventOffset,
  vringUsedElemOffset,
  vringUsedEventOffset,
} from '../../src/abi/virtio.js';
import { Vring } from '../../src/guest/virtio/vring.js';
import { MockSplitQueue, createTestMemory } from '../../src/testkit/index.js';

function setup(size = 4, eventIdx = false, indirect = false) {
  const mem = createTestMemory();
  const layout = splitRingLayout(0x10000, size);
  const vr = new Vring<string>(mem, layout, { eventIdx, indirect });
  vr.init();
  // The mock reads the same memory, so it serves as the test's view of the rings.
  const view = new MockSplitQueue(mem, { size, layout });
  /** Plays the device: returns avail entries in order with the given lengths. */
  const complete = (...lens: number[]): void => {
    let used = mem.read(layout.used + VRING_USED_IDX, 2);
    for (const len of lens) {
      const head = mem.read(layout.avail + 4 + 2 * (used % size), 2);
      mem.write(layout.used + vringUsedElemOffset(used % size), 4, head);
      mem.write(layout.used + vringUsedElemOffset(used % size) + 4, 4, len);
      used = (used + 1) & 0xffff;
    }
    mem.write(layout.used + VRING_USED_IDX, 2, used);
  };
  return { mem, layout, vr, view, complete };
}

describe('2.7.13 Supplying Buffers to The Device', () => {
  it('2.7.13.1 places a chain with NEXT links and WRITE on device-writable elements', () => {
    const { vr, view } = setup(4);
    const head = vr.addBuffer(
      [
        { addr: 0x1000, len: 10, dir: 'out' },
        { addr: 0x2000, len: 20, dir: 'in' },
        { addr: 0x3000, len: 30, dir: 'in' },
      ],
      'a',
    )!;
    expect(head).toBe(0);
    expect([0, 1, 2].map((i) => view.readDesc(i))).toEqual([
      { addr: 0x1000n, len: 10, flags: VRING_DESC_F_NEXT, next: 1 },
      { addr: 0x2000n, len: 20, flags: VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, next: 2 },
      { addr: 0x3000n, len: 30, flags: VRING_DESC_F_WRITE, next: 0 },
    ]);
    expect(view.availIdx()).toBe(1);
    expect(vr.numFree).toBe(1);
  });

  it('2.7.4.2 refuses device-readable after device-writable', () => {
    const { vr } = setup(4);
    expect(() =>
      vr.addBuffer(
        [
          { addr: 0x1000, len: 1, dir: 'in' },
          { addr: 0x2000, len: 1, dir: 'out' },
        ],
        'x',
      ),
    ).toThrow(RangeError);
  });

  it('returns null when the ring has too few free descriptors, and frees them on use', () => {
    const { vr, complete } = setup(2);
    const two = [
      { addr: 0x1000, len: 1, dir: 'out' as const },
      { addr: 0x2000, len: 1, dir: 'in' as const },
    ];
    expect(vr.addBuffer(two, 'a')).toBe(0);
    expect(vr.addBuffer([{ addr: 0x3000, len: 1, dir: 'out' }], 'b')).toBeNull();
    complete(1);
    expect(vr.getUsed()).toEqual({ token: 'a', len: 1, head: 0 });
    expect(vr.numFree).toBe(2);
    expect(vr.addBuffer(two, 'c')).not.toBeNull();
  });

  it('2.7.5.3 with INDIRECT_DESC a multi-segment buffer takes one ring descriptor', () => {
    const { vr, view, mem } = setup(2, false, true);
    const head = vr.addBuffer(
      [
        { addr: 0x1000, len: 8, dir: 'out' },
        { addr: 0x2000, len: 16, dir: 'in' },
      ],
      't',
      0x50000,
    )!;
    expect(view.readDesc(head)).toEqual({ addr: 0x50000n, len: 32, flags: VRING_DESC_F_INDIRECT, next: 0 });
    expect(mem.read(0x50000 + 12, 2)).toBe(VRING_DESC_F_NEXT);
    expect(mem.read(0x50000 + 14, 2)).toBe(1);
    expect(mem.read(0x50000 + 16 + 12, 2)).toBe(VRING_DESC_F_WRITE);
    expect(vr.numFree).toBe(1);
  });

  it('2.7.5.3.1 driver MUST NOT use INDIRECT unless negotiated', () => {
    const { vr } = setup(2, false, false);
    const segs = [
      { addr: 0x1000, len: 8, dir: 'out' as const },
      { addr: 0x2000, len: 8, dir: 'in' as const },
    ];
    expect(() => vr.addBuffer(segs, 'x', 0x50000)).toThrow(/INDIRECT_DESC/);
  });
});

describe('2.7.10.1 Available Buffer Notification Suppression (driver side)', () => {
  it('without EVENT_IDX: kick unless the device set NO_NOTIFY', () => {
    const { vr, mem, layout } = setup(4);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'out' }], 'a');
    expect(vr.kickNeeded()).toBe(true);
    mem.write(layout.used + VRING_USED_FLAGS, 2, VRING_USED_F_NO_NOTIFY);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'out' }], 'b');
    expect(vr.kickNeeded()).toBe(false);
  });

  it('with EVENT_IDX: kick only when the added entries cover avail_event; flags ignored', () => {
    const { vr, mem, layout } = setup(8, true);
    mem.write(layout.used + VRING_USED_FLAGS, 2, VRING_USED_F_NO_NOTIFY);
    mem.write(layout.used + vringAvailEventOffset(8), 2, 2);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'out' }], 'a'); // entry 0
    expect(vr.kickNeeded()).toBe(false);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'out' }], 'b'); // entry 1
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'out' }], 'c'); // entry 2 = avail_event
    expect(vr.kickNeeded()).toBe(true);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'out' }], 'd');
    expect(vr.kickNeeded()).toBe(false);
  });
});

describe('2.7.7.1 / 2.7.14 used buffers and callback suppression (driver side)', () => {
  it('without EVENT_IDX disable sets NO_INTERRUPT, enable clears it', () => {
    const { vr, mem, layout } = setup(4);
    vr.disableCallbacks();
    expect(mem.read(layout.avail + VRING_AVAIL_FLAGS, 2)).toBe(VRING_AVAIL_F_NO_INTERRUPT);
    expect(vr.enableCallbacks()).toBe(true);
    expect(mem.read(layout.avail + VRING_AVAIL_FLAGS, 2)).toBe(0);
  });

  it('with EVENT_IDX flags stay 0 and used_event tracks the next entry wanted', () => {
    const { vr, mem, layout, complete } = setup(4, true);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'in' }], 'a');
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'in' }], 'b');
    vr.disableCallbacks();
    expect(mem.read(layout.avail + VRING_AVAIL_FLAGS, 2)).toBe(0);
    complete(1);
    expect(vr.enableCallbacks()).toBe(false); // one is already waiting: poll again
    expect(vr.getUsed()!.token).toBe('a');
    expect(mem.read(layout.avail + vringUsedEventOffset(4), 2)).toBe(1);
    expect(vr.enableCallbacks()).toBe(true);
  });

  it("marks the ring broken on an id that is not an outstanding head (Linux's BAD_RING)", () => {
    const { vr, mem, layout } = setup(4);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'in' }], 'a');
    mem.write(layout.used + vringUsedElemOffset(0), 4, 3);
    mem.write(layout.used + VRING_USED_IDX, 2, 1);
    expect(vr.getUsed()).toBeNull();
    expect(vr.broken).toBe('id 3 is not a head!');
    vr.init();
    mem.write(layout.used + vringUsedElemOffset(0), 4, 9);
    mem.write(layout.used + VRING_USED_IDX, 2, 1);
    expect(vr.getUsed()).toBeNull();
    expect(vr.broken).toBe('id 9 out of range');
  });

  it('detachUnused returns what the device never gave back', () => {
    const { vr, complete } = setup(4);
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'in' }], 'a');
    vr.addBuffer([{ addr: 0x1000, len: 1, dir: 'in' }], 'b');
    complete(5);
    expect(vr.getUsed()).toEqual({ token: 'a', len: 5, head: 0 });
    expect(vr.detachUnused()).toEqual(['b']);
  });
});
