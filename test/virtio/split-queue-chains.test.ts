/**
 * Chain parsing on the device side: framing, indirect tables, length limits, the chain
 * reader/writer, used-ring writes and 16-bit index wrap. Clause numbers are VIRTIO 1.2.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_INDIRECT_DESC,
  VIRTQUEUE_MAX_SIZE,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  featureBit,
} from '../../src/abi/virtio.js';
import { MockSplitQueue, createTestMemory } from '../../src/testkit/index.js';
import { ChainReader, ChainWriter, readChain, writeChain } from '../../devices/virtio/chain.js';
import { StandaloneQueueHost } from '../../devices/virtio/queue-host.js';
import { SplitQueue } from '../../devices/virtio/split-queue.js';
import { pattern } from './helpers.js';

const INDIRECT = featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);

function setup(size = 8, features = featureBit(VIRTIO_F_VERSION_1), trace = false) {
  const mem = createTestMemory();
  const host = new StandaloneQueueHost(mem, features, trace);
  const q = new SplitQueue(host, 0, size);
  const drv = new MockSplitQueue(mem, { size });
  expect(q.setRings(drv.layout.desc, drv.layout.avail, drv.layout.used)).toBe(true);
  return { mem, host, q, drv };
}

describe('2.7.4 Message Framing', () => {
  it('splits a chain into device-readable then device-writable segments, in order', () => {
    const { q, drv, mem } = setup();
    const built = drv.addChain([
      { len: 12, data: pattern(12) },
      { len: 100, data: pattern(100, 12) },
      { len: 64, write: true },
      { len: 1, write: true },
    ]);
    const c = q.pop()!;
    expect(c.head).toBe(built.head);
    expect(c.readable).toEqual(built.segments.slice(0, 2).map(({ addr, len }) => ({ addr, len })));
    expect(c.writable).toEqual(built.segments.slice(2).map(({ addr, len }) => ({ addr, len })));
    expect(readChain(mem, c)).toEqual(pattern(112));
    expect(c.indirect).toBeNull();
    expect(q.inUse).toBe(1);
  });

  it('2.7.4.1 device MUST NOT assume a layout: any split reads back the same bytes', () => {
    const { q, drv, mem } = setup(8);
    const data = pattern(300, 7);
    let at = 0;
    drv.addChain(
      [1, 2, 97, 200].map((len) => {
        const seg = { len, data: data.subarray(at, at + len) };
        at += len;
        return seg;
      }),
    );
    const c = q.pop()!;
    const r = new ChainReader(mem, c.readable);
    expect(r.total).toBe(300);
    expect(r.read(2)).toEqual(data.subarray(0, 2));
    expect(r.read(150)).toEqual(data.subarray(2, 152));
    expect(r.readAll()).toEqual(data.subarray(152));
    expect(r.remaining).toBe(0);
    expect(r.read(5)).toEqual(new Uint8Array(0));
  });

  it('a write-only chain (receive buffer) has no readable part', () => {
    const { q, drv } = setup();
    drv.addChain([{ len: 4096, write: true }]);
    const c = q.pop()!;
    expect(c.readable).toEqual([]);
    expect(c.writable).toHaveLength(1);
  });

  it('the writer fills writable segments in order and stops at capacity', () => {
    const { q, drv, mem } = setup();
    const b = drv.addChain([{ len: 4 }, { len: 3, write: true }, { len: 5, write: true }]);
    const c = q.pop()!;
    const w = new ChainWriter(mem, c.writable);
    expect(w.capacity).toBe(8);
    expect(w.write(pattern(2))).toBe(2);
    expect(w.write(pattern(10, 2))).toBe(6);
    expect(w.remaining).toBe(0);
    expect(w.write(pattern(1))).toBe(0);
    expect(mem.readBytes(b.segments[1]!.addr, 3)).toEqual(pattern(3));
    expect(mem.readBytes(b.segments[2]!.addr, 5)).toEqual(pattern(5, 3));
    expect(writeChain(mem, c, pattern(3, 50))).toBe(3);
  });

  it('2.7.13.1 descriptors of a chain may sit anywhere in the table', () => {
    const { q, drv } = setup(8);
    const b = drv.addChain([{ len: 8 }, { len: 8 }, { len: 8, write: true }], [5, 0, 7]);
    const c = q.pop()!;
    expect(c.head).toBe(5);
    expect(c.descriptors.map((d) => d.index)).toEqual([5, 0, 7]);
    expect(c.readable.map((s) => s.addr)).toEqual(b.segments.slice(0, 2).map((s) => s.addr));
  });

  it('a chain as long as the queue size is accepted; next is ignored without NEXT', () => {
    const { q, drv, host } = setup(8);
    drv.addChain(Array.from({ length: 8 }, () => ({ len: 1 })));
    drv.writeDesc(7, { ...drv.readDesc(7), next: 200 });
    const c = q.pop()!;
    expect(c.readable).toHaveLength(8);
    expect(host.errors).toEqual([]);
  });

  it(`accepts the longest chain QEMU allows: ${VIRTQUEUE_MAX_SIZE} descriptors in a ${VIRTQUEUE_MAX_SIZE}-entry ring`, () => {
    const { q, drv, host } = setup(VIRTQUEUE_MAX_SIZE);
    drv.addChain(Array.from({ length: VIRTQUEUE_MAX_SIZE }, (_, i) => ({ len: 2, write: i >= 512 })));
    const c = q.pop()!;
    expect(c.readable).toHaveLength(512);
    expect(c.writable).toHaveLength(512);
    expect(host.errors).toEqual([]);
  });

  it('2.7.5.2 a loop in a full-size ring hits the segment limit first (QEMU order of checks)', () => {
    const { q, drv, host } = setup(VIRTQUEUE_MAX_SIZE);
    drv.writeDesc(0, { addr: 0x300000, len: 1, flags: VRING_DESC_F_NEXT, next: 0 });
    drv.publish(0);
    expect(q.pop()).toBeNull();
    expect(host.errors.map((e) => e.message)).toEqual(['virtio: too many write descriptors in indirect table']);
  });
});

describe('2.7.5.3 Indirect Descriptors', () => {
  it('reads readable and writable buffers from the table; head is the ring descriptor', () => {
    const { q, drv, mem } = setup(4, INDIRECT);
    const b = drv.addIndirect([{ len: 10, data: pattern(10) }, { len: 6, data: pattern(6, 10) }, { len: 32, write: true }], { head: 2 });
    const c = q.pop()!;
    expect(c.head).toBe(2);
    expect(c.indirect).toEqual({ addr: b.table, len: 48 });
    expect(readChain(mem, c)).toEqual(pattern(16));
    expect(c.writable).toEqual([{ addr: b.segments[2]!.addr, len: 32 }]);
    expect(c.descriptors.map((d) => [d.index, d.inIndirect])).toEqual([
      [2, false],
      [0, true],
      [1, true],
      [2, true],
    ]);
  });

  it('a table may hold more descriptors than the ring (up to 1024 segments)', () => {
    const { q, drv, host } = setup(2, INDIRECT);
    drv.addIndirect(Array.from({ length: 1024 }, () => ({ len: 1, write: true })));
    expect(q.pop()!.writable).toHaveLength(1024);
    expect(host.errors).toEqual([]);
  });

  it('2.7.5.3.2 device MUST ignore the WRITE flag on the descriptor that points at the table', () => {
    const { q, drv } = setup(4, INDIRECT);
    const b = drv.buildIndirect([{ len: 8 }, { len: 8, write: true }]);
    drv.writeDesc(b.head, { addr: b.table!, len: 32, flags: VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, next: 0 });
    drv.publish(b.head);
    const c = q.pop()!;
    expect(c.readable).toHaveLength(1);
    expect(c.writable).toHaveLength(1);
  });

  it('2.7.5.3.1 INDIRECT together with NEXT: QEMU follows the table and ignores NEXT', () => {
    const { q, drv, host } = setup(4, INDIRECT);
    const b = drv.buildIndirect([{ len: 8 }]);
    drv.writeDesc(b.head, { addr: b.table!, len: 16, flags: VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, next: 3 });
    drv.publish(b.head);
    const c = q.pop()!;
    expect(c.readable).toHaveLength(1);
    expect(host.errors).toEqual([]);
  });

  it('2.7.5.3.1 nested INDIRECT inside a table: QEMU does not follow it, it is a plain buffer', () => {
    const { q, drv, host } = setup(4, INDIRECT);
    const inner = drv.alloc.alloc(16);
    const t = drv.alloc.alloc(32);
    drv.writeTable(t, [
      { addr: 0x300000, len: 8, flags: VRING_DESC_F_NEXT, next: 1 },
      { addr: inner, len: 16, flags: VRING_DESC_F_INDIRECT, next: 0 },
    ]);
    drv.writeDesc(0, { addr: t, len: 32, flags: VRING_DESC_F_INDIRECT, next: 0 });
    drv.publish(0);
    const c = q.pop()!;
    expect(c.readable).toEqual([
      { addr: 0x300000, len: 8 },
      { addr: inner, len: 16 },
    ]);
    expect(host.errors).toEqual([]);
  });

  it('2.7.5.3.2 normal descriptors followed by an indirect one: QEMU reads the table as data', () => {
    const { q, drv, host } = setup(4, INDIRECT);
    const b = drv.buildIndirect([{ len: 8 }], { head: 1 });
    drv.writeDesc(0, { addr: 0x300000, len: 4, flags: VRING_DESC_F_NEXT, next: 1 });
    drv.publish(0);
    const c = q.pop()!;
    expect(c.readable).toEqual([
      { addr: 0x300000, len: 4 },
      { addr: b.table!, len: 16 },
    ]);
    expect(c.indirect).toBeNull();
    expect(host.errors).toEqual([]);
  });

  it('QEMU follows INDIRECT even when the feature was not negotiated', () => {
    const { q, drv } = setup(4, featureBit(VIRTIO_F_VERSION_1));
    drv.addIndirect([{ len: 8 }, { len: 8, write: true }]);
    const c = q.pop()!;
    expect(c.indirect).not.toBeNull();
    expect(c.writable).toHaveLength(1);
  });
});

describe('2.7.8 The Virtqueue Used Ring', () => {
  it('2.7.8.2 writes id and len before moving used idx; fill+flush batches', () => {
    const { q, drv } = setup(4);
    const a = drv.addChain([{ len: 4 }]);
    const b = drv.addChain([{ len: 4, write: true }]);
    const ca = q.pop()!;
    const cb = q.pop()!;
    q.fill(cb, 4);
    expect(drv.usedIdx()).toBe(0);
    q.fill(ca, 0);
    expect(drv.readUsed(0)).toEqual({ id: b.head, len: 4 });
    expect(drv.readUsed(1)).toEqual({ id: a.head, len: 0 });
    q.flush();
    expect(drv.usedIdx()).toBe(2);
    expect(q.inUse).toBe(0);
    expect(drv.takeUsed()).toEqual([
      { id: b.head, len: 4 },
      { id: a.head, len: 0 },
    ]);
  });

  it('rewind gives popped chains back in order', () => {
    const { q, drv } = setup(4);
    drv.addChain([{ len: 4 }]);
    drv.addChain([{ len: 5 }]);
    const first = q.pop()!;
    q.pop();
    expect(q.rewind(3)).toBe(false);
    expect(q.rewind(2)).toBe(true);
    expect(q.pop()!.head).toBe(first.head);
    expect(q.inUse).toBe(1);
  });

  it('2.7.13.3 indices wrap at 65536 on both rings', () => {
    const { q, drv } = setup(4);
    q.lastAvailIdx = 0xfffe;
    q.usedIdx = 0xfffe;
    drv.setAvailIdx(0xfffe);
    for (let i = 0; i < 6; i++) {
      const b = drv.addChain([{ len: 4 }], [i % 4]);
      const c = q.pop()!;
      expect(c.head).toBe(b.head);
      q.push(c, i);
    }
    expect(q.lastAvailIdx).toBe(4);
    expect(drv.usedIdx()).toBe(4);
    expect(q.isEmpty()).toBe(true);
  });
});

describe('QEMU virtqueue_get_avail_bytes', () => {
  it('sums device-writable and device-readable bytes on offer without popping', () => {
    const { q, drv } = setup(8, INDIRECT);
    drv.addChain([{ len: 10 }, { len: 100, write: true }]);
    drv.addIndirect([{ len: 7 }, { len: 20, write: true }, { len: 30, write: true }]);
    expect(q.availBytes()).toEqual({ inBytes: 150, outBytes: 17 });
    expect(q.lastAvailIdx).toBe(0);
  });

  it('stops early once both limits are met (virtio-serial asks for 4096 in-bytes)', () => {
    const { q, drv } = setup(8);
    for (let i = 0; i < 4; i++) drv.addChain([{ len: 4096, write: true }]);
    expect(q.availBytes(4096, 0)).toEqual({ inBytes: 4096, outBytes: 0 });
  });

  it('reports ring errors and counts nothing', () => {
    const { q, drv, host } = setup(8);
    drv.setAvailIdx(20);
    expect(q.availBytes()).toEqual({ inBytes: 0, outBytes: 0 });
    expect(host.errors.map((e) => e.message)).toEqual(['Guest moved used index from 0 to 20']);
  });
});

describe('trace hook', () => {
  it('describes popped chains, used entries and errors in readable lines', () => {
    const { q, drv, host } = setup(4, INDIRECT, true);
    const b = drv.addChain([{ len: 8, addr: 0x300000 }, { len: 16, write: true, addr: 0x301000 }]);
    const c = q.pop()!;
    q.push(c, 5);
    drv.addIndirect([{ len: 4, addr: 0x302000 }], { head: 3, table: 0x303000 });
    q.pop();
    drv.setAvailIdx(100);
    q.pop();
    expect(host.lines).toEqual([
      `vq0: pop avail[0] head ${b.head}: d0 0x300000+8 R|N1, d1 0x301000+16 W (out 8 in 16)`,
      'vq0: used[0] = {id 0, len 5}',
      'vq0: used idx 0 -> 1',
      'vq0: pop avail[1] head 3: d3 0x303000+16 IND, i0 0x302000+4 R (out 4 in 0)',
      'vq0: error: Guest moved used index from 2 to 100',
    ]);
  });
});
