/**
 * virtio-blk-pci as a bare driver sees it (no guest kernel): configuration, features and the
 * request semantics of VIRTIO 1.2 §5.2, with QEMU's status choices and NEEDS_RESET for
 * chains that cannot hold a request.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_F_VERSION_1, featureBit, hasFeature } from '../../src/abi/virtio.js';
import {
  VIRTIO_BLK_CFG_BLK_SIZE,
  VIRTIO_BLK_CFG_CAPACITY,
  VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
  VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
  VIRTIO_BLK_CFG_MAX_DISCARD_SEG,
  VIRTIO_BLK_CFG_SEG_MAX,
  VIRTIO_BLK_CFG_WRITEBACK,
  VIRTIO_BLK_F_CONFIG_WCE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
} from '../../src/abi/virtio-blk.js';
import { VirtioBlkPci } from '../../devices/virtio-blk/virtio-blk-pci.js';
import { VIRTIO_BLK_ERR } from '../../devices/virtio-blk/request.js';
import { bootQtest, type QtRig } from './qtest.js';
import { pattern } from './harness.js';

const ALL = [VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_CONFIG_WCE, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_F_RO].reduce((f, b) => f | featureBit(b), 0n);

function hdr(type: number, sector = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, type >>> 0, true);
  v.setBigUint64(8, BigInt(sector), true);
  return b;
}

function dwz(sector: number, count: number, flags = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(sector), true);
  v.setUint32(8, count, true);
  v.setUint32(12, flags, true);
  return b;
}

/** Status byte of a request whose last writable buffer ends with it. */
function status(rig: QtRig, segs: Parameters<QtRig['request']>[1]): number {
  const u = rig.request(0, segs);
  if (!u) throw new Error('request not completed');
  const last = u.ins[u.ins.length - 1]!;
  return last[last.length - 1]!;
}

function boot(drive = 'if=none,id=d0,size=1M', dev = 'virtio-blk-pci,drive=d0,serial=SN-0001'): QtRig {
  return bootQtest({ drives: [drive], devices: [dev], features: ALL, queues: 1 });
}

describe('virtio-blk-pci configuration (VIRTIO 1.2 §5.2.3, §5.2.4)', () => {
  it('§5.2.4: capacity, seg_max, blk_size, writeback and the discard limits as QEMU fills them', () => {
    const rig = boot();
    const d = rig.drv;
    expect(d.readConfig(VIRTIO_BLK_CFG_CAPACITY, 4)).toBe(2048);
    expect(d.readConfig(VIRTIO_BLK_CFG_CAPACITY + 4, 4)).toBe(0);
    expect(d.readConfig(VIRTIO_BLK_CFG_SEG_MAX, 4)).toBe(254);
    expect(d.readConfig(VIRTIO_BLK_CFG_BLK_SIZE, 4)).toBe(512);
    expect(d.readConfig(VIRTIO_BLK_CFG_WRITEBACK, 1)).toBe(1);
    expect(d.readConfig(VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4)).toBe(0x3f_ffff);
    expect(d.readConfig(VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 4)).toBe(1);
    expect(d.readConfig(VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 4)).toBe(1);
  });

  it('§5.2.3: FLUSH, DISCARD and WRITE_ZEROES offered by default, RO only for a read-only drive', () => {
    const rw = boot().drv.features;
    expect(hasFeature(rw, VIRTIO_F_VERSION_1)).toBe(true);
    for (const b of [VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_F_CONFIG_WCE]) expect(hasFeature(rw, b)).toBe(true);
    expect(hasFeature(rw, VIRTIO_BLK_F_RO)).toBe(false);
    expect(hasFeature(boot('if=none,id=d0,size=1M,readonly=on').drv.features, VIRTIO_BLK_F_RO)).toBe(true);
    const off = boot('if=none,id=d0,size=1M', 'virtio-blk-pci,drive=d0,discard=off,write-zeroes=off').drv.features;
    expect(hasFeature(off, VIRTIO_BLK_F_DISCARD) || hasFeature(off, VIRTIO_BLK_F_WRITE_ZEROES)).toBe(false);
  });

  it('§5.2.4: with CONFIG_WCE the driver turns the write cache off through the writeback field', () => {
    const rig = boot();
    rig.drv.writeConfig(VIRTIO_BLK_CFG_WRITEBACK, 1, 0);
    expect(rig.drv.readConfig(VIRTIO_BLK_CFG_WRITEBACK, 1)).toBe(0);
    expect(rig.drive('d0').writeCacheEnabled).toBe(false);
    // Write-through: every write is flushed to the image at once.
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_OUT, 0) }, { out: pattern(1) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(rig.drive('d0').stats().flushes).toBe(1);
  });
});

describe('virtio-blk requests (VIRTIO 1.2 §5.2.6)', () => {
  it('§5.2.6: OUT writes the data at the sector, IN reads it back; the used length counts the writable bytes', () => {
    const rig = boot();
    const data = pattern(3, 7);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_OUT, 100) }, { out: data.subarray(0, 1000) }, { out: data.subarray(1000) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(rig.drive('d0').image!.read(100, 3)).toEqual(data);
    const u = rig.request(0, [{ out: hdr(VIRTIO_BLK_T_IN, 100) }, { in: 512 }, { in: 1024 + 1 }])!;
    expect(u.len).toBe(512 + 1025);
    expect(new Uint8Array([...u.ins[0]!, ...u.ins[1]!.subarray(0, 1024)])).toEqual(data);
    expect(u.ins[1]![1024]).toBe(VIRTIO_BLK_S_OK);
  });

  it('§5.2.6.2: a request beyond the capacity, or not a whole number of sectors, completes with IOERR and touches nothing', () => {
    const rig = boot();
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_OUT, 2047) }, { out: pattern(2) }, { in: 1 }])).toBe(VIRTIO_BLK_S_IOERR);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_IN, 2048) }, { in: 513 }])).toBe(VIRTIO_BLK_S_IOERR);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_OUT, 0) }, { out: new Uint8Array(100) }, { in: 1 }])).toBe(VIRTIO_BLK_S_IOERR);
    expect(rig.drive('d0').stats().writtenSectors).toBe(0);
    expect(rig.needsReset()).toBe(false);
  });

  it('§5.2.6.2: writes to a read-only device fail with IOERR', () => {
    const rig = boot('if=none,id=d0,size=1M,readonly=on');
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_OUT, 0) }, { out: pattern(1) }, { in: 1 }])).toBe(VIRTIO_BLK_S_IOERR);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_IN, 0) }, { in: 513 }])).toBe(VIRTIO_BLK_S_OK);
  });

  it('§5.2.6: FLUSH reaches the image', () => {
    const rig = boot();
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_FLUSH) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(rig.drive('d0').stats().flushes).toBe(1);
  });

  it('§5.2.6: GET_ID returns the serial, NUL-terminated only when shorter than 20 bytes', () => {
    const rig = boot('if=none,id=d0,size=1M', 'virtio-blk-pci,drive=d0,serial=ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const u = rig.request(0, [{ out: hdr(VIRTIO_BLK_T_GET_ID) }, { in: 20 }, { in: 1 }])!;
    expect(new TextDecoder().decode(u.ins[0])).toBe('ABCDEFGHIJKLMNOPQRST');
    expect(u.ins[1]![0]).toBe(VIRTIO_BLK_S_OK);
    const short = boot().request(0, [{ out: hdr(VIRTIO_BLK_T_GET_ID) }, { in: 20 }, { in: 1 }])!;
    expect(Array.from(short.ins[0]!.subarray(0, 8))).toEqual([...new TextEncoder().encode('SN-0001'), 0]);
  });

  it('§5.2.6: DISCARD reaches the image; with discard=ignore it succeeds without touching it', () => {
    const rig = boot();
    rig.drive('d0').image!.write(8, pattern(8));
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: dwz(8, 8) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(rig.drive('d0').stats()).toMatchObject({ discards: 1, discardedSectors: 8 });
    expect(rig.drive('d0').image!.read(8, 8).every((b) => b === 0)).toBe(true);
    const ign = boot('if=none,id=d0,size=1M,discard=ignore');
    expect(status(ign, [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: dwz(8, 8) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(ign.drive('d0').stats().discards).toBe(0);
    expect(ign.drive('d0').ignoredDiscards).toBe(1);
  });

  it('§5.2.6.2: DISCARD with the UNMAP flag, with unknown flags, or with more segments than max_discard_seg is UNSUPP; past the end is IOERR', () => {
    const rig = boot();
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: dwz(0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) }, { in: 1 }])).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: dwz(0, 8, 4) }, { in: 1 }])).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: dwz(0, 8) }, { out: dwz(16, 8) }, { in: 1 }])).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: dwz(2040, 16) }, { in: 1 }])).toBe(VIRTIO_BLK_S_IOERR);
    expect(rig.drive('d0').stats().discards).toBe(0);
  });

  it('§5.2.6: WRITE_ZEROES zeroes the range (with UNMAP it may deallocate)', () => {
    const rig = boot();
    rig.drive('d0').image!.write(0, pattern(4));
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_WRITE_ZEROES) }, { out: dwz(0, 2) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_WRITE_ZEROES) }, { out: dwz(2, 2, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect(rig.drive('d0').image!.read(0, 4).every((b) => b === 0)).toBe(true);
    expect(rig.drive('d0').stats().discards).toBe(1);
  });

  it('§5.2.6.2: an unknown request type is UNSUPP and the device keeps working', () => {
    const rig = boot();
    expect(status(rig, [{ out: hdr(99) }, { in: 1 }])).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_FLUSH) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
    expect((rig.m.devices[0]!.pci as VirtioBlkPci).blk.stats()).toMatchObject({ requests: 2, unsupported: 1, ok: 1 });
  });
});

describe('virtio-blk malformed chains (VIRTIO 1.2 §2.1.2: the device sets DEVICE_NEEDS_RESET)', () => {
  it.each([
    ['no device-writable buffer', [{ out: hdr(VIRTIO_BLK_T_IN) }], VIRTIO_BLK_ERR.missingHeaders],
    ['no device-readable buffer', [{ in: 513 }], VIRTIO_BLK_ERR.missingHeaders],
    ['a header shorter than 16 bytes', [{ out: new Uint8Array(8) }, { in: 1 }], VIRTIO_BLK_ERR.outhdrTooShort],
    ['a discard segment cut short', [{ out: hdr(VIRTIO_BLK_T_DISCARD) }, { out: new Uint8Array(8) }, { in: 1 }], VIRTIO_BLK_ERR.dwzTooShort],
  ] as const)('%s: NEEDS_RESET with QEMU\'s message, nothing completed, nothing written', (_name, segs, message) => {
    const rig = boot();
    expect(rig.request(0, [...segs])).toBeUndefined();
    expect(rig.needsReset()).toBe(true);
    expect(rig.lines.some((l) => l.endsWith(`error: ${message}`))).toBe(true);
    expect(rig.drive('d0').stats().writtenSectors).toBe(0);
    // After the driver resets the device it serves requests again.
    rig.drv.reinitialize();
    expect(rig.needsReset()).toBe(false);
    expect(status(rig, [{ out: hdr(VIRTIO_BLK_T_FLUSH) }, { in: 1 }])).toBe(VIRTIO_BLK_S_OK);
  });
});
